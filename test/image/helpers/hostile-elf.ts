/**
 * Generators of hostile ELF32 files (issue 10 §5): each shape once cost the reader
 * quadratic time or gigabytes. Written from the System V ABI header layouts, byte by byte.
 */
const EH = 52;
const PH = 32;
const SH = 40;

interface Sec { name: number; type: number; flags: number; addr: number; offset: number; size: number; link: number }
interface Seg { offset: number; paddr: number; filesz: number }

/** Lays out header, program headers, payload and section headers (little-endian, ARM). */
function assemble(payload: Uint8Array, segs: Seg[], secs: Sec[], shstrndx: number): Uint8Array {
  const phoff = segs.length ? EH : 0;
  const dataAt = EH + PH * segs.length;
  const shoff = (dataAt + payload.length + 3) & ~3;
  const out = new Uint8Array(shoff + SH * secs.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true); dv.setUint16(18, 40, true); dv.setUint32(20, 1, true); dv.setUint32(24, 0x08000000, true);
  dv.setUint32(28, phoff, true); dv.setUint32(32, secs.length ? shoff : 0, true); dv.setUint16(40, EH, true);
  dv.setUint16(42, PH, true); dv.setUint16(44, segs.length, true); dv.setUint16(46, SH, true);
  dv.setUint16(48, secs.length, true); dv.setUint16(50, shstrndx, true);
  segs.forEach((s, i) => {
    const o = EH + PH * i;
    dv.setUint32(o, 1, true); dv.setUint32(o + 4, dataAt + s.offset, true); dv.setUint32(o + 8, s.paddr, true); dv.setUint32(o + 12, s.paddr, true);
    dv.setUint32(o + 16, s.filesz, true); dv.setUint32(o + 20, s.filesz, true); dv.setUint32(o + 24, 5, true);
  });
  out.set(payload, dataAt);
  secs.forEach((s, i) => {
    const o = shoff + SH * i;
    dv.setUint32(o, s.name, true); dv.setUint32(o + 4, s.type, true); dv.setUint32(o + 8, s.flags, true); dv.setUint32(o + 12, s.addr, true);
    dv.setUint32(o + 16, s.type === 0 ? 0 : dataAt + s.offset, true); dv.setUint32(o + 20, s.size, true); dv.setUint32(o + 24, s.link, true);
  });
  return out;
}

const NULL_SEC: Sec = { name: 0, type: 0, flags: 0, addr: 0, offset: 0, size: 0, link: 0 };

/** A string table of `tableBytes` 'A's without one NUL, `symbols` symbols and `sections` sections all named at offset 0. */
export function unterminatedNames(tableBytes = 1 << 20, symbols = 4000, sections = 4000): Uint8Array {
  const strtab = new Uint8Array(tableBytes).fill(0x41);
  const symtab = new Uint8Array(16 * symbols); // every st_name = 0
  const payload = new Uint8Array(strtab.length + symtab.length);
  payload.set(strtab);
  payload.set(symtab, strtab.length);
  const secs: Sec[] = [NULL_SEC,
    { name: 0, type: 3, flags: 0, addr: 0, offset: 0, size: strtab.length, link: 0 }, // 1: .strtab and .shstrtab at once
    { name: 0, type: 2, flags: 0, addr: 0, offset: strtab.length, size: symtab.length, link: 1 }]; // 2: .symtab
  for (let i = 0; i < sections; i++) secs.push({ name: 0, type: 1, flags: 0, addr: 0, offset: 0, size: 0, link: 0 });
  return assemble(payload, [], secs, 1);
}

/** `count` PT_LOAD entries mapping the same `bytes` of the file to the same (or, shifted, different) load address. */
export function repeatedLoads(count = 2047, bytes = 2 << 20, shifted = false): Uint8Array {
  const payload = new Uint8Array(bytes).fill(0x5a);
  const segs = Array.from({ length: count }, (_, i) => ({ offset: 0, paddr: 0x08000000 + (shifted ? i * bytes : 0), filesz: bytes }));
  return assemble(payload, segs, [], 0);
}

/** `n` one-byte PT_LOAD segments and `n` one-byte allocated sections over them. */
export function manyHeaders(n = 60_000): Uint8Array {
  const payload = new Uint8Array(n + 1);
  for (let i = 0; i < n; i++) payload[i + 1] = i & 0xff;
  const segs = Array.from({ length: n }, (_, i) => ({ offset: i + 1, paddr: 0x08000000 + i, filesz: 1 }));
  const secs: Sec[] = [NULL_SEC, { name: 0, type: 3, flags: 0, addr: 0, offset: 0, size: 1, link: 0 }];
  for (let i = 0; i < n; i++) secs.push({ name: 0, type: 1, flags: 2, addr: 0x08000000 + i, offset: i + 1, size: 1, link: 0 });
  return assemble(payload, segs, secs, 1);
}
