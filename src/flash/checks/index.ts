/** All pre-flight checks, run by `flashwright check` and before every write. */
import type { MemoryImage } from '../../image/memory-image.js';
import type { TargetDescription } from '../../target/types.js';
import { CheckRefusedError } from '../errors.js';
import { checkImxrtBoot } from './imxrt-boot.js';
import { checkKinetisFlashConfig } from './kinetis-fcf.js';
import { checkStm32Rdp } from './stm32-rdp.js';
import type { CheckFinding, CheckOptions } from './types.js';
import { checkVectorTable } from './vector-table.js';

export type { CheckFinding, CheckOptions, CheckOverride } from './types.js';
export { decodeFsec, describeFsec } from './kinetis-fcf.js';

/**
 * Runs every check. Refusals the options allow are downgraded to warnings (their message
 * kept, the id suffixed with ".allowed") so the user still sees what they allowed.
 */
export function runChecks(image: MemoryImage, target: TargetDescription, options: CheckOptions = {}): CheckFinding[] {
  const all = [
    ...checkVectorTable(image, target),
    ...checkKinetisFlashConfig(image, target, options),
    ...checkImxrtBoot(image, target),
    ...checkStm32Rdp(image, target),
  ];
  return all.map((f) => (f.severity === 'error' && f.override && options[f.override] ? { ...f, severity: 'warning' as const, id: `${f.id}.allowed` } : f));
}

/** Throws CheckRefusedError for the first refusal in `findings`. */
export function assertChecksPass(findings: readonly CheckFinding[]): void {
  const refusal = findings.find((f) => f.severity === 'error');
  if (refusal) throw new CheckRefusedError(refusal.message, { hint: refusal.hint, context: { check: refusal.id, ...refusal.context } });
}
