/**
 * ELF32 reader (System V ABI, "Object File Format" chapter; ARM ELF ABI for machine 40).
 * Reads headers, program headers, sections and symbols, and turns the loadable contents
 * into a MemoryImage the way a programmer must: by physical (load) address and file size,
 * so initialised .data lands at its flash copy and .bss costs nothing.
 */
import { hex } from '../core/format.js';
import { ImageParseError } from './errors.js';
import { MemoryImage, MemoryImageBuilder } from './memory-image.js';

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  address: number;
  offset: number;
  size: number;
  /** The section's bytes; empty for NOBITS (.bss). A view into the file's buffer. */
  data: Uint8Array;
}

export interface ElfProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
}

export interface ElfSymbol {
  name: string;
  /** st_value; for Thumb functions bit 0 is set, as the toolchain writes it. */
  value: number;
  size: number;
  /** STT_*: 0 notype, 1 object, 2 func, 3 section, 4 file. */
  type: number;
  /** STB_*: 0 local, 1 global, 2 weak. */
  bind: number;
  /** st_shndx: 0 undefined, 0xFFF1 absolute, else the section index. */
  sectionIndex: number;
}

export interface ElfFile {
  /** e_type: 1 relocatable object, 2 executable, 3 shared object. */
  type: number;
  machine: number;
  machineName: string;
  bigEndian: boolean;
  entry: number;
  programHeaders: ElfProgramHeader[];
  sections: ElfSection[];
  symbols: ElfSymbol[];
  warnings: string[];
  /** The whole file, which section and segment data are views into. */
  fileData: Uint8Array;
  /** The first defined symbol with this name (else the first of any kind). */
  symbol(name: string): ElfSymbol | undefined;
  section(name: string): ElfSection | undefined;
}

export const PT_LOAD = 1;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const EM_ARM = 40;

/** e_machine values people meet on microcontrollers (System V ABI registry). */
const MACHINE_NAMES: Record<number, string> = {
  0: 'none', 3: 'x86', 8: 'MIPS', 20: 'PowerPC', 40: 'ARM', 62: 'x86-64', 83: 'AVR',
  94: 'Xtensa', 105: 'MSP430', 183: 'AArch64', 243: 'RISC-V',
};

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** True when the data starts with the ELF magic number. */
export function isElf(data: Uint8Array): boolean {
  return data.length >= 4 && ELF_MAGIC.every((b, i) => data[i] === b);
}

class Reader {
  readonly view: DataView;
  constructor(readonly data: Uint8Array, readonly source: string, readonly little: boolean) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  need(offset: number, length: number, field: string): void {
    if (offset < 0 || offset + length > this.data.length) {
      throw new ImageParseError('IMAGE_TRUNCATED', { source: this.source, offset, field },
        `${length} bytes at ${hex(offset)} lie past the end of the file`,
        { expected: `at least ${offset + length} bytes`, found: `${this.data.length} bytes` });
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.data[offset]!;
  }

  u16(offset: number, field: string): number {
    this.need(offset, 2, field);
    return this.view.getUint16(offset, this.little);
  }

  u32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, this.little);
  }
}

function bad(source: string, offset: number, field: string, problem: string, expected?: string, found?: string): ImageParseError {
  return new ImageParseError('IMAGE_BAD_ELF', { source, offset, field }, problem, { expected, found });
}

/** Longest name read from a string table; a hostile table without NULs cannot cost more per name. */
export const MAX_ELF_NAME = 4096;

/**
 * Names from one string table, each offset read once (many symbols may share an offset) and
 * each at most MAX_ELF_NAME characters, so reading N names costs O(table + N × cap), never
 * N × table size.
 */
class StringTable {
  private readonly names = new Map<number, string>();
  private warnedCut = false;
  constructor(readonly table: ElfSection | undefined, private readonly warnings: string[], private readonly source: string) {}

  name(nameOffset: number, field: string, at: number): string {
    const table = this.table;
    if (!table) return '';
    const known = this.names.get(nameOffset);
    if (known !== undefined) return known;
    if (nameOffset >= table.data.length) {
      if (nameOffset === 0) return '';
      throw bad(this.source, at, field, `the name offset points past its string table (${table.data.length} bytes)`, `< ${table.data.length}`, String(nameOffset));
    }
    const limit = Math.min(table.data.length, nameOffset + MAX_ELF_NAME);
    let end = nameOffset;
    while (end < limit && table.data[end] !== 0) end++;
    if (end - nameOffset === MAX_ELF_NAME && table.data[end] !== 0 && !this.warnedCut) {
      this.warnedCut = true;
      this.warnings.push(`${this.source}: a name at offset ${nameOffset} of string table ${table.name || table.index} runs over ${MAX_ELF_NAME} characters without a NUL; it (and any like it) was cut there.`);
    }
    const s = new TextDecoder('latin1').decode(table.data.subarray(nameOffset, end));
    this.names.set(nameOffset, s);
    return s;
  }
}

/** Parses an ELF32 file. `source` names it in errors and origins ("blinky.elf"). */
export function parseElf(data: Uint8Array, source: string): ElfFile {
  if (!isElf(data)) {
    const found = Array.from(data.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw bad(source, 0, 'e_ident magic', 'this is not an ELF file', '7f 45 4c 46', found || 'empty file');
  }
  if (data.length < 52) {
    throw new ImageParseError('IMAGE_TRUNCATED', { source, offset: 0, field: 'ELF header' },
      'the ELF header is cut short', { expected: '52 bytes', found: `${data.length} bytes` });
  }
  const cls = data[4];
  if (cls === 2) {
    throw new ImageParseError('IMAGE_UNSUPPORTED', { source, offset: 4, field: 'EI_CLASS' },
      'this is a 64-bit ELF file; flashwright reads 32-bit ELF (microcontroller firmware)', { expected: '1 (ELF32)', found: '2 (ELF64)' });
  }
  if (cls !== 1) throw bad(source, 4, 'EI_CLASS', 'unknown ELF class', '1 (ELF32)', String(cls));
  const enc = data[5];
  if (enc !== 1 && enc !== 2) throw bad(source, 5, 'EI_DATA', 'unknown data encoding', '1 (little-endian) or 2 (big-endian)', String(enc));
  const bigEndian = enc === 2;
  const r = new Reader(data, source, !bigEndian);
  const warnings: string[] = [];

  const type = r.u16(16, 'e_type');
  if (type === 1) warnings.push(`${source} is a relocatable object file (not linked): its addresses are not final.`);
  const machine = r.u16(18, 'e_machine');
  const machineName = MACHINE_NAMES[machine] ?? `machine ${machine}`;
  if (machine !== EM_ARM) warnings.push(`${source} is built for ${machineName} (e_machine ${machine}), not ARM; its contents are read as they are.`);
  if (bigEndian) warnings.push(`${source} is big-endian; its contents are read as they are, byte for byte.`);
  const entry = r.u32(24, 'e_entry');
  const phoff = r.u32(28, 'e_phoff');
  const shoff = r.u32(32, 'e_shoff');
  const phentsize = r.u16(42, 'e_phentsize');
  let phnum = r.u16(44, 'e_phnum');
  const shentsize = r.u16(46, 'e_shentsize');
  let shnum = r.u16(48, 'e_shnum');
  let shstrndx = r.u16(50, 'e_shstrndx');

  // Extended numbering: counts that do not fit 16 bits live in section header 0.
  if (shoff !== 0 && shentsize >= 40) {
    if (shnum === 0) shnum = r.u32(shoff + 20, 'sh_size of section 0 (section count)');
    if (shstrndx === 0xffff) shstrndx = r.u32(shoff + 24, 'sh_link of section 0 (string table index)');
    if (phnum === 0xffff) phnum = r.u32(shoff + 28, 'sh_info of section 0 (program header count)');
  }

  const programHeaders: ElfProgramHeader[] = [];
  if (phoff !== 0 && phnum > 0) {
    if (phentsize < 32) throw bad(source, 42, 'e_phentsize', 'program header entries are too small', 'at least 32', String(phentsize));
    r.need(phoff, phnum * phentsize, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      const ph: ElfProgramHeader = {
        type: r.u32(o, 'p_type'), offset: r.u32(o + 4, 'p_offset'), vaddr: r.u32(o + 8, 'p_vaddr'), paddr: r.u32(o + 12, 'p_paddr'),
        filesz: r.u32(o + 16, 'p_filesz'), memsz: r.u32(o + 20, 'p_memsz'), flags: r.u32(o + 24, 'p_flags'),
      };
      if (ph.type === PT_LOAD && ph.filesz > 0) {
        if (ph.offset + ph.filesz > data.length) {
          throw new ImageParseError('IMAGE_TRUNCATED', { source, offset: o + 16, field: `p_filesz of program header ${i}` },
            `segment ${i} (${hex(ph.paddr)}) needs file bytes ${hex(ph.offset)}–${hex(ph.offset + ph.filesz - 1)} but the file is shorter`,
            { expected: `at least ${ph.offset + ph.filesz} bytes`, found: `${data.length} bytes` });
        }
        if (ph.filesz > ph.memsz) throw bad(source, o + 16, `p_filesz of program header ${i}`, `segment ${i} has more file bytes than memory bytes`, `<= p_memsz ${ph.memsz}`, String(ph.filesz));
        if (ph.paddr + ph.filesz > 0x1_0000_0000) throw bad(source, o + 12, `p_paddr of program header ${i}`, `segment ${i} at ${hex(ph.paddr)} runs past the 32-bit address space`, `end <= 0x100000000`, `${ph.filesz} bytes`);
      }
      programHeaders.push(ph);
    }
  }

  const sections: ElfSection[] = [];
  const links: number[] = [];
  if (shoff !== 0 && shnum > 0) {
    if (shentsize < 40) throw bad(source, 46, 'e_shentsize', 'section header entries are too small', 'at least 40', String(shentsize));
    r.need(shoff, shnum * shentsize, 'section header table');
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      const type = r.u32(o + 4, 'sh_type');
      const offset = r.u32(o + 16, 'sh_offset');
      const size = r.u32(o + 20, 'sh_size');
      let secData: Uint8Array = new Uint8Array(0);
      if (type !== SHT_NOBITS && type !== 0 && size > 0) {
        if (offset + size > data.length) {
          throw new ImageParseError('IMAGE_TRUNCATED', { source, offset: o + 20, field: `sh_size of section ${i}` },
            `section ${i} needs file bytes ${hex(offset)}–${hex(offset + size - 1)} but the file is shorter`,
            { expected: `at least ${offset + size} bytes`, found: `${data.length} bytes` });
        }
        secData = data.subarray(offset, offset + size);
      }
      nameOffsets.push(r.u32(o, 'sh_name'));
      links.push(r.u32(o + 24, 'sh_link'));
      sections.push({ index: i, name: '', type, flags: r.u32(o + 8, 'sh_flags'), address: r.u32(o + 12, 'sh_addr'), offset, size, data: secData });
    }
    if (shstrndx !== 0 && shstrndx >= shnum) throw bad(source, 50, 'e_shstrndx', 'the section name table index is out of range', `< ${shnum}`, String(shstrndx));
    const names = shstrndx !== 0 ? sections[shstrndx] : undefined;
    if (names && names.type !== SHT_STRTAB) throw bad(source, 50, 'e_shstrndx', 'the section name table is not a string table', `type ${SHT_STRTAB}`, String(names.type));
    const table = new StringTable(names, warnings, source);
    for (const s of sections) s.name = table.name(nameOffsets[s.index]!, `sh_name of section ${s.index}`, shoff + s.index * shentsize);
  }

  const symbols = readSymbols(sections, links, r, source, warnings);
  const byName = new Map<string, ElfSymbol>();
  for (const s of symbols) {
    const prev = byName.get(s.name);
    if (!prev || (prev.sectionIndex === 0 && s.sectionIndex !== 0)) byName.set(s.name, s);
  }
  return {
    type, machine, machineName, bigEndian, entry, programHeaders, sections, symbols, warnings, fileData: data,
    symbol: (name) => byName.get(name),
    section: (name) => sections.find((s) => s.name === name),
  };
}

function readSymbols(sections: ElfSection[], links: number[], r: Reader, source: string, warnings: string[]): ElfSymbol[] {
  const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  if (!table) return [];
  const link = links[table.index]!;
  const strings = sections[link];
  if (!strings || strings.type !== SHT_STRTAB) {
    throw bad(source, table.offset, `sh_link of section ${table.index}`, 'the symbol table names a section that is not a string table', 'a STRTAB section', String(link));
  }
  const out: ElfSymbol[] = [];
  const names = new StringTable(strings, warnings, source);
  const base = table.offset;
  for (let o = 0; o + 16 <= table.size; o += 16) {
    const info = r.u8(base + o + 12, 'st_info');
    out.push({
      name: names.name(r.u32(base + o, 'st_name'), 'st_name', base + o),
      value: r.u32(base + o + 4, 'st_value'),
      size: r.u32(base + o + 8, 'st_size'),
      type: info & 0xf,
      bind: info >> 4,
      sectionIndex: r.u16(base + o + 14, 'st_shndx'),
    });
  }
  return out;
}

/**
 * The bytes a programmer must write: every PT_LOAD segment's file bytes at its physical
 * (load) address, so .data goes to its flash copy and .bss costs nothing. When the file has
 * section headers, only the segment bytes that an allocated section with contents covers are
 * kept (still placed by the segment's load address): padding between sections (an ALIGN gap)
 * is left out, as objcopy and srec_cat leave it out. Without section headers (or without any
 * allocated section) the whole segment is kept, named "app.elf:segment N". Origins are named after the sections
 * ("app.elf:.text"). Without program headers, allocated sections with contents are placed at
 * their section addresses.
 */
export function elfToImage(elf: ElfFile, source: string): MemoryImage {
  const b = new MemoryImageBuilder();
  const contents = elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.type !== SHT_NOBITS && s.type !== 0 && s.size > 0)
    .sort((x, y) => x.offset - y.offset);
  // Files stripped of section headers (or of every allocated one) are placed by segments alone.
  const hasSectionHeaders = elf.sections.some((s) => s.type !== 0 && (s.flags & SHF_ALLOC) !== 0);
  const loads = elf.programHeaders.filter((p) => p.type === PT_LOAD && p.filesz > 0);
  if (loads.length > 0) {
    // A segment repeated exactly (same file bytes at the same load address) adds nothing.
    const seen = new Set<string>();
    const repeats = new Set<number>();
    let mapped = 0;
    elf.programHeaders.forEach((ph, i) => {
      if (ph.type !== PT_LOAD || ph.filesz === 0) return;
      const key = `${ph.offset}:${ph.filesz}:${ph.paddr}`;
      if (seen.has(key)) { repeats.add(i); return; }
      seen.add(key);
      mapped += ph.filesz;
    });
    // Segments may share file bytes, but a file whose headers map its bytes over and over
    // (hostile input) would cost memory and time far beyond its size.
    const limit = 2 * elf.fileData.length + (1 << 20);
    if (mapped > limit) {
      throw bad(source, 0, 'program header table', `the PT_LOAD segments map ${mapped} file bytes, more than twice the file's ${elf.fileData.length} bytes`, `at most ${limit} bytes in distinct segments`, `${mapped} bytes`);
    }
    elf.programHeaders.forEach((ph, i) => {
      if (ph.type !== PT_LOAD || ph.filesz === 0 || repeats.has(i)) return;
      const segEnd = ph.offset + ph.filesz;
      const put = (from: number, to: number, name: string) => {
        // The file buffer outlives the image and is never changed: its bytes are taken as they are.
        if (to > from) b.adopt(ph.paddr + (from - ph.offset), elf.fileData.subarray(from, to), name);
      };
      if (!hasSectionHeaders) {
        put(ph.offset, segEnd, `${source}:segment ${i}`);
        return;
      }
      let cursor = ph.offset;
      // Sections sorted by offset: start at the first one inside the segment (binary search),
      // stop after the last, so N segments × M sections costs what the segments hold.
      for (let k = firstAtOrAfter(contents, ph.offset); k < contents.length && contents[k]!.offset < segEnd; k++) {
        const s = contents[k]!;
        const sEnd = s.offset + s.size;
        if (sEnd > segEnd || sEnd <= cursor) continue;
        if (ph.offset === 0 && cursor === 0 && s.offset > 0) {
          // The segment starts at file offset 0: its leading bytes are the ELF header and
          // program headers that the linker mapped in, not firmware.
          elf.warnings.push(`${source}: segment ${i} maps the ELF headers at ${hex(ph.paddr)}–${hex(ph.paddr + s.offset - 1)}; those ${s.offset} bytes were left out.`);
        }
        put(Math.max(cursor, s.offset), sEnd, `${source}:${s.name || `section ${s.index}`}`);
        cursor = sEnd;
      }
    });
  } else {
    if (contents.length > 0) elf.warnings.push(`${source} has no loadable program headers; its sections are placed at their section addresses (no separate load addresses).`);
    for (const s of contents) {
      if (s.address + s.size > 0x1_0000_0000) throw bad(source, s.offset, `sh_addr of section ${s.index}`, `section ${s.name} at ${hex(s.address)} runs past the 32-bit address space`, 'end <= 0x100000000', `${s.size} bytes`);
      b.adopt(s.address, s.data, `${source}:${s.name || `section ${s.index}`}`);
    }
  }
  // An executable's e_entry is its entry point even when it is 0 (a vector table at address 0);
  // in other files 0 means "none".
  if (elf.entry !== 0 || elf.type === 2) b.entryPoint = elf.entry;
  return b.build();
}

/** Index of the first section (sorted by file offset) whose offset is at or after `offset`. */
function firstAtOrAfter(sorted: readonly ElfSection[], offset: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
