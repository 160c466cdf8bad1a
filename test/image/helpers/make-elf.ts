/** Builds small ELF32 files byte by byte, to test the reader on exact and broken layouts. */
export interface ElfSpec {
  bigEndian?: boolean;
  machine?: number;
  entry: number;
  segments: { paddr: number; vaddr: number; data: Uint8Array; memsz: number }[];
  /** Section `segment` shares the file bytes at the start of that segment. */
  sections: { name: string; address: number; data?: Uint8Array; size?: number; flags: number; nobits?: boolean; segment?: number }[];
  /** `section` is the file's section index (1 = the first of `sections`). */
  symbols?: { name: string; value: number; size: number; type: number; bind: number; section: number }[];
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const le = !spec.bigEndian;
  const chunks: { offset: number; data: Uint8Array }[] = [];
  let cursor = 52 + 32 * spec.segments.length;
  const place = (data: Uint8Array): number => {
    cursor = (cursor + 3) & ~3;
    const offset = cursor;
    chunks.push({ offset, data });
    cursor += data.length;
    return offset;
  };
  const segOffsets = spec.segments.map((s) => place(s.data));
  const strtab = (names: string[]) => {
    const bytes: number[] = [0];
    const offs = names.map((n) => { const o = bytes.length; for (const c of n) bytes.push(c.charCodeAt(0)); bytes.push(0); return o; });
    return { data: Uint8Array.from(bytes), offs };
  };
  const headers: { name: string; type: number; flags: number; addr: number; offset: number; size: number; link: number; entsize: number }[] = [];
  for (const s of spec.sections) {
    const offset = s.segment !== undefined ? segOffsets[s.segment]! : s.nobits ? cursor : place(s.data ?? new Uint8Array(0));
    headers.push({ name: s.name, type: s.nobits ? 8 : 1, flags: s.flags, addr: s.address, offset, size: s.nobits ? s.size ?? 0 : (s.data ?? new Uint8Array(0)).length, link: 0, entsize: 0 });
  }
  if (spec.symbols) {
    const names = strtab(spec.symbols.map((s) => s.name));
    const sym = new Uint8Array(16 * (spec.symbols.length + 1));
    const dv = new DataView(sym.buffer);
    spec.symbols.forEach((s, i) => {
      const o = 16 * (i + 1);
      dv.setUint32(o, names.offs[i]!, le); dv.setUint32(o + 4, s.value, le); dv.setUint32(o + 8, s.size, le);
      sym[o + 12] = (s.bind << 4) | s.type; dv.setUint16(o + 14, s.section, le);
    });
    const symIndex = spec.sections.length + 1;
    headers.push({ name: '.symtab', type: 2, flags: 0, addr: 0, offset: place(sym), size: sym.length, link: symIndex + 1, entsize: 16 });
    const strData = names.data;
    headers.push({ name: '.strtab', type: 3, flags: 0, addr: 0, offset: place(strData), size: strData.length, link: 0, entsize: 0 });
  }
  const shnames = strtab([...headers.map((h) => h.name), '.shstrtab']);
  headers.push({ name: '.shstrtab', type: 3, flags: 0, addr: 0, offset: place(shnames.data), size: shnames.data.length, link: 0, entsize: 0 });
  cursor = (cursor + 3) & ~3;
  const shoff = cursor;
  const total = shoff + 40 * (headers.length + 1);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, le ? 1 : 2, 1]);
  dv.setUint16(16, 2, le); dv.setUint16(18, spec.machine ?? 40, le); dv.setUint32(20, 1, le); dv.setUint32(24, spec.entry, le);
  dv.setUint32(28, spec.segments.length ? 52 : 0, le); dv.setUint32(32, shoff, le); dv.setUint16(40, 52, le);
  dv.setUint16(42, 32, le); dv.setUint16(44, spec.segments.length, le); dv.setUint16(46, 40, le);
  dv.setUint16(48, headers.length + 1, le); dv.setUint16(50, headers.length, le);
  spec.segments.forEach((s, i) => {
    const o = 52 + 32 * i;
    dv.setUint32(o, 1, le); dv.setUint32(o + 4, segOffsets[i]!, le); dv.setUint32(o + 8, s.vaddr, le); dv.setUint32(o + 12, s.paddr, le);
    dv.setUint32(o + 16, s.data.length, le); dv.setUint32(o + 20, s.memsz, le); dv.setUint32(o + 24, 5, le); dv.setUint32(o + 28, 4, le);
  });
  for (const c of chunks) out.set(c.data, c.offset);
  headers.forEach((h, i) => {
    const o = shoff + 40 * (i + 1);
    dv.setUint32(o, shnames.offs[i]!, le); dv.setUint32(o + 4, h.type, le); dv.setUint32(o + 8, h.flags, le); dv.setUint32(o + 12, h.addr, le);
    dv.setUint32(o + 16, h.offset, le); dv.setUint32(o + 20, h.size, le); dv.setUint32(o + 24, h.link, le); dv.setUint32(o + 36, h.entsize, le);
  });
  return out;
}
