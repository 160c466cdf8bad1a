/**
 * The two XML documents a GDB server serves through qXfer: the target description
 * (GDB manual, "Target Descriptions": `<feature>` elements with `<reg name bitsize regnum>`,
 * `<xi:include href>`) and the memory map ("Memory Map Format": `<memory type start length>`
 * with a `blocksize` property for flash). The documents are small and regular, so a tag
 * scanner is enough; no general XML parser.
 */

export interface XmlTag {
  name: string;
  attributes: Record<string, string>;
  /** Text up to the matching close tag, for elements like <property>. */
  text?: string | undefined;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (m, e: string) => ENTITIES[e] ?? m);
}

/** Every start tag named `name` (with attributes) in document order; comments skipped. */
export function findTags(xml: string, name: string): XmlTag[] {
  const clean = xml.replace(/<!--[\s\S]*?-->/g, '');
  const out: XmlTag[] = [];
  const re = new RegExp(`<${name.replace(/[.:]/g, '\\$&')}(\\s[^>]*?)?(/?)>`, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean))) {
    const attributes: Record<string, string> = {};
    const attrRe = /([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
    let a: RegExpExecArray | null;
    while ((a = attrRe.exec(m[1] ?? ''))) attributes[a[1]!] = decodeEntities(a[3] ?? a[4] ?? '');
    let text: string | undefined;
    if (m[2] !== '/') {
      const close = clean.indexOf(`</${name}>`, re.lastIndex);
      if (close >= 0) text = decodeEntities(clean.slice(re.lastIndex, close));
    }
    out.push({ name, attributes, text });
  }
  return out;
}

/** One register from a target description. */
export interface RegisterInfo {
  name: string;
  regnum: number;
  bitsize: number;
  feature?: string | undefined;
}

/** Files a target description includes (`<xi:include href="…"/>`). */
export function includedFiles(xml: string): string[] {
  return findTags(xml, 'xi:include').map((t) => t.attributes.href).filter((x): x is string => !!x);
}

/**
 * Registers of one document. Numbering continues from `nextRegnum` for registers without a
 * `regnum` attribute, as GDB numbers them across the whole description in document order.
 */
export function parseRegisters(xml: string, nextRegnum = 0): { registers: RegisterInfo[]; nextRegnum: number } {
  const clean = xml.replace(/<!--[\s\S]*?-->/g, '');
  const registers: RegisterInfo[] = [];
  let feature: string | undefined;
  const re = /<(feature|reg)(\s[^>]*?)?\/?>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean))) {
    const attrs = findTags(`<x${m[2] ?? ''}/>`, 'x')[0]!.attributes;
    if (m[1] === 'feature') { feature = attrs.name; continue; }
    const regnum = attrs.regnum !== undefined ? Number(attrs.regnum) : nextRegnum;
    const bitsize = Number(attrs.bitsize ?? 32);
    if (attrs.name && Number.isInteger(regnum) && Number.isInteger(bitsize)) {
      registers.push({ name: attrs.name.toLowerCase(), regnum, bitsize, feature });
      nextRegnum = regnum + 1;
    }
  }
  return { registers, nextRegnum };
}

/**
 * GDB's built-in numbering for ARM when a server sends no description: r0–r12, sp, lr, pc
 * are 0–15, cpsr/xpsr is 25 (16–24 were the FPA registers; GDB arm-tdep.c ARM_PS_REGNUM).
 */
export const DEFAULT_ARM_REGISTERS: readonly RegisterInfo[] = [
  ...Array.from({ length: 13 }, (_, i) => ({ name: `r${i}`, regnum: i, bitsize: 32 })),
  { name: 'sp', regnum: 13, bitsize: 32 },
  { name: 'lr', regnum: 14, bitsize: 32 },
  { name: 'pc', regnum: 15, bitsize: 32 },
  { name: 'xpsr', regnum: 25, bitsize: 32 },
];

/** A region of a server's memory map. */
export interface MemoryMapRegion {
  type: 'ram' | 'rom' | 'flash';
  start: number;
  length: number;
  /** Erase block size (flash only). */
  blockSize?: number;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

/** Parses a `<memory-map>` document. Regions with unreadable numbers are left out. */
export function parseMemoryMap(xml: string): MemoryMapRegion[] {
  const clean = xml.replace(/<!--[\s\S]*?-->/g, '');
  const out: MemoryMapRegion[] = [];
  const re = /<memory(\s[^>]*?)(\/>|>([\s\S]*?)<\/memory>)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean))) {
    const attrs = findTags(`<x${m[1]}/>`, 'x')[0]!.attributes;
    const type = attrs.type as MemoryMapRegion['type'];
    const start = num(attrs.start);
    const length = num(attrs.length);
    if (!['ram', 'rom', 'flash'].includes(type) || start === undefined || length === undefined) continue;
    const region: MemoryMapRegion = { type, start, length };
    if (m[3]) {
      const bs = findTags(m[3], 'property').find((p) => p.attributes.name === 'blocksize');
      const v = num(bs?.text);
      if (v !== undefined) region.blockSize = v;
    }
    out.push(region);
  }
  return out;
}
