/**
 * Inputs whose shape once made building an image quadratic: every record written twice, and
 * records in reverse order inside each 64 KiB block. Each test holds about a million records;
 * a quadratic path (each run compared with every earlier run, or one run per record) would
 * take hours or run out of memory and trip the (generous) timeout. The assertions are on the
 * result and its shape, never on wall time.
 */
import { describe, expect, it } from 'vitest';
import { parseIntelHex, writeIntelHex } from '../../src/image/intel-hex.js';
import { ImageOverlapError, MemoryImage, MemoryImageBuilder } from '../../src/image/memory-image.js';
import { parseSrec, writeSrec } from '../../src/image/srec.js';
import { text } from './helpers/errors.js';

const TIMEOUT = 60_000;
const BASE = 0x08000000;
/** 16 MiB of data: a million 16-byte records, 256 blocks of 64 KiB. */
const SIZE = 16 * 1024 * 1024;
const data = Uint8Array.from({ length: SIZE }, (_, i) => (i * 31 + (i >>> 11)) & 0xff);
const image = MemoryImage.fromSegments([{ address: BASE, data }]);

function errorOf(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  throw new Error('expected an error');
}

/** Splits a HEX file into blocks: each extended-address record with the data records after it. */
function hexBlocks(file: string): { head: string; records: string[] }[] {
  const lines = file.trimEnd().split('\n');
  const blocks: { head: string; records: string[] }[] = [];
  for (const l of lines) {
    if (l.slice(7, 9) === '04') blocks.push({ head: l, records: [] });
    else if (l.slice(7, 9) === '00') blocks[blocks.length - 1]!.records.push(l);
  }
  return blocks;
}

describe('MemoryImageBuilder with many overlapping runs', () => {
  it('builds 400k records each added twice (400k overlapping runs in one segment)', () => {
    const b = new MemoryImageBuilder();
    const n = 400_000;
    for (let i = 0; i < n; i++) {
      const rec = data.subarray(i * 16, i * 16 + 16);
      b.add(BASE + i * 16, rec, `a line ${i}`);
      b.add(BASE + i * 16, rec, `b line ${i}`); // not adjacent to the run it follows: a new run
    }
    const img = b.build();
    expect(img.segments.length).toBe(1);
    expect(img.size).toBe(n * 16);
    expect(img.crc32()).toBe(MemoryImage.fromSegments([{ address: BASE, data: data.subarray(0, n * 16) }]).crc32());
  }, TIMEOUT);

  it('still names both sources when the conflict comes after 200k agreeing overlaps', () => {
    const b = new MemoryImageBuilder();
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const rec = data.subarray(i * 16, i * 16 + 16);
      b.add(BASE + i * 16, rec, `a line ${i}`);
      b.add(BASE + i * 16, rec, `b line ${i}`);
    }
    const bad = data.slice(0, 16);
    bad[3]! ^= 0xff;
    bad[4]! ^= 0xff;
    b.add(BASE, bad, 'late.hex line 1');
    const err = errorOf(() => b.build());
    expect(err).toBeInstanceOf(ImageOverlapError);
    expect((err as ImageOverlapError).message).toBe(
      `late.hex line 1 overlaps a line 0 at 0x08000003–0x08000004 with different bytes (0x${data[3]!.toString(16).toUpperCase().padStart(2, '0')} vs 0x${bad[3]!.toString(16).toUpperCase().padStart(2, '0')} at 0x08000003).`);
  }, TIMEOUT);

  it('lets later data win over 200k overlapping runs when replacing is allowed', () => {
    const b = new MemoryImageBuilder({ allowReplace: true });
    for (let i = 0; i < 200_000; i++) {
      b.add(i * 16, new Uint8Array(32).fill(1), 'x');
      b.add(i * 16 + 8, new Uint8Array(8).fill(2), 'y');
    }
    const img = b.build();
    expect(img.segments.length).toBe(1);
    expect(Array.from(img.read(0, 32))).toEqual([...Array(8).fill(1), ...Array(8).fill(2), ...Array(8).fill(1), ...Array(8).fill(2)]);
    expect(img.byteAt(200_000 * 16 + 15)).toBe(1);
  }, TIMEOUT);
});

describe('HEX and S-record files with a million records', () => {
  it('reads a HEX file with every record written twice', () => {
    const blocks = hexBlocks(new TextDecoder().decode(writeIntelHex(image)));
    const out: string[] = [];
    for (const blk of blocks) {
      out.push(blk.head);
      for (const r of blk.records) out.push(r, r);
    }
    out.push(':00000001FF', '');
    const r = parseIntelHex(text(out.join('\n')), 'twice.hex');
    expect(r.image.segments.length).toBe(1);
    expect(r.image.crc32()).toBe(image.crc32());
    expect(r.image.origins).toEqual([{ start: BASE, end: BASE + SIZE, source: 'twice.hex line 2' }]);
  }, TIMEOUT);

  it('reads a HEX file with the records of each 64 KiB block in reverse order, one run per block', () => {
    const blocks = hexBlocks(new TextDecoder().decode(writeIntelHex(image)));
    const out: string[] = [];
    for (const blk of blocks) out.push(blk.head, ...blk.records.reverse());
    out.push(':00000001FF', '');
    const r = parseIntelHex(text(out.join('\n')), 'rev.hex');
    expect(r.image.segments.length).toBe(1);
    expect(r.image.crc32()).toBe(image.crc32());
    // One origin per block, named after the line where the block's records begin.
    expect(r.image.origins.length).toBe(256);
    expect(r.image.origins[1]).toEqual({ start: BASE + 0x10000, end: BASE + 0x20000, source: `rev.hex line ${4096 + 2 + 1}` });
  }, TIMEOUT);

  it('reads an S-record file written backwards (every record in reverse order)', () => {
    const lines = new TextDecoder().decode(writeSrec(image)).trimEnd().split('\n');
    const records = lines.filter((l) => l.startsWith('S3'));
    const out = [lines[0], ...records.reverse(), ...lines.filter((l) => /^S[5-9]/.test(l))];
    const r = parseSrec(text(out.join('\n') + '\n'), 'rev.srec');
    expect(r.image.segments.length).toBe(1);
    expect(r.image.crc32()).toBe(image.crc32());
    expect(r.image.origins.length).toBe(1);
  }, TIMEOUT);

  it('a repeated record with different bytes is still an overlap error naming both lines', () => {
    const src = [':020000040800F2', ':10000000000102030405060708090A0B0C0D0E0F78', ':10001000101112131415161718191A1B1C1D1E1F68',
      ':10000000000102030405060708090A0B0C0D0EFF88', ':00000001FF', ''].join('\n');
    const err = errorOf(() => parseIntelHex(text(src), 'd.hex'));
    expect(err).toBeInstanceOf(ImageOverlapError);
    expect((err as Error).message).toContain('d.hex line 4 overlaps d.hex line 2 at 0x0800000F–0x0800000F');
  });
});

describe('MemoryImage with many segments', () => {
  it('reads, slices and merges an image of 200k separate segments range by range', () => {
    const n = 200_000;
    const b = new MemoryImageBuilder();
    for (let i = 0; i < n; i++) b.add(i * 32, data.subarray(i * 16, i * 16 + 16), `s${i}`);
    const img = b.build();
    expect(img.segments.length).toBe(n);
    // merge() re-reads every origin: with a scan from the first segment per read, this was n².
    const merged = img.merge(MemoryImage.fromSegments([{ address: n * 32, data: Uint8Array.from([1]) }]));
    expect(merged.segments.length).toBe(n + 1);
    const all = new Uint8Array(n * 16 + 1); // the data bytes in address order, gaps skipped
    all.set(data.subarray(0, n * 16));
    all[n * 16] = 1;
    expect(merged.crc32()).toBe(MemoryImage.fromSegments([{ address: 0, data: all }]).crc32());
    let bytes = 0;
    for (let i = 0; i < n; i += 1) bytes += img.slice(i * 32, i * 32 + 20).size;
    expect(bytes).toBe(n * 16);
    expect(Array.from(img.read(32 * 7 + 14, 4, 0))).toEqual([data[7 * 16 + 14], data[7 * 16 + 15], 0, 0]);
    expect(img.intersects(32 * 5 + 16, 32 * 6)).toBe(false);
    expect(img.intersects(32 * 5 + 15, 32 * 6)).toBe(true);
    expect(img.intersects(n * 32, n * 33)).toBe(false);
  }, TIMEOUT);
});
