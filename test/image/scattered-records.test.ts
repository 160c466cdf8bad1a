/**
 * Scattered HEX/S-record records (issue 10 §5): each record becomes its own segment, but not
 * its own ArrayBuffer: small runs are views into shared slabs, so the per-record cost is a
 * view and its bookkeeping, not a buffer allocation each (counted, not timed).
 */
import { describe, expect, it } from 'vitest';
import { parseSrec } from '../../src/image/srec.js';

function scatteredSrec(n: number): string {
  let x = 99;
  const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = 0x08000000 + ((i * 7919) % n) * 64; // every record on its own, in scattered order
    const bytes = [9, a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff, rnd() & 0xff];
    const sum = ~bytes.reduce((s, b) => s + b, 0) & 0xff;
    lines.push('S3' + [...bytes, sum].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase());
  }
  lines.push('S70508000000F2');
  return lines.join('\n') + '\n';
}

describe('scattered records', () => {
  it('100k scattered 4-byte records: 100k segments sharing a handful of buffers', () => {
    const n = 100_000;
    const image = parseSrec(new TextEncoder().encode(scatteredSrec(n)), 'scatter.srec').image;
    expect(image.segments).toHaveLength(n);
    expect(image.size).toBe(4 * n);
    const buffers = new Set(image.segments.map((s) => s.data.buffer));
    expect(buffers.size).toBeLessThanOrEqual(Math.ceil((4 * n) / (64 * 1024)) + 1);
  }, 60_000);
});
