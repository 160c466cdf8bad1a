/**
 * The TargetDescription a flash algorithm way in plans with: the algorithm's FlashDevice
 * (sectors, page size, erased value) merged into a built-in target, so the plan uses the
 * geometry that will really be used to erase and program; and the RAM the algorithm runs in.
 */
import { UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { sectorRuns } from '../protocol/flash-algo/flash-device.js';
import { isFlashLike, overlaps, rangesOverlap, regionHolds } from '../target/geometry.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';

/**
 * The target with each flash-like region the algorithms cover taking its algorithm's geometry
 * (and naming the algorithm, so the plan says which one serves which region). Flash-like
 * regions no algorithm covers (UICR, option bytes, a second bank without its algorithm,
 * external NOR) become read-only here: no algorithm can program them, and running one or
 * the runner's CRC routine there can lock the core up, so the plan must refuse data there
 * before anything runs.
 */
export function targetForAlgorithms(algos: readonly FlashAlgorithm[], base: TargetDescription | undefined, rams: ReadonlyArray<{ start: number; size: number }>): TargetDescription {
  // An external loader's memory is external (QSPI/OSPI/FMC): never the boot flash, so the vector-table checks leave it alone.
  const geometry = (a: FlashAlgorithm, name: string): MemoryRegion => ({
    name, kind: a.convention === 'stldr' ? 'external-nor' : 'flash', start: a.flash.start, size: a.flash.size, sectors: sectorRuns(a.flash), pageSize: a.flash.pageSize, erasedValue: a.flash.erasedValue,
    algorithm: a.name, note: a.convention === 'stldr' ? `${a.flash.name}, programmed by external loader ${a.source}` : `programmed by flash algorithm '${a.name}'`,
  });
  const ranges = algos.map((a) => `'${a.name}' (${hex(a.flash.start)}–${hex(a.flash.start + a.flash.size - 1)})`).join(', ');
  const placed = new Set<FlashAlgorithm>();
  const regions: MemoryRegion[] = [];
  const used = new Set<string>();
  for (const r of base?.regions ?? []) {
    if (!isFlashLike(r)) {
      // An algorithm's flash inside what the target calls RAM (memory behind a loader) is flash, not RAM.
      const pieces = outside(r, algos);
      pieces.forEach((p, i) => { const name = i === 0 ? r.name : `${r.name}-${hex(p.start).slice(2)}`; regions.push({ ...r, ...p, name }); used.add(name); });
      continue;
    }
    const covering = algos.filter((a) => overlaps(r, a.flash.start, a.flash.size));
    if (covering.length === 0) {
      regions.push({
        name: `${r.name} (not programmable by flash algorithm${algos.length > 1 ? 's' : ''} ${ranges})`, kind: 'rom', start: r.start, size: r.size,
        note: `${r.kind} region '${r.name}': no flash algorithm given covers it; pass --algo with an algorithm for it to program it`,
      });
      continue;
    }
    // The first flash-like region an algorithm overlaps takes its geometry; others it overlaps are covered by that one.
    for (const a of covering) {
      if (placed.has(a)) continue;
      placed.add(a);
      const name = used.has(r.name) ? `${r.name}-${hex(a.flash.start).slice(2)}` : r.name;
      used.add(name);
      regions.push({ ...geometry(a, name), ...(r.boot ? { boot: true } : {}) });
    }
  }
  algos.filter((a) => !placed.has(a)).forEach((a) => {
    const base = a.convention === 'stldr' ? 'external' : 'flash';
    const name = used.has(base) ? `${base}-${hex(a.flash.start).slice(2)}` : base;
    used.add(name);
    regions.push(geometry(a, name));
  });
  if (!base) {
    for (const ram of rams) {
      if (regions.some((r) => r.kind === 'ram' && r.start === ram.start)) continue;
      regions.push({ name: regions.some((r) => r.kind === 'ram') ? `ram-${hex(ram.start).slice(2)}` : 'ram', kind: 'ram', start: ram.start, size: ram.size });
    }
    return { name: algos.map((a) => a.name).join(' + '), vendor: 'unknown', family: 'unknown', core: 'cortex-m', source: `flash algorithm ${algos.map((a) => a.source).join(', ')}`, regions: regions.sort((x, y) => x.start - y.start) };
  }
  return { ...base, regions: regions.sort((x, y) => x.start - y.start) };
}

/** The parts of `r` no algorithm's flash covers. */
export function outside(r: { start: number; size: number }, algos: readonly FlashAlgorithm[]): Array<{ start: number; size: number }> {
  let pieces = [{ start: r.start, end: r.start + r.size }];
  for (const a of algos) {
    const s = a.flash.start;
    const e = a.flash.start + a.flash.size;
    pieces = pieces.flatMap((p) => (e <= p.start || s >= p.end ? [p] : [{ start: p.start, end: Math.max(p.start, s) }, { start: Math.min(p.end, e), end: p.end }]).filter((x) => x.end > x.start));
  }
  return pieces.map((p) => ({ start: p.start, size: p.end - p.start }));
}

/** One algorithm: {@link targetForAlgorithms} with it alone. */
export function targetForAlgorithm(algo: FlashAlgorithm, base: TargetDescription | undefined, ram: { start: number; size: number } | undefined): TargetDescription {
  return targetForAlgorithms([algo], base, ram ? [ram] : []);
}

/** Two algorithms whose flash ranges overlap cannot both serve it: named before anything runs. */
export function checkAlgorithmsDisjoint(algos: readonly FlashAlgorithm[]): void {
  for (let i = 0; i < algos.length; i++) {
    for (let j = i + 1; j < algos.length; j++) {
      const a = algos[i]!.flash;
      const b = algos[j]!.flash;
      if (!rangesOverlap(a.start, a.size, b.start, b.size)) continue;
      throw new UsageError(`The flash algorithms '${algos[i]!.name}' (${hex(a.start)}–${hex(a.start + a.size - 1)}) and '${algos[j]!.name}' (${hex(b.start)}–${hex(b.start + b.size - 1)}) cover the same flash.`, {
        hint: 'Give one algorithm per flash region (place one elsewhere with --algo FILE@ADDRESS, or leave one out).',
        context: { first: algos[i]!.name, second: algos[j]!.name },
      });
    }
  }
}

/** The RAM the algorithm runs in: explicit, then the algorithm's own, then the target's first RAM region. */
export function algorithmRam(algo: FlashAlgorithm, explicit: { start: number; size: number } | undefined, target: TargetDescription | undefined): { start: number; size: number } {
  if (explicit) return explicit;
  if (algo.ram) return algo.ram;
  const fromTarget = target?.regions.find((r) => r.kind === 'ram' && (algo.loadAddress === undefined || regionHolds(r, algo.loadAddress)))
    ?? target?.regions.find((r) => r.kind === 'ram');
  if (fromTarget) return { start: fromTarget.start, size: fromTarget.size };
  if (algo.convention === 'stldr' && algo.loadAddress !== undefined) {
    // An external loader names no RAM; ST links them at the start of the MCU's SRAM, so without
    // --target the runner assumes the RAM just above the loader holds its stack and buffer.
    return { start: algo.loadAddress, size: assumedStldrRam(algo) };
  }
  if (algo.loadAddress !== undefined && algo.stackTop !== undefined) {
    // A fixed-placement algorithm without RAM facts: assume RAM spans what it uses.
    const end = Math.max(algo.stackTop, ...(algo.pageBuffers ?? []).map((b) => b + algo.flash.pageSize));
    return { start: algo.loadAddress, size: end - algo.loadAddress };
  }
  throw new UsageError(`The flash algorithm '${algo.name}' does not say where target RAM is.`, {
    hint: 'Pass --target NAME (e.g. nrf51822) so the algorithm can be placed in its RAM.',
  });
}

/** RAM an external loader needs from its link address: code+data (+ room), helpers, stack, one page buffer, the trap vector table. */
export function assumedStldrRam(algo: FlashAlgorithm): number {
  const align8 = (v: number) => Math.ceil(v / 8) * 8;
  return align8(algo.instructions.length) + 0x100 + 0x48 + 0x8 + align8(algo.stackSize ?? 0x400) + 0x8 + align8(algo.flash.pageSize) + 0x100;
}
