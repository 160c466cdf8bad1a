/**
 * A NOR flash model for simulators. Built from a target's MemoryRegion: erase sets whole
 * sectors to the erased value; programming can only move bits away from the erased state
 * (1 → 0 on 0xFF parts), so writing over data that is not erased is either refused (most
 * MCU flash controllers flag a programming error) or ANDed into the cell (serial NOR parts
 * simply clear the bits). Time is modelled on a virtual clock: operations add their
 * datasheet durations to a counter, nothing sleeps. Faults can be injected to model a
 * failing cell or a reset in the middle of a write.
 */
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { hex, hexByte } from '../core/format.js';
import type { MemoryRegion } from '../target/types.js';
import type { ProgramRule } from './program-rules.js';

/** What programming over non-erased data does: 'error' (MCU flash controllers) or 'and' (serial NOR). */
export type OverwriteMode = 'error' | 'and';

/** Durations in milliseconds of modelled time. */
export interface NorTiming {
  /** Erase time of one sector; a function of the sector size for non-uniform maps. */
  sectorEraseMs: number | ((sectorSize: number) => number);
  /** Mass erase; defaults to the sum of the sector erase times. */
  chipEraseMs?: number | undefined;
  /** Time to program one program unit (`unitBytes`). */
  programMs: number;
  /** Bytes programmed per `programMs` (half-word on STM32F1, 256-byte page on serial NOR). */
  unitBytes: number;
}

/**
 * Typical timings from datasheets, for benches and realistic simulators. Values are the
 * "typical" column of each table.
 */
export const NOR_TIMING_PRESETS = {
  // DS5319 (STM32F103x8/xB) Table "Flash memory characteristics": tprog 16-bit 52.5 µs typ,
  // tERASE page (1 KiB) 20–40 ms, tME mass erase 20–40 ms.
  'stm32f1': { sectorEraseMs: 20, chipEraseMs: 20, programMs: 0.0525, unitBytes: 2, source: 'DS5319 §5.3.9' },
  // DS8626 (STM32F407xx) Table "Flash memory programming": word program 16 µs, sector erase
  // 16 KiB 400 ms, 64 KiB 1100 ms, 128 KiB 2000 ms, mass erase 16 s (x32 parallelism).
  'stm32f4': {
    sectorEraseMs: (size) => (size <= 16 * 1024 ? 400 : size <= 64 * 1024 ? 1100 : 2000),
    chipEraseMs: 16000, programMs: 0.016, unitBytes: 4, source: 'DS8626 §5.3.12',
  },
  // IS25LP064A datasheet, AC characteristics: tPP page program 0.2 ms typ (256 B), tSE 4 KiB
  // sector erase 70 ms typ, tCE chip erase 15 s typ.
  'is25lp064a': { sectorEraseMs: 70, chipEraseMs: 15000, programMs: 0.2, unitBytes: 256, source: 'ISSI IS25LP064A datasheet, AC characteristics' },
} satisfies Record<string, NorTiming & { source: string }>;

/** A counter of modelled milliseconds; shared by all parts of a simulated board. */
export class VirtualClock {
  private ms = 0;
  get nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    if (ms > 0) this.ms += ms;
  }
}

/** Faults to inject; counters are 1-based and count calls made after the fault was set. */
export interface NorFaults {
  /** The Nth program call fails with NorFaultError before changing anything. */
  failProgramCall?: number | undefined;
  /** The Nth erase (sector or chip) fails with NorFaultError before changing anything. */
  failEraseCall?: number | undefined;
  /** After this many more bytes are programmed, the device "resets": the write stops part-way with NorResetError. */
  resetAfterBytes?: number | undefined;
}

export interface NorSector {
  index: number;
  address: number;
  size: number;
}

export interface NorFlashOptions {
  overwrite?: OverwriteMode | undefined;
  timing?: NorTiming | undefined;
  clock?: VirtualClock;
  /** Program calls must start and end on this many bytes (e.g. 2 for STM32F1 half-words); default 1. */
  writeAlignment?: number | undefined;
  /** The controller's rule for programming over non-erased memory (program-rules.ts); overrides `overwrite`. */
  rule?: ProgramRule | undefined;
}

/** A serialisable copy of the contents: only non-erased runs are stored. */
export interface NorSnapshot {
  region: string;
  start: number;
  size: number;
  erasedValue: number;
  /** Non-erased bytes, trimmed per sector. */
  chunks: Array<{ address: number; data: Uint8Array }>;
  protectedSectors: number[];
}

/** Programming would need to set bits that only an erase can set. */
export class NorProgramError extends FlashwrightError {
  constructor(address: number, oldByte: number, newByte: number, region: string, refusal?: { error: string; why: string; source: string }) {
    super('NOR_PROGRAM_NOT_ERASED',
      refusal
        ? `Programming ${hex(address)} in ${region} is refused (${refusal.error}): ${refusal.why}.`
        : `Programming ${hexByte(newByte)} over ${hexByte(oldByte)} at ${hex(address)} in ${region} needs bits that only an erase can set.`,
      { hint: 'Erase the sector before programming it.', context: { address, oldByte, newByte, region, ...(refusal ? { flag: refusal.error, source: refusal.source } : {}) } });
  }
}

/** The sector is write-protected. */
export class NorProtectedError extends FlashwrightError {
  constructor(operation: 'erase' | 'program', sector: NorSector, region: string) {
    super('NOR_WRITE_PROTECTED',
      `Cannot ${operation} sector ${sector.index} at ${hex(sector.address)} in ${region}: it is write-protected.`,
      { hint: 'Remove the write protection (option bytes / FPROT) first.', context: { operation, sector: sector.address, sectorIndex: sector.index, region } });
  }
}

/** Address or alignment outside what the part accepts. */
export class NorAddressError extends FlashwrightError {
  constructor(message: string, context: ErrorContext, hint?: string) {
    super('NOR_ADDRESS', message, { context, hint });
  }
}

/** An injected failure (models a failing cell or a verify-after-program error). */
export class NorFaultError extends FlashwrightError {
  constructor(operation: string, address: number, region: string) {
    super('NOR_FAULT', `Injected ${operation} failure at ${hex(address)} in ${region}.`, { context: { operation, address, region } });
  }
}

/** An injected reset: the write stopped part-way; `context.stoppedAt` is the first byte not written. */
export class NorResetError extends FlashwrightError {
  constructor(address: number, stoppedAt: number, region: string) {
    super('NOR_RESET', `The device reset while programming ${region} at ${hex(address)}; bytes from ${hex(stoppedAt)} on were not written.`,
      { context: { address, stoppedAt, region } });
  }
}

/** Expands sector runs into a list; a region without runs is one sector. */
export function expandSectors(region: MemoryRegion): NorSector[] {
  const runs = region.sectors?.length ? region.sectors : [{ size: region.size, count: 1 }];
  const out: NorSector[] = [];
  let address = region.start;
  for (const run of runs) {
    for (let i = 0; i < run.count; i++) {
      out.push({ index: out.length, address, size: run.size });
      address += run.size;
    }
  }
  if (address !== region.start + region.size) {
    throw new NorAddressError(`The sector runs of ${region.name} cover ${hex(address - region.start)} bytes, not the region's ${hex(region.size)}.`,
      { region: region.name, covered: address - region.start, size: region.size }, 'Fix the sector runs in the target description.');
  }
  return out;
}

export class NorFlash {
  readonly name: string;
  readonly start: number;
  readonly size: number;
  readonly end: number;
  readonly erasedValue: number;
  readonly pageSize: number;
  readonly sectors: readonly NorSector[];
  readonly overwrite: OverwriteMode;
  readonly clock: VirtualClock;
  readonly timing?: NorTiming | undefined;
  readonly writeAlignment: number;
  readonly rule?: ProgramRule | undefined;
  /** Faults to inject; assign freely. */
  faults: NorFaults = {};
  /** Counters for tests and benches. */
  readonly stats = { programCalls: 0, eraseCalls: 0, bytesProgrammed: 0, sectorErases: 0, chipErases: 0 };
  /** Erase count per sector index (wear). */
  readonly eraseCounts: number[];
  private readonly cells: Uint8Array;
  private readonly protectedSet = new Set<number>();
  /** ECC rules: one flag per program unit, set when programmed, cleared by erase. */
  private readonly written?: Uint8Array;

  constructor(region: MemoryRegion, options: NorFlashOptions = {}) {
    this.name = region.name;
    this.start = region.start;
    this.size = region.size;
    this.end = region.start + region.size;
    this.erasedValue = region.erasedValue ?? 0xff;
    this.pageSize = region.pageSize ?? 1;
    this.sectors = expandSectors(region);
    this.overwrite = options.overwrite ?? 'error';
    this.clock = options.clock ?? new VirtualClock();
    this.timing = options.timing;
    this.writeAlignment = options.writeAlignment ?? 1;
    this.rule = options.rule;
    if (this.rule?.ecc) this.written = new Uint8Array(Math.ceil(region.size / (this.rule.unitBytes ?? 1)));
    this.cells = new Uint8Array(region.size).fill(this.erasedValue);
    this.eraseCounts = new Array<number>(this.sectors.length).fill(0);
  }

  contains(address: number, length = 1): boolean {
    return address >= this.start && address + length <= this.end;
  }

  /** The sector holding `address`, or undefined outside the region. Binary search. */
  sectorAt(address: number): NorSector | undefined {
    let lo = 0;
    let hi = this.sectors.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.sectors[mid]!;
      if (address < s.address) hi = mid - 1;
      else if (address >= s.address + s.size) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Sectors touching [address, address+length). */
  sectorsIn(address: number, length: number): NorSector[] {
    return this.sectors.filter((s) => s.address < address + length && s.address + s.size > address);
  }

  read(address: number, length: number): Uint8Array {
    this.checkRange('read', address, length);
    return this.cells.slice(address - this.start, address - this.start + length);
  }

  isErased(address: number, length: number): boolean {
    this.checkRange('read', address, length);
    const o = address - this.start;
    for (let i = o; i < o + length; i++) if (this.cells[i] !== this.erasedValue) return false;
    return true;
  }

  setProtected(sectorAddress: number, on = true): void {
    const s = this.sectorAt(sectorAddress);
    if (!s) throw this.outside('protect', sectorAddress, 1);
    if (on) this.protectedSet.add(s.address);
    else this.protectedSet.delete(s.address);
  }

  isProtected(sectorAddress: number): boolean {
    const s = this.sectorAt(sectorAddress);
    return s !== undefined && this.protectedSet.has(s.address);
  }

  get protectedSectors(): number[] {
    return [...this.protectedSet].sort((a, b) => a - b);
  }

  /** Erases the sector starting at `address` (must be a sector start). */
  eraseSector(address: number): void {
    const s = this.sectorAt(address);
    if (!s) throw this.outside('erase', address, 1);
    if (s.address !== address) {
      throw new NorAddressError(`Sector erase at ${hex(address)} in ${this.name} is not at a sector start (sector ${s.index} starts at ${hex(s.address)}).`,
        { address, sectorStart: s.address, region: this.name }, 'Erase addresses must be sector starts.');
    }
    if (this.protectedSet.has(s.address)) throw new NorProtectedError('erase', s, this.name);
    this.countErase(address);
    this.cells.fill(this.erasedValue, s.address - this.start, s.address - this.start + s.size);
    this.clearWritten(s.address - this.start, s.size);
    this.eraseCounts[s.index]!++;
    this.stats.sectorErases++;
    if (this.timing) this.clock.advance(this.sectorEraseMs(s.size));
  }

  /** Mass erase; refused when any sector is protected (as STM32 and Kinetis parts do). */
  eraseAll(): void {
    const first = this.protectedSectors[0];
    if (first !== undefined) throw new NorProtectedError('erase', this.sectorAt(first)!, this.name);
    this.countErase(this.start);
    this.cells.fill(this.erasedValue);
    this.written?.fill(0);
    for (let i = 0; i < this.eraseCounts.length; i++) this.eraseCounts[i]!++;
    this.stats.chipErases++;
    if (this.timing) this.clock.advance(this.timing.chipEraseMs ?? this.sectors.reduce((t, s) => t + this.sectorEraseMs(s.size), 0));
  }

  /**
   * Programs `data` at `address`. Checks the whole range first (protection, overwrite rule)
   * so a refused write changes nothing; an injected reset writes a prefix and throws.
   */
  program(address: number, data: Uint8Array): void {
    this.checkRange('program', address, data.length);
    const a = this.writeAlignment;
    if (address % a !== 0 || data.length % a !== 0) {
      throw new NorAddressError(`Programming ${data.length} bytes at ${hex(address)} in ${this.name} breaks its ${a}-byte write unit.`,
        { address, length: data.length, writeAlignment: a, region: this.name }, `Align writes to ${a} bytes and pad with the erased value.`);
    }
    for (const s of this.sectorsIn(address, data.length)) if (this.protectedSet.has(s.address)) throw new NorProtectedError('program', s, this.name);
    const o = address - this.start;
    const erased = this.erasedValue;
    if (this.rule && this.rule.kind !== 'bit-clear') this.checkRule(this.rule, address, data);
    else if (this.overwrite === 'error') {
      for (let i = 0; i < data.length; i++) {
        const old = this.cells[o + i]!;
        const nu = data[i]!;
        // Bits may only move away from the erased state: a byte needing any bit back is refused.
        // Writing the erased value programs nothing (page padding), so it is always accepted.
        if (nu !== erased && (erased === 0xff ? (nu & ~old & 0xff) !== 0 : (old & ~nu & 0xff) !== 0)) {
          throw new NorProgramError(address + i, old, nu, this.name);
        }
      }
    }
    this.stats.programCalls++;
    if (this.faults.failProgramCall !== undefined && --this.faults.failProgramCall <= 0) {
      this.faults.failProgramCall = undefined;
      throw new NorFaultError('program', address, this.name);
    }
    let n = data.length;
    let reset = false;
    if (this.faults.resetAfterBytes !== undefined) {
      if (this.faults.resetAfterBytes < n) {
        n = this.faults.resetAfterBytes;
        reset = true;
        this.faults.resetAfterBytes = undefined;
      } else this.faults.resetAfterBytes -= n;
    }
    for (let i = 0; i < n; i++) {
      const old = this.cells[o + i]!;
      this.cells[o + i] = erased === 0xff ? old & data[i]! : old | data[i]!;
    }
    if (this.written) {
      const u = this.rule!.unitBytes ?? 1;
      for (let i = Math.floor(o / u); i < Math.ceil((o + n) / u); i++) this.written[i] = 1;
    }
    this.stats.bytesProgrammed += n;
    if (this.timing) this.clock.advance(Math.ceil(n / this.timing.unitBytes) * this.timing.programMs);
    if (reset) throw new NorResetError(address, address + n, this.name);
  }

  /** The contents as non-erased runs per sector, for a state file. */
  snapshot(): NorSnapshot {
    const chunks: NorSnapshot['chunks'] = [];
    for (const s of this.sectors) {
      const o = s.address - this.start;
      let first = -1;
      let last = -1;
      for (let i = o; i < o + s.size; i++) {
        if (this.cells[i] !== this.erasedValue) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first >= 0) chunks.push({ address: this.start + first, data: this.cells.slice(first, last + 1) });
    }
    return { region: this.name, start: this.start, size: this.size, erasedValue: this.erasedValue, chunks, protectedSectors: this.protectedSectors };
  }

  /** Replaces the contents with a snapshot taken from a region of the same shape. */
  restore(snap: NorSnapshot): void {
    if (snap.start !== this.start || snap.size !== this.size) {
      throw new NorAddressError(`The saved state of ${snap.region} (${hex(snap.start)}, ${hex(snap.size)} bytes) does not match ${this.name} at ${hex(this.start)} (${hex(this.size)} bytes).`,
        { savedStart: snap.start, savedSize: snap.size, start: this.start, size: this.size }, 'Delete the state file or use the target it was made for.');
    }
    this.cells.fill(this.erasedValue);
    this.written?.fill(0);
    for (const c of snap.chunks) {
      this.checkRange('restore', c.address, c.data.length);
      this.cells.set(c.data, c.address - this.start);
      // Non-erased bytes were programmed, so their ECC units count as written.
      if (this.written) {
        const u = this.rule!.unitBytes ?? 1;
        const o = c.address - this.start;
        for (let i = Math.floor(o / u); i < Math.ceil((o + c.data.length) / u); i++) this.written[i] = 1;
      }
    }
    this.protectedSet.clear();
    for (const p of snap.protectedSectors) this.setProtected(p, true);
  }

  /** Refuses the whole call (nothing changes) when any unit breaks the controller's rule. */
  private checkRule(rule: ProgramRule, address: number, data: Uint8Array): void {
    if (rule.kind === 'and') return;
    const o = address - this.start;
    const erased = this.erasedValue;
    const refuse = (i: number, why: string) => new NorProgramError(address + i, this.cells[o + i]!, data[i]!, this.name, { error: rule.error, why, source: rule.source });
    if (rule.kind === 'erased-only') {
      for (let i = 0; i < data.length; i++) {
        if (this.cells[o + i] !== erased) throw refuse(i, `${hex(address + i)} holds ${hexByte(this.cells[o + i]!)}, and the destination must be erased before it is programmed`);
      }
      return;
    }
    const u = rule.unitBytes ?? 1;
    // Units the call touches, whole (the controller programs units; a partial unit is padded).
    for (let first = Math.floor(o / u) * u; first < o + data.length; first += u) {
      const from = Math.max(first, o);
      const to = Math.min(first + u, o + data.length);
      let isErased = !(this.written && this.written[first / u]);
      for (let i = first; i < Math.min(first + u, this.size) && isErased; i++) if (this.cells[i] !== erased) isErased = false;
      if (isErased) continue;
      let zero = rule.zeroOverwrite === true;
      for (let i = from; i < to && zero; i++) if (data[i - o] !== 0) zero = false;
      if (zero && from === first && to === first + u) continue;
      const unit = u === 2 ? 'half-word' : u === 4 ? 'word' : u === 8 ? 'double-word' : `${u}-byte flash word`;
      const state = this.written?.[first / u] && [...this.cells.subarray(first, first + u)].every((b) => b === erased) ? 'was already programmed (its ECC bits are set)' : 'is not erased';
      throw refuse(from - o, `the ${unit} at ${hex(this.start + first)} ${state}${rule.zeroOverwrite ? `; only an all-zero ${unit} may be written over it` : ''}`);
    }
  }

  private clearWritten(offset: number, size: number): void {
    if (!this.written) return;
    const u = this.rule!.unitBytes ?? 1;
    this.written.fill(0, Math.floor(offset / u), Math.ceil((offset + size) / u));
  }

  private sectorEraseMs(size: number): number {
    const t = this.timing!.sectorEraseMs;
    return typeof t === 'function' ? t(size) : t;
  }

  private countErase(address: number): void {
    this.stats.eraseCalls++;
    if (this.faults.failEraseCall !== undefined && --this.faults.failEraseCall <= 0) {
      this.faults.failEraseCall = undefined;
      throw new NorFaultError('erase', address, this.name);
    }
  }

  private checkRange(operation: string, address: number, length: number): void {
    if (!Number.isInteger(address) || !Number.isInteger(length) || length < 0 || !this.contains(address, length)) throw this.outside(operation, address, length);
  }

  private outside(operation: string, address: number, length: number): NorAddressError {
    return new NorAddressError(`Cannot ${operation} ${length} bytes at ${hex(address)}: ${this.name} spans ${hex(this.start)}–${hex(this.end - 1)}.`,
      { operation, address, length, region: this.name, start: this.start, end: this.end });
  }
}
