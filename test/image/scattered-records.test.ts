/**
 * Scattered HEX/S-record records (issue 10 §5): a million records in random order once cost
 * about 600 bytes of peak memory each (an object, a typed-array view and a "file line N"
 * string per record). Now they are rows of compact tables, their bytes packed into shared
 * slabs, so the peak stays within 4× the data plus a small constant per record.
 *
 * Memory is measured as the peak RSS of a child process that loads the file the way the CLI
 * does (4 MiB chunks), less the peak of the same child exiting before it parses (node, tsx and
 * the modules), both measured in this run. Time is the parse's own CPU time, N against 4N
 * records in one child: a ratio, never an absolute time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSrec } from '../../src/image/srec.js';
import { recordFile, type RecordFileSpec } from './helpers/hostile-records.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fw-scatter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1024 * 1024;
/**
 * Bytes per record the bound allows besides 4× the data: while parsing, a record is a 20-byte
 * run row (address, last address, chunk, offset, line); building adds a 4-byte sort index, a
 * 16-byte segment row and 8 bytes of origin name and line (the origin's span is the segment
 * row itself), 48 bytes at the peak, 24 of which stay in the image. 64 leaves room for
 * allocator rounding and garbage not yet collected. The old representation needed ~600.
 */
const PER_RECORD = 64;
/**
 * Fixed costs: the 4 MiB read buffer and a chunk carried over, a slab of up to 4 MiB being
 * filled, one 16k-row page of the run table, the hex digit tables, and the heap the parse's
 * code and short-lived objects need above an idle process.
 */
const CONSTANT = 24 * MIB;

const CHILD = join(dir, 'child.ts');
writeFileSync(CHILD, `
import { loadImageFile } from ${JSON.stringify(join(ROOT, 'src/cli/load-image.ts'))};
const [mode, ...files] = process.argv.slice(2);
const peak = () => process.resourceUsage().maxRSS * 1024;
if (mode === 'idle') {
  console.log(JSON.stringify({ rss: peak() }));
} else if (mode === 'memory') {
  const image = loadImageFile(files[0]).image;
  const rss = peak(); // before the checks below allocate anything
  console.log(JSON.stringify({ rss, size: image.size, segments: image.segmentCount, crc: image.crc32(), start: image.start, end: image.end }));
} else {
  // CPU time of loading each file, the least of 3 tries, sizes interleaved (after a warm-up).
  const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
  loadImageFile(files[0]);
  const best = files.map(() => Infinity);
  for (let round = 0; round < 3; round++) {
    files.forEach((f, i) => { const t = cpu(); loadImageFile(f); best[i] = Math.min(best[i], cpu() - t); });
  }
  console.log(JSON.stringify({ cpu: best }));
}
`);

function child(...args: string[]): Record<string, number> & { cpu: number[] } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (p.status !== 0) throw new Error(`child failed (${p.status}): ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').at(-1)!) as Record<string, number> & { cpu: number[] };
}

function fileOf(spec: RecordFileSpec): { path: string; file: ReturnType<typeof recordFile> } {
  const file = recordFile(spec);
  const path = join(dir, `${spec.layout}-${spec.count}.${spec.format}`);
  writeFileSync(path, file.file);
  return { path, file: { ...file, file: new Uint8Array(0) } };
}

describe('scattered records: bounded memory', () => {
  const idle = () => child('idle').rss!;

  for (const format of ['srec', 'hex'] as const) {
    it(`500k scattered ${format} records: peak ≤ 4× data + ${PER_RECORD} B/record + ${CONSTANT / MIB} MiB`, () => {
      const { path, file } = fileOf({ layout: 'scattered', format, count: 500_000, seed: format === 'hex' ? 1 : 2 });
      const base = idle();
      const r = child('memory', path);
      expect({ size: r.size, segments: r.segments, crc: r.crc, start: r.start, end: r.end }).toEqual({
        size: file.expected.size, segments: file.expected.segments, crc: file.expected.crc32, start: file.expected.start, end: file.expected.end,
      });
      const used = r.rss! - base;
      const bound = 4 * file.expected.size + PER_RECORD * file.records + CONSTANT;
      expect(used, `peak ${(used / MIB).toFixed(1)} MiB above idle for ${file.records} records, ${(file.expected.size / MIB).toFixed(1)} MiB of data`).toBeLessThanOrEqual(bound);
    }, 180_000);
  }
});

describe('scattered records: linear time', () => {
  // Linear work makes the 4N file cost about 4× the N file (n log n: 4.5×); quadratic, 16×.
  const cases: RecordFileSpec[] = [
    { layout: 'scattered', format: 'srec', count: 50_000, seed: 3 },
    { layout: 'adjacent', format: 'hex', count: 50_000, seed: 4 },
    { layout: 'huge-gaps', format: 'hex', count: 50_000, seed: 5 },
  ];
  for (const spec of cases) {
    it(`${spec.layout} ${spec.format}: 4× the records cost at most 8× the CPU time`, () => {
      const small = fileOf(spec);
      const big = fileOf({ ...spec, count: 4 * spec.count });
      const [a, b] = child('time', small.path, big.path).cpu;
      expect(b! / a!, `CPU µs: ${a} for ${small.file.records} records, ${b} for ${big.file.records}`).toBeLessThanOrEqual(8);
    }, 180_000);
  }
});

describe('scattered records: shape', () => {
  it('100k scattered records: 100k segments sharing a handful of buffers', () => {
    const { file, expected } = recordFile({ layout: 'scattered', format: 'srec', count: 100_000, seed: 6, minLength: 4, maxLength: 4 });
    const image = parseSrec(file, 'scatter.srec').image;
    expect(image.segmentCount).toBe(100_000);
    expect(image.size).toBe(expected.size);
    const buffers = new Set(image.segments.map((s) => s.data.buffer));
    expect(buffers.size).toBeLessThanOrEqual(Math.ceil(expected.size / (64 * 1024)) + 1);
  }, 60_000);
});
