/**
 * The one geometry of a target's memory map: sectors, region lookups, nearest regions and
 * which kinds of memory are flash-like. Every floor above (protocol, sim, programmer,
 * flash) uses these rather than re-walking `regions` or `sectors` by hand.
 */
import { formatSize, hex } from '../core/format.js';
import type { MemoryRegion, RegionKind, TargetDescription } from './types.js';

export interface FlashSector {
  region: MemoryRegion;
  index: number;
  address: number;
  size: number;
}

const FLASH_LIKE: ReadonlySet<RegionKind> = new Set(['flash', 'external-nor', 'option-bytes']);

/** Regions that need erase before program. */
export function isFlashLike(region: MemoryRegion): boolean {
  return FLASH_LIKE.has(region.kind);
}

export function erasedValueOf(region: MemoryRegion): number {
  return region.erasedValue ?? 0xff;
}

export function pageSizeOf(region: MemoryRegion): number {
  return Math.max(1, region.pageSize ?? 1);
}

const sectorCache = new WeakMap<MemoryRegion, FlashSector[]>();

/** The sectors of a flash-like region (one sector when no runs are given). */
export function regionSectors(region: MemoryRegion): FlashSector[] {
  const cached = sectorCache.get(region);
  if (cached) return cached;
  const runs = region.sectors?.length ? region.sectors : [{ size: region.size, count: 1 }];
  const out: FlashSector[] = [];
  let address = region.start;
  for (const run of runs) {
    for (let i = 0; i < run.count && address < region.start + region.size; i++) {
      out.push({ region, index: out.length, address, size: Math.min(run.size, region.start + region.size - address) });
      address += run.size;
    }
  }
  sectorCache.set(region, out);
  return out;
}

/** The sector holding `address` in `region`, by binary search. */
export function sectorAt(region: MemoryRegion, address: number): FlashSector | undefined {
  const list = regionSectors(region);
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = list[mid]!;
    if (address < s.address) hi = mid - 1;
    else if (address >= s.address + s.size) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/** The region holding `address`. */
export function regionAt(target: Pick<TargetDescription, 'regions'>, address: number): MemoryRegion | undefined {
  return target.regions.find((r) => address >= r.start && address < r.start + r.size);
}

/** Whether all of [address, address + length) lies inside `region`. */
export function regionHolds(region: Pick<MemoryRegion, 'start' | 'size'>, address: number, length = 1): boolean {
  return address >= region.start && address + length <= region.start + region.size;
}

/** The region (of `kind`, when given) holding all of [address, address + length). */
export function regionHolding(target: Pick<TargetDescription, 'regions'>, address: number, length: number, kind?: RegionKind): MemoryRegion | undefined {
  return target.regions.find((r) => (kind === undefined || r.kind === kind) && regionHolds(r, address, length));
}

/** Whether [a, a + n) and [b, b + m) share a byte. */
export function rangesOverlap(a: number, n: number, b: number, m: number): boolean {
  return a < b + m && b < a + n;
}

/** Whether [r.start, r.start + r.size) and [start, start + size) share a byte. */
export function overlaps(r: Pick<MemoryRegion, 'start' | 'size'>, start: number, size: number): boolean {
  return rangesOverlap(r.start, r.size, start, size);
}

/** The region just below and just above `address` (up to two), nearest first. */
export function nearestRegions(regions: readonly MemoryRegion[], address: number): MemoryRegion[] {
  const below = regions.filter((r) => r.start + r.size <= address).sort((a, b) => b.start + b.size - (a.start + a.size))[0];
  const above = regions.filter((r) => r.start > address).sort((a, b) => a.start - b.start)[0];
  const list = [below, above].filter((r): r is MemoryRegion => r !== undefined);
  const dist = (r: MemoryRegion) => (r.start > address ? r.start - address : address - (r.start + r.size - 1));
  return list.sort((a, b) => dist(a) - dist(b));
}

/** "flash 0x08000000–0x0801FFFF (128 KiB)". */
export function describeRegion(r: MemoryRegion): string {
  return `${r.name} ${hex(r.start)}–${hex(r.start + r.size - 1)} (${formatSize(r.size)})`;
}

/** Splits [start, end) into maximal sub-ranges not covered by `covered` (sorted, disjoint). */
export function gaps(start: number, end: number, covered: ReadonlyArray<{ address: number; size: number }>): Array<{ address: number; size: number }> {
  const out: Array<{ address: number; size: number }> = [];
  let at = start;
  for (const c of covered) {
    const a = Math.max(start, c.address);
    const b = Math.min(end, c.address + c.size);
    if (b <= a) continue;
    if (a > at) out.push({ address: at, size: a - at });
    at = Math.max(at, b);
  }
  if (at < end) out.push({ address: at, size: end - at });
  return out;
}
