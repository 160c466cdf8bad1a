/**
 * Fuzz campaigns over the hostile record layouts (issue 10 §5; generators in
 * helpers/hostile-records.ts): scattered, overlapping, adjacent, huge-gap and block files,
 * HEX and S-record, records written once or twice, optionally one conflicting record, fed to
 * the parser in random chunks. And the image builder against a byte-by-byte model, since its
 * compact tables replaced an object per run. Every campaign counts its cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intelHexChunks, IntelHexParser, writeIntelHex } from '../../src/image/intel-hex.js';
import { ImageOverlapError, MemoryImage, MemoryImageBuilder } from '../../src/image/memory-image.js';
import { SrecParser, srecChunks, writeSrec } from '../../src/image/srec.js';
import { RECORD_LAYOUTS, recordFile } from './helpers/hostile-records.js';

/** Runs every one of `runs` cases (no time limit) and checks that they all ran. */
function campaign<T>(arb: fc.Arbitrary<T>, runs: number, check: (value: T) => void): void {
  let ran = 0;
  fc.assert(fc.property(arb, (v) => { ran++; check(v); }), { numRuns: runs });
  expect(ran).toBeGreaterThanOrEqual(runs);
}

describe('fuzz: hostile record layouts', () => {
  const spec = fc.record({
    layout: fc.constantFrom(...RECORD_LAYOUTS),
    format: fc.constantFrom('hex' as const, 'srec' as const),
    count: fc.integer({ min: 1, max: 20_000 }),
    seed: fc.integer(),
    minLength: fc.integer({ min: 1, max: 8 }),
    extra: fc.integer({ min: 0, max: 40 }),
    twice: fc.boolean(),
    conflict: fc.boolean(),
    chunk: fc.integer({ min: 1, max: 70_000 }),
  });

  it('parse to exactly the union of the records, name the lines they came from, or name the conflicting line', () => {
    const seen = new Set<string>();
    campaign(spec, 60, (p) => {
      seen.add(p.layout);
      const f = recordFile({ layout: p.layout, format: p.format, count: p.count, seed: p.seed, minLength: p.minLength, maxLength: p.minLength + p.extra, twice: p.twice, conflict: p.conflict });
      const name = `big.${p.format}`;
      const parser = p.format === 'hex' ? new IntelHexParser(name) : new SrecParser(name);
      const parse = () => {
        for (let i = 0; i < f.file.length; i += p.chunk) parser.push(f.file.subarray(i, i + p.chunk));
        return parser.finish();
      };
      if (f.conflict) {
        let err: unknown;
        try { parse(); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(ImageOverlapError);
        const e = err as ImageOverlapError;
        expect(e.start).toBe(f.conflict.address);
        expect([e.firstSource, e.secondSource]).toContain(`${name} line ${f.conflict.line}`);
        return;
      }
      const { image, warnings } = parse();
      expect(warnings).toEqual([]);
      expect({ segments: image.segmentCount, size: image.size, crc32: image.crc32(), start: image.start, end: image.end }).toEqual(f.expected);
      const s = f.sample!;
      const sources = image.sourcesIn(s.address, s.address + s.length);
      const lines = sources.map((src) => Number(/^big\.(?:hex|srec) line (\d+)$/.exec(src)?.[1]));
      expect(lines.every((l) => l > 0)).toBe(true);
      // The sample's bytes came from a run that began at its line or earlier; a record with gaps
      // all round is a run of its own, named after exactly its line.
      expect(Math.min(...lines)).toBeLessThanOrEqual(s.line);
      if ((p.layout === 'scattered' || p.layout === 'huge-gaps')) expect(lines).toContain(s.line);
      if ((p.layout === 'scattered' || p.layout === 'huge-gaps') && !p.twice) expect(lines).toEqual([s.line]);
    });
    expect([...seen].sort()).toEqual([...RECORD_LAYOUTS].sort());
  }, 300_000);
});

describe('fuzz: the image builder against a byte model', () => {
  const op = fc.record({
    kind: fc.constantFrom('add', 'adopt', 'addFrom'),
    address: fc.integer({ min: 0, max: 600 }),
    data: fc.uint8Array({ minLength: 0, maxLength: 48 }),
    source: fc.constantFrom('a', 'b', 'c'),
    line: fc.integer({ min: 0, max: 3 }),
    /** Take bytes from the model where they exist, so overlaps mostly agree. */
    agree: fc.boolean(),
  });
  const plan = fc.record({ ops: fc.array(op, { maxLength: 40 }), replace: fc.boolean(), high: fc.boolean() });

  it('bytes, segments, origins, slices and merges match the model', () => {
    campaign(plan, 400, ({ ops, replace, high }) => {
      const base = high ? 0xfffff000 : 0; // near the top of the space too
      const model = new Map<number, number>();
      const names = new Map<number, Set<string>>();
      let conflict = false;
      const b = new MemoryImageBuilder({ allowReplace: replace });
      for (const o of ops) {
        const address = base + o.address;
        const data = o.agree ? o.data.map((v, k) => model.get(address + k) ?? v) : o.data;
        const name = o.line ? `${o.source} line ${o.line}` : o.source;
        for (let k = 0; k < data.length; k++) {
          const old = model.get(address + k);
          if (old !== undefined && old !== data[k]) conflict = true;
          model.set(address + k, data[k]!);
          (names.get(address + k) ?? names.set(address + k, new Set()).get(address + k)!).add(name);
        }
        if (o.kind === 'add') b.add(address, data, o.source, o.line);
        else if (o.kind === 'adopt') b.adopt(address, data.slice(), o.source, o.line);
        else {
          const padded = new Uint8Array(data.length + 7);
          padded.set(data, 3);
          b.addFrom(address, padded, 3, data.length, o.source, o.line);
        }
      }
      if (conflict && !replace) {
        expect(() => b.build()).toThrow(ImageOverlapError);
        return;
      }
      const img = b.build();
      const addrs = [...model.keys()].sort((x, y) => x - y);
      // Segments: maximal runs of consecutive model addresses.
      const runs: [number, number][] = [];
      for (const a of addrs) {
        const last = runs[runs.length - 1];
        if (last && last[1] === a) last[1] = a + 1; else runs.push([a, a + 1]);
      }
      expect(Array.from(img.eachSegment(), (s) => [s.address, s.address + s.data.length])).toEqual(runs);
      expect(img.segments.map((s) => [s.address, s.address + s.data.length])).toEqual(runs);
      expect(img.size).toBe(addrs.length);
      for (const a of addrs) {
        expect(img.byteAt(a)).toBe(model.get(a));
        if (!replace) expect(new Set(img.sourcesIn(a, a + 1))).toEqual(names.get(a));
      }
      const lo = base + 100;
      const hi = base + 400;
      expect(Array.from(img.read(lo, hi - lo, 0xee))).toEqual(Array.from({ length: hi - lo }, (_, k) => model.get(lo + k) ?? 0xee));
      const part = img.slice(lo, hi);
      expect(part.size).toBe(addrs.filter((a) => a >= lo && a < hi).length);
      expect(Array.from(part.read(lo, hi - lo, 0xee))).toEqual(Array.from(img.read(lo, hi - lo, 0xee)));
      for (const o of part.origins) expect(o.start >= lo && o.end <= hi && o.end > o.start).toBe(true);
      // A merge with itself agrees everywhere, and keeps every byte and name.
      const again = img.merge(img);
      expect(again.crc32()).toBe(img.crc32());
      expect(again.segmentCount).toBe(img.segmentCount);
      if (addrs.length) expect(again.sourcesIn(addrs[0]!, addrs[0]! + 1)).toEqual(img.sourcesIn(addrs[0]!, addrs[0]! + 1));
      expect(MemoryImage.fromSegments(img.eachSegment()).crc32()).toBe(img.crc32());
    });
  });
});

describe('fuzz: writers in pieces', () => {
  it('the pieces of a HEX or S-record file, joined, are the file the one-piece writer makes', () => {
    const spec = fc.record({
      layout: fc.constantFrom(...RECORD_LAYOUTS), count: fc.integer({ min: 1, max: 3000 }), seed: fc.integer(),
      piece: fc.integer({ min: 1, max: 5000 }), recordSize: fc.constantFrom(16, 32), crlf: fc.boolean(), entry: fc.option(fc.nat(), { nil: undefined }),
    });
    campaign(spec, 80, (p) => {
      const parsed = new SrecParser('w.srec').push(recordFile({ layout: p.layout, format: 'srec', count: p.count, seed: p.seed }).file).finish().image;
      const img = p.entry === undefined ? parsed : MemoryImage.fromSegments(parsed.eachSegment(), p.entry);
      const join = (parts: Iterable<Uint8Array>) => {
        const all = [...parts];
        for (const part of all.slice(0, -1)) expect(part.length).toBeGreaterThanOrEqual(p.piece); // pieces are not tiny
        return Buffer.concat(all);
      };
      const o = { recordSize: p.recordSize, crlf: p.crlf };
      expect(join(intelHexChunks(img, o, p.piece)).equals(writeIntelHex(img, o))).toBe(true);
      expect(join(srecChunks(img, o, p.piece)).equals(writeSrec(img, o))).toBe(true);
    });
  });
});
