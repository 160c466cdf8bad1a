/**
 * The .pdsc reader (Open-CMSIS-Pack specification, /package/devices): family → subFamily →
 * device → variant, each level inheriting its parents' processor, memory, algorithm, debug and
 * sequences elements and adding or overriding its own. Multi-core devices tag elements with
 * `Pname`; memory is written either the old way (`id="IROM1"`) or the new one (`name` +
 * `access="rx"`); algorithm paths may use backslashes and `$D` (the device name).
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
  /** Pack-relative path as written (backslashes kept; `$D` already replaced). */
  path: string;
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

/** What a level hands down to the levels inside it. */
interface Inherited {
  vendor: string;
  family: string;
  subFamily?: string | undefined;
  processors: PackProcessor[];
  memories: PackMemory[];
  algorithms: PackAlgorithmRef[];
  debug: PackDebug[];
  sequences: string[];
}

function num(el: XmlElement, attr: string, source: string, required: true): number;
function num(el: XmlElement, attr: string, source: string, required?: false): number | undefined;
function num(el: XmlElement, attr: string, source: string, required = false): number | undefined {
  const text = el.attrs[attr];
  if (text === undefined || text.trim() === '') {
    if (required) throw new PackFormatError(source, `has a <${el.tag}> without its ${attr} attribute.`, { element: el.tag, attribute: attr, attrs: el.attrs });
    return undefined;
  }
  const v = parseNumber(text.trim());
  if (v === undefined || v < 0 || v > 0x1_0000_0000) throw new PackFormatError(source, `has <${el.tag} ${attr}="${text}">, which is not a number.`, { element: el.tag, attribute: attr, value: text });
  return v;
}

const flag = (el: XmlElement, attr: string) => /^(1|true)$/i.test(el.attrs[attr] ?? '');

/** Old-style memory ids: IROM* is read-only code memory, IRAM* is RAM (pdsc memory element). */
function memoryAccess(el: XmlElement): string {
  if (el.attrs.access) return el.attrs.access.toLowerCase();
  const id = (el.attrs.id ?? '').toUpperCase();
  if (id.startsWith('IROM') || id.startsWith('XROM')) return 'rx';
  if (id.startsWith('IRAM') || id.startsWith('XRAM')) return 'rwx';
  return 'r';
}

function readMemory(el: XmlElement, source: string): PackMemory {
  const name = el.attrs.name ?? el.attrs.id;
  if (!name) throw new PackFormatError(source, 'has a <memory> with neither id nor name.', { attrs: el.attrs });
  return {
    name, access: memoryAccess(el), start: num(el, 'start', source, true), size: num(el, 'size', source, true),
    startup: flag(el, 'startup'), default: flag(el, 'default'), pname: el.attrs.Pname,
  };
}

function readAlgorithm(el: XmlElement, source: string): PackAlgorithmRef {
  const raw = el.attrs.name;
  if (!raw) throw new PackFormatError(source, 'has an <algorithm> without its name (the .FLM path).', { attrs: el.attrs });
  return {
    path: raw, start: num(el, 'start', source, true), size: num(el, 'size', source, true),
    ramStart: num(el, 'RAMstart', source), ramSize: num(el, 'RAMsize', source),
    default: flag(el, 'default'), style: el.attrs.style ?? 'Keil', pname: el.attrs.Pname,
  };
}

/** A child level's element replaces the parent's with the same key, else it is added. */
function mergeBy<T>(parent: T[], own: T[], key: (x: T) => string): T[] {
  const out = parent.filter((p) => !own.some((o) => key(o) === key(p)));
  return [...out, ...own];
}

function merge(parent: Inherited, el: XmlElement, source: string): Inherited {
  const processors = childrenOf(el, 'processor').map((p): PackProcessor => ({
    pname: p.attrs.Pname, core: p.attrs.Dcore ?? '', fpu: p.attrs.Dfpu, endian: p.attrs.Dendian, clock: num(p, 'Dclock', source),
  }));
  // A processor element refines the inherited one with the same Pname attribute by attribute.
  const mergedProcessors = parent.processors.map((p) => {
    const o = processors.find((x) => x.pname === p.pname);
    return o ? { ...p, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) } : p;
  });
  for (const p of processors) if (!parent.processors.some((x) => x.pname === p.pname)) mergedProcessors.push(p);
  const debug = childrenOf(el, 'debug').map((d): PackDebug => ({ pname: d.attrs.Pname, ap: num(d, '__ap', source), dp: num(d, '__dp', source), svd: d.attrs.svd }));
  const sequences = childrenOf(el, 'sequences').flatMap((s) => childrenOf(s, 'sequence')).map((s) => s.attrs.name ?? '').filter((n) => n !== '');
  return {
    vendor: el.attrs.Dvendor ?? parent.vendor,
    family: parent.family,
    subFamily: parent.subFamily,
    processors: mergedProcessors,
    memories: mergeBy(parent.memories, childrenOf(el, 'memory').map((m) => readMemory(m, source)), (m) => `${m.pname ?? ''}:${m.name}`),
    algorithms: mergeBy(parent.algorithms, childrenOf(el, 'algorithm').map((a) => readAlgorithm(a, source)), (a) => `${a.pname ?? ''}:${a.path.toLowerCase()}:${a.start}`),
    debug: mergeBy(parent.debug, debug, (d) => d.pname ?? '').map((d) => {
      const prev = parent.debug.find((p) => p.pname === d.pname);
      return prev ? { ...prev, ...Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) } : d;
    }),
    sequences: [...new Set([...parent.sequences, ...sequences])],
  };
}

function device(inh: Inherited, name: string, variantOf?: string): PackDevice {
  return { name, variantOf, vendor: inh.vendor.replace(/:\d+$/, ''), family: inh.family, subFamily: inh.subFamily, processors: inh.processors, memories: inh.memories, algorithms: inh.algorithms.map((a) => ({ ...a, path: a.path.replace(/\$D/g, variantOf ?? name) })), debug: inh.debug, sequences: inh.sequences };
}

function readDevices(devicesEl: XmlElement, source: string): PackDevice[] {
  const out: PackDevice[] = [];
  const empty: Inherited = { vendor: '', family: '', processors: [], memories: [], algorithms: [], debug: [], sequences: [] };
  const visitDevice = (inh: Inherited, el: XmlElement) => {
    const name = el.attrs.Dname;
    if (!name) throw new PackFormatError(source, 'has a <device> without its Dname.', { attrs: el.attrs });
    const d = merge(inh, el, source);
    const variants = childrenOf(el, 'variant');
    out.push(device(d, name));
    for (const v of variants) {
      const vn = v.attrs.Dvariant;
      if (!vn) throw new PackFormatError(source, `has a <variant> of ${name} without its Dvariant.`, { attrs: v.attrs });
      out.push(device(merge(d, v, source), vn, name));
    }
  };
  // Document order: devices directly in a family and in its subFamilies as they are written.
  for (const fam of childrenOf(devicesEl, 'family')) {
    const f = merge({ ...empty, family: fam.attrs.Dfamily ?? '' }, fam, source);
    for (const el of fam.children) {
      if (el.tag === 'device') visitDevice(f, el);
      if (el.tag !== 'subFamily') continue;
      const s = merge({ ...f, subFamily: el.attrs.DsubFamily }, el, source);
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
