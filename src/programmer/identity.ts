/**
 * The device's own identity against the --target the user named: a contradiction is an
 * error naming both, raised during connect before anything on the chip is changed (a K64
 * description used on an i.MX RT would plan flash that is not there, and safety checks for
 * the wrong chip). Sizes that differ within one identity are not contradictions: the device's
 * size wins and the programmer says so (issue 10 §4).
 */
import type { ErrorContext } from '../core/errors.js';
import { FlashwrightError } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import type { DeviceProperties } from '../protocol/mcuboot/memory-map.js';
import { findStm32Device } from '../target/stm32-devices.js';
import type { TargetDescription } from '../target/types.js';

/** The named target is not the chip the device says it is. */
export class TargetMismatchError extends FlashwrightError {
  constructor(target: TargetDescription, device: string, why: string, context: ErrorContext) {
    super('TARGET_MISMATCH', `--target ${target.name} does not match the device: ${why}.`, {
      hint: `Leave out --target to use what the device reports (${device}), or name the part actually connected (\`flashwright targets\` lists them).`,
      context: { target: target.name, device, ...context },
    });
  }
}

/** STM32 ROM bootloader: Get ID's product ID against the target's PID (or its vendor). */
export function checkStm32Identity(target: TargetDescription | undefined, pid: number): void {
  if (!target) return;
  const row = findStm32Device(pid);
  // A product ID flashwright does not know: the user's target is the only memory map there is.
  if (!row) return;
  const device = `PID ${hex(pid, 3)}, ${row.parts}`;
  const wanted = target.ids?.stm32Pid;
  if (wanted !== undefined && wanted !== pid) {
    const theirs = findStm32Device(wanted);
    throw new TargetMismatchError(target, device, `${target.name} has product ID ${hex(wanted, 3)}${theirs ? ` (${theirs.parts})` : ''}, but the bootloader reports ${device}`, { pid, targetPid: wanted });
  }
  if (wanted === undefined && !/^STM32/i.test(target.family) && !/stmicro/i.test(target.vendor)) {
    throw new TargetMismatchError(target, device, `${target.name} is a ${target.vendor} ${target.family}, but an STM32 bootloader answered with ${device}`, { pid });
  }
}

/** MCUboot: the internal flash the properties report against the target's flash regions. */
export function checkMcubootIdentity(target: TargetDescription | undefined, p: DeviceProperties): void {
  if (!target) return;
  const internal = target.regions.filter((r) => r.kind === 'flash');
  const reports = p.flashSize !== undefined && p.flashSize > 0 && p.flashStart !== undefined;
  const device = reports
    ? `${formatSize(p.flashSize!)} of internal flash at ${hex(p.flashStart!)}${p.sdid ? `, SDID ${hex(p.sdid)}` : ''}`
    : `no internal flash${p.flexspi ? ', FlexSPI NOR (an i.MX RT flashloader)' : ''}`;
  const context = { flashStart: p.flashStart, flashSize: p.flashSize, sdid: p.sdid };
  if (/^STM32/i.test(target.family)) throw new TargetMismatchError(target, device, `${target.name} is an STM32, but an NXP MCUboot bootloader answered (${device})`, context);
  if (reports && internal.length === 0) {
    throw new TargetMismatchError(target, device, `${target.name} has no internal flash, but the bootloader reports ${device}`, context);
  }
  if (reports && !internal.some((r) => r.start === p.flashStart)) {
    throw new TargetMismatchError(target, device, `${target.name} has its flash at ${internal.map((r) => hex(r.start)).join(', ')}, but the bootloader reports ${device}`, context);
  }
  // No FlashSize (or 0) from a bootloader that knows FlexSPI: an i.MX RT flashloader, no internal flash.
  if (!reports && internal.length > 0 && (p.flashSize !== undefined || p.flexspi !== undefined)) {
    throw new TargetMismatchError(target, device, `${target.name} has ${formatSize(internal[0]!.size)} of internal flash at ${hex(internal[0]!.start)}, but the bootloader reports ${device}`, context);
  }
}
