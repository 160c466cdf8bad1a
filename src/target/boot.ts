/** Where a chip boots from: the region a raw binary goes to when no --base is given. */
import type { MemoryRegion, TargetDescription } from './types.js';
import { regionHolds } from './geometry.js';

/**
 * The boot region: the one the description marks `boot`, else the first internal flash.
 * Never RAM: a binary placed in RAM is gone at the next reset, and "verify OK" would lie.
 */
export function bootRegion(target: TargetDescription): MemoryRegion | undefined {
  const marked = target.regions.find((r) => r.boot && r.kind !== 'ram');
  if (marked) return marked;
  // A target file that replaces the i.MX RT FlexSPI region keeps booting from FlexSPI.
  const flexspi = target.features?.imxrtBoot?.flexspiBase;
  const byFeature = flexspi === undefined ? undefined : target.regions.find((r) => r.kind !== 'ram' && regionHolds(r, flexspi));
  return byFeature ?? target.regions.find((r) => r.kind === 'flash');
}

/** The address the chip boots from (vector table or boot header), if the description has one. */
export function bootAddress(target: TargetDescription): number | undefined {
  return bootRegion(target)?.start;
}
