/**
 * The in-process Cortex-M target for fast tests: memory regions (RAM read/write; flash and
 * ROM read-only to the debugger, as on silicon without the flash controller's help; all
 * else a bus error), a register file, halt/run/step and reset through the emulated debug
 * registers. It executes no instructions: `onResume` lets a test stand in for the code
 * (e.g. a flash algorithm's function) and decide where the core halts.
 * Chips: nRF51 (Cortex-M0, SW-DP; Nordic nRF51 Series Reference Manual v3.0 memory map),
 * a generic Cortex-M4 (SWJ-DP), and a Kinetis K64 (Cortex-M4 with the MDM-AP at AP 1;
 * K64P144M120SF5RM: flash 0x0–0xFFFFF, SRAM_L 0x1FFF0000, SRAM_U 0x20000000, FSEC at 0x40C).
 */
import type { CoreControl, CortexProfile, HaltCause } from './cortex-m.js';
import { ApBusError } from './dp.js';
import type { AccessSize, MemoryBus } from './mem-ap.js';
import { MdmAp, type KinetisSecurity } from './mdm-ap.js';
import { assembleTarget, type DapTarget } from './target.js';
import { FSEC_UNSECURE, KINETIS_FCF } from '../../target/facts/kinetis-fcf.js';
import { Nvmc } from './nvmc.js';
import { runThumb } from './thumb.js';

/** A memory-mapped peripheral of the executing target (registers at start..start+size). */
export interface Peripheral {
  start: number;
  size: number;
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

/** Instructions one resume runs at most before the core is left running (a hung loop). */
const RUN_BUDGET = 20_000_000;

export interface Region {
  name: string;
  start: number;
  size: number;
  kind: 'ram' | 'flash' | 'rom';
  bytes: Uint8Array;
}

/** Register numbers as DCRSR's REGSEL: 0–12, 13 SP, 14 LR, 15 PC, 16 xPSR, 17 MSP, 18 PSP, 20 CONTROL… */
export type Registers = Map<number, number>;

/** What a test's stand-in for code does when the core is resumed. */
export type ResumeHandler = (core: MemoryCore, step: boolean) => { halt?: HaltCause } | void;

export class MemoryCore implements CoreControl, MemoryBus {
  halted = false;
  lockup = false;
  haltCause?: HaltCause | undefined;
  readonly regs: Registers = new Map();
  breakpoints: number[] = [];
  /** Set by a test: what running does; without one the core runs until halted. */
  onResume?: ResumeHandler | undefined;
  /** Held in reset by nRESET or the MDM-AP. */
  inReset = false;
  readonly counters = { resets: 0, resumes: 0, steps: 0 };
  /** Executes the code it is resumed into (ARMv6-M Thumb, thumb.ts) when no onResume handler stands in. */
  execute = false;
  /** Why the core locked up, when it did. */
  lockupReason?: string | undefined;
  readonly peripherals: Peripheral[] = [];
  /** Stores into flash go here (a flash controller model); without one flash is read-only. */
  flashWriter?: ((region: Region, address: number, size: AccessSize, value: number) => void) | undefined;

  constructor(readonly regions: Region[], private readonly onSystemReset?: () => void) {}

  private peripheral(address: number): Peripheral | undefined {
    return this.peripherals.find((p) => address >= p.start && address < p.start + p.size);
  }

  region(address: number, size: number): Region | undefined {
    return this.regions.find((r) => address >= r.start && address + size <= r.start + r.size);
  }

  read(address: number, size: AccessSize): number {
    // The rest of the System Control Space (NVIC, SCB, MPU, FPU ID registers): read as zero here.
    if (address >= 0xe000e000 && address < 0xe000f000) return 0;
    const dev = this.peripheral(address);
    if (dev) return dev.read(address - dev.start, size) >>> 0;
    const r = this.region(address, size);
    if (!r) throw new ApBusError(`no memory at 0x${address.toString(16)}`);
    const o = address - r.start;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | r.bytes[o + i]!;
    return v >>> 0;
  }

  write(address: number, size: AccessSize, value: number): void {
    if (address >= 0xe000e000 && address < 0xe000f000) return; // System Control Space: writes ignored
    const dev = this.peripheral(address);
    if (dev) { dev.write(address - dev.start, size, value >>> 0); return; }
    const r = this.region(address, size);
    if (r?.kind === 'flash' && this.flashWriter) { this.flashWriter(r, address, size, value); return; }
    if (!r || r.kind !== 'ram') throw new ApBusError(`${r ? r.kind : 'no memory'} at 0x${address.toString(16)} is not writable through the bus`);
    const o = address - r.start;
    for (let i = 0; i < size; i++) r.bytes[o + i] = (value >>> (8 * i)) & 0xff;
  }

  /** Test access: reads bytes without the debug path. */
  peek(address: number, length: number): Uint8Array {
    const r = this.region(address, length);
    if (!r) throw new Error(`no region holds 0x${address.toString(16)}+${length}`);
    return r.bytes.slice(address - r.start, address - r.start + length);
  }

  /** Test access: fills any region (flash included) directly. */
  poke(address: number, data: Uint8Array): void {
    const r = this.region(address, data.length);
    if (!r) throw new Error(`no region holds 0x${address.toString(16)}+${data.length}`);
    r.bytes.set(data, address - r.start);
  }

  word(address: number): number {
    const b = this.peek(address, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  halt(): void {
    if (this.halted || this.inReset) return;
    this.halted = true;
    this.haltCause = 'request';
  }

  resume(step: boolean): void {
    if (!this.halted) return;
    this.halted = false;
    this.haltCause = undefined;
    if (step) this.counters.steps++; else this.counters.resumes++;
    if (!this.onResume && this.execute) { this.run(step); return; }
    const r = this.onResume?.(this, step);
    if (r?.halt) { this.halted = true; this.haltCause = r.halt; return; }
    if (step) { this.regs.set(15, ((this.regs.get(15) ?? 0) + 2) >>> 0); this.halted = true; this.haltCause = 'step'; return; }
    const pc = this.regs.get(15) ?? 0;
    if (this.breakpoints.includes((pc & ~1) >>> 0)) { this.halted = true; this.haltCause = 'bkpt'; }
  }

  /** Runs the code at PC until a BKPT or breakpoint halts it, a single step, lockup, or the budget. */
  private run(step: boolean): void {
    const stop = runThumb(this.regs, this, { breakpoints: this.breakpoints, maxSteps: step ? 1 : RUN_BUDGET, vectorTable: 0 });
    if (stop.kind === 'bkpt' || stop.kind === 'breakpoint') { this.halted = true; this.haltCause = 'bkpt'; }
    else if (stop.kind === 'step') { this.halted = true; this.haltCause = 'step'; }
    else if (stop.kind === 'lockup') { this.lockup = true; this.lockupReason = stop.reason; }
  }

  readRegister(regsel: number): number {
    return this.regs.get(regsel) ?? 0;
  }

  writeRegister(regsel: number, value: number): void {
    this.regs.set(regsel, value >>> 0);
    if (regsel === 13) this.regs.set(17, value >>> 0);
  }

  reset(halt: boolean): void {
    this.counters.resets++;
    this.lockup = false;
    this.lockupReason = undefined;
    this.onSystemReset?.();
    const vt = this.regions.find((r) => r.start === 0) ?? this.regions[0]!;
    const sp = vt.bytes.length >= 8 ? this.word(vt.start) : 0;
    const pc = vt.bytes.length >= 8 ? this.word(vt.start + 4) : 0;
    this.regs.clear();
    this.regs.set(13, (sp & ~3) >>> 0); this.regs.set(17, (sp & ~3) >>> 0); this.regs.set(14, 0xffffffff);
    this.regs.set(15, (pc & ~1) >>> 0); this.regs.set(16, 0x01000000);
    this.halted = halt;
    this.haltCause = halt ? 'vcatch' : undefined;
  }

  setBreakpoints(addresses: number[]): void {
    this.breakpoints = [...addresses];
  }
}

export type MemoryChip = 'nrf51' | 'cortex-m4' | 'kinetis-k64';
export const MEMORY_CHIPS: readonly MemoryChip[] = ['nrf51', 'cortex-m4', 'kinetis-k64'];

export interface MemoryTargetOptions {
  chip: MemoryChip;
  /** Kinetis: start secured (FSEC 0xFF, as a blank part). */
  secured?: boolean | undefined;
  /** Kinetis: FSEC MEEN = 10 (mass erase disabled): a secured part cannot be recovered. */
  massEraseDisabled?: boolean;
  /** DP fault injection: WAITs before each AP access is accepted. */
  waitsPerApAccess?: number;
  /** The debug port starts dormant (ADIv5.2 B5.3): only the selection alert wakes it. */
  dormant?: boolean | undefined;
  /**
   * The core executes code (ARMv6-M Thumb interpreter) instead of only holding memory; on
   * nrf51 the NVMC flash controller is modelled too, so a flash algorithm really programs.
   */
  execute?: boolean | undefined;
}

export interface MemoryTarget extends DapTarget {
  readonly core: MemoryCore;
  readonly mdm?: MdmAp;
  /** Kinetis: whether the flash controller holds a secure FSEC. */
  readonly secured: boolean;
  /** Power cycle: FSEC reloaded from flash (a mass erase's unsecure state ends), debug logic reset. */
  powerOn(): void;
}

const ERASED = 0xff;

function region(name: string, start: number, size: number, kind: Region['kind'], fill = 0): Region {
  return { name, start, size, kind, bytes: new Uint8Array(size).fill(fill) };
}

const PROFILES: Record<MemoryChip, { profile: CortexProfile; dpidr: number; apIdr: number; packed: boolean; swj: boolean }> = {
  // Cortex-M0 r0p0 (CPUID 0x410CC200), SW-DP DPIDR 0x0BB11477, AHB-AP IDR 0x04770021, BPU = FPB rev 1 with 4 comparators.
  'nrf51': { profile: { cpuid: 0x410cc200, fpbRev: 0, fpbComparators: 4, romTable: 0xf0000000, tarBlock: 0x400 }, dpidr: 0x0bb11477, apIdr: 0x04770021, packed: false, swj: false },
  // Cortex-M4 r0p1 (CPUID 0x410FC241), SWJ-DP DPIDR 0x2BA01477, AHB-AP IDR 0x24770011, FPB rev 1 with 6 code comparators.
  'cortex-m4': { profile: { cpuid: 0x410fc241, fpbRev: 0, fpbComparators: 6, romTable: 0xe00ff000, tarBlock: 0x1000 }, dpidr: 0x2ba01477, apIdr: 0x24770011, packed: true, swj: true },
  'kinetis-k64': { profile: { cpuid: 0x410fc241, fpbRev: 0, fpbComparators: 6, romTable: 0xe00ff000, tarBlock: 0x1000 }, dpidr: 0x2ba01477, apIdr: 0x24770011, packed: true, swj: true },
};

export function createMemoryTarget(options: MemoryTargetOptions): MemoryTarget {
  const p = PROFILES[options.chip];
  let regions: Region[];
  if (options.chip === 'nrf51') {
    regions = [region('flash', 0, 0x40000, 'flash', ERASED), region('ficr', 0x10000000, 0x100, 'rom', 0xff), region('ram', 0x20000000, 0x4000, 'ram')];
    // FICR CODEPAGESIZE (0x010) = 1024, CODESIZE (0x014) = 256 pages (nRF51 Series Reference Manual §6.1).
    regions[1]!.bytes.set([0x00, 0x04, 0, 0, 0x00, 0x01, 0, 0], 0x10);
  }
  else if (options.chip === 'cortex-m4') regions = [region('flash', 0, 0x100000, 'flash', ERASED), region('ram', 0x20000000, 0x20000, 'ram')];
  else regions = [region('flash', 0, 0x100000, 'flash', ERASED), region('sram_l', 0x1fff0000, 0x10000, 'ram'), region('sram_u', 0x20000000, 0x30000, 'ram')];

  const flash = regions[0]!;
  if (options.chip === 'kinetis-k64' && !options.secured) flash.bytes[KINETIS_FCF.fsec] = FSEC_UNSECURE;
  if (options.chip === 'kinetis-k64' && options.massEraseDisabled) flash.bytes[KINETIS_FCF.fsec] = 0xff & ~0x30 | 0x20; // MEEN = 10
  // FSEC is loaded from flash at reset; after an MDM-AP mass erase the part stays unsecure until power-on.
  let fsec = flash.bytes[KINETIS_FCF.fsec]!;
  let massErased = false;
  if (options.execute && options.chip === 'nrf51') regions.push(region('uicr', 0x10001000, 0x100, 'flash', ERASED));
  const core = new MemoryCore(regions, () => { fsec = massErased ? (flash.bytes[KINETIS_FCF.fsec]! & ~3) | 2 : flash.bytes[KINETIS_FCF.fsec]!; });
  core.reset(false);
  core.halted = false;
  if (options.execute) {
    core.execute = true;
    if (options.chip === 'nrf51') {
      const nvmc = new Nvmc(regions[0]!, regions.find((r) => r.name === 'uicr'));
      core.peripherals.push(nvmc);
      core.flashWriter = (r, address, size, value) => nvmc.writeFlash(r, address, size, value);
    }
  }

  const kinetis = options.chip === 'kinetis-k64';
  const secured = () => kinetis && (fsec & 3) !== 2;
  let mdm: MdmAp | undefined;
  if (kinetis) {
    const chip: KinetisSecurity = {
      secured,
      massEraseEnabled: () => ((fsec >> 4) & 3) !== 2,
      coreHalted: () => core.halted,
      massErase: () => { flash.bytes.fill(ERASED); fsec = 0xfe; massErased = true; },
      holdReset: (hold) => { if (hold) core.inReset = true; else if (core.inReset) { core.inReset = false; core.reset(false); } },
      inReset: () => core.inReset,
    };
    mdm = new MdmAp(chip);
  }
  const t = assembleTarget({
    name: options.chip,
    dp: { dpidr: p.dpidr, waitsPerApAccess: options.waitsPerApAccess },
    apIdr: p.apIdr,
    packed: p.packed,
    profile: p.profile,
    core,
    memory: core,
    swj: p.swj,
    dormant: options.dormant,
    extraAps: mdm ? new Map([[1, mdm]]) : undefined,
    deviceEnabled: () => !secured(),
    setReset: (asserted) => {
      if (asserted) { core.inReset = true; return; }
      if (core.inReset) { core.inReset = false; return t.debug.externalReset(); }
    },
  });
  const powerOn = () => { massErased = false; fsec = flash.bytes[KINETIS_FCF.fsec]!; core.reset(false); t.dp.powerOn(); };
  return Object.defineProperties(t, {
    powerOn: { value: powerOn, enumerable: true },
    core: { value: core, enumerable: true },
    mdm: { value: mdm, enumerable: true },
    secured: { get: secured, enumerable: true },
  }) as MemoryTarget;
}
