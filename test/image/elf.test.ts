import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfToImage, parseElf, PT_LOAD, SHT_NOBITS } from '../../src/image/elf.js';
import { ImageParseError } from '../../src/image/errors.js';
import { buildMultiFirmware } from './helpers/build-firmware.js';
import { needs } from '../helpers/peers.js';

const gcc = needs('arm-none-eabi-gcc');
import { buildElf } from './helpers/make-elf.js';

function parseError(fn: () => unknown): ImageParseError {
  try { fn(); } catch (e) { if (e instanceof ImageParseError) return e; throw e; }
  throw new Error('expected an ImageParseError');
}

describe('ELF reader on hand-built files', () => {
  const text = Uint8Array.from({ length: 32 }, (_, i) => i);
  const dataInit = Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]);
  const elfBytes = () => buildElf({
    entry: 0x08000009,
    segments: [
      { paddr: 0x08000000, vaddr: 0x08000000, data: text, memsz: 32 },
      { paddr: 0x08000020, vaddr: 0x20000000, data: dataInit, memsz: 0x104 },
    ],
    sections: [
      { name: '.text', address: 0x08000000, data: text, flags: 6, segment: 0 },
      { name: '.data', address: 0x20000000, data: dataInit, flags: 3, segment: 1 },
      { name: '.bss', address: 0x20000004, size: 0x100, flags: 3, nobits: true },
    ],
    symbols: [{ name: 'Init', value: 0x08000009, size: 12, type: 2, bind: 1, section: 1 }, { name: 'FlashDevice', value: 0x20000000, size: 4, type: 1, bind: 1, section: 2 }],
  });

  it('reads headers, sections, symbols and loads by physical address', () => {
    const elf = parseElf(elfBytes(), 'algo.elf');
    expect(elf.machineName).toBe('ARM');
    expect(elf.type).toBe(2);
    expect(elf.entry).toBe(0x08000009);
    expect(elf.warnings).toEqual([]);
    expect(elf.programHeaders.filter((p) => p.type === PT_LOAD).map((p) => [p.paddr, p.filesz, p.memsz])).toEqual([[0x08000000, 32, 32], [0x08000020, 4, 0x104]]);
    expect(elf.section('.bss')?.type).toBe(SHT_NOBITS);
    expect(elf.section('.bss')?.data.length).toBe(0);
    expect(Array.from(elf.section('.data')!.data)).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
    expect(elf.symbol('Init')).toMatchObject({ value: 0x08000009, size: 12, type: 2, bind: 1, sectionIndex: 1 });
    expect(elf.symbol('FlashDevice')?.sectionIndex).toBe(2);
    expect(elf.symbol('nope')).toBeUndefined();
    const img = elfToImage(elf, 'algo.elf');
    expect(img.segments.map((s) => [s.address, s.data.length])).toEqual([[0x08000000, 36]]);
    expect(Array.from(img.read(0x08000020, 4))).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
    expect(img.sourcesIn(0x08000000, 0x08000020)).toEqual(['algo.elf:.text']);
    expect(img.sourcesIn(0x08000020, 0x08000024)).toEqual(['algo.elf:.data']);
    expect(img.entryPoint).toBe(0x08000009);
  });

  it('falls back to section addresses without program headers, with a warning', () => {
    const bytes = buildElf({ entry: 0, segments: [], sections: [{ name: 'PrgCode', address: 0, data: text, flags: 6 }, { name: 'PrgData', address: 0x20, data: dataInit, flags: 3 }] });
    const elf = parseElf(bytes, 'algo.FLM');
    const img = elfToImage(elf, 'algo.FLM');
    expect(img.segments.map((s) => [s.address, s.data.length])).toEqual([[0, 36]]);
    expect(elf.warnings.join(' ')).toContain('no loadable program headers');
    expect(img.sourcesIn(0x20, 0x24)).toEqual(['algo.FLM:PrgData']);
  });

  it('names both sections when two segments put different bytes at one address', () => {
    const bytes = buildElf({
      entry: 0,
      segments: [{ paddr: 0x1000, vaddr: 0x1000, data: Uint8Array.from([1, 2, 3, 4]), memsz: 4 }, { paddr: 0x1002, vaddr: 0x20000000, data: Uint8Array.from([9, 9]), memsz: 2 }],
      sections: [{ name: '.text', address: 0x1000, data: Uint8Array.from([1, 2, 3, 4]), flags: 6, segment: 0 }, { name: '.data', address: 0x20000000, data: Uint8Array.from([9, 9]), flags: 3, segment: 1 }],
    });
    expect(() => elfToImage(parseElf(bytes, 'o.elf'), 'o.elf')).toThrow('o.elf:.data overlaps o.elf:.text at 0x00001002–0x00001003 with different bytes (0x03 vs 0x09 at 0x00001002).');
  });

  it('leaves out ELF headers that a segment starting at file offset 0 maps into memory', () => {
    const bytes = buildElf({ entry: 0, segments: [{ paddr: 0x100, vaddr: 0x100, data: Uint8Array.from([5, 6, 7, 8]), memsz: 4 }], sections: [{ name: '.text', address: 0x100, data: Uint8Array.from([5, 6, 7, 8]), flags: 6, segment: 0 }] });
    // Rewrite the segment to start at offset 0 and include the headers before .text (at 0x54).
    const dv = new DataView(bytes.buffer);
    const textOffset = dv.getUint32(52 + 4, true);
    dv.setUint32(52 + 4, 0, true);
    dv.setUint32(52 + 8, 0x100 - textOffset, true);
    dv.setUint32(52 + 12, 0x100 - textOffset, true);
    dv.setUint32(52 + 16, textOffset + 4, true);
    dv.setUint32(52 + 20, textOffset + 4, true);
    const elf = parseElf(bytes, 'h.elf');
    const img = elfToImage(elf, 'h.elf');
    expect(img.segments.map((s) => [s.address, Array.from(s.data)])).toEqual([[0x100, [5, 6, 7, 8]]]);
    expect(elf.warnings.join(' ')).toContain(`segment 0 maps the ELF headers`);
  });

  it('warns for big-endian and non-ARM files but reads them', () => {
    const elf = parseElf(buildElf({ bigEndian: true, machine: 243, entry: 0x100, segments: [{ paddr: 0x100, vaddr: 0x100, data: dataInit, memsz: 4 }], sections: [], symbols: [] }), 'rv.elf');
    expect(elf.bigEndian).toBe(true);
    expect(elf.machineName).toBe('RISC-V');
    expect(elf.entry).toBe(0x100);
    expect(elf.warnings.join(' ')).toMatch(/RISC-V.*big-endian/s);
    expect(Array.from(elfToImage(elf, 'rv.elf').read(0x100, 4))).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
  });

  it('leaves out segment bytes no allocated section covers, keeps whole segments without sections', () => {
    const seg = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    const elf = parseElf(buildElf({
      entry: 0x08000001,
      segments: [{ paddr: 0x08000000, vaddr: 0x08000000, data: seg, memsz: 32 }],
      sections: [{ name: '.text', address: 0x08000000, data: seg.subarray(0, 12), flags: 6, segment: 0 }],
    }), 'pad.elf');
    const img = elfToImage(elf, 'pad.elf');
    expect(img.segments.map((s) => [s.address, Array.from(s.data)])).toEqual([[0x08000000, Array.from(seg.subarray(0, 12))]]);
    expect(img.origins.map((o) => o.source)).toEqual(['pad.elf:.text']);
    const bare = elfToImage(parseElf(buildElf({ entry: 0x08000001, segments: [{ paddr: 0x08000000, vaddr: 0x08000000, data: seg, memsz: 32 }], sections: [] }), 'bare.elf'), 'bare.elf');
    expect(bare.segments.map((s) => [s.address, s.data.length])).toEqual([[0x08000000, 32]]);
    expect(bare.origins.map((o) => o.source)).toEqual(['bare.elf:segment 0']);
  });

  it('keeps an executable\'s entry point 0 (e_entry is meaningful in ET_EXEC)', () => {
    const bytes = buildElf({ entry: 0, segments: [{ paddr: 0, vaddr: 0, data: dataInit, memsz: 4 }], sections: [{ name: '.text', address: 0, data: dataInit, flags: 6, segment: 0 }] });
    expect(elfToImage(parseElf(bytes, 'zero.elf'), 'zero.elf').entryPoint).toBe(0);
    const rel = bytes.slice();
    rel[16] = 1; // ET_REL: e_entry 0 means no entry point
    expect(elfToImage(parseElf(rel, 'zero.o'), 'zero.o').entryPoint).toBeUndefined();
  });

  it('gives typed errors for bad and truncated files', () => {
    const good = elfBytes();
    expect(parseError(() => parseElf(Uint8Array.from([1, 2, 3, 4, 5]), 'x.elf'))).toMatchObject({ code: 'IMAGE_BAD_ELF', expected: '7f 45 4c 46' });
    expect(parseError(() => parseElf(good.subarray(0, 40), 'x.elf')).code).toBe('IMAGE_TRUNCATED');
    const elf64 = good.slice(); elf64[4] = 2;
    expect(parseError(() => parseElf(elf64, 'x.elf')).code).toBe('IMAGE_UNSUPPORTED');
    const enc = good.slice(); enc[5] = 7;
    expect(parseError(() => parseElf(enc, 'x.elf')).location.field).toBe('EI_DATA');
    // Cut the file inside the first segment's data: the segment is reported with both sizes.
    const cut = parseError(() => parseElf(good.subarray(0, 0x60), 'cut.elf'));
    expect(cut.code).toBe('IMAGE_TRUNCATED');
    expect(cut.message).toMatch(/^cut\.elf offset 0x[0-9A-F]{8} \(/);
    // Inconsistent: p_filesz larger than p_memsz.
    const incons = good.slice();
    new DataView(incons.buffer).setUint32(52 + 20, 1, true);
    expect(parseError(() => parseElf(incons, 'x.elf'))).toMatchObject({ code: 'IMAGE_BAD_ELF', found: '32' });
    // Segment past 4 GiB.
    const high = good.slice();
    new DataView(high.buffer).setUint32(52 + 12, 0xfffffff0, true);
    expect(parseError(() => parseElf(high, 'x.elf')).message).toContain('past the 32-bit address space');
    // Section name table index out of range.
    const shstr = good.slice();
    new DataView(shstr.buffer).setUint16(50, 99, true);
    expect(parseError(() => parseElf(shstr, 'x.elf')).location.field).toBe('e_shstrndx');
  });
});

describe.skipIf(gcc.skip)(gcc.title('ELF reader on firmware built by arm-none-eabi-gcc'), () => {
  let fw: ReturnType<typeof buildMultiFirmware>;
  beforeAll(() => { fw = buildMultiFirmware(); });
  afterAll(() => fw?.cleanup());

  it('places .data at its load address, skips .bss and names sections', () => {
    const elf = parseElf(fw.elf, 'multi.elf');
    const img = elfToImage(elf, 'multi.elf');
    const text = elf.section('.text')!;
    const data = elf.section('.data')!;
    expect(data.address).toBe(0x20000000);
    const rodata = elf.section('.rodata')!;
    const lma = rodata.address + rodata.size;
    expect(Array.from(img.read(lma, data.size))).toEqual(Array.from(data.data));
    expect(img.intersects(0x20000000, 0x20005000)).toBe(false);
    // The ALIGN(256) padding before .rodata lies inside the flash segment but in no section: left out.
    expect(img.segments.map((s) => s.address)).toEqual([0x08000000, 0x08000100, 0x60000000, 0x90000000]);
    expect(img.end === undefined || img.intersects(text.address + text.size, rodata.address)).toBe(false);
    expect(img.sourcesIn(0x08000100, 0x08000101)).toEqual(['multi.elf:.rodata']);
    expect(img.sourcesIn(0x08000000, 0x08000040)).toEqual(['multi.elf:.isr_vector']);
    expect(img.sourcesIn(0x60000000, 0x60000001)).toEqual(['multi.elf:.qspi']);
    expect(img.read(0x60000000, 4)).toEqual(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
    expect(new DataView(img.read(0x08000000, 8).buffer).getUint32(0, true)).toBe(0x20005000);
    expect(elf.symbol('reset_handler')!.value & 1).toBe(1);
    expect(img.entryPoint).toBe(elf.symbol('reset_handler')!.value);
  });
});
