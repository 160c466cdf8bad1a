/**
 * Builds the TargetDescription a GDB programmer returns from connect() without a flash
 * algorithm: from the server's memory map, or from a built-in target (the algorithm's
 * geometry is in algorithm-target.ts).
 */
import { hex } from '../core/format.js';
import type { MemoryMapRegion } from '../protocol/gdb-rsp/xml.js';
import { isFlashLike } from '../target/geometry.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';


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

/** What a flash region's name carries when no algorithm programs it (the page rewords it). */
export const NO_ALGO = 'no flash algorithm: pass --algo FILE.FLM|algo.json to program it, or use a server with vFlash';

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
export function targetForRamOnly(base: TargetDescription | undefined, map: MemoryMapRegion[] | undefined, serverName: string, explicit = false, way: RamOnlyWording = GDB_WORDING): TargetDescription {
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
  const unknown = (where: string) => `unknown memory ${where} (${way.unknown})`;
  return {
    name: serverName, vendor: 'unknown', family: 'unknown', core: 'cortex-m', source: 'no memory map: the Cortex-M SRAM region (ARMv7-M/ARMv6-M system address map)',
    regions: [
      { name: unknown('below the SRAM region'), kind: 'ram', start: 0, size: 0x2000_0000, needsConfiguration: true, note: way.unwritten },
      { name: 'sram', kind: 'ram', start: 0x2000_0000, size: 0x2000_0000, note: `Cortex-M SRAM region, ${way.written}` },
      { name: unknown('above the SRAM region'), kind: 'ram', start: 0x4000_0000, size: 0xc000_0000, needsConfiguration: true, note: way.unwritten },
    ],
  };
}

/** How a way in names what writing unknown memory needs (only a GDB server has --gdb-mode ram). */
export interface RamOnlyWording {
  unknown: string;
  unwritten: string;
  written: string;
}

const GDB_WORDING: RamOnlyWording = {
  unknown: 'no --target and no server memory map: pass --target NAME --algo FILE to program flash, or --gdb-mode ram to write it with memory packets',
  unwritten: 'readable; not written without --gdb-mode ram',
  written: 'written with GDB memory packets',
};

/** CMSIS-DAP: the memory map comes from --target only; there is no raw-write mode outside SRAM. */
export const DAP_WORDING: RamOnlyWording = {
  unknown: 'no --target: pass --target NAME with --algo FILE to program flash, or --target NAME to write its RAM',
  unwritten: 'readable; not written without --target',
  written: 'written through the MEM-AP',
};
