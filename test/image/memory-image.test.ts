import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImageOverlapError, MemoryImage, MemoryImageBuilder, AddressRangeError } from '../../src/image/memory-image.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('MemoryImage', () => {
  it('merges adjacent data and keeps gaps free', () => {
    const b = new MemoryImageBuilder();
    b.add(0xffffff00, new Uint8Array(0x100).fill(0xaa), 'top');
    b.add(0x0, bytes(1, 2), 'a');
    b.add(0x2, bytes(3, 4), 'b');
    const img = b.build();
    expect(img.segments.map((s) => [s.address, s.data.length])).toEqual([[0, 4], [0xffffff00, 0x100]]);
    expect(img.size).toBe(0x104);
    expect(img.end).toBe(0x1_0000_0000);
    expect(img.sourcesIn(0, 4)).toEqual(['a', 'b']);
  });

  it('accepts overlaps with equal bytes and names both sources otherwise', () => {
    const ok = MemoryImage.fromSegments([{ address: 0x10, data: bytes(1, 2, 3) }, { address: 0x11, data: bytes(2, 3, 4) }]);
    expect(Array.from(ok.read(0x10, 4))).toEqual([1, 2, 3, 4]);
    const b = new MemoryImageBuilder();
    b.add(0x08000000, bytes(1, 2, 3, 4), 'boot.hex line 2');
    b.add(0x08000002, bytes(9, 9), 'app.hex line 5');
    const err = (() => { try { b.build(); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ImageOverlapError);
    expect((err as Error).message).toContain('app.hex line 5 overlaps boot.hex line 2 at 0x08000002–0x08000003');
  });

  it('later data wins when replacing is allowed', () => {
    const b = new MemoryImageBuilder({ allowReplace: true });
    b.add(0, bytes(1, 1, 1, 1), 'x');
    b.add(1, bytes(2, 2), 'y');
    expect(Array.from(b.build().read(0, 4))).toEqual([1, 2, 2, 1]);
  });

  it('rejects addresses past 32 bits', () => {
    const b = new MemoryImageBuilder();
    expect(() => b.add(0xffffffff, bytes(1, 2), 'f')).toThrow(AddressRangeError);
  });

  it('slices, reads with fill and checksums', () => {
    const img = MemoryImage.fromSegments([{ address: 0x100, data: bytes(1, 2) }, { address: 0x104, data: bytes(5) }]);
    expect(Array.from(img.read(0xff, 7, 0xee))).toEqual([0xee, 1, 2, 0xee, 0xee, 5, 0xee]);
    expect(img.slice(0x101, 0x105).segments.map((s) => [s.address, Array.from(s.data)])).toEqual([[0x101, [2]], [0x104, [5]]]);
    expect(img.crc32()).toBe(0xbcdf2528);
    expect(img.crc32({ start: 0x100, end: 0x105, fill: 0xff })).toBe(img.filled(0xff).crc32());
    expect(img.covers(0x100, 2)).toBe(true);
    expect(img.covers(0x100, 3)).toBe(false);
    expect(img.byteAt(0x104)).toBe(5);
    expect(img.byteAt(0x103)).toBeUndefined();
  });

  it('computes SHA-256', async () => {
    const img = MemoryImage.fromSegments([{ address: 0, data: new TextEncoder().encode('abc') }]);
    expect(await img.sha256()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('computes SHA-256 over a range, gaps read as the fill byte', async () => {
    const img = MemoryImage.fromSegments([{ address: 0x100, data: bytes(1, 2) }, { address: 0x104, data: bytes(5) }]);
    const expected = createHash('sha256').update(Uint8Array.from([0xee, 1, 2, 0xee, 0xee, 5, 0xee])).digest('hex');
    expect(await img.sha256({ start: 0xff, end: 0x106, fill: 0xee })).toBe(expected);
    // Default fill is 0xFF (erased flash); a range inside one segment needs no fill.
    expect(await img.sha256({ start: 0x102, end: 0x104 })).toBe(createHash('sha256').update(Uint8Array.from([0xff, 0xff])).digest('hex'));
    expect(await img.sha256({ start: 0x100, end: 0x102 })).toBe(createHash('sha256').update(bytes(1, 2)).digest('hex'));
  });

  it('builds 2M sequential 16-byte records in linear time', () => {
    const b = new MemoryImageBuilder();
    const rec = new Uint8Array(16).fill(7);
    for (let i = 0; i < 2_000_000; i++) b.add(0x08000000 + i * 16, rec, 'big');
    const img = b.build();
    expect(img.segments.length).toBe(1);
    expect(img.size).toBe(32_000_000);
  });

  it('a filled image keeps its fill through merge, and its origins stay inside its range', () => {
    const img = MemoryImage.fromSegments([{ address: 0x100, data: bytes(1, 2), source: 'a' }, { address: 0x104, data: bytes(5), source: 'b' }]);
    const full = img.filled(0xee);
    const merged = full.merge(MemoryImage.fromSegments([{ address: 0x200, data: bytes(9), source: 'c' }]));
    expect(Array.from(merged.read(0x100, 5))).toEqual([1, 2, 0xee, 0xee, 5]); // the fill was dropped before
    expect(merged.sourcesIn(0x102, 0x104)).toEqual(['image']);
    expect(merged.sourcesIn(0x100, 0x102)).toEqual(['a']);
    const part = img.filled(0xee, 0x101, 0x103);
    expect(part.origins).toEqual([{ start: 0x101, end: 0x102, source: 'a' }]);
    expect(Array.from(part.merge(MemoryImage.empty()).read(0x100, 4, 0))).toEqual([0, 2, 0xee, 0]);
  });

  it('keeps every origin when a run grows from several sources, and names the right one in an overlap', () => {
    const b = new MemoryImageBuilder();
    b.adopt(0x100, bytes(1, 2), 'f line 1');
    b.add(0x102, bytes(3, 4), 'f line 1'); // same source: extends the run's own origin
    b.add(0x104, bytes(5, 6), 'g line 7'); // another source on the same run
    b.add(0x106, bytes(7), 'g line 7');
    b.adopt(0x0, bytes(9), 'h line 2'); // an earlier address, a later run
    b.add(0x1, bytes(8), 'f line 1');
    const img = b.build();
    expect(img.origins).toEqual([
      { start: 0x0, end: 0x1, source: 'h line 2' },
      { start: 0x1, end: 0x2, source: 'f line 1' },
      { start: 0x100, end: 0x104, source: 'f line 1' },
      { start: 0x104, end: 0x107, source: 'g line 7' },
    ]);
    const clash = new MemoryImageBuilder();
    clash.adopt(0x10, bytes(1, 2), 'a line 1');
    clash.add(0x12, bytes(3), 'b line 2');
    clash.adopt(0x12, bytes(4), 'c line 3');
    expect(() => clash.build()).toThrow(ImageOverlapError);
    try { clash.build(); } catch (e) { expect((e as Error).message).toMatch(/c line 3 overlaps b line 2 at/); }
  });
});
