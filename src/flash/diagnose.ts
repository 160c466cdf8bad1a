/**
 * Second looks at a failure before it is reported, so the text names the real cause:
 * - a "destination not erased" refusal (MCUboot 10203 kStatusMemoryCumulativeWrite) for flash
 *   this very run erased, which reads back erased: the bootloader is reading stale data (its
 *   flash cache / prefetch buffer was not invalidated after the erase) and a reset cures it;
 * - whether an error is the device's own status (it answered and refused) or the link's, so a
 *   device refusal is never met with "fix the link".
 */
import { FlashwrightError } from '../core/errors.js';
import { hex, hexByte } from '../core/format.js';
import type { Programmer } from '../programmer/types.js';
import { erasedValueOf, regionAt, sectorAt } from '../target/geometry.js';
import type { TargetDescription } from '../target/types.js';
import { KINETIS_FCF } from '../target/facts/kinetis-fcf.js';

/** Error codes that carry the device's own answer (a status, a NACK, a refusal), not a link failure. */
const DEVICE_STATUS_CODES = new Set([
  'MCUBOOT_STATUS', 'MCUBOOT_SECURE', 'MCUBOOT_BACKDOOR_REJECTED', 'STM32_NACK', 'STM32_READ_PROTECTED', 'STM32_UNSUPPORTED',
  'NOR_PROGRAM_NOT_ERASED', 'NOR_WRITE_PROTECTED', 'NOR_ADDRESS', 'NOR_FAULT', 'ALGO_FAILED', 'GDB_ERROR_REPLY', 'SIM_ACCESS',
  'FLASH_STALE_CACHE', 'KINETIS_SECURED',
]);

/** The first error in the cause chain that is the device's own status, if any. */
export function deviceStatusIn(error: unknown): FlashwrightError | undefined {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    if (e instanceof FlashwrightError && DEVICE_STATUS_CODES.has(e.code)) return e;
    e = e.cause;
  }
  return undefined;
}

/** "The destination is not erased": MCUboot 10203, or the simulated NOR's own refusal. */
function isNotErasedRefusal(e: FlashwrightError): boolean {
  return (e.code === 'MCUBOOT_STATUS' && e.context.status === 10203) || e.code === 'NOR_PROGRAM_NOT_ERASED';
}

/** The bootloader refused to program flash it reads back as erased, right after this run erased it. */
export class StaleFlashCacheError extends FlashwrightError {
  constructor(address: number, sector: number, erasedValue: number, way: string, cause: FlashwrightError, fcf?: SecuredAfterReset) {
    super('FLASH_STALE_CACHE',
      `The bootloader refused to program ${hex(address)} as not erased (${cause.context.status !== undefined ? `status ${String(cause.context.status)} ${String(cause.context.statusName)}` : cause.code}), although this run erased the sector at ${hex(sector)} and reads it back erased (${hexByte(erasedValue)}): the bootloader is reading stale data — its flash cache / prefetch buffer was not invalidated after the erase.`, {
        hint: fcf ? securedAfterResetHint(way, fcf) : `A reset clears the stale view: run \`flashwright reset --via ${way} …\` (same connection options), then the same write again with --skip so finished sectors are skipped.`,
        context: { address, sector, statusName: cause.context.statusName, status: cause.context.status, ...(fcf ? { securedAfterReset: true, fsecAddress: fcf.fsecAddress } : {}) },
        cause,
      });
  }
}

/** A Kinetis part whose flash configuration field this run erased and did not program back. */
interface SecuredAfterReset {
  sector: number;
  fsecAddress: number;
  flashBytes: number;
}

/**
 * A reset latches FSEC from 0x40C (K64 RM "Flash security"): erased, it reads 0xFF (SEC = 11),
 * so the reset that cures the stale view brings the part up secured, and its bootloader then
 * takes nothing but a mass erase. Retrying first meets the same stale view (it lasts until a
 * reset, and every new erase leaves it again), so the way out is a reset and a write with
 * --unsecure; the text says so before the user resets, while the rest of flash can still be read.
 */
function securedAfterResetHint(way: string, f: SecuredAfterReset): string {
  const field = `${hex(f.sector + KINETIS_FCF.offset)}–${hex(f.sector + KINETIS_FCF.offset + KINETIS_FCF.size - 1)}`;
  return `Careful before you reset: the erased sector at ${hex(f.sector)} holds the flash configuration field (${field}) and FSEC at ${hex(f.fsecAddress)} was not programmed back (it reads 0xFF). A reset clears the stale view but latches FSEC = 0xFF, so the part comes up SECURED and its bootloader then accepts only a mass erase; retrying without a reset meets the same stale view. Save anything else you need from flash now (\`flashwright read … --via ${way}\`), then run \`flashwright reset --via ${way} …\` (same connection options) and the same write again with --unsecure --skip: FlashEraseAllUnsecure erases ALL ${f.flashBytes >= 1024 ? `${f.flashBytes / 1024} KiB` : `${f.flashBytes} bytes`} of flash and leaves FSEC = 0xFE (unsecure), and the image is then written in full.`;
}

/** The flash configuration field's sector when this run erased it and FSEC reads back erased. */
async function fcfLeftErased(programmer: Programmer, target: TargetDescription, erasedThisRun: readonly number[], signal?: AbortSignal): Promise<SecuredAfterReset | undefined> {
  if (!target.features?.kinetisFlashConfig) return undefined;
  const flash = target.regions.find((r) => r.kind === 'flash' && regionAt(target, r.start + KINETIS_FCF.fsec) === r);
  if (!flash) return undefined;
  const fsecAddress = flash.start + KINETIS_FCF.fsec;
  const sector = sectorAt(flash, fsecAddress);
  if (!sector || !erasedThisRun.includes(sector.address)) return undefined;
  try {
    const [fsec] = await programmer.readMemory(fsecAddress, 1, { signal });
    if (fsec !== erasedValueOf(flash)) return undefined;
  } catch {
    return undefined; // cannot look: no claim
  }
  const flashBytes = target.regions.filter((r) => r.kind === 'flash').reduce((n, r) => n + r.size, 0);
  return { sector: sector.address, fsecAddress, flashBytes };
}

/**
 * Looks again at a program call that failed for `address`: a not-erased refusal on a sector
 * erased in this run, whose bytes read back erased, becomes StaleFlashCacheError. Any other
 * error (or a read that fails) is returned unchanged.
 */
export async function diagnoseProgramFailure(error: unknown, programmer: Programmer, target: TargetDescription, address: number, erasedThisRun: readonly number[], signal?: AbortSignal): Promise<unknown> {
  const status = deviceStatusIn(error);
  if (!status || !isNotErasedRefusal(status)) return error;
  // Where the call stopped (the bytes before it were accepted), not where the command began.
  const accepted = typeof status.context.bytesAccepted === 'number' && typeof status.context.address === 'number' ? status.context.address + status.context.bytesAccepted : undefined;
  const at = Math.max(address, accepted ?? address);
  const region = regionAt(target, at);
  const sector = region && sectorAt(region, at);
  if (!region || !sector || !erasedThisRun.includes(sector.address)) return error;
  const erased = erasedValueOf(region);
  try {
    const length = Math.min(256, sector.address + sector.size - at);
    const bytes = await programmer.readMemory(at, length, { signal });
    if (!bytes.subarray(0, length).every((b) => b === erased)) return error;
  } catch {
    return error; // cannot look: report what the device said
  }
  return new StaleFlashCacheError(at, sector.address, erased, programmer.kind, status, await fcfLeftErased(programmer, target, erasedThisRun, signal));
}
