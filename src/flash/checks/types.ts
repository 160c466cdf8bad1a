import type { ErrorContext } from '../../core/errors.js';
/** Pre-flight check results: pure findings about an image on a target, before any device is touched. */

/** Which explicit permission turns a refusal into a warning. */
export type CheckOverride = 'allowPermanentLock' | 'allowSecure' | 'allowUnbootable';

export interface CheckFinding {
  /** Stable id: 'vector-table.sp-outside-ram', 'kinetis.fsec-secure'… */
  id: string;
  severity: 'error' | 'warning' | 'info';
  /** One sentence, hex addresses. */
  message: string;
  hint?: string | undefined;
  context?: ErrorContext;
  /** Set on refusals that an explicit option may override. */
  override?: CheckOverride;
}

export interface CheckOptions {
  allowPermanentLock?: boolean | undefined;
  allowSecure?: boolean | undefined;
  /** Write an image that covers the boot address although the chip would not boot it. */
  allowUnbootable?: boolean | undefined;
  /** The write keeps bytes of partly covered sectors (default true); some checks depend on it. */
  preserve?: boolean | undefined;
}

/** Little-endian u32 from the image, or undefined when any byte is missing. */
export function imageU32(read: (address: number) => number | undefined, address: number): number | undefined {
  let v = 0;
  for (let i = 3; i >= 0; i--) {
    const b = read(address + i);
    if (b === undefined) return undefined;
    v = (v << 8) | b;
  }
  return v >>> 0;
}
