import { describe, expect, it } from 'vitest';
import { IntelHexParser, parseIntelHex, writeIntelHex } from '../../src/image/intel-hex.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { ImageOverlapError } from '../../src/image/memory-image.js';
import { ascii, ihex, parseError, text } from './helpers/errors.js';

describe('Intel HEX reader', () => {
  it('reads data with extended linear addresses, start address, CRLF, lower case and blank lines', () => {
    const src = ':020000040800F2\r\n\r\n:10000000000102030405060708090a0b0c0d0e0f78\r\n  \n:0400000508000131BD\n:00000001ff\n';
    const r = parseIntelHex(text(src), 'a.hex');
    expect(r.warnings).toEqual([]);
    expect(r.image.segments.map((s) => [s.address, s.data.length])).toEqual([[0x08000000, 16]]);
    expect(Array.from(r.image.read(0x08000000, 16))).toEqual([...Array(16).keys()]);
    expect(r.image.entryPoint).toBe(0x08000131);
  });

  it('reads extended segment addresses (with 64 KiB offset wrap) and start segment address', () => {
    const src = [ihex('020000021000'), ihex('03FFFF00AABBCC'), ihex('040000031234' + '0010'), ':00000001FF', ''].join('\n');
    const img = parseIntelHex(text(src), 's.hex').image;
    expect(img.byteAt(0x1ffff)).toBe(0xaa);
    expect(img.byteAt(0x10000)).toBe(0xbb);
    expect(img.byteAt(0x10001)).toBe(0xcc);
    expect(img.entryPoint).toBe(0x12340 + 0x10);
  });

  it('parses identically however the input is split into chunks', () => {
    const img = MemoryImage.fromSegments([{ address: 0x0800fff0, data: Uint8Array.from({ length: 300 }, (_, i) => i * 7) }], 0x08000101);
    const file = writeIntelHex(img, { crlf: true });
    for (const step of [1, 2, 3, 7, 44, 1000]) {
      const p = new IntelHexParser('c.hex');
      for (let i = 0; i < file.length; i += step) p.push(file.subarray(i, i + step));
      const r = p.finish();
      expect(Array.from(r.image.read(0x0800fff0, 300))).toEqual(Array.from(img.read(0x0800fff0, 300)));
      expect(r.image.entryPoint).toBe(0x08000101);
    }
  });

  it('names file, line and field in every error kind', () => {
    const bad = (s: string) => parseError(() => parseIntelHex(text(s), 'fw.hex'));
    const ck = bad(':00000001FF\n'.replace('FF', 'FE'));
    expect(ck).toMatchObject({ code: 'IMAGE_BAD_CHECKSUM', expected: '0xFF', found: '0xFE' });
    expect(ck.message).toBe('fw.hex line 1 (checksum): the record checksum does not match its contents: expected 0xFF, found 0xFE.');
    expect(bad('\n\n:0200000012AC3E\n').location.line).toBe(3);
    expect(bad(ihex('0200000612AC') + '\n')).toMatchObject({ code: 'IMAGE_UNKNOWN_RECORD', found: '0x06' });
    expect(bad(':0300000012AC3E\n')).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH' });
    expect(bad(':0100000012AC3E\n')).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH', found: '15 characters' });
    expect(bad(':0200000012AG3E\n')).toMatchObject({ code: 'IMAGE_BAD_RECORD', location: { field: 'data byte 1' }, found: "'G'" });
    expect(bad('0200000012AC3E\n')).toMatchObject({ code: 'IMAGE_BAD_RECORD', location: { field: 'record start' } });
    expect(bad(':03000004000000F9\n')).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH', expected: '2', found: '3' });
    expect(bad(':0')).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH', location: { field: 'byte count' } });
    // Past 32 bits: ULBA 0xFFFF, offset 0xFFFF, two bytes.
    expect(bad(ihex('02000004FFFF') + '\n' + ihex('02FFFF000102') + '\n').message).toContain('past the 32-bit address space');
  });

  it('reports overlapping records with different bytes, naming both lines', () => {
    const e = (() => { try { parseIntelHex(text([ihex('0200000001 02'.replace(' ', '')), ihex('0200100003 04'.replace(' ', '')), ihex('0100010009'), ':00000001FF', ''].join('\n')), 'o.hex'); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(ImageOverlapError);
    expect((e as Error).message).toBe('o.hex line 3 overlaps o.hex line 1 at 0x00000001–0x00000001 with different bytes (0x02 vs 0x09 at 0x00000001).');
  });

  it('warns about a missing end-of-file record and ignores content after it', () => {
    expect(parseIntelHex(text(ihex('0100000055') + '\n'), 'n.hex').warnings[0]).toContain('no end-of-file record');
    const r = parseIntelHex(text(':00000001FF\nrubbish\n'), 'n.hex');
    expect(r.warnings[0]).toContain('line 2: content after the end-of-file record was ignored');
  });
});

describe('Intel HEX writer', () => {
  it('writes 04 records at 64 KiB boundaries, 05 start address and EOF, with aligned records', () => {
    const img = MemoryImage.fromSegments([{ address: 0x0800fffc, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) }], 0x08000101);
    expect(ascii(writeIntelHex(img))).toBe([
      ihex('020000040800'), ihex('04FFFC0001020304'), ihex('020000040801'), ihex('0200000005 06'.replace(' ', '')), ihex('0400000508000101'), ':00000001FF', ''].join('\n'));
  });

  it('honours record size 32 and CRLF', () => {
    const img = MemoryImage.fromSegments([{ address: 0, data: new Uint8Array(40).fill(0x11) }]);
    const lines = ascii(writeIntelHex(img, { recordSize: 32, crlf: true })).split('\r\n');
    expect(lines.map((l) => l.slice(0, 9))).toEqual([':20000000', ':08002000', ':00000001', '']);
  });
});
