import { describe, expect, it } from 'vitest';
import { BinaryGapError, binaryChunks, readBinary, writeBinary } from '../../src/image/binary.js';
import { detectFormat, encodeImage, formatFromName, loadImage, parseFormatName } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { UsageError } from '../../src/core/errors.js';
import { ihex, parseError, srec, text } from './helpers/errors.js';
import { buildElf } from './helpers/make-elf.js';

const img = MemoryImage.fromSegments([
  { address: 0x08000000, data: Uint8Array.from([1, 2, 3, 4]) },
  { address: 0x08000010, data: Uint8Array.from([5, 6]) },
], 0x08000001);

describe('format detection', () => {
  it('detects from content, not the extension', () => {
    expect(detectFormat(text('\r\n' + ihex('00000001')))).toBe('hex');
    expect(detectFormat(text(srec(0, '030000')))).toBe('srec');
    expect(detectFormat(buildElf({ entry: 0, segments: [], sections: [] }))).toBe('elf');
    expect(detectFormat(Uint8Array.from([0, 0x50, 0, 0x20]))).toBeUndefined();
    const l = loadImage(encodeImage(img, 'srec'), { source: 'misnamed.hex' });
    expect(l.format).toBe('srec');
    expect(l.warnings[0]).toContain('misnamed.hex holds S-record despite its name');
    expect(formatFromName('a.S19')).toBe('srec');
    expect(formatFromName('x.axf')).toBe('elf');
    expect(parseFormatName('ihex')).toBe('hex');
    expect(parseFormatName('binary')).toBe('bin');
    expect(parseFormatName('zip')).toBeUndefined();
  });

  it('treats non-text content as raw binary and refuses unknown text', () => {
    const bin = loadImage(Uint8Array.from([0, 0x50, 0, 0x20, 0x41, 1]), { source: 'fw' });
    expect(bin.format).toBe('bin');
    expect(bin.warnings[0]).toContain('placed at 0x00000000');
    expect(loadImage(Uint8Array.from([7, 8]), { source: 'fw.bin', base: 0x08000000 }).image.start).toBe(0x08000000);
    expect(parseError(() => loadImage(text('hello world\n'), { source: 'notes.txt' })).code).toBe('IMAGE_UNKNOWN_FORMAT');
    // A broken .hex file is parsed as HEX so that the real problem is reported.
    expect(parseError(() => loadImage(text('hello world\n'), { source: 'fw.hex' })).location).toMatchObject({ line: 1, field: 'record start' });
    expect(() => loadImage(encodeImage(img, 'hex'), { source: 'a.hex', base: 0x1000 })).toThrow(UsageError);
  });

  it('round-trips through every format', () => {
    for (const f of ['hex', 'srec'] as const) {
      const back = loadImage(encodeImage(img, f, { recordSize: 32 }), { source: `x.${f}` });
      expect(back.format).toBe(f);
      expect(back.image.segments).toEqual(img.segments);
      expect(back.image.entryPoint).toBe(0x08000001);
    }
    const bin = encodeImage(img, 'bin', { fill: 0x00 });
    expect(Array.from(bin)).toEqual([1, 2, 3, 4, ...Array(12).fill(0), 5, 6]);
    expect(loadImage(bin, { source: 'x.bin', base: 0x08000000 }).image.read(0x08000000, 18, 0)).toEqual(bin);
  });
});

describe('raw binary', () => {
  const far = MemoryImage.fromSegments([
    { address: 0x08000000, data: new Uint8Array(16), source: 'app.elf:.text' },
    { address: 0x60000000, data: new Uint8Array(16), source: 'app.elf:.qspi' },
  ]);

  it('refuses more than 256 MiB of gap, naming both segments, unless forced', () => {
    let err: unknown;
    try { writeBinary(far); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BinaryGapError);
    expect((err as Error).message).toBe('A raw binary of this image would hold 1.4 GiB of fill between the segment at 0x08000000–0x0800000F (app.elf:.text) and the segment at 0x60000000–0x6000000F (app.elf:.qspi).');
    expect((err as BinaryGapError).hint).toContain('--force');
    // Several gaps: the total first, then where the largest one lies.
    const three = far.merge(MemoryImage.fromSegments([{ address: 0x90000000, data: new Uint8Array(16) }]));
    let err3: unknown;
    try { writeBinary(three); } catch (e) { err3 = e; }
    expect((err3 as Error).message).toBe('A raw binary of this image would hold 2.1 GiB of fill in all; the largest gap, 1.4 GiB, lies between the segment at 0x08000000–0x0800000F (app.elf:.text) and the segment at 0x60000000–0x6000000F (app.elf:.qspi).');
    // Forced: streamed in chunks, nothing allocated for the whole file.
    let total = 0;
    for (const c of binaryChunks(far, { force: true })) total += c.length;
    expect(total).toBe(0x60000010 - 0x08000000);
  });

  it('places bytes at the base and rejects bases past 32 bits', () => {
    expect(readBinary(Uint8Array.from([1]), 0x20000000, 'a.bin').start).toBe(0x20000000);
    expect(() => readBinary(new Uint8Array(0x20), 0xfffffff0, 'a.bin')).toThrow(/past the 32-bit address space/);
  });
});
