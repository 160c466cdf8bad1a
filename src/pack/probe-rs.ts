/**
 * probe-rs target files (the YAML probe-rs generates from CMSIS-Packs): `variants` each with
 * `cores`, a `memory_map` of Nvm/Ram (and Generic) ranges, and the names of its
 * `flash_algorithms`, which the file's top-level `flash_algorithms` list holds as
 * descriptors (base64 instructions, pc_* entry points, flash_properties). Each variant
 * becomes a target with its algorithms, the same shape a CMSIS-Pack device gives.
 */
import { parse as parseYaml, stringify as stringifyYaml, type CollectionTag } from 'yaml';
import { hex } from '../core/format.js';
import { parseAlgorithmDescriptor } from '../protocol/flash-algo/algorithm.js';
import { sectorRuns } from '../protocol/flash-algo/flash-device.js';
import type { MemoryRegion } from '../target/types.js';
import { validateTarget } from '../target/validate.js';
import type { PackTarget, PackTargetAlgorithm } from './device-target.js';
import { PackDeviceUnknownError, PackFormatError } from './errors.js';

// Newer files write memory entries and core access options as tagged maps (`- !Nvm`,
// `core_access_options: !Arm`), older ones as `- Nvm: {...}`; both read as `{ Nvm: {...} }`.
const TAGS: CollectionTag[] = ['Nvm', 'Ram', 'Generic', 'Arm', 'Riscv', 'Xtensa'].map((k) => ({ tag: `!${k}`, collection: 'map', resolve: (m) => ({ [k]: m.toJSON() }) }));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export interface ProbeRsFile {
  family: string;
  variants: Array<{ name: string; raw: Obj }>;
  algorithms: Obj[];
  source: string;
}

/** True when the text looks like a probe-rs target file (a `variants` list). */
export function isProbeRsTargetFile(text: string): boolean {
  return /^variants\s*:/m.test(text) && /^name\s*:/m.test(text);
}

export function parseProbeRsFile(text: string, source: string): ProbeRsFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { customTags: TAGS, logLevel: 'error' }); // other tags (e.g. `!v1 0`) read as their plain value
  } catch (e) {
    throw new PackFormatError(source, `is not valid YAML (${(e as Error).message.split('\n')[0]}).`, {}, undefined, e);
  }
  if (!isObj(doc) || !Array.isArray(doc.variants)) throw new PackFormatError(source, 'is not a probe-rs target file: it has no `variants` list.');
  const variants = doc.variants.filter(isObj).map((v) => ({ name: String(v.name ?? ''), raw: v }));
  if (variants.some((v) => v.name === '')) throw new PackFormatError(source, 'has a variant without a name.');
  return { family: String(doc.name ?? source), variants, algorithms: Array.isArray(doc.flash_algorithms) ? doc.flash_algorithms.filter(isObj) : [], source };
}

function range(m: Obj, source: string, variant: string): { start: number; size: number } {
  const r = m.range;
  if (!isObj(r) || typeof r.start !== 'number' || typeof r.end !== 'number' || r.end <= r.start) {
    throw new PackFormatError(source, `variant ${variant} has a memory_map entry without a range {start, end}.`, { entry: JSON.stringify(m) });
  }
  return { start: r.start, size: r.end - r.start };
}

export function probeRsTarget(file: ProbeRsFile, name: string): PackTarget {
  const v = file.variants.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!v) throw new PackDeviceUnknownError(name, file.variants.map((x) => x.name).slice(0, 3), `variant of ${file.source}`);
  const wanted = Array.isArray(v.raw.flash_algorithms) ? v.raw.flash_algorithms.map(String) : file.algorithms.map((a) => String(a.name));
  const algorithms: PackTargetAlgorithm[] = wanted.map((algName) => {
    const entry = file.algorithms.find((a) => a.name === algName);
    if (!entry) throw new PackFormatError(file.source, `variant ${v.name} names the flash algorithm '${algName}', which the file does not hold.`, { algorithm: algName });
    const algorithm = parseAlgorithmDescriptor(stringifyYaml(entry), `${file.source}#${algName}`);
    const a = algorithm.flash;
    return { ref: { path: algName, start: a.start, size: a.size, default: entry.default === true, style: 'probe-rs' }, algorithm };
  }).sort((a, b) => Number(b.ref.default) - Number(a.ref.default));
  const regions: MemoryRegion[] = [];
  const defaults: PackTargetAlgorithm[] = [];
  const warnings: string[] = [];
  const map = Array.isArray(v.raw.memory_map) ? v.raw.memory_map.filter(isObj) : [];
  map.forEach((m, i) => {
    const [kind, body] = Object.entries(m)[0] ?? [];
    if (!isObj(body)) return;
    const r = range(body, file.source, v.name);
    const name = typeof body.name === 'string' ? body.name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-') : `${String(kind).toLowerCase()}${i}`;
    if (kind === 'Ram') { regions.push({ name, kind: 'ram', ...r }); return; }
    if (kind !== 'Nvm') return;
    const pick = algorithms.find((a) => a.algorithm.flash.start <= r.start && r.start + r.size <= a.algorithm.flash.start + a.algorithm.flash.size);
    if (!pick) {
      warnings.push(`${name} ${hex(r.start)}: no flash algorithm of the file covers it, so it can only be read.`);
      regions.push({ name, kind: 'rom', ...r });
      return;
    }
    defaults.push(pick);
    const f = pick.algorithm.flash;
    const sectors = sectorRuns({ ...f, start: f.start, size: f.size });
    regions.push({ name, kind: 'flash', ...r, sectors: clip(sectors, f.start, r), pageSize: f.pageSize, erasedValue: f.erasedValue, algorithm: pick.algorithm.name, ...(body.is_boot_memory === true ? { boot: true } : {}) });
  });
  const cores = Array.isArray(v.raw.cores) ? v.raw.cores.filter(isObj) : [];
  const core0 = cores[0];
  const access = core0 && isObj(core0.core_access_options) ? core0.core_access_options : {};
  const arm = isObj(access.Arm) ? access.Arm : isObj(access.arm) ? access.arm : {};
  const target = validateTarget({ name: v.name, vendor: 'probe-rs', family: file.family, core: String(core0?.type ?? 'unknown'), source: `probe-rs target file ${file.source}`, regions });
  return {
    target, algorithms, unrunnable: [], defaults, pack: { vendor: 'probe-rs', name: file.family, version: '-' }, device: v.name,
    debug: { ap: typeof arm.ap === 'number' ? arm.ap : undefined }, unsupportedSequences: [], warnings,
  };
}

/** The runs of `sectors` (laid from `base`) that fall inside `r`. */
function clip(sectors: Array<{ size: number; count: number }>, base: number, r: { start: number; size: number }): Array<{ size: number; count: number }> {
  const out: Array<{ size: number; count: number }> = [];
  let addr = base;
  for (const s of sectors) {
    for (let k = 0; k < s.count; k++, addr += s.size) {
      if (addr < r.start || addr >= r.start + r.size) continue;
      const last = out[out.length - 1];
      if (last && last.size === s.size) last.count++; else out.push({ size: s.size, count: 1 });
    }
  }
  return out;
}
