/**
 * The flash plan: image + target + what the device is known to hold + the unlocks and
 * protections asked for → an ordered list of operations that carry their data (the bytes
 * each program operation sends, the ranges the verify compares). Pure: no I/O. The engine
 * gathers knowledge (digests or read-back bytes per sector), calls `planFlash` once, then
 * walks the operations in order.
 */
import { hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { DeviceChange } from '../programmer/types.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { PlanRefusedError } from './errors.js';
import { erasedValueOf, isFlashLike, regionSectors, type FlashSector } from '../target/geometry.js';
import { placeImage } from './placement.js';
import { decideSector, expectedSector, isAllValue, programOps, type DecideContext, type Decision } from './sector-decision.js';

export { expectedSector, programData } from './sector-decision.js';

export type EraseMode = 'auto' | 'sectors' | 'chip';

/** What the engine learned about one sector (keyed by sector start address). */
export interface SectorKnowledge {
  /** The whole sector as read back. */
  bytes?: Uint8Array;
  /** The device's checksum matched the expected content (image over erased fill). */
  matches?: boolean;
  /** The bytes are what a mass-erasing unlock leaves (erased, plus e.g. Kinetis FSEC = 0xFE). */
  afterUnlock?: boolean;
}

export interface PlanInput {
  image: MemoryImage;
  target: TargetDescription;
  /** Keep bytes of partly covered sectors that lie outside the image (default true). */
  preserve?: boolean | undefined;
  /** Skip sectors that already hold the right bytes (default true). */
  skipUnchanged?: boolean;
  eraseMode?: EraseMode | undefined;
  /** The way in can mass-erase (default false: 'auto' then never picks a chip erase). */
  chipEraseAvailable?: boolean;
  knowledge?: ReadonlyMap<number, SectorKnowledge>;
  unconfigured?: ReadonlySet<string> | undefined;
  /** Sector start addresses the device reports write-protected (after the unlocks). */
  writeProtectedSectors?: readonly number[] | undefined;
  /**
   * Unlocks and protections the plan makes, in order. An unlock that mass-erases makes the
   * sectors it covers known: erased (plus the bytes it leaves), whatever was read before.
   */
  changes?: readonly DeviceChange[];
}

interface OpBase {
  address: number;
  size: number;
  region: string;
}

/** Program erased flash with `data` (`data.length === size`): image bytes, preserved bytes, erased fill. */
export type ProgramOperation = OpBase & { kind: 'program'; imageBytes: number; data: Uint8Array };
export type RamOperation = OpBase & { kind: 'write-ram'; data: Uint8Array };
/** An unlock (before anything is erased) or a protection (after the verify). */
export interface ChangeOperation {
  kind: 'unlock' | 'protect';
  change: DeviceChange;
}

export type PlanOperation =
  | (OpBase & { kind: 'skip' })
  | (OpBase & { kind: 'preserve' })
  | (OpBase & { kind: 'erase'; chip?: boolean })
  | ProgramOperation
  | RamOperation
  | ChangeOperation;

/** Unlocks and protections (they carry a change, not an address). */
export function isChangeOperation(o: PlanOperation): o is ChangeOperation {
  return 'change' in o;
}

/** Every operation that works on an address range. */
export type RangeOperation = Exclude<PlanOperation, ChangeOperation>;

/** A range the verify compares after writing: the whole sector as it must now read. */
export interface VerifyRange {
  address: number;
  expected: Uint8Array;
  /** The sector this range belongs to, for error messages. */
  sector?: { address: number; size: number } | undefined;
}

export type SectorAction = 'skip' | 'erase-program' | 'program';

export interface SectorPlan {
  address: number;
  size: number;
  region: string;
  action: SectorAction;
  /** True when the image covers only part of the sector. */
  partial: boolean;
}

export interface PlanCost {
  bytesToProgram: number;
  bytesToWriteRam: number;
  /** Bytes to read back for preservation that are not known yet. */
  bytesToRead: number;
  sectorErases: number;
  chipErase: boolean;
}

export interface FlashPlan {
  target: string;
  operations: PlanOperation[];
  /** The decision for every sector the plan writes or skips, in address order. */
  sectors: SectorPlan[];
  cost: PlanCost;
  preserve: boolean;
  /** What the verify compares: every sector the plan writes (whole), and the RAM data. */
  verify: VerifyRange[];
  /** The flash algorithm that serves each region the plan touches, when the way in runs algorithms (one per region). */
  algorithms?: Array<{ region: string; algorithm: string }>;
}

const FLASH_KIND = 'flash';

/** Plans a write. Throws PlanRefusedError for misplaced data before planning anything. */
export function planFlash(input: PlanInput): FlashPlan {
  const { image, target } = input;
  const preserve = input.preserve ?? true;
  const skipUnchanged = input.skipUnchanged ?? true;
  const mode = input.eraseMode ?? 'auto';
  const changes = input.changes ?? [];
  const knowledge = knowledgeAfterUnlocks(target, input.knowledge ?? new Map<number, SectorKnowledge>(), changes);
  const pieces = placeImage(image, target, { unconfigured: input.unconfigured });
  const flashRegions = [...new Set(pieces.filter((p) => isFlashLike(p.region)).map((p) => p.region))];
  const chipRegions = target.regions.filter((r) => r.kind === FLASH_KIND);

  const ctx: DecideContext = { image, target, preserve, skipUnchanged, mode, knowledge };
  const decide = (sector: FlashSector, chip: boolean): Decision => decideSector(ctx, sector, chip);

  // First pass sector by sector, then see whether one mass erase does the same job cheaper.
  let decisions = flashRegions.flatMap((r) => regionSectors(r).map((s) => decide(s, false))).filter((d) => d.touched);
  const chip = chooseChipErase(input, mode, chipRegions, decisions, knowledge);
  if (chip) {
    const chipSectors = chipRegions.flatMap((r) => regionSectors(r).map((s) => decide(s, true)));
    const others = decisions.filter((d) => d.sector.region.kind !== FLASH_KIND);
    decisions = [...chipSectors.filter((d) => d.action !== 'none'), ...others].sort((a, b) => a.sector.address - b.sector.address);
  }

  refuseWriteProtected(decisions, input.writeProtectedSectors ?? [], chip);

  return assemblePlan({ image, target, preserve, chip, chipRegions, decisions, knowledge, changes, ram: pieces.filter((p) => p.region.kind === 'ram') });
}

/**
 * Whether one mass erase replaces the sector erases: asked for (--erase chip: refused where
 * the way in has none or it would wipe a reserved area), or, in 'auto', cheaper — every sector
 * of every internal flash region gets erased anyway (or already is), so nothing needs preserving or re-sending.
 */
function chooseChipErase(input: PlanInput, mode: EraseMode, chipRegions: readonly MemoryRegion[], decisions: readonly Decision[], knowledge: ReadonlyMap<number, SectorKnowledge>): boolean {
  const { target } = input;
  const flashReserved = (target.reserved ?? []).some((a) => chipRegions.some((r) => a.start < r.start + r.size && a.start + a.size > r.start));
  if (mode === 'chip') {
    if (!input.chipEraseAvailable) {
      throw new PlanRefusedError('PLAN_CHIP_ERASE', `A chip erase was asked for, but this way into ${target.name} has no mass erase.`,
        { hint: "Use --erase sectors (or 'auto').", context: { target: target.name } });
    }
    if (flashReserved) {
      const r = target.reserved!.find((a) => chipRegions.some((x) => a.start < x.start + x.size && a.start + a.size > x.start))!;
      throw new PlanRefusedError('PLAN_CHIP_ERASE', `A chip erase would wipe the ${r.owner} at ${hex(r.start)}–${hex(r.start + r.size - 1)}.`,
        { hint: 'Erase sector by sector instead.', context: { reservedStart: r.start, owner: r.owner } });
    }
    return true;
  }
  if (mode !== 'auto' || !input.chipEraseAvailable || flashReserved || chipRegions.length === 0) return false;
  const byAddr = new Map(decisions.map((d) => [d.sector.address, d]));
  let erases = 0;
  return chipRegions.every((r) => regionSectors(r).every((s) => {
    const d = byAddr.get(s.address);
    if (d?.action === 'erase-program') { erases++; return d.preserveRanges.length === 0; }
    const k = knowledge.get(s.address);
    return d === undefined && k?.bytes !== undefined && isAllValue(k.bytes, erasedValueOf(r));
  })) && erases > 1;
}

/** A plan that must erase or program a write-protected sector is refused. */
function refuseWriteProtected(decisions: readonly Decision[], writeProtected: readonly number[], chip: boolean): void {
  const wp = new Set(writeProtected);
  for (const d of decisions) {
    if ((d.action === 'erase-program' || d.action === 'program' || chip) && wp.has(d.sector.address)) {
      throw new PlanRefusedError('PLAN_WRITE_PROTECTED', `Sector ${hex(d.sector.address)} of ${d.sector.region.name} is write-protected, and the plan must ${d.action === 'program' ? 'program' : 'erase'} it.`,
        { hint: 'Remove the write protection first (option bytes / FPROT), then write again.', context: { sector: d.sector.address, region: d.sector.region.name } });
    }
  }
}

/** The parts of a plan the sector decisions and the erase choice produced. */
interface PlanParts {
  image: MemoryImage;
  target: TargetDescription;
  preserve: boolean;
  chip: boolean;
  chipRegions: readonly MemoryRegion[];
  decisions: readonly Decision[];
  knowledge: ReadonlyMap<number, SectorKnowledge>;
  changes: readonly DeviceChange[];
  /** The image's pieces placed in RAM. */
  ram: ReadonlyArray<{ address: number; size: number; region: MemoryRegion }>;
}

/** The plan in execution order: unlocks, skips, preserves, erases, programs, RAM writes, protections; its verify ranges and cost. */
function assemblePlan(a: PlanParts): FlashPlan {
  const { image, target, preserve, chip, chipRegions, decisions, knowledge, changes } = a;
  const skips: PlanOperation[] = [];
  const preserves: PlanOperation[] = [];
  const erases: PlanOperation[] = [];
  const programs: ProgramOperation[] = [];
  let bytesToRead = 0;
  if (chip) {
    for (const r of chipRegions) erases.push({ kind: 'erase', chip: true, address: r.start, size: r.size, region: r.name });
  }
  for (const d of decisions) {
    const { sector } = d;
    const region = sector.region.name;
    if (d.action === 'skip') { skips.push({ kind: 'skip', address: sector.address, size: sector.size, region }); continue; }
    if (d.action === 'none') continue;
    for (const p of d.preserveRanges) {
      preserves.push({ kind: 'preserve', address: p.address, size: p.size, region });
      if (!knowledge.get(sector.address)?.bytes) bytesToRead += p.size;
    }
    if (d.action === 'erase-program' && !(chip && sector.region.kind === FLASH_KIND)) {
      erases.push({ kind: 'erase', address: sector.address, size: sector.size, region });
    }
    programs.push(...programOps(image, d));
  }
  const ram: RamOperation[] = a.ram
    .map((p) => ({ kind: 'write-ram', address: p.address, size: p.size, region: p.region.name, data: image.read(p.address, p.size) }));
  const unlocks: ChangeOperation[] = changes.filter((c) => c.stage === 'unlock').map((change) => ({ kind: 'unlock', change }));
  const protects: ChangeOperation[] = changes.filter((c) => c.stage === 'protect').map((change) => ({ kind: 'protect', change }));
  const operations = [...unlocks, ...skips, ...preserves, ...erases, ...programs, ...ram, ...protects];
  const verify: VerifyRange[] = decisions.filter((d) => d.action !== 'none' && d.action !== 'skip').map((d) => ({
    address: d.sector.address,
    expected: d.expected ?? expectedSector(image, d.sector, false)!,
    sector: { address: d.sector.address, size: d.sector.size },
  }));
  for (const op of ram) verify.push({ address: op.address, expected: op.data });
  const sectors: SectorPlan[] = decisions.filter((d) => d.action !== 'none').map((d) => ({
    address: d.sector.address, size: d.sector.size, region: d.sector.region.name, action: d.action as SectorAction, partial: d.partial,
  }));
  const touched = new Set([...sectors.map((x) => x.region), ...operations.flatMap((o) => ('region' in o ? [o.region] : []))]);
  const algorithms = target.regions.filter((r) => r.algorithm !== undefined && touched.has(r.name)).map((r) => ({ region: r.name, algorithm: r.algorithm! }));
  return {
    target: target.name,
    operations,
    sectors,
    preserve,
    verify,
    ...(algorithms.length ? { algorithms } : {}),
    cost: {
      bytesToProgram: programs.reduce((n, o) => n + o.size, 0),
      bytesToWriteRam: ram.reduce((n, o) => n + o.size, 0),
      bytesToRead,
      sectorErases: erases.filter((o) => o.kind === 'erase' && !o.chip).length,
      chipErase: chip,
    },
  };
}

/**
 * The knowledge with every sector an unlock mass-erases replaced by what it holds after the
 * unlock: erased, plus the bytes the unlock leaves (Kinetis FSEC = 0xFE).
 */
export function knowledgeAfterUnlocks(target: TargetDescription, knowledge: ReadonlyMap<number, SectorKnowledge>, changes: readonly DeviceChange[]): Map<number, SectorKnowledge> {
  const out = new Map(knowledge);
  for (const c of changes) {
    if (c.stage !== 'unlock' || !c.erases) continue;
    for (const r of target.regions.filter(isFlashLike)) {
      for (const s of regionSectors(r)) {
        if (!c.erases.some((e) => s.address >= e.start && s.address + s.size <= e.start + e.size)) continue;
        const bytes = new Uint8Array(s.size).fill(erasedValueOf(r));
        for (const l of c.leaves ?? []) {
          for (let i = 0; i < l.data.length; i++) {
            const at = l.address + i - s.address;
            if (at >= 0 && at < s.size) bytes[at] = l.data[i]!;
          }
        }
        out.set(s.address, { bytes, afterUnlock: true });
      }
    }
  }
  return out;
}

/** The sectors an image touches (after placement), for gathering knowledge before planning. */
export function touchedSectors(image: MemoryImage, target: TargetDescription, unconfigured?: ReadonlySet<string>): FlashSector[] {
  const pieces = placeImage(image, target, { unconfigured });
  const out: FlashSector[] = [];
  const seen = new Set<number>();
  for (const p of pieces) {
    if (!isFlashLike(p.region)) continue;
    for (const s of regionSectors(p.region)) {
      if (s.address + s.size <= p.address || s.address >= p.address + p.size || seen.has(s.address)) continue;
      seen.add(s.address);
      out.push(s);
    }
  }
  return out.sort((a, b) => a.address - b.address);
}
