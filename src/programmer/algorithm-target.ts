/**
 * The TargetDescription a flash algorithm way in plans with: the algorithm's FlashDevice
 * (sectors, page size, erased value) merged into a built-in target, so the plan uses the
 * geometry that will really be used to erase and program; and the RAM the algorithm runs in.
 */
import { UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { sectorRuns } from '../protocol/flash-algo/flash-device.js';
import { isFlashLike, overlaps, regionHolds } from '../target/geometry.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';

/**
 * The target with its flash region replaced by the algorithm's geometry. Flash-like regions
 * the algorithm does not cover (UICR, option bytes, a second bank, external NOR) become
 * read-only here: the algorithm cannot program them, and running it or the runner's CRC
 * routine there can lock the core up, so the plan must refuse data there before anything runs.
 */
export function targetForAlgorithm(algo: FlashAlgorithm, base: TargetDescription | undefined, ram: { start: number; size: number } | undefined): TargetDescription {
  const f = algo.flash;
  // An external loader's memory is external (QSPI/OSPI/FMC): never the boot flash, so the vector-table checks leave it alone.
  const flashRegion: MemoryRegion = algo.convention === 'stldr'
    ? { name: 'external', kind: 'external-nor', start: f.start, size: f.size, sectors: sectorRuns(f), pageSize: f.pageSize, erasedValue: f.erasedValue, note: `${f.name}, programmed by external loader ${algo.source}` }
    : { name: 'flash', kind: 'flash', start: f.start, size: f.size, sectors: sectorRuns(f), pageSize: f.pageSize, erasedValue: f.erasedValue, note: `programmed by flash algorithm '${algo.name}'` };
  if (base) {
    const range = `${hex(f.start)}–${hex(f.start + f.size - 1)}`;
    let placed = false;
    const regions: MemoryRegion[] = [];
    for (const r of base.regions) {
      if (!isFlashLike(r)) {
        regions.push(r);
      } else if (overlaps(r, f.start, f.size)) {
        // The first flash-like region the algorithm overlaps takes its geometry; others it overlaps are covered by that one.
        if (!placed) regions.push({ ...flashRegion, name: r.name });
        placed = true;
      } else {
        regions.push({
          name: `${r.name} (not programmable by flash algorithm '${algo.name}', which covers ${range})`, kind: 'rom', start: r.start, size: r.size,
          note: `${r.kind} region '${r.name}': pass --algo with an algorithm for it to program it`,
        });
      }
    }
    if (!placed) regions.push(flashRegion);
    return { ...base, regions: regions.sort((x, y) => x.start - y.start) };
  }
  const regions: MemoryRegion[] = [flashRegion];
  if (ram) regions.push({ name: 'ram', kind: 'ram', start: ram.start, size: ram.size });
  return { name: algo.name, vendor: 'unknown', family: 'unknown', core: 'cortex-m', source: `flash algorithm ${algo.source}`, regions };
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
