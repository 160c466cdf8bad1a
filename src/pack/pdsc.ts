/**
 * The .pdsc reader (Open-CMSIS-Pack specification, /package/devices): family → subFamily →
 * device → variant, each level inheriting its parents' processor, memory, algorithm, debug and
 * sequences elements and adding or overriding its own. Multi-core devices tag elements with
 * `Pname`; memory is written either the old way (`id="IROM1"`) or the new one (`name` +
 * `access="rx"`); algorithm paths may use backslashes and `$` macros (see expandPackMacros).
 */
import { parseNumber } from '../core/format.js';
import { PackFormatError } from './errors.js';
import { child, childrenOf, parseXml, type XmlElement } from './xml.js';

export interface PackProcessor {
  pname?: string | undefined;
  core: string;
  fpu?: string | undefined;
  endian?: string | undefined;
  clock?: number | undefined;
}

export interface PackMemory {
  /** `id` (IROM1, IRAM1) or `name` (Flash, SRAM). */
  name: string;
  /** r, w, x letters (old-style ids get 'rx' for IROM and 'rwx' for IRAM). */
  access: string;
  start: number;
  size: number;
  startup: boolean;
  default: boolean;
  pname?: string | undefined;
}

export interface PackAlgorithmRef {
  /** Pack-relative path (backslashes kept; `$` macros expanded, or as written when `problem` says why they cannot be). */
  path: string;
  /** Why the path cannot be used (a macro that has no meaning for a programmer, or an unknown one). */
  problem?: string | undefined;
  start: number;
  size: number;
  ramStart?: number | undefined;
  ramSize?: number | undefined;
  default: boolean;
  /** Keil (the default), IAR or CMSIS: only Keil/CMSIS-style FLMs can run here. */
  style: string;
  pname?: string | undefined;
}

export interface PackDebug {
  pname?: string | undefined;
  ap?: number | undefined;
  dp?: number | undefined;
  svd?: string | undefined;
}

export interface PackDevice {
  name: string;
  /** The device a variant belongs to. */
  variantOf?: string | undefined;
  vendor: string;
  family: string;
  subFamily?: string | undefined;
  processors: PackProcessor[];
  memories: PackMemory[];
  algorithms: PackAlgorithmRef[];
  debug: PackDebug[];
  /** Names of the debug access sequences the pack defines (predefined ones override the debugger's). */
  sequences: string[];
}

export interface Pdsc {
  vendor: string;
  name: string;
  /** The newest release (the first <release>, as the specification orders them). */
  version: string;
  url?: string | undefined;
  description?: string | undefined;
  devices: PackDevice[];
}

/** An element's attributes as written; typed when a device is complete (attributes add up level by level). */
type Attrs = Record<string, string>;

/** What a level hands down to the levels inside it. */
interface Inherited {
  vendor: string;
  family: string;
  subFamily?: string | undefined;
  processor: Attrs[];
  memory: Attrs[];
  algorithm: Attrs[];
  debug: Attrs[];
  sequences: string[];
}

const KEYED = ['processor', 'memory', 'algorithm', 'debug'] as const;

/**
 * Which inherited element a lower level's element refines: the processor and debug elements
 * of the same core (Pname), the memory of the same core and name (or old-style id), the
 * algorithm of the same core, file and start address.
 */
const KEY: Record<(typeof KEYED)[number], (a: Attrs) => string> = {
  processor: (a) => a.Pname ?? '',
  debug: (a) => a.Pname ?? '',
  memory: (a) => `${a.Pname ?? ''}:${a.name ?? a.id ?? ''}`,
  algorithm: (a) => `${a.Pname ?? ''}:${(a.name ?? '').replace(/\\/g, '/').toLowerCase()}:${parseNumber((a.start ?? '').trim()) ?? a.start ?? ''}`,
};

/**
 * The one inheritance rule (pdsc /package/devices: "inner elements supersede outer ones"; a
 * memory "with the same name is extended/overwritten"; processor attributes "add up"): an
 * element with the key of an inherited one refines it attribute by attribute and takes its
 * place at the end; any other is added.
 */
function inherit(parent: readonly Attrs[], own: readonly Attrs[], key: (a: Attrs) => string): Attrs[] {
  const out = [...parent];
  for (const el of own) {
    const k = key(el);
    const i = out.findIndex((p) => key(p) === k);
    const merged = i < 0 ? el : { ...out[i], ...el };
    if (i >= 0) out.splice(i, 1);
    out.push(merged);
  }
  return out;
}

function num(attrs: Attrs, tag: string, attr: string, source: string, required: true): number;
function num(attrs: Attrs, tag: string, attr: string, source: string, required?: false): number | undefined;
function num(attrs: Attrs, tag: string, attr: string, source: string, required = false): number | undefined {
  const text = attrs[attr];
  if (text === undefined || text.trim() === '') {
    if (required) throw new PackFormatError(source, `has a <${tag}> without its ${attr} attribute.`, { element: tag, attribute: attr, attrs });
    return undefined;
  }
  const v = parseNumber(text.trim());
  if (v === undefined || v < 0 || v > 0x1_0000_0000) throw new PackFormatError(source, `has <${tag} ${attr}="${text}">, which is not a number.`, { element: tag, attribute: attr, value: text });
  return v;
}

const flag = (a: Attrs, attr: string) => /^(1|true)$/i.test(a[attr] ?? '');

/** Old-style memory ids (pdsc MemoryIDTypeEnum): IROMx/ROMx are read-only code memory, IRAMx/RAMx are RAM. */
function memoryAccess(a: Attrs): string {
  if (a.access) return a.access.toLowerCase();
  const id = (a.id ?? '').toUpperCase();
  if (/^(I|X)?ROM/.test(id)) return 'rx';
  if (/^(I|X)?RAM/.test(id)) return 'rwx';
  return 'r';
}

function readMemory(a: Attrs, source: string): PackMemory {
  const name = a.name ?? a.id;
  if (!name) throw new PackFormatError(source, 'has a <memory> with neither id nor name.', { attrs: a });
  return {
    name, access: memoryAccess(a), start: num(a, 'memory', 'start', source, true), size: num(a, 'memory', 'size', source, true),
    startup: flag(a, 'startup'), default: flag(a, 'default'), pname: a.Pname,
  };
}

/**
 * The `$` macros of the Open-CMSIS-Pack specification (pdsc /package/generators, "supported
 * variables") as a programmer can resolve them in a pack file path: `$D` the device name,
 * `$S` the folder of the pack that describes the device (the pack root, which pack paths are
 * relative to anyway) and `$$` a literal dollar sign. `$P` (the project folder), `$B` (the
 * board) and `$G` (a generator's input file) name things a programmer does not have; any
 * other `$` letter is not a macro of the specification. Both kinds are named, never kept.
 */
export function expandPackMacros(path: string, device: string): { path: string; problem?: string } {
  const MEANING: Record<string, string> = { P: 'the project folder', B: 'the board of a project', G: 'a generator\'s input file' };
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '$') { out += c; continue; }
    const m = path[i + 1];
    i++;
    if (m === '$') out += '$';
    else if (m === 'D') out += device;
    else if (m === 'S') { if (path[i + 1] === '/' || path[i + 1] === '\\') i++; }
    else if (m !== undefined && MEANING[m]) return { path, problem: `uses $${m} (${MEANING[m]}), which a programmer does not have: the file must be named inside the pack` };
    else return { path, problem: m === undefined ? 'ends in a lone $ (write $$ for a dollar sign)' : `uses $${m}, which is not a macro of the CMSIS-Pack specification ($D device, $S pack folder, $$ dollar sign)` };
  }
  return { path: out };
}

function readAlgorithm(a: Attrs, source: string, device: string): PackAlgorithmRef {
  const raw = a.name;
  if (!raw) throw new PackFormatError(source, 'has an <algorithm> without its name (the .FLM path).', { attrs: a });
  const { path, problem } = expandPackMacros(raw, device);
  return {
    path, ...(problem ? { problem } : {}), start: num(a, 'algorithm', 'start', source, true), size: num(a, 'algorithm', 'size', source, true),
    ramStart: num(a, 'algorithm', 'RAMstart', source), ramSize: num(a, 'algorithm', 'RAMsize', source),
    default: flag(a, 'default'), style: a.style ?? 'Keil', pname: a.Pname,
  };
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

function merge(parent: Inherited, el: XmlElement): Inherited {
  const sequences = childrenOf(el, 'sequences').flatMap((s) => childrenOf(s, 'sequence')).map((s) => s.attrs.name ?? '').filter((n) => n !== '');
  const out: Inherited = { ...parent, vendor: el.attrs.Dvendor ?? parent.vendor, sequences: [...new Set([...parent.sequences, ...sequences])] };
  for (const k of KEYED) out[k] = inherit(parent[k], childrenOf(el, k).map((c) => c.attrs), KEY[k]);
  return out;
}

function device(inh: Inherited, name: string, source: string, variantOf?: string): PackDevice {
  return {
    name, variantOf, vendor: inh.vendor.replace(/:\d+$/, ''), family: inh.family, subFamily: inh.subFamily,
    processors: inh.processor.map((p): PackProcessor => defined({ pname: p.Pname, core: p.Dcore ?? '', fpu: p.Dfpu, endian: p.Dendian, clock: num(p, 'processor', 'Dclock', source) })),
    memories: inh.memory.map((m) => readMemory(m, source)),
    // $D is the device's name: a variant is a package option of its device and shares its files.
    algorithms: inh.algorithm.map((a) => readAlgorithm(a, source, variantOf ?? name)),
    debug: inh.debug.map((d): PackDebug => defined({ pname: d.Pname, ap: num(d, 'debug', '__ap', source), dp: num(d, 'debug', '__dp', source), svd: d.svd })),
    sequences: inh.sequences,
  };
}

function readDevices(devicesEl: XmlElement, source: string): PackDevice[] {
  const out: PackDevice[] = [];
  const empty: Inherited = { vendor: '', family: '', processor: [], memory: [], algorithm: [], debug: [], sequences: [] };
  const visitDevice = (inh: Inherited, el: XmlElement) => {
    const name = el.attrs.Dname;
    if (!name) throw new PackFormatError(source, 'has a <device> without its Dname.', { attrs: el.attrs });
    const d = merge(inh, el);
    out.push(device(d, name, source));
    for (const v of childrenOf(el, 'variant')) {
      const vn = v.attrs.Dvariant;
      if (!vn) throw new PackFormatError(source, `has a <variant> of ${name} without its Dvariant.`, { attrs: v.attrs });
      out.push(device(merge(d, v), vn, source, name));
    }
  };
  // Document order: devices directly in a family and in its subFamilies as they are written.
  for (const fam of childrenOf(devicesEl, 'family')) {
    const f = merge({ ...empty, family: fam.attrs.Dfamily ?? '' }, fam);
    for (const el of fam.children) {
      if (el.tag === 'device') visitDevice(f, el);
      if (el.tag !== 'subFamily') continue;
      const s = merge({ ...f, subFamily: el.attrs.DsubFamily }, el);
      for (const dev of childrenOf(el, 'device')) visitDevice(s, dev);
    }
  }
  return out;
}

/** Parses a .pdsc text. Malformed XML names its line and column. */
export function parsePdsc(text: string, source: string): Pdsc {
  const root = parseXml(text, source);
  if (root.tag !== 'package') throw new PackFormatError(source, `has <${root.tag}> at its root, not <package>: it is not a .pdsc.`);
  const vendor = child(root, 'vendor')?.text.trim();
  const name = child(root, 'name')?.text.trim();
  if (!vendor || !name) throw new PackFormatError(source, 'lacks the package <vendor> or <name>.');
  const releases = childrenOf(child(root, 'releases') ?? root, 'release');
  const version = releases[0]?.attrs.version;
  if (!version) throw new PackFormatError(source, 'has no <releases><release version="…">: the pack version is unknown.');
  const devicesEl = child(root, 'devices');
  return {
    vendor, name, version, url: child(root, 'url')?.text.trim() || undefined, description: child(root, 'description')?.text.trim() || undefined,
    devices: devicesEl ? readDevices(devicesEl, source) : [],
  };
}
