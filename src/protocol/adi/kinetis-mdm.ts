/**
 * The Kinetis MDM-AP (Miscellaneous Debug Module access port, AP 1): security state and
 * mass erase (NXP Kinetis reference manuals, e.g. K64 Sub-Family RM, chapter "Debug",
 * "MDM-AP Status Register" / "MDM-AP Control Register"). A secured Kinetis answers the
 * AHB-AP with FAULT; the MDM-AP stays reachable, and a mass erase through it is the one way
 * back without the backdoor key. It is destructive, so only a plan operation runs it.
 */
import { delay } from '../../core/abort.js';
import { FlashwrightError, TimeoutError } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import type { DebugPort } from './dp.js';

export const MDM_AP = { STATUS: 0x00, CONTROL: 0x04, IDR: 0xfc } as const;

/** Status register bits. */
export const MDM_STATUS = {
  MASS_ERASE_ACK: 1 << 0, FLASH_READY: 1 << 1, SYSTEM_SECURITY: 1 << 2, SYSTEM_RESET: 1 << 3,
  MASS_ERASE_ENABLE: 1 << 5, BACKDOOR_KEY_ENABLE: 1 << 6, LP_ENABLED: 1 << 7, CORE_HALTED: 1 << 16,
} as const;

/** Control register bits. */
export const MDM_CONTROL = { MASS_ERASE: 1 << 0, DEBUG_DISABLE: 1 << 1, DEBUG_REQUEST: 1 << 2, SYSTEM_RESET_REQUEST: 1 << 3, CORE_HOLD_RESET: 1 << 4 } as const;

export interface MdmState {
  status: number;
  secured: boolean;
  massEraseEnabled: boolean;
  backdoorEnabled: boolean;
  /** One sentence for users. */
  explanation: string;
}

export function decodeMdmStatus(status: number): MdmState {
  const secured = !!(status & MDM_STATUS.SYSTEM_SECURITY);
  const massEraseEnabled = !!(status & MDM_STATUS.MASS_ERASE_ENABLE);
  const backdoorEnabled = !!(status & MDM_STATUS.BACKDOOR_KEY_ENABLE);
  const explanation = !secured
    ? 'The chip is not secured (MDM-AP Status.System Security = 0).'
    : massEraseEnabled
      ? 'The chip is secured (FSEC at 0x40C has SEC ≠ 10b): the debugger cannot read or write memory, so the AHB-AP answers FAULT. A mass erase through the MDM-AP (--unsecure) erases ALL flash and unsecures it until the next reset; the image must then carry FSEC = 0xFE to stay unsecured.'
      : backdoorEnabled
        ? 'The chip is secured and mass erase is disabled (FSEC.MEEN = 10b): only the backdoor key can unsecure it.'
        : 'The chip is secured with mass erase disabled and no backdoor key (FSEC.MEEN = 10b, KEYEN ≠ 10b): it is permanently locked and cannot be unsecured.';
  return { status, secured, massEraseEnabled, backdoorEnabled, explanation };
}

export class KinetisSecuredError extends FlashwrightError {
  constructor(state: MdmState, what: string) {
    super('KINETIS_SECURED', `Cannot ${what}: the Kinetis chip is secured (MDM-AP Status ${hex(state.status)}).`, {
      hint: state.massEraseEnabled ? 'Run the write (or erase) with --unsecure to mass-erase it through the MDM-AP: all flash is lost.' : state.explanation,
      context: { mdmStatus: hex(state.status), massEraseEnabled: state.massEraseEnabled, backdoorEnabled: state.backdoorEnabled },
    });
  }
}

export async function readMdmState(dp: DebugPort, apsel: number, signal?: AbortSignal): Promise<MdmState> {
  return decodeMdmStatus(await dp.readAp(apsel, MDM_AP.STATUS, signal));
}

/**
 * Mass erase through the MDM-AP: hold the system in reset, wait for Flash Ready, set Flash
 * Mass Erase in Progress, wait until the chip clears it (erase done), release reset.
 */
export async function mdmMassErase(dp: DebugPort, apsel: number, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<MdmState> {
  const { signal } = options;
  const before = await readMdmState(dp, apsel, signal);
  if (!before.massEraseEnabled) {
    throw new FlashwrightError('KINETIS_MASS_ERASE_DISABLED', 'The Kinetis chip refuses a mass erase (MDM-AP Status.Mass Erase Enable = 0).', { hint: before.explanation, context: { mdmStatus: hex(before.status) } });
  }
  await dp.writeAp(apsel, MDM_AP.CONTROL, MDM_CONTROL.SYSTEM_RESET_REQUEST, signal);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const waitFor = async (what: string, done: () => Promise<boolean>) => {
    while (!(await done())) {
      if (Date.now() > deadline) throw new TimeoutError(`The Kinetis mass erase did not finish: ${what}.`, { hint: 'Power-cycle the board and retry with --connect-under-reset.' });
      await delay(5, signal);
    }
  };
  await waitFor('flash never became ready', async () => !!((await dp.readAp(apsel, MDM_AP.STATUS, signal)) & MDM_STATUS.FLASH_READY));
  await dp.writeAp(apsel, MDM_AP.CONTROL, MDM_CONTROL.SYSTEM_RESET_REQUEST | MDM_CONTROL.MASS_ERASE, signal);
  await waitFor('the erase-in-progress bit never cleared', async () => !((await dp.readAp(apsel, MDM_AP.CONTROL, signal)) & MDM_CONTROL.MASS_ERASE));
  await dp.writeAp(apsel, MDM_AP.CONTROL, 0, signal);
  return readMdmState(dp, apsel, signal);
}
