/**
 * Builds the TargetDescription a GDB programmer returns from connect(): from the flash
 * algorithm's FlashDevice (sectors, page size, erased value), from the server's memory
 * map, or from a built-in target, merged so the plan uses the geometry that will really
 * be used to erase and program.
 */
import { UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { sectorRuns } from '../protocol/flash-algo/flash-device.js';
import type { MemoryMapRegion } from '../protocol/gdb-rsp/xml.js';
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
  const flashRegion: MemoryRegion = { name: 'flash', kind: 'flash', start: f.start, size: f.size, sectors: sectorRuns(f), pageSize: f.pageSize, erasedValue: f.erasedValue, note: `programmed by flash algorithm '${algo.name}'` };
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
  if (algo.loadAddress !== undefined && algo.stackTop !== undefined) {
    // A fixed-placement algorithm without RAM facts: assume RAM spans what it uses.
    const end = Math.max(algo.stackTop, ...(algo.pageBuffers ?? []).map((b) => b + algo.flash.pageSize));
    return { start: algo.loadAddress, size: end - algo.loadAddress };
  }
  throw new UsageError(`The flash algorithm '${algo.name}' does not say where target RAM is.`, {
    hint: 'Pass --target NAME (e.g. nrf51822) so the algorithm can be placed in its RAM.',
  });
}

/** A target description from a server memory map (vFlash servers publish one). */
export function targetFromMemoryMap(map: MemoryMapRegion[], base: TargetDescription | undefined, serverName: string): TargetDescription {
  let flashN = 0;
  let ramN = 0;
  const regions: MemoryRegion[] = map.map((m) => {
    if (m.type === 'flash') {
      const block = m.blockSize && m.blockSize > 0 ? m.blockSize : m.length;
      const name = flashN++ === 0 ? 'flash' : `flash${flashN}`;
      return { name, kind: 'flash', start: m.start, size: m.length, sectors: [{ size: block, count: Math.floor(m.length / block) }], pageSize: 4, erasedValue: 0xff, note: 'from the GDB server memory map' };
    }
    const name = m.type === 'ram' ? (ramN++ === 0 ? 'ram' : `ram${ramN}`) : `rom-${hex(m.start)}`;
    return { name, kind: m.type === 'ram' ? 'ram' : 'rom', start: m.start, size: m.length };
  });
  if (base) return { ...base, regions };
  return { name: serverName, vendor: 'unknown', family: 'unknown', core: 'unknown', source: 'GDB server memory map (qXfer:memory-map:read)', regions };
}

const NO_ALGO = 'no flash algorithm: pass --algo FILE.FLM|algo.json to program it, or use a server with vFlash';

/**
 * Flash-like regions marked as not writable this way (needsConfiguration, and listed by
 * connect() as unconfigured): memory packets cannot program flash, so the plan refuses data
 * there before any erase, while reading and verifying them still work.
 */
function flashReadOnly(regions: MemoryRegion[]): MemoryRegion[] {
  return regions.map((r) => (isFlashLike(r) ? { ...r, name: `${r.name} (${NO_ALGO})`, needsConfiguration: true, note: `${r.kind} region '${r.name}', readable only without a flash algorithm` } : r));
}

/**
 * A RAM-only target (plain memory packets). Flash in the given target or memory map is
 * read-only here. With neither, `explicit` (--gdb-mode ram) opens the whole address space;
 * otherwise only the SRAM region every Cortex-M has (0x20000000–0x3FFFFFFF, ARMv7-M
 * DDI0403E §B3.1 / ARMv6-M DDI0419E §B3.1) is writable, so a flash image is refused instead
 * of being "written" at 0x0 with memory packets that bypass the flash controller.
 */
export function targetForRamOnly(base: TargetDescription | undefined, map: MemoryMapRegion[] | undefined, serverName: string, explicit = false): TargetDescription {
  if (base) return { ...base, regions: flashReadOnly(base.regions) };
  if (map && map.length) {
    const t = targetFromMemoryMap(map, undefined, serverName);
    return { ...t, regions: flashReadOnly(t.regions) };
  }
  if (explicit) {
    return {
      name: serverName, vendor: 'unknown', family: 'unknown', core: 'unknown', source: 'no memory map: memory written directly over GDB (--gdb-mode ram)',
      regions: [{ name: 'memory', kind: 'ram', start: 0, size: 0x1_0000_0000, note: 'whole address space, written with GDB memory packets' }],
    };
  }
  const unknown = (where: string) => `unknown memory ${where} (no --target and no server memory map: pass --target NAME --algo FILE to program flash, or --gdb-mode ram to write it with memory packets)`;
  return {
    name: serverName, vendor: 'unknown', family: 'unknown', core: 'cortex-m', source: 'no memory map: the Cortex-M SRAM region (ARMv7-M/ARMv6-M system address map)',
    regions: [
      { name: unknown('below the SRAM region'), kind: 'ram', start: 0, size: 0x2000_0000, needsConfiguration: true, note: 'readable; not written without --gdb-mode ram' },
      { name: 'sram', kind: 'ram', start: 0x2000_0000, size: 0x2000_0000, note: 'Cortex-M SRAM region, written with GDB memory packets' },
      { name: unknown('above the SRAM region'), kind: 'ram', start: 0x4000_0000, size: 0xc000_0000, needsConfiguration: true, note: 'readable; not written without --gdb-mode ram' },
    ],
  };
}
