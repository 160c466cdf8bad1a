/**
 * Property and fuzz tests: random and mutated inputs to every parser must either load or
 * fail with a typed FlashwrightError (never a TypeError/RangeError, never a hang: a hang
 * would trip the test timeout); and every image must survive a round trip through every
 * format. Campaigns have no time limit and count their cases: a slow machine makes them
 * take longer, never run fewer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashwrightError } from '../../src/core/errors.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { encodeImage, loadImage } from '../../src/image/formats.js';
import { IntelHexParser, parseIntelHex } from '../../src/image/intel-hex.js';
import { ImageOverlapError, MemoryImage, MemoryImageBuilder } from '../../src/image/memory-image.js';
import { parseSrec } from '../../src/image/srec.js';
import { buildElf } from './helpers/make-elf.js';

const RUNS = 400;

/** Runs every one of RUNS cases (no time limit) and checks that they all ran. */
function campaign<T>(arb: fc.Arbitrary<T>, check: (value: T) => void): void {
  let ran = 0;
  fc.assert(fc.property(arb, (v) => { ran++; check(v); }), { numRuns: RUNS });
  expect(ran).toBeGreaterThanOrEqual(RUNS);
}

/** Runs `fn`; returns normally if it succeeded or threw a FlashwrightError, else rethrows. */
function typedOnly(fn: () => unknown): void {
  try { fn(); } catch (e) {
    if (e instanceof FlashwrightError) {
      expect(e.message.length).toBeGreaterThan(0);
      return;
    }
    throw e;
  }
}

const image = fc.tuple(
  fc.array(fc.record({ address: fc.integer({ min: 0, max: 0xffffffff - 600 }), data: fc.uint8Array({ minLength: 1, maxLength: 600 }) }), { maxLength: 6 }),
  fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
).map(([segs, entry]) => {
  const b = new MemoryImageBuilder({ allowReplace: true });
  for (const s of segs) b.add(s.address, s.data, 'gen');
  if (entry !== undefined) b.entryPoint = entry;
  return b.build();
});

/** Applies random edits (overwrite, insert, delete, truncate) to a valid file. */
const mutated = (base: Uint8Array, alphabet: fc.Arbitrary<number>) => fc.array(fc.tuple(fc.nat(), fc.constantFrom('set', 'insert', 'delete', 'cut'), alphabet), { minLength: 1, maxLength: 6 })
  .map((edits) => {
    let b = Array.from(base);
    for (const [pos, op, v] of edits) {
      const p = b.length ? pos % b.length : 0;
      if (op === 'set') b[p] = v;
      else if (op === 'insert') b.splice(p, 0, v);
      else if (op === 'delete') b.splice(p, 1);
      else b = b.slice(0, p);
    }
    return Uint8Array.from(b);
  });

const sample = MemoryImage.fromSegments([
  { address: 0x0800fff0, data: Uint8Array.from({ length: 70 }, (_, i) => i * 3) },
  { address: 0x20000000, data: Uint8Array.from([1, 2, 3]) },
], 0x08000101);
const hexChars = fc.constantFrom(...':0123456789ABCDEFabcdefS\r\n G'.split('').map((c) => c.charCodeAt(0)), 0, 0xff);

describe('fuzz: random and mutated inputs give typed errors only', () => {
  it('Intel HEX', () => {
    campaign(fc.uint8Array({ maxLength: 300 }), (d) => typedOnly(() => parseIntelHex(d, 'r.hex')));
    const valid = encodeImage(sample, 'hex');
    campaign(mutated(valid, hexChars), (d) => typedOnly(() => parseIntelHex(d, 'm.hex')));
  });

  it('S-record', () => {
    campaign(fc.uint8Array({ maxLength: 300 }), (d) => typedOnly(() => parseSrec(d, 'r.srec')));
    const valid = encodeImage(sample, 'srec');
    campaign(mutated(valid, hexChars), (d) => typedOnly(() => parseSrec(d, 'm.srec')));
  });

  it('ELF (random bytes behind a valid magic, and mutated real layouts)', () => {
    const magic = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    campaign(fc.uint8Array({ maxLength: 400 }), (d) => {
      const f = new Uint8Array(magic.length + d.length);
      f.set(magic); f.set(d, magic.length);
      typedOnly(() => elfToImage(parseElf(f, 'r.elf'), 'r.elf'));
    });
    const valid = buildElf({
      entry: 0x101,
      segments: [{ paddr: 0x100, vaddr: 0x100, data: new Uint8Array(24).fill(7), memsz: 24 }, { paddr: 0x118, vaddr: 0x20000000, data: Uint8Array.from([1, 2, 3, 4]), memsz: 64 }],
      sections: [{ name: '.text', address: 0x100, data: new Uint8Array(24).fill(7), flags: 6, segment: 0 }, { name: '.data', address: 0x20000000, data: Uint8Array.from([1, 2, 3, 4]), flags: 3, segment: 1 }],
      symbols: [{ name: 'Init', value: 0x101, size: 4, type: 2, bind: 1, section: 1 }],
    });
    // Header and table fields matter most: overwrite bytes anywhere with extreme values too.
    campaign(mutated(valid, fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xfe, 0xff)), (d) => typedOnly(() => {
      const elf = parseElf(d, 'm.elf');
      elf.symbol('Init');
      elfToImage(elf, 'm.elf');
    }));
  });

  it('format detection and loading of anything', () => {
    campaign(fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('x', 'x.hex', 'x.srec', 'x.elf', 'x.bin')), ([d, name]) => typedOnly(() => loadImage(d, { source: name })));
  });
});

describe('round trips', () => {
  const same = (a: MemoryImage, b: MemoryImage) => {
    expect(b.segments.map((s) => [s.address, Array.from(s.data)])).toEqual(a.segments.map((s) => [s.address, Array.from(s.data)]));
  };

  it('image → Intel HEX → image (16 and 32 byte records, any chunking)', () => {
    fc.assert(fc.property(image, fc.constantFrom(16, 32), fc.boolean(), fc.integer({ min: 1, max: 97 }), (img, rs, crlf, step) => {
      const file = encodeImage(img, 'hex', { recordSize: rs, crlf });
      const p = new IntelHexParser('rt.hex');
      for (let i = 0; i < file.length; i += step) p.push(file.subarray(i, i + step));
      const back = p.finish();
      same(img, back.image);
      expect(back.image.entryPoint).toBe(img.entryPoint);
      expect(back.warnings).toEqual([]);
    }), { numRuns: 150 });
  });

  it('image → S-record → image', () => {
    fc.assert(fc.property(image, fc.constantFrom(16, 32), (img, rs) => {
      const back = loadImage(encodeImage(img, 'srec', { recordSize: rs }), { source: 'rt.srec', format: 'srec' });
      same(img, back.image);
      expect(back.image.entryPoint).toBe(img.entryPoint); // no termination record without an entry point
    }), { numRuns: 150 });
  });

  it('image → binary → image equals the image with gaps filled', () => {
    const near = fc.array(fc.record({ offset: fc.integer({ min: 0, max: 4096 }), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { minLength: 1, maxLength: 5 });
    fc.assert(fc.property(near, fc.integer({ min: 0, max: 0xff }), (segs, fill) => {
      const b = new MemoryImageBuilder({ allowReplace: true });
      for (const s of segs) b.add(0x08000000 + s.offset, s.data, 'gen');
      const img = b.build();
      const back = loadImage(encodeImage(img, 'bin', { fill }), { source: 'rt.bin', base: img.start! });
      same(img.filled(fill), back.image);
    }), { numRuns: 150 });
  });
});

describe('streaming of pathological input', () => {
  it('a huge input without line ends fails at its first record, however it is chunked', () => {
    const junk = new Uint8Array(8 * 1024 * 1024).fill(0x41);
    junk[0] = 0x3a;
    const p = new IntelHexParser('junk.hex');
    let err: unknown;
    try {
      for (let i = 0; i < junk.length; i += 4096) p.push(junk.subarray(i, i + 4096));
      p.finish();
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(FlashwrightError);
    expect((err as FlashwrightError).code).toBe('IMAGE_LENGTH_MISMATCH'); // ':AA…' claims 0xAA bytes, then goes on
  });

  it('records separated by blanks on one long line parse the same in any chunking', () => {
    const img = MemoryImage.fromSegments([{ address: 0x1000, data: Uint8Array.from({ length: 8000 }, (_, i) => i & 0xff) }]);
    const oneLine = new TextDecoder().decode(encodeImage(img, 'hex')).replace(/\n/g, ' ');
    const bytes = new TextEncoder().encode(oneLine);
    for (const step of [1000, 70000]) {
      const p = new IntelHexParser('blanks.hex');
      for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
      expect(Array.from(p.finish().image.read(0x1000, 8000))).toEqual(Array.from(img.read(0x1000, 8000)));
    }
  });
});

/**
 * Large inputs: a random-order campaign cannot catch a hang on one input (fast-check's time
 * limit only stops between runs), so these properties make every input big (100k–150k
 * records, duplicated, reversed, shuffled, overlapping). The step is never more than a record's length, so each
 * file is one segment built from up to 300k overlapping runs: a quadratic path in the parser or
 * the builder would take minutes per input and trip the test timeout.
 */
describe('fuzz: large record files (duplicated, reversed, shuffled, overlapping records)', () => {
  const BASE = 0x0800f000; // crosses a 64 KiB boundary, so HEX files need extended address records
  const truth = (a: number) => (Math.imul(a, 0x9e3779b1) >>> 24) & 0xff;
  const plan = fc.record({
    count: fc.integer({ min: 100_000, max: 150_000 }),
    length: fc.integer({ min: 1, max: 32 }),
    stepPercent: fc.integer({ min: 1, max: 100 }),
    order: fc.constantFrom('forward', 'reverse', 'block-reverse', 'shuffle'),
    twice: fc.boolean(),
    conflict: fc.boolean(),
    format: fc.constantFrom('hex', 'srec'),
    seed: fc.integer(),
  });

  function mulberry(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
  }

  const hexByte = (v: number) => v.toString(16).toUpperCase().padStart(2, '0');
  function hexRecord(type: number, addr16: number, data: number[]): string {
    const body = [data.length, addr16 >> 8, addr16 & 0xff, type, ...data];
    return ':' + body.map(hexByte).join('') + hexByte(-body.reduce((a, b) => a + b, 0) & 0xff);
  }
  function srecRecord(address: number, data: number[]): string {
    const body = [data.length + 5, address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff, ...data];
    return 'S3' + body.map(hexByte).join('') + hexByte(~body.reduce((a, b) => a + b, 0) & 0xff);
  }

  it('parse to exactly the union of their records, or name the one conflicting record', () => {
    fc.assert(fc.property(plan, (p) => {
      const rand = mulberry(p.seed);
      const step = Math.max(1, Math.round((p.length * p.stepPercent) / 100));
      let records: { address: number; data: number[] }[] = [];
      for (let i = 0; i < p.count; i++) {
        const address = BASE + i * step;
        // HEX records must not cross a 64 KiB boundary: split the ones that would.
        const cut = p.format === 'hex' ? Math.min(p.length, 0x10000 - (address & 0xffff)) : p.length;
        records.push({ address, data: Array.from({ length: cut }, (_, k) => truth(address + k)) });
        if (cut < p.length) records.push({ address: address + cut, data: Array.from({ length: p.length - cut }, (_, k) => truth(address + cut + k)) });
      }
      const end = records[records.length - 1]!.address + records[records.length - 1]!.data.length;
      if (p.twice) records = records.flatMap((r) => [r, r]);
      if (p.order === 'reverse') records.reverse();
      else if (p.order === 'block-reverse') {
        const blocks = new Map<number, typeof records>();
        for (const r of records) (blocks.get(r.address >>> 16) ?? blocks.set(r.address >>> 16, []).get(r.address >>> 16)!).push(r);
        records = [...blocks.values()].flatMap((b) => b.reverse());
      } else if (p.order === 'shuffle') {
        for (let i = records.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [records[i], records[j]] = [records[j]!, records[i]!];
        }
      }
      let conflictAt: number | undefined;
      if (p.conflict) {
        const victim = records[Math.floor(rand() * records.length)]!;
        const k = Math.floor(rand() * victim.data.length);
        const bad = { address: victim.address, data: victim.data.slice() };
        bad.data[k]! ^= 0x5a;
        conflictAt = victim.address + k;
        records.splice(Math.floor(rand() * (records.length + 1)), 0, bad);
      }
      const lines: string[] = [];
      let upper = -1;
      for (const r of records) {
        if (p.format === 'srec') { lines.push(srecRecord(r.address, r.data)); continue; }
        if (r.address >>> 16 !== upper) {
          upper = r.address >>> 16;
          lines.push(hexRecord(4, 0, [upper >> 8, upper & 0xff]));
        }
        lines.push(hexRecord(0, r.address & 0xffff, r.data));
      }
      lines.push(p.format === 'hex' ? ':00000001FF' : 'S70500000000FA');
      const file = new TextEncoder().encode(lines.join('\n') + '\n');
      const parse = () => loadImage(file, { source: `big.${p.format}`, format: p.format });
      if (conflictAt !== undefined) {
        let err: unknown;
        try { parse(); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(ImageOverlapError);
        expect((err as ImageOverlapError).start).toBe(conflictAt);
        return;
      }
      const img = parse().image;
      // Records at every `step` with `length` bytes: one contiguous segment unless step > length.
      const expected: { address: number; data: number[] }[] = [];
      for (let a = BASE; a < end;) {
        const covered = step <= p.length ? end - a : p.length;
        expected.push({ address: a, data: Array.from({ length: covered }, (_, k) => truth(a + k)) });
        a += step <= p.length ? covered : step;
      }
      expect(img.segments.length).toBe(expected.length);
      expect(img.size).toBe(expected.reduce((n, s) => n + s.data.length, 0));
      expect(img.crc32()).toBe(MemoryImage.fromSegments(expected.map((s) => ({ address: s.address, data: Uint8Array.from(s.data) }))).crc32());
      expect(img.segments[0]!.address).toBe(BASE);
    }), { numRuns: 8 });
  }, 120_000);
});
