/**
 * Brick checks follow the chip the device reports, whatever description the user gave: a
 * target file may add checks but never remove them. The identity a way in reports (STM32
 * product ID from Get ID) names a built-in description (or the AN2606 device row) whose
 * safety facts (option-byte RDP, Kinetis flash configuration field) are checked too.
 */
import type { MemoryImage } from '../../image/memory-image.js';
import type { DeviceInfo } from '../../programmer/types.js';
import { findTargetById } from '../../target/lookup.js';
import { describeStm32Device, findStm32Device } from '../../target/stm32-devices.js';
import type { TargetDescription } from '../../target/types.js';
import { checkKinetisFlashConfig } from './kinetis-fcf.js';
import { checkStm32Rdp } from './stm32-rdp.js';
import type { CheckFinding, CheckOptions } from './types.js';

/** The description of the chip the device says it is, when its identity names one. */
export function identityTarget(programmerKind: string, device: DeviceInfo): TargetDescription | undefined {
  const pid = device.ids.pid;
  if (programmerKind === 'stm32-uart' && typeof pid === 'number') {
    const row = findStm32Device(pid);
    return findTargetById('stm32Pid', pid) ?? (row ? describeStm32Device(row) : undefined);
  }
  return undefined;
}

/** The brick checks of the reported chip that the given description's checks did not already raise. */
export function identityFindings(image: MemoryImage, identity: TargetDescription | undefined, already: readonly CheckFinding[], options: CheckOptions = {}): CheckFinding[] {
  if (!identity) return [];
  const seen = new Set(already.map((f) => f.id.replace(/\.allowed$/, '')));
  return [...checkStm32Rdp(image, identity), ...checkKinetisFlashConfig(image, identity, options)]
    .filter((f) => !seen.has(f.id))
    .map((f) => ({ ...f, message: `${f.message} (checked for the chip the device reports, ${identity.name})`, context: { ...f.context, reportedChip: identity.name } }))
    .map((f) => (f.severity === 'error' && f.override && options[f.override] ? { ...f, severity: 'warning' as const, id: `${f.id}.allowed` } : f));
}
