import type { ErrorContext } from '../core/errors.js';
import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { MemoryRegion, RegionKind, TargetDescription } from './types.js';
import { regionHolds } from './geometry.js';

/** A target description that does not hold together (bad numbers, overlapping regions…). */
export class TargetDescriptionError extends FlashwrightError {
  constructor(target: string, problem: string, context: ErrorContext = {}, cause?: unknown) {
    super('TARGET_INVALID', `Target description '${target}': ${problem}`, {
      hint: 'Fix the description file; `flashwright targets show NAME` prints a built-in one to start from.',
      context: { target, ...context },
      cause,
    });
  }
}

const REGION_KINDS: readonly RegionKind[] = ['flash', 'ram', 'rom', 'external-nor', 'option-bytes'];

function isByte(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
}

/** Flash and external NOR are erased in sectors, so their layout must be given (option bytes may have one). */
function needsSectorLayout(r: MemoryRegion): boolean {
  return r.kind === 'flash' || r.kind === 'external-nor' || (r.kind === 'option-bytes' && r.sectors !== undefined);
}

/** Checks the invariants every consumer relies on; throws TargetDescriptionError. */
export function validateTarget(t: TargetDescription): TargetDescription {
  const name = t.name || '(unnamed)';
  if (!t.name) throw new TargetDescriptionError(name, 'has no name.');
  if (!Array.isArray(t.regions) || t.regions.length === 0) throw new TargetDescriptionError(name, 'has no memory regions.');
  const names = new Set<string>();
  for (const [i, r] of t.regions.entries()) {
    if (!r || typeof r !== 'object') throw new TargetDescriptionError(name, `regions[${i}] is not an object with name, kind, start and size.`, { index: i });
    if (typeof r.name !== 'string' || r.name.trim() === '') throw new TargetDescriptionError(name, `regions[${i}] has no name (give each region a short unique name such as "flash").`, { index: i });
    const where = `region '${r.name}'`;
    if (names.has(r.name)) throw new TargetDescriptionError(name, `${where} is defined twice.`);
    names.add(r.name);
    if (!REGION_KINDS.includes(r.kind)) {
      const given = r.kind === undefined ? 'no kind' : `kind '${String(r.kind)}'`;
      throw new TargetDescriptionError(name, `${where} has ${given}, which is not one of ${REGION_KINDS.join(', ')}.`, { region: r.name, kind: r.kind });
    }
    if (!Number.isInteger(r.start) || !Number.isInteger(r.size) || r.start < 0 || r.size <= 0 || r.start + r.size > 0x1_0000_0000) {
      throw new TargetDescriptionError(name, `${where} has start ${r.start} and size ${r.size}, which do not fit 32-bit memory.`, { region: r.name });
    }
    if (r.erasedValue !== undefined && !isByte(r.erasedValue)) throw new TargetDescriptionError(name, `${where} has erased value ${String(r.erasedValue)}, not a whole number from 0 to 255.`, { region: r.name });
    if (r.pageSize !== undefined && !(Number.isInteger(r.pageSize) && r.pageSize > 0)) throw new TargetDescriptionError(name, `${where} has page size ${String(r.pageSize)}, not a positive whole number of bytes.`, { region: r.name });
    const words = r.configuration?.flexspiOption;
    if (words !== undefined && (!Array.isArray(words) || words.length === 0 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff))) {
      throw new TargetDescriptionError(name, `${where} has configuration.flexspiOption ${JSON.stringify(words)}, not a list of 32-bit words (e.g. ["0xC0000007"]).`, { region: r.name });
    }
    if (needsSectorLayout(r)) {
      if (!r.sectors?.length) throw new TargetDescriptionError(name, `${where} is ${r.kind} but has no sector layout.`, { region: r.name });
      let total = 0;
      for (const s of r.sectors) {
        if (!(s.size > 0 && Number.isInteger(s.size) && s.count > 0 && Number.isInteger(s.count))) throw new TargetDescriptionError(name, `${where} has a sector run of ${s.count} × ${s.size}, which is not positive whole numbers.`);
        if (r.pageSize && s.size % r.pageSize !== 0) throw new TargetDescriptionError(name, `${where} has ${s.size}-byte sectors that are not a multiple of its ${r.pageSize}-byte page.`);
        total += s.size * s.count;
      }
      if (total !== r.size) throw new TargetDescriptionError(name, `${where}'s sectors add up to ${total} bytes but the region is ${r.size} bytes.`, { region: r.name, sectorsTotal: total, size: r.size });
    }
  }
  const boots = t.regions.filter((r) => r.boot);
  if (boots.length > 1) throw new TargetDescriptionError(name, `regions ${boots.map((r) => `'${r.name}'`).join(' and ')} are both marked boot; the chip boots from one.`);
  if (boots[0] && boots[0].kind === 'ram') throw new TargetDescriptionError(name, `region '${boots[0].name}' is RAM and cannot be the boot region (a raw binary would be lost at reset).`);
  const sorted = [...t.regions].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.start < a.start + a.size) throw new TargetDescriptionError(name, `regions '${a.name}' and '${b.name}' overlap at ${hex(b.start)}.`);
  }
  const rdp = t.features?.stm32OptionBytes?.rdpLevel0;
  if (rdp !== undefined && !isByte(rdp)) throw new TargetDescriptionError(name, `features.stm32OptionBytes.rdpLevel0 is ${String(rdp)}, not a byte (0xAA, or 0xA5 on STM32F1).`);
  for (const res of t.reserved ?? []) {
    if (!t.regions.some((r) => regionHolds(r, res.start, res.size))) {
      throw new TargetDescriptionError(name, `reserved area ${hex(res.start)}+${hex(res.size)} (${res.owner}) lies outside every region.`);
    }
  }
  return t;
}
