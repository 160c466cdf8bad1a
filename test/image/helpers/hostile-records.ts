/**
 * Generators of hostile Intel HEX and S-record files (issue 10 §5), beside hostile-elf.ts:
 * records scattered in random order with gaps, overlapping, exactly adjacent but shuffled, or
 * spread over the whole 32-bit space. Every byte's value is a function of its address, so a
 * test knows what the image must hold without keeping the records: the generator returns the
 * union of the records (segment count, data bytes, CRC-32 in address order) and writes the
 * file straight into bytes (a million records are tens of MiB of text, never a string each).
 */
import { crc32 } from '../../../src/core/crc.js';

/**
 * scattered: records with gaps between them, in random order (each its own segment);
 * overlapping: each record overlaps or touches the next, in random order (one segment);
 * adjacent: records exactly end to end, in random order (one segment);
 * huge-gaps: records spread over the whole 32-bit space, in random order;
 * blocks: runs of about 8 KiB of adjacent records with gaps between them, in address order
 * (each run longer than a parser's first buffer, so a run is one segment of many records).
 */
export type RecordLayout = 'scattered' | 'overlapping' | 'adjacent' | 'huge-gaps' | 'blocks';
export const RECORD_LAYOUTS: readonly RecordLayout[] = ['scattered', 'overlapping', 'adjacent', 'huge-gaps', 'blocks'];

export interface RecordFileSpec {
  layout: RecordLayout;
  format: 'hex' | 'srec';
  /** Records before splitting at 64 KiB boundaries (HEX records cannot cross one). */
  count: number;
  seed: number;
  /** Data bytes per record, drawn from [minLength, maxLength]; default 1–16. */
  minLength?: number;
  maxLength?: number;
  /** Write every record twice (at different places in the file). */
  twice?: boolean;
  /** Insert one record that repeats another's address with one byte changed. */
  conflict?: boolean;
  /** Lowest address; default 0x08000000 (0x00000100 for huge-gaps, which spans the space). */
  base?: number;
}

export interface RecordFile {
  file: Uint8Array;
  /** Data records written (after splitting and doubling). */
  records: number;
  /** The union of the records: what the parsed image must hold. */
  expected: { segments: number; size: number; crc32: number; start: number; end: number };
  /** With `conflict`: the address of the changed byte and the 1-based line of the record holding it. */
  conflict?: { address: number; line: number };
  /** One record (not a continuation of a split one): its address, length and the line of its first copy. */
  sample?: { address: number; length: number; line: number };
}

/** The byte every record holds at `address`. */
export function truthByte(address: number): number {
  return (Math.imul(address, 0x9e3779b1) >>> 24) & 0xff;
}

/** Deterministic PRNG (mulberry32) in [0, 1). */
export function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Record addresses and lengths in address order, laid out as `layout` says. */
function layOut(spec: RecordFileSpec, rand: () => number): { address: Float64Array; length: Uint16Array; continued: Uint8Array; n: number } {
  const min = spec.minLength ?? 1;
  const max = spec.maxLength ?? 16;
  const n0 = spec.count;
  // HEX splits at 64 KiB boundaries: at most one extra record per record.
  const address = new Float64Array(spec.format === 'hex' ? 2 * n0 : n0);
  const length = new Uint16Array(address.length);
  const continued = new Uint8Array(address.length); // the second piece of a record split at 64 KiB
  const huge = spec.layout === 'huge-gaps';
  let a = spec.base ?? (huge ? 0x100 : 0x08000000);
  // huge-gaps: gaps averaging what spreads the records over the whole 32-bit space.
  const meanGap = huge ? Math.max(2, Math.floor((0x1_0000_0000 - a) / n0) - max - 1) : 0;
  let n = 0;
  for (let i = 0; i < n0; i++) {
    const len = min + Math.floor(rand() * (max - min + 1));
    if (a + len > 0x1_0000_0000) break;
    let at = a;
    let left = len;
    while (left > 0) {
      const piece = spec.format === 'hex' ? Math.min(left, 0x10000 - (at % 0x10000)) : left;
      address[n] = at;
      continued[n] = at === a ? 0 : 1;
      length[n++] = piece;
      at += piece;
      left -= piece;
    }
    switch (spec.layout) {
      case 'scattered': a += len + 1 + Math.floor(rand() * 32); break; // never touching
      case 'adjacent': a += len; break;
      case 'overlapping': a += 1 + Math.floor(rand() * len); break; // overlaps or touches the next
      case 'huge-gaps': a += len + 1 + Math.floor(rand() * 2 * meanGap); break;
      case 'blocks': a += len + (Math.floor((a + len) / 8192) > Math.floor(a / 8192) ? 1 + Math.floor(rand() * 32) : 0); break;
    }
  }
  return { address, length, continued, n };
}

/** The union of sorted records: segments, bytes and their CRC-32 in address order. */
function unionOf(address: Float64Array, length: Uint16Array, n: number): RecordFile['expected'] {
  let segments = 0;
  let size = 0;
  let crc = 0;
  let start = -1;
  let end = -1;
  const buf = new Uint8Array(65536);
  const addBytes = (from: number, to: number) => {
    for (let p = from; p < to;) {
      const k = Math.min(buf.length, to - p);
      for (let j = 0; j < k; j++) buf[j] = truthByte(p + j);
      crc = crc32(buf.subarray(0, k), crc);
      p += k;
    }
    size += to - from;
  };
  let covered = -1; // end of the current segment
  for (let i = 0; i < n; i++) {
    const a = address[i]!;
    const e = a + length[i]!;
    if (a > covered) { segments++; if (start < 0) start = a; addBytes(a, e); covered = e; } else if (e > covered) { addBytes(covered, e); covered = e; }
    end = Math.max(end, covered);
  }
  return { segments, size, crc32: crc, start, end };
}

/** Writes ASCII records straight into a byte buffer. */
class Writer {
  buf: Uint8Array;
  pos = 0;
  line = 0;
  private sum = 0;
  constructor(estimate: number) { this.buf = new Uint8Array(estimate); }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const g = new Uint8Array(Math.max(2 * this.buf.length, this.pos + n));
    g.set(this.buf.subarray(0, this.pos));
    this.buf = g;
  }
  begin(text: string): void { this.room(600); for (let i = 0; i < text.length; i++) this.buf[this.pos++] = text.charCodeAt(i); this.sum = 0; }
  byte(v: number): void {
    const d = (x: number) => (x < 10 ? 0x30 + x : 0x37 + x);
    this.buf[this.pos++] = d(v >> 4);
    this.buf[this.pos++] = d(v & 15);
    this.sum += v;
  }
  end(checksum: (sum: number) => number): number { this.byte(checksum(this.sum)); this.buf[this.pos++] = 0x0a; return ++this.line; }
  result(): Uint8Array { return this.buf.subarray(0, this.pos); }
}

/** Generates a record file as `spec` says (records in random order unless the layout needs none). */
export function recordFile(spec: RecordFileSpec): RecordFile {
  const rand = mulberry(spec.seed);
  const { address, length, continued, n } = layOut(spec, rand);
  const expected = unionOf(address, length, n);
  // File order: a shuffled list of record indices (each twice when asked).
  const copies = spec.twice ? 2 : 1;
  const order = new Uint32Array(n * copies);
  for (let i = 0; i < order.length; i++) order[i] = i % n;
  if (spec.layout === 'blocks' && copies === 1) {
    // In address order, so records join into long runs as the parser reads them.
  } else for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  const victim = spec.conflict && n > 0 ? order[Math.floor(rand() * order.length)]! : -1;
  const w = new Writer(order.length * (spec.format === 'hex' ? 64 : 48) + 1024);
  const hexSum = (s: number) => (-s) & 0xff;
  const srecSum = (s: number) => ~s & 0xff;
  let upper = -1;
  const record = (a: number, len: number, changeAt = -1): number => {
    if (spec.format === 'hex') {
      if (Math.floor(a / 0x10000) !== upper) {
        upper = Math.floor(a / 0x10000);
        w.begin(':'); w.byte(2); w.byte(0); w.byte(0); w.byte(4); w.byte(upper >> 8); w.byte(upper & 0xff); w.end(hexSum);
      }
      w.begin(':'); w.byte(len); w.byte((a >> 8) & 0xff); w.byte(a & 0xff); w.byte(0);
    } else {
      w.begin('S3'); w.byte(len + 5);
      w.byte(Math.floor(a / 2 ** 24)); w.byte((a >>> 16) & 0xff); w.byte((a >>> 8) & 0xff); w.byte(a & 0xff);
    }
    for (let k = 0; k < len; k++) w.byte(truthByte(a + k) ^ (k === changeAt ? 0x5a : 0));
    return w.end(spec.format === 'hex' ? hexSum : srecSum);
  };
  if (spec.format === 'srec') { w.begin('S0'); w.byte(3); w.byte(0); w.byte(0); w.end(srecSum); }
  let conflict: RecordFile['conflict'];
  let wanted = -1;
  for (let tries = 0; tries < 16 && n > 0 && (wanted < 0 || continued[wanted]); tries++) wanted = Math.floor(rand() * n);
  let sample: RecordFile['sample'];
  for (let i = 0; i < order.length; i++) {
    const r = order[i]!;
    const line = record(address[r]!, length[r]!);
    if (r === wanted && !continued[r] && !sample) sample = { address: address[r]!, length: length[r]!, line };
    if (r === victim && !conflict) {
      // Right after its victim: its own run (same address, so neither appended nor prepended).
      const k = Math.floor(rand() * length[r]!);
      conflict = { address: address[r]! + k, line: record(address[r]!, length[r]!, k) };
    }
  }
  if (spec.format === 'hex') { w.begin(':'); w.byte(0); w.byte(0); w.byte(0); w.byte(1); w.end(hexSum); } else {
    w.begin('S7'); w.byte(5); w.byte(0); w.byte(0); w.byte(0); w.byte(0); w.end(srecSum);
  }
  return { file: w.result(), records: order.length + (conflict ? 1 : 0), expected, ...(conflict ? { conflict } : {}), ...(sample ? { sample } : {}) };
}
