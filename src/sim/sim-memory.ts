/**
 * A whole simulated target's memory: one NOR model per flash-like region (flash,
 * external-nor, option-bytes), plain RAM, and read-only ROM, routed by address. Regions
 * that need configuring (i.MX RT FlexSPI NOR) refuse access until `configure` is called,
 * as the real boot ROM does. Unmapped addresses get an error naming the nearest regions.
 */
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { hex } from '../core/format.js';
import { describeRegion, isFlashLike, nearestRegions } from '../target/geometry.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { NorFlash, VirtualClock, type NorFlashOptions, type NorSnapshot } from './nor-flash.js';
import { programRuleFor } from './program-rules.js';

/** An address (range) no region maps, or a region that is not configured yet. */
export class SimAccessError extends FlashwrightError {
  constructor(code: 'SIM_UNMAPPED' | 'SIM_NOT_CONFIGURED' | 'SIM_READ_ONLY' | 'SIM_NOT_FLASH' | 'SIM_STATE', message: string, context: ErrorContext, hint?: string) {
    super(code, message, { context, hint });
  }
}

export interface SimRegion {
  region: MemoryRegion;
  /** Present for flash, external-nor and option-bytes. */
  nor?: NorFlash;
  /** Present for ram and rom. */
  bytes?: Uint8Array;
  configured: boolean;
}

/** The serialisable state of all flash-like regions (RAM is volatile and not kept). */
export interface SimMemorySnapshot {
  target: string;
  regions: NorSnapshot[];
  configured: string[];
}

export interface SimMemoryOptions {
  clock?: VirtualClock;
  /**
   * NOR options per region name (program rule, timing, write alignment); `default` for all
   * others. Without a rule (or an explicit `overwrite`), the family's rule (program-rules.ts).
   */
  nor?: Record<string, NorFlashOptions>;
  /** ROM contents by region name; ROM otherwise reads as zeros. */
  rom?: Record<string, Uint8Array>;
}

export class SimMemory {
  readonly regions: SimRegion[];
  readonly clock: VirtualClock;

  constructor(readonly target: TargetDescription, options: SimMemoryOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.regions = [...target.regions].sort((a, b) => a.start - b.start).map((region) => {
      if (isFlashLike(region)) {
        const opts = options.nor?.[region.name] ?? options.nor?.default ?? {};
        // Strict as the silicon by default: the family's documented program-over-data rule.
        const rule = opts.rule ?? (opts.overwrite ? undefined : programRuleFor(target, region.kind as 'flash' | 'external-nor' | 'option-bytes'));
        return { region, nor: new NorFlash(region, { ...opts, rule, clock: this.clock }), configured: !region.needsConfiguration };
      }
      const bytes = new Uint8Array(region.size);
      const rom = options.rom?.[region.name];
      if (rom) bytes.set(rom.subarray(0, region.size));
      return { region, bytes, configured: !region.needsConfiguration };
    });
  }

  /** The NOR model of a region by name (for fault injection and protection in tests). */
  nor(name: string): NorFlash {
    const r = this.regions.find((x) => x.region.name === name);
    if (!r?.nor) throw new SimAccessError('SIM_NOT_FLASH', `The simulated ${this.target.name} has no flash region named '${name}'.`, { name });
    return r.nor;
  }

  /** Makes a region that needs configuration accessible (FlexSPI ConfigureMemory). */
  configure(name: string): void {
    const r = this.regions.find((x) => x.region.name === name);
    if (!r) throw new SimAccessError('SIM_UNMAPPED', `The simulated ${this.target.name} has no region named '${name}'.`, { name });
    r.configured = true;
  }

  /** The region holding `address`, or undefined. */
  regionAt(address: number): SimRegion | undefined {
    return this.regions.find((r) => address >= r.region.start && address < r.region.start + r.region.size);
  }

  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.forEachPiece('read', address, length, (r, a, off, n) => {
      out.set(r.nor ? r.nor.read(a, n) : r.bytes!.subarray(a - r.region.start, a - r.region.start + n), off);
    });
    return out;
  }

  /** Plain memory write: RAM only (flash needs erase/program, ROM is read-only). */
  write(address: number, data: Uint8Array): void {
    this.forEachPiece('write', address, data.length, (r, a, off, n) => {
      if (r.region.kind !== 'ram') {
        throw new SimAccessError(r.nor ? 'SIM_NOT_FLASH' : 'SIM_READ_ONLY',
          `A plain write to ${hex(a)} lands in ${r.region.kind} region ${r.region.name}, which is not RAM.`,
          { address: a, region: r.region.name, kind: r.region.kind }, r.nor ? 'Erase and program flash instead of writing it.' : undefined);
      }
      r.bytes!.set(data.subarray(off, off + n), a - r.region.start);
    });
  }

  /** Programs flash-like memory (may span adjacent flash regions). */
  program(address: number, data: Uint8Array): void {
    this.forEachPiece('program', address, data.length, (r, a, off, n) => this.flashOf(r, a).program(a, data.subarray(off, off + n)));
  }

  eraseSector(address: number): void {
    const r = this.mapped('erase', address, 1);
    this.flashOf(r, address).eraseSector(address);
  }

  /** Erases every sector of every configured flash region of kind 'flash' (a mass erase). */
  eraseAllFlash(): void {
    for (const r of this.regions) if (r.nor && r.region.kind === 'flash' && r.configured) r.nor.eraseAll();
  }

  snapshot(): SimMemorySnapshot {
    return {
      target: this.target.name,
      regions: this.regions.filter((r) => r.nor).map((r) => r.nor!.snapshot()),
      configured: this.regions.filter((r) => r.configured && r.region.needsConfiguration).map((r) => r.region.name),
    };
  }

  restore(snap: SimMemorySnapshot): void {
    for (const s of snap.regions) {
      const r = this.regions.find((x) => x.nor && x.region.name === s.region);
      if (!r) {
        throw new SimAccessError('SIM_STATE', `The saved state has region '${s.region}', which ${this.target.name} does not have.`,
          { region: s.region, target: this.target.name, savedTarget: snap.target }, 'Delete the state file or use the target it was made for.');
      }
      r.nor!.restore(s);
    }
    for (const name of snap.configured) this.configure(name);
  }

  private flashOf(r: SimRegion, address: number): NorFlash {
    if (!r.nor) {
      throw new SimAccessError('SIM_NOT_FLASH', `${hex(address)} is in ${r.region.kind} region ${r.region.name}, which cannot be erased or programmed.`,
        { address, region: r.region.name, kind: r.region.kind }, r.region.kind === 'ram' ? 'Use a plain memory write for RAM.' : undefined);
    }
    return r.nor;
  }

  private mapped(operation: string, address: number, length: number): SimRegion {
    const r = this.regionAt(address);
    if (!r) throw this.unmapped(operation, address, length);
    if (!r.configured) {
      throw new SimAccessError('SIM_NOT_CONFIGURED', `Cannot ${operation} ${hex(address)}: ${r.region.name} is not configured yet.`,
        { address, region: r.region.name }, 'Configure the memory first (e.g. FlexSPI NOR configuration block).');
    }
    return r;
  }

  /** Splits [address, address+length) at region borders; a gap anywhere throws before anything is touched. */
  private forEachPiece(operation: string, address: number, length: number, fn: (r: SimRegion, address: number, offset: number, length: number) => void): void {
    const pieces: Array<[SimRegion, number, number, number]> = [];
    let a = address;
    while (a < address + length) {
      const r = this.mapped(operation, a, address + length - a);
      const n = Math.min(address + length, r.region.start + r.region.size) - a;
      pieces.push([r, a, a - address, n]);
      a += n;
    }
    for (const p of pieces) fn(...p);
  }

  private unmapped(operation: string, address: number, length: number): SimAccessError {
    const near = nearestRegions(this.target.regions, address).map(describeRegion);
    return new SimAccessError('SIM_UNMAPPED',
      `Cannot ${operation} ${length} bytes at ${hex(address)}: no memory of the simulated ${this.target.name} is mapped there (nearest: ${near.join('; ') || 'none'}).`,
      { address, length, operation, target: this.target.name });
  }
}
