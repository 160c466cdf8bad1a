import { describe, expect, it } from 'vitest';
import { writeIntelHex } from '../../src/image/intel-hex.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { parseSrec, SrecParser, writeSrec } from '../../src/image/srec.js';
import { ascii, parseError, srec, text } from './helpers/errors.js';

describe('S-record reader', () => {
  it('reads S0 header, S1/S2/S3 data, S5 count and S7 start', () => {
    const src = [srec(0, '0D0000' + '68656C6C6F2E73726563'), srec(1, '061000AABBCC'), srec(2, '07200000DDEEFF'), srec(3, '07080000001122'),
      srec(5, '030003'), srec(7, '0508000101'), ''].join('\r\n').toLowerCase().replace(/^s/gm, 'S');
    const r = parseSrec(text(src), 'a.s37');
    expect(r.warnings).toEqual([]);
    expect(r.header).toBe('hello.srec');
    expect(r.image.segments.map((s) => [s.address, Array.from(s.data)])).toEqual([[0x1000, [0xaa, 0xbb, 0xcc]], [0x200000, [0xdd, 0xee, 0xff]], [0x08000000, [0x11, 0x22]]]);
    expect(r.image.entryPoint).toBe(0x08000101);
  });

  it('reads S8/S9 start addresses and S6 counts', () => {
    expect(parseSrec(text([srec(1, '040000AA'), srec(9, '030123')].join('\n')), 'a.s19').image.entryPoint).toBe(0x0123);
    expect(parseSrec(text([srec(2, '05000000AA'), srec(6, '04000001'), srec(8, '04012345')].join('\n')), 'a.s28').image.entryPoint).toBe(0x012345);
  });

  it('names file, line and field in every error kind', () => {
    const bad = (...lines: string[]) => parseError(() => parseSrec(text(lines.join('\n')), 'fw.srec'));
    const good = srec(1, '061000AABBCC');
    const wrong = good.slice(0, -2) + 'FF';
    expect(bad(good, wrong)).toMatchObject({ code: 'IMAGE_BAD_CHECKSUM', expected: good.slice(-2).replace(/^/, '0x'), found: '0xFF', location: { line: 2 } });
    expect(bad(srec(4, '03000000'))).toMatchObject({ code: 'IMAGE_UNKNOWN_RECORD', found: 'S4' });
    expect(bad('SX0300'.padEnd(10, '0'))).toMatchObject({ code: 'IMAGE_UNKNOWN_RECORD' });
    expect(bad(good.slice(0, -4))).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH' });
    expect(bad(good + '00')).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH' });
    expect(bad(srec(1, '02AA'))).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH', location: { field: 'byte count' } });
    expect(bad(good.replace('AABB', 'AAZB'))).toMatchObject({ code: 'IMAGE_BAD_RECORD', location: { field: 'data byte 1' } });
    expect(bad(':1000')).toMatchObject({ code: 'IMAGE_BAD_RECORD', location: { field: 'record start' } });
    expect(bad(good, srec(5, '030005'))).toMatchObject({ code: 'IMAGE_LENGTH_MISMATCH', location: { field: 'record count' }, expected: '5', found: '1' });
    expect(bad(srec(3, '07FFFFFFFF0102')).message).toContain('past the 32-bit address space');
  });

  it('reports overlapping records with different bytes, naming both lines', () => {
    expect(() => parseSrec(text([srec(1, '07100001020304'), srec(1, '04100207'), srec(9, '030000')].join('\n')), 'o.srec'))
      .toThrow('o.srec line 2 overlaps o.srec line 1 at 0x00001002–0x00001002 with different bytes (0x03 vs 0x07 at 0x00001002).');
  });

  it('parses identically in any chunking and warns without a termination record', () => {
    const img = MemoryImage.fromSegments([{ address: 0x60000000, data: Uint8Array.from({ length: 100 }, (_, i) => 255 - i) }]);
    const file = writeSrec(img, { header: 'x' });
    for (const step of [1, 5, 64]) {
      const p = new SrecParser('c.srec');
      for (let i = 0; i < file.length; i += step) p.push(file.subarray(i, i + step));
      expect(Array.from(p.finish().image.read(0x60000000, 100))).toEqual(Array.from(img.read(0x60000000, 100)));
    }
    expect(parseSrec(text(srec(1, '040000AA')), 'n.srec').warnings[0]).toContain('no termination record');
  });
});

describe('S-record writer', () => {
  it('picks S1/S9 for 16-bit images, S2/S8 for 24-bit and S3/S7 for 32-bit, with S0 and S5', () => {
    const small = MemoryImage.fromSegments([{ address: 0xfffe, data: Uint8Array.from([1, 2]) }]);
    // No entry point, no termination record (S9 0000 would read back as entry point 0).
    expect(ascii(writeSrec(small))).toBe([srec(0, '030000'), srec(1, '05FFFE0102'), srec(5, '030001'), ''].join('\n'));
    const zero = MemoryImage.fromSegments([{ address: 0xfffe, data: Uint8Array.from([1, 2]) }], 0);
    expect(ascii(writeSrec(zero)).split('\n')[3]).toBe(srec(9, '030000'));
    const mid = MemoryImage.fromSegments([{ address: 0x10000, data: Uint8Array.from([9]) }], 0x10000);
    expect(ascii(writeSrec(mid, { header: 'hi' })).split('\n')).toEqual([srec(0, '0500006869'), srec(2, '0501000009'), srec(5, '030001'), srec(8, '04010000'), '']);
    const big = MemoryImage.fromSegments([{ address: 0x08000000, data: new Uint8Array(20) }], 0x08000101);
    const lines = ascii(writeSrec(big, { recordSize: 16 })).split('\n');
    expect(lines.map((l) => l.slice(0, 12))).toEqual(['S0030000FC', 'S31508000000', 'S30908000010', 'S5030002FA', 'S70508000101'.slice(0, 12), '']);
    expect(lines[4]).toBe(srec(7, '0508000101'));
  });

  it('an image without an entry point survives SREC and back to HEX without a start address record', () => {
    const img = MemoryImage.fromSegments([{ address: 0x08000000, data: Uint8Array.from({ length: 40 }, (_, i) => i) }]);
    const back = parseSrec(writeSrec(img), 'n.srec');
    expect(back.warnings).toEqual([]); // the S5 count shows the file is complete
    expect(back.image.entryPoint).toBeUndefined();
    expect(ascii(writeIntelHex(back.image))).not.toMatch(/^:04000005/m);
    const withEntry = parseSrec(writeSrec(MemoryImage.fromSegments([{ address: 0, data: Uint8Array.from([1]) }], 0)), 'z.srec');
    expect(withEntry.image.entryPoint).toBe(0);
    expect(ascii(writeIntelHex(withEntry.image))).toMatch(/^:0400000500000000F7$/m);
  });
});
