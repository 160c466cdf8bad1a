/**
 * One pack device → a target description with its flash algorithms. Regions come from the
 * device's memory elements; each flash region takes its sectors, page size and erased value
 * from the FlashDevice table of the FLM that covers it (the FLM loader of src/protocol/flash-algo),
 * placed at the start and size the .pdsc algorithm element gives.
 */
import { hex } from '../core/format.js';
import { loadFlm } from '../protocol/flash-algo/flm.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { sectorRuns } from '../protocol/flash-algo/flash-device.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { validateTarget } from '../target/validate.js';
import { PackFileMissingError, PackFormatError } from './errors.js';
import type { PackFiles } from './files.js';
import type { PackAlgorithmRef, PackDevice, PackMemory, Pdsc } from './pdsc.js';

/**
 * The predefined debug access sequences (pdsc /package/devices/family/.../sequences) that take
 * part in connecting, resetting and flashing. flashwright runs its own default behaviour for
 * each; a pack that overrides one needs steps flashwright does not perform.
 */
export const CONNECT_SEQUENCES = [
  'DebugPortSetup', 'DebugPortStart', 'DebugPortStop', 'DebugDeviceUnlock', 'DebugCoreStart', 'DebugCoreStop',
  'ResetSystem', 'ResetProcessor', 'ResetHardware', 'ResetHardwareAssert', 'ResetHardwareDeassert', 'ResetCatchSet', 'ResetCatchClear',
  'FlashInit', 'FlashUninit', 'FlashEraseDone', 'FlashProgramDone', 'RecoverySupportStart', 'RecoverySupportStop', 'RecoveryAcknowledge',
] as const;

export interface PackTargetAlgorithm {
  ref: PackAlgorithmRef;
  algorithm: FlashAlgorithm;
}

export interface PackTarget {
  target: TargetDescription;
  /** Every runnable (Keil- or CMSIS-style) algorithm for the chosen core, defaults first. */
  algorithms: PackTargetAlgorithm[];
  /** Algorithms of another style (IAR's loaders), which flashwright does not run: named, not loaded. */
  unrunnable: PackAlgorithmRef[];
  /** One algorithm per flash region: the default one covering it (else the only one). */
  defaults: PackTargetAlgorithm[];
  pack: { vendor: string; name: string; version: string };
  device: string;
  pname?: string | undefined;
  /** The access port and debug port the pack names (`__ap`, `__dp`). */
  debug: { ap?: number | undefined; dp?: number | undefined };
  /** Predefined sequences the pack overrides that flashwright does not run. */
  unsupportedSequences: string[];
  warnings: string[];
}

const forCore = (pname: string | undefined) => (x: { pname?: string | undefined }) => x.pname === undefined || pname === undefined || x.pname === pname;

function regionName(m: PackMemory, used: Set<string>): string {
  let base = m.name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-|-$/g, '') || 'region';
  if (used.has(base)) base = `${base}-${hex(m.start).slice(2)}`;
  used.add(base);
  return base;
}

/** rx and no w is code memory programmed through an algorithm; anything writable is RAM. */
function isCodeMemory(m: PackMemory): boolean {
  return m.access.includes('x') && !m.access.includes('w') || (m.access.includes('r') && !m.access.includes('w'));
}

/**
 * The algorithm styles (pdsc AlgorithmStyleEnum) flashwright runs: Keil's .FLM (the default
 * when no style is written) and CMSIS, the style Keil's converges to. IAR's flash loaders
 * are another format with another calling convention.
 */
export function runnableStyle(style: string): boolean {
  return /^(keil|cmsis)$/i.test(style.trim());
}

/** Loads an FLM from the pack, placed where the .pdsc says and with the RAM it names. */
export function loadPackAlgorithm(ref: PackAlgorithmRef, files: PackFiles, packId: string, device: string): FlashAlgorithm {
  if (ref.problem) throw new PackFormatError(packId, `names the flash algorithm '${ref.path}' for ${device}, whose path ${ref.problem}.`, { device, path: ref.path });
  const data = files.read(ref.path);
  if (!data) throw new PackFileMissingError(packId, ref.path, device);
  const source = `${packId}/${ref.path.replace(/\\/g, '/')}`;
  const a = loadFlm(data, source);
  const algo: FlashAlgorithm = { ...a, flash: { ...a.flash, start: ref.start, size: ref.size } };
  // A FlashDevice table longer than the .pdsc range keeps only the runs inside it.
  algo.flash.sectors = algo.flash.sectors.filter((s) => s.offset < ref.size);
  if (ref.ramStart !== undefined && ref.ramSize !== undefined) algo.ram = { start: ref.ramStart, size: ref.ramSize };
  return algo;
}

/** Sectors of `region` from the algorithm's runs, or undefined when it does not cover the region exactly. */
function sectorsFor(region: { start: number; size: number }, algo: FlashAlgorithm): MemoryRegion['sectors'] {
  if (region.start < algo.flash.start || region.start + region.size > algo.flash.start + algo.flash.size) return undefined;
  const runs = sectorRuns(algo.flash);
  const out: NonNullable<MemoryRegion['sectors']> = [];
  let addr = algo.flash.start;
  for (const run of runs) {
    for (let k = 0; k < run.count; k++, addr += run.size) {
      if (addr < region.start || addr >= region.start + region.size) continue;
      const last = out[out.length - 1];
      if (last && last.size === run.size) last.count++;
      else out.push({ size: run.size, count: 1 });
    }
  }
  const covered = out.reduce((n, r) => n + r.size * r.count, 0);
  return covered === region.size ? out : undefined;
}

export function deviceTarget(pdsc: Pdsc, device: PackDevice, files: PackFiles, options: { pname?: string | undefined } = {}): PackTarget {
  const packId = `${pdsc.vendor}.${pdsc.name}`;
  const pnames = device.processors.map((p) => p.pname).filter((p): p is string => p !== undefined);
  if (options.pname !== undefined && !pnames.includes(options.pname)) {
    throw new PackFormatError(packId, `has no core '${options.pname}' in ${device.name} (it has ${pnames.join(', ') || 'one unnamed core'}).`, { device: device.name, pnames },
      `Name a core of the device: ${pnames.map((p) => `${device.name}:${p}`).join(', ')}.`);
  }
  const pname = options.pname ?? pnames[0];
  const processor = device.processors.find((p) => pname === undefined || p.pname === pname);
  const warnings: string[] = [];
  const refs = device.algorithms.filter(forCore(pname)).sort((a, b) => Number(b.default) - Number(a.default));
  // Only runnable styles are loaded; a region served only by another style is named below.
  const unrunnable = refs.filter((r) => !runnableStyle(r.style));
  const algorithms = refs.filter((r) => runnableStyle(r.style)).map((ref) => ({ ref, algorithm: loadPackAlgorithm(ref, files, packId, device.name) }));
  const used = new Set<string>();
  const regions: MemoryRegion[] = [];
  const defaults: PackTargetAlgorithm[] = [];
  // A core's own memory wins over an inherited one it overlaps (a family RAM split per core).
  const own = device.memories.filter((m) => pname !== undefined && m.pname === pname);
  const memories = device.memories.filter(forCore(pname)).filter((m) => {
    if (m.pname !== undefined) return true;
    const clash = own.find((o) => o.start < m.start + m.size && m.start < o.start + o.size);
    if (clash) warnings.push(`${m.name} is left out: it overlaps ${clash.name}, the memory the pack gives core ${pname ?? ''}.`);
    return !clash;
  });
  for (const m of memories) {
    const name = regionName(m, used);
    if (!isCodeMemory(m)) { regions.push({ name, kind: 'ram', start: m.start, size: m.size }); continue; }
    const covering = algorithms.filter((a) => sectorsFor(m, a.algorithm) !== undefined);
    // A runnable algorithm wins over a default of another style.
    const pick = covering.find((a) => a.ref.default) ?? covering[0];
    const other = unrunnable.filter((r) => r.start <= m.start && m.start + m.size <= r.start + r.size);
    if (!pick && other.length) {
      const which = other.map((r) => `${r.path.replace(/\\/g, '/')} (${r.style} style)`).join(', ');
      const why = `the pack's only flash algorithm for it is ${which}, which flashwright cannot run: it runs Keil- and CMSIS-style .FLM algorithms`;
      warnings.push(`${name} ${hex(m.start)}–${hex(m.start + m.size - 1)}: ${why}; it can only be read.`);
      regions.push({ name, kind: 'rom', start: m.start, size: m.size, note: `${why} (program it with --algo FILE.FLM, a Keil-style algorithm for this part)` });
      continue;
    }
    if (!pick) {
      warnings.push(`${name} ${hex(m.start)}–${hex(m.start + m.size - 1)}: no flash algorithm of the pack covers it, so it can only be read.`);
      regions.push({ name, kind: 'rom', start: m.start, size: m.size, note: 'no flash algorithm in the pack covers it' });
      continue;
    }
    defaults.push(pick);
    regions.push({
      name, kind: 'flash', start: m.start, size: m.size, sectors: sectorsFor(m, pick.algorithm), pageSize: pick.algorithm.flash.pageSize,
      erasedValue: pick.algorithm.flash.erasedValue, algorithm: pick.algorithm.name, note: `algorithm ${pick.ref.path.replace(/\\/g, '/')}`,
      ...(m.startup ? { boot: true } : {}),
    });
  }
  // Several startup memories (aliases): keep the first as the boot region.
  let booted = false;
  for (const r of regions) { if (r.boot && booted) delete r.boot; if (r.boot) booted = true; }
  const debug = device.debug.find((d) => d.pname === pname) ?? device.debug.find((d) => d.pname === undefined) ?? {};
  const unsupportedSequences = device.sequences.filter((s) => (CONNECT_SEQUENCES as readonly string[]).includes(s));
  if (unsupportedSequences.length) {
    warnings.push(`the pack overrides the debug sequence${unsupportedSequences.length > 1 ? 's' : ''} ${unsupportedSequences.join(', ')}, which flashwright does not run (it uses the default behaviour); connecting or programming may fail on this part.`);
  }
  const name = pname !== undefined && pnames.length > 1 ? `${device.name}:${pname}` : device.name;
  const target = validateTarget({
    name, vendor: device.vendor, family: device.subFamily ? `${device.family} / ${device.subFamily}` : device.family,
    core: processor?.core || 'unknown', source: `CMSIS-Pack ${packId} ${pdsc.version} (${device.variantOf ? `variant of ${device.variantOf}` : 'device'} ${device.name})`,
    regions,
  });
  return { target, algorithms, unrunnable, defaults, pack: { vendor: pdsc.vendor, name: pdsc.name, version: pdsc.version }, device: device.name, pname, debug: { ap: debug.ap, dp: debug.dp }, unsupportedSequences, warnings };
}
