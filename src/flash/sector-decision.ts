/**
 * One sector's part of the plan: what it must hold after the write, whether it is skipped,
 * programmed where already erased, or erased and programmed keeping which old bytes, and the
 * page-aligned program runs that carry its bytes. Pure; planFlash (plan.ts) decides the
 * sectors one by one with these, then chooses between sector erases and one mass erase.
 */
import { hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { PlanRefusedError } from './errors.js';
import { erasedValueOf, gaps, pageSizeOf, type FlashSector } from '../target/geometry.js';
import type { EraseMode, ProgramOperation, SectorAction, SectorKnowledge } from './plan.js';

type ReservedArea = NonNullable<TargetDescription['reserved']>[number];

/** What every sector decision of one plan shares. */
export interface DecideContext {
  image: MemoryImage;
  target: TargetDescription;
  preserve: boolean;
  skipUnchanged: boolean;
  mode: EraseMode;
  knowledge: ReadonlyMap<number, SectorKnowledge>;
}

export function isAllValue(data: Uint8Array, value: number, from = 0, to = data.length): boolean {
  for (let i = from; i < to; i++) if (data[i] !== value) return false;
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * What a sector must hold after the write: the image over the old bytes (preserve, when
 * known) or over the erased value. Undefined when preserving bytes that are not known.
 */
export function expectedSector(image: MemoryImage, sector: { address: number; size: number; region: MemoryRegion }, preserve: boolean, old?: Uint8Array): Uint8Array | undefined {
  const erased = erasedValueOf(sector.region);
  if (image.covers(sector.address, sector.size)) return image.read(sector.address, sector.size);
  if (preserve && !old) return undefined;
  const out = preserve && old ? old.slice() : new Uint8Array(sector.size).fill(erased);
  for (const s of image.eachSegment(sector.address, sector.address + sector.size)) out.set(s.data, s.address - sector.address);
  return out;
}

/** Bytes to program for `op`: the expected sector content under the op's range. */
export function programData(op: { address: number; size: number }, image: MemoryImage, sector: FlashSector, preserve: boolean, old?: Uint8Array): Uint8Array {
  const expected = expectedSector(image, sector, preserve, old) ?? expectedSector(image, sector, false);
  return expected!.slice(op.address - sector.address, op.address - sector.address + op.size);
}

export interface Decision {
  sector: FlashSector;
  touched: boolean;
  partial: boolean;
  action: SectorAction | 'none';
  preserveRanges: Array<{ address: number; size: number }>;
  expected?: Uint8Array | undefined;
  /** What to program where it is not `expected` (a sector shared with a reserved area: the image's pages only). */
  program?: Uint8Array | undefined;
}

/** Decides one sector: skip, program (already erased), erase+program with the ranges to keep, or nothing. */
export function decideSector(ctx: DecideContext, sector: FlashSector, chip: boolean): Decision {
  const { image, target, preserve, skipUnchanged, mode, knowledge } = ctx;
  const end = sector.address + sector.size;
  const touched = image.intersects(sector.address, end);
  const partial = touched && !image.covers(sector.address, sector.size);
  const k = knowledge.get(sector.address);
  const erased = erasedValueOf(sector.region);
  const knownErased = k?.bytes !== undefined && isAllValue(k.bytes, erased);
  const expected = touched ? expectedSector(image, sector, preserve, k?.bytes) : (k?.bytes && preserve ? k.bytes : undefined);
  const d: Decision = { sector, touched, partial, action: 'none', preserveRanges: [], expected };
  if (!touched) {
    if (!chip || knownErased || !preserve) return d;
    d.action = 'program';
    d.preserveRanges = k?.bytes ? trimToData(sector, k.bytes, [{ address: sector.address, size: sector.size }], erased) : [{ address: sector.address, size: sector.size }];
    return d;
  }
  if (!chip && skipUnchanged && (k?.matches || (k?.bytes && expected && equal(k.bytes, expected)))) {
    d.action = 'skip';
    return d;
  }
  d.action = knownErased && !chip ? 'program' : 'erase-program';
  if (d.action === 'erase-program' && !chip && k?.afterUnlock && k.bytes && expected) {
    const inPlace = programInPlace(sector, k.bytes, expected);
    if (inPlace) { d.action = 'program'; d.program = inPlace; return d; }
  }
  if (d.action === 'erase-program' && mode !== 'chip') { // (a chip erase over a reserved area is refused below)
    const shared = (target.reserved ?? []).find((r) => r.start < end && r.start + r.size > sector.address);
    if (shared) return programBesideReserved(image, d, shared, k?.bytes);
  }
  if (partial && preserve && d.action === 'erase-program') {
    const outsideImage = gaps(sector.address, end, Array.from(image.eachSegment(sector.address, end), (s) => ({ address: s.address, size: s.data.length })));
    d.preserveRanges = k?.bytes ? trimToData(sector, k.bytes, outsideImage, erased) : outsideImage;
  }
  return d;
}

/**
 * Right after a mass-erasing unlock, a sector whose every page is either erased or already holds
 * exactly the wanted bytes (FlashEraseAllUnsecure leaves FSEC = 0xFE at 0x40C, the image's
 * own field wants the same) is programmed where it is erased and not erased again: a bootloader
 * that refuses to program non-erased flash (MCUboot 10203) is never asked to, and an erase that
 * a flash cache not invalidated (seed 003) would turn into another 10203 is not sent. Returns
 * what to program (matching pages as erased fill), or undefined.
 */
function programInPlace(sector: FlashSector, old: Uint8Array, expected: Uint8Array): Uint8Array | undefined {
  const erased = erasedValueOf(sector.region);
  const page = pageSizeOf(sector.region);
  const out = expected.slice();
  for (let a = 0; a < sector.size; a += page) {
    const b = Math.min(a + page, sector.size);
    if (isAllValue(old, erased, a, b)) continue;
    for (let i = a; i < b; i++) if (old[i] !== expected[i]) return undefined;
    out.fill(erased, a, b);
  }
  return out;
}

/**
 * A sector shared with a reserved area (a flash-resident bootloader) is never erased: the
 * image may only be programmed into erased pages of it, or the plan is refused.
 */
function programBesideReserved(image: MemoryImage, d: Decision, shared: ReservedArea, old: Uint8Array | undefined): Decision {
  const { sector } = d;
  const end = sector.address + sector.size;
  const erased = erasedValueOf(sector.region);
  const page = pageSizeOf(sector.region);
  let blocked: number | undefined;
  for (let a = sector.address; a < end && blocked === undefined; a += page) {
    const pageEnd = Math.min(a + page, end);
    if (!image.intersects(a, pageEnd)) continue;
    if (!old || !isAllValue(old, erased, a - sector.address, pageEnd - sector.address) || (shared.start < pageEnd && shared.start + shared.size > a)) blocked = a;
  }
  if (blocked !== undefined) {
    throw new PlanRefusedError('PLAN_RESERVED',
      `The image writes ${hex(blocked)} in sector ${hex(sector.address)}–${hex(end - 1)}, which it shares with the ${shared.owner} at ${hex(shared.start)}–${hex(shared.start + shared.size - 1)}; ${old ? 'those bytes are not erased' : 'what the sector holds is not known'}, and the sector cannot be erased without wiping the ${shared.owner}.`,
      { hint: `Link the application at the next sector boundary (${hex(end)}), or erase that part with the ${shared.owner}'s own tools.`, context: { address: blocked, sector: sector.address, reservedStart: shared.start, reservedSize: shared.size, owner: shared.owner } });
  }
  d.action = 'program';
  d.program = expectedSector(image, sector, false); // the image's pages only, never the reserved bytes
  return d;
}

/** Sub-ranges of `ranges` that hold non-erased bytes in `old`, trimmed to their data. */
export function trimToData(sector: FlashSector, old: Uint8Array, ranges: Array<{ address: number; size: number }>, erased: number): Array<{ address: number; size: number }> {
  const out: Array<{ address: number; size: number }> = [];
  for (const r of ranges) {
    const from = r.address - sector.address;
    const to = from + r.size;
    let a = from;
    while (a < to && old[a] === erased) a++;
    if (a === to) continue;
    let b = to;
    while (b > a && old[b - 1] === erased) b--;
    out.push({ address: sector.address + a, size: b - a });
  }
  return out;
}

/** Page-aligned program runs inside one sector: pages holding image or preserved data. */
export function programOps(image: MemoryImage, d: Decision): ProgramOperation[] {
  const { sector } = d;
  const page = pageSizeOf(sector.region);
  const erased = erasedValueOf(sector.region);
  // Preserved bytes not known (a plan made without the device): the image over erased fill.
  const content = d.program ?? d.expected ?? expectedSector(image, sector, false)!;
  const ops: ProgramOperation[] = [];
  let run: { address: number; size: number } | undefined;
  const flush = () => {
    if (run) {
      const from = run.address - sector.address;
      ops.push({
        kind: 'program', address: run.address, size: run.size, region: sector.region.name,
        imageBytes: image.slice(run.address, run.address + run.size).size, data: content.subarray(from, from + run.size),
      });
    }
    run = undefined;
  };
  for (let a = sector.address; a < sector.address + sector.size; a += page) {
    const end = Math.min(a + page, sector.address + sector.size);
    let needed: boolean;
    const basis = d.program ?? d.expected;
    if (basis) needed = !isAllValue(basis, erased, a - sector.address, end - sector.address);
    else needed = image.intersects(a, end) || d.preserveRanges.some((p) => p.address < end && p.address + p.size > a);
    if (!needed) { flush(); continue; }
    if (run) run.size += end - a;
    else run = { address: a, size: end - a };
  }
  flush();
  return ops;
}
