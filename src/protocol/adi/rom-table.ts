/**
 * CoreSight ROM-table walk (ADIv5.2 chapter D3 "ROM Tables" and the CoreSight Architecture
 * Specification's Component and Peripheral ID registers): from a MEM-AP's BASE, read each
 * component's CIDR (class) and PIDR (designer, part), follow ROM-table entries, and name the
 * components Arm documents (part numbers from each Cortex-M Technical Reference Manual).
 */
import { hex } from '../../core/format.js';
import type { MemAp } from './mem-ap.js';

export interface RomComponent {
  address: number;
  /** CIDR1[7:4]: 1 ROM table, 9 CoreSight component, 0xE generic IP (SCS, DWT, FPB on v6/v7-M). */
  componentClass: number;
  designer: number;
  part: number;
  name: string;
  /** Nesting depth (0 = the top ROM table). */
  depth: number;
}

/** Arm (JEP106 bank 4, 0x3B: designer 0x23B) part numbers of Cortex-M debug components. */
const ARM_COMPONENTS: Readonly<Record<number, string>> = {
  0x000: 'SCS (Cortex-M3)', 0x001: 'ITM (Cortex-M3/M4)', 0x002: 'DWT (Cortex-M3/M4)', 0x003: 'FPB (Cortex-M3/M4)',
  0x008: 'SCS (Cortex-M0)', 0x00a: 'DWT (Cortex-M0)', 0x00b: 'BPU (Cortex-M0)', 0x00c: 'SCS (Cortex-M4)', 0x00d: 'ETM (Cortex-M4)', 0x00e: 'FPB (Cortex-M7)',
  0x471: 'ROM table (Cortex-M0)', 0x4c0: 'ROM table (Cortex-M0+)', 0x4c3: 'ROM table (Cortex-M3)', 0x4c4: 'ROM table (Cortex-M4)', 0x4c7: 'PPB ROM table (Cortex-M7)',
  0x923: 'TPIU (Cortex-M3)', 0x9a1: 'TPIU (Cortex-M4)', 0x975: 'ETM (Cortex-M7)', 0x9a9: 'TPIU (Cortex-M7)', 0x906: 'CTI', 0x907: 'ETB', 0x908: 'CSTF (trace funnel)', 0x912: 'TPIU', 0x913: 'ITM',
  0xd20: 'SCS (Cortex-M23)', 0xd21: 'SCS (Cortex-M33)', 0x9a0: 'PMU',
};
const CLASS_NAMES: Readonly<Record<number, string>> = { 0x0: 'generic verification', 0x1: 'ROM table', 0x9: 'CoreSight component', 0xb: 'peripheral test block', 0xe: 'generic IP', 0xf: 'PrimeCell' };

/** Component ID preamble: CIDR0/2/3 must read 0x0D, 0x05, 0xB1. */
function validCidr(c: number[]): boolean {
  return c[0] === 0x0d && c[2] === 0x05 && c[3] === 0xb1;
}

/** Reads the ID block of the 4 KiB component at `base` (PIDR4 at +0xFD0 … CIDR3 at +0xFFC). */
async function readIds(ap: MemAp, base: number, signal?: AbortSignal): Promise<{ pidr: number[]; cidr: number[] } | undefined> {
  const b = await ap.read(base + 0xfd0, 0x30, signal ? { signal } : {}).catch(() => undefined);
  if (!b) return undefined;
  const w = (i: number) => (b[4 * i] ?? 0);
  const pidr = [w(4), w(5), w(6), w(7), w(0), w(1), w(2), w(3)]; // PIDR0..7
  const cidr = [w(8), w(9), w(10), w(11)];
  return validCidr(cidr) ? { pidr, cidr } : undefined;
}

export function nameComponent(designer: number, part: number, componentClass: number): string {
  if (designer === 0x23b && ARM_COMPONENTS[part]) return ARM_COMPONENTS[part]!;
  return `${CLASS_NAMES[componentClass] ?? `class ${componentClass}`} part ${hex(part, 3)} by JEP106 ${hex(designer, 3)}`;
}

/** Walks the ROM table at `base` (a MEM-AP BASE value; bit 0 present, bit 1 ADIv5 format). */
export async function walkRomTable(ap: MemAp, baseRegister: number, options: { signal?: AbortSignal; maxDepth?: number } = {}): Promise<RomComponent[]> {
  if ((baseRegister & 3) !== 3 || baseRegister === 0xffffffff) return [];
  const out: RomComponent[] = [];
  const seen = new Set<number>();
  const visit = async (address: number, depth: number): Promise<void> => {
    if (seen.has(address) || depth > (options.maxDepth ?? 4)) return;
    seen.add(address);
    const ids = await readIds(ap, address, options.signal);
    if (!ids) return;
    const p = ids.pidr;
    const part = (p[0] ?? 0) | (((p[1] ?? 0) & 0xf) << 8);
    const jep106 = (((p[1] ?? 0) >> 4) & 0xf) | (((p[2] ?? 0) & 0x7) << 4);
    const designer = (((p[4] ?? 0) & 0xf) << 7) | jep106;
    const componentClass = ((ids.cidr[1] ?? 0) >> 4) & 0xf;
    out.push({ address, componentClass, designer, part, name: componentClass === 1 && !(designer === 0x23b && ARM_COMPONENTS[part]) ? 'ROM table' : nameComponent(designer, part, componentClass), depth });
    if (componentClass !== 1) return;
    for (let i = 0; i < 960; i++) {
      const entry = await ap.readWord(address + 4 * i, options.signal);
      if (entry === 0) break;
      if (!(entry & 1)) continue; // not present
      const offset = entry & 0xfffff000;
      await visit((address + (offset | 0)) >>> 0, depth + 1);
    }
  };
  await visit((baseRegister & 0xfffff000) >>> 0, 0);
  return out;
}
