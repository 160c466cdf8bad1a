/**
 * i.MX RT board recovery (NXP's way back for a part a bad image locked the debugger out of):
 * the boot ROM's serial downloader takes the flashloader into RAM (SDP WRITE_FILE at the address
 * its IVT names), runs it (JUMP_ADDRESS to the IVT), and the flashloader then speaks MCUboot,
 * through which FlexSPI NOR is configured, erased and programmed.
 *
 * `planRecovery` says every step before anything is sent and refuses what cannot work (a file
 * without IVT, a load address outside the chip's RAM). `runRecovery` does the SDP part and hands
 * back the MCUboot transport; it stops with an explanation on a HAB-closed part before writing.
 */
import { FlashwrightError, RefusedBeforeSendingError, TimeoutError } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { parseIvtImage, type IvtImage } from '../imxrt/flashloader-image.js';
import type { McubootTransport } from '../protocol/mcuboot/transport.js';
import type { HabState } from '../protocol/sdp/commands.js';
import { SdpLinkError } from '../protocol/sdp/transport.js';
import type { SdpSession } from '../protocol/sdp/session.js';
import type { TargetDescription } from '../target/types.js';
import type { CallContext } from './events.js';

export interface RecoveryStep {
  stage: 'sdp' | 'mcuboot';
  description: string;
}

export interface RecoveryPlan {
  flashloader: IvtImage;
  steps: RecoveryStep[];
}

export interface RecoveryPlanOptions {
  /** The flashloader file's bytes (NXP's ivt_flashloader.bin). */
  flashloader: Uint8Array;
  target: TargetDescription;
  /** 'hid' re-enumerates as a new USB device after the jump; 'uart' keeps the wire. */
  link: 'hid' | 'uart';
  flexspiOption?: number[] | undefined;
  /** What the MCUboot stage writes, described (e.g. "app.bin, 12 KiB at 0x60000000"), if anything. */
  write?: string | undefined;
}

/** BOOT_MODE[1:0] = 01 selects the serial downloader (i.MX RT1020/RT1050/RT1060 RMs, "Boot mode pin settings"). */
export const SERIAL_DOWNLOADER_HINT = 'Set BOOT_MODE1 = 0, BOOT_MODE0 = 1 (serial downloader; on NXP EVKs the boot-mode DIP switch) and power-cycle the board; check the USB OTG1 cable (or LPUART1 at 115200 8N1 for --via sdp-uart).';

export function planRecovery(options: RecoveryPlanOptions): RecoveryPlan {
  const fl = parseIvtImage(options.flashloader);
  const ram = options.target.regions.filter((r) => r.kind === 'ram');
  const end = fl.loadAddress + fl.length;
  if (!ram.some((r) => fl.loadAddress >= r.start && end <= r.start + r.size)) {
    throw new RefusedBeforeSendingError('IMXRT_RECOVER_LOAD_ADDRESS', `The flashloader wants ${hex(fl.loadAddress)}–${hex(end - 1)}, which is not inside one RAM region of ${options.target.name} (${ram.map((r) => `${r.name} ${hex(r.start)}–${hex(r.start + r.size - 1)}`).join(', ')}).`, {
      hint: `Use the flashloader built for ${options.target.name} (NXP ships one per i.MX RT family).`, context: { loadAddress: fl.loadAddress, length: fl.length },
    });
  }
  const steps: RecoveryStep[] = [
    { stage: 'sdp', description: 'ERROR_STATUS: check the boot ROM answers in serial-download mode and read its HAB state (changes nothing)' },
    { stage: 'sdp', description: `WRITE_FILE: load the flashloader, ${formatSize(fl.length)} to RAM at ${hex(fl.loadAddress)}–${hex(end - 1)}` },
    { stage: 'sdp', description: `JUMP_ADDRESS ${hex(fl.ivtAddress)}: run the flashloader from its IVT (entry ${hex(fl.entry)})` },
    { stage: 'mcuboot', description: options.link === 'hid' ? 'wait for the flashloader to enumerate as the MCUboot USB-HID device and connect to it' : 'ping the flashloader (MCUboot) on the same UART and connect to it' },
  ];
  if (options.flexspiOption) steps.push({ stage: 'mcuboot', description: `configure FlexSPI NOR with option ${options.flexspiOption.map((w) => hex(w)).join(' ')} (RAM only; nothing in flash changes)` });
  if (options.write) steps.push({ stage: 'mcuboot', description: `write ${options.write}: plan, erase, program and verify as \`flashwright write\` does (its plan is shown before the erase)` });
  else steps.push({ stage: 'mcuboot', description: 'stop there: the flashloader keeps running in RAM until reset (nothing in flash changes)' });
  return { flashloader: fl, steps };
}

export class HabClosedError extends RefusedBeforeSendingError {
  constructor(hab: HabState) {
    super('IMXRT_HAB_CLOSED', `The i.MX RT is HAB closed (${hex(hab.word)}): its ROM runs only images signed with the key fused into the chip, so an unsigned flashloader would be loaded and then refused; nothing was written.`, {
      hint: 'Sign the flashloader for this chip with your HAB keys (NXP CST / SPSDK) and give the signed image, or recover over the debugger if it is still enabled.',
      context: { hab: hab.word },
    });
  }
}

export class RomNotAnsweringError extends FlashwrightError {
  constructor(cause: unknown) {
    super('IMXRT_ROM_SILENT', 'The i.MX RT boot ROM does not answer SDP (ERROR_STATUS got no reply), so the chip is not in serial-download mode.', { hint: SERIAL_DOWNLOADER_HINT, cause });
  }
}

export interface RecoveryContext extends CallContext {
  /** Called after the jump; resolves with the flashloader's MCUboot transport (a new HID device, or the same UART). */
  openFlashloader: () => Promise<McubootTransport>;
  onProgress?: ((sent: number, total: number) => void) | undefined;
  /** Each SDP step as it starts (index into plan.steps). */
  onStep?: ((index: number) => void) | undefined;
}

/** Runs the SDP steps of the plan; returns the flashloader's transport for the MCUboot steps. */
export async function runRecovery(session: SdpSession, plan: RecoveryPlan, context: RecoveryContext): Promise<{ transport: McubootTransport; hab: HabState }> {
  const { signal } = context;
  const fl = plan.flashloader;
  context.onStep?.(0);
  let status;
  try {
    status = await session.errorStatus({ signal });
  } catch (e) {
    if (e instanceof TimeoutError || e instanceof SdpLinkError) throw new RomNotAnsweringError(e);
    throw e;
  }
  context.emit?.({ type: 'log', level: 'info', message: `boot ROM: ${status.hab.sentence} Last status: ${status.status.sentence}` });
  if (status.hab.mode === 'closed') throw new HabClosedError(status.hab);
  context.onStep?.(1);
  await session.writeFile(fl.loadAddress, fl.bytes, { signal, onProgress: context.onProgress });
  context.onStep?.(2);
  await session.jumpAddress(fl.ivtAddress, { signal });
  context.onStep?.(3);
  const transport = await context.openFlashloader();
  return { transport, hab: status.hab };
}
