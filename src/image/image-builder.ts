/**
 * Collects bytes in any order and builds a {@link MemoryImage}. Runs (contiguous bytes added
 * in one go or appended one after another) are rows of a compact table, their bytes packed
 * into shared slabs or, for long runs, a buffer of their own, and their names are a name
 * index and a line number: a file of a million scattered records costs its bytes plus a few
 * dozen bytes per record, not an object, a view and a "file line N" string each.
 */
import { orderByKey, Rows } from './image-tables.js';
import { AddressRangeError, ImageOverlapError, MemoryImage, sourceName } from './memory-image.js';

const MAX_ADDRESS = 0x1_0000_0000;
/** Runs up to this long share slabs; a longer one gets a buffer of its own (grown by doubling). */
const SLAB_RUN = 4096;
/** Slabs grow with the data (an eighth of what is stored so far) between these sizes. */
const SLAB_MIN = 64 * 1024;
const SLAB_MAX = 4 * 1024 * 1024;

// Fields of a run row (its name is in the builder's name changes: runs rarely change it).
const ADDR = 0;
const LAST = 1;
const CHUNK = 2;
const OFF = 3;
const LINE = 4;
// Fields of an extra origin row (data of a run from another source than the run's first).
const X_START = 0;
const X_LAST = 1;
const X_NAME = 2;
const X_LINE = 3;
const X_RUN = 4;

/**
 * Appending at the end of the previous chunk (the common case for HEX/SREC records) grows one
 * buffer, so a 32 MiB file of 16-byte records costs amortised O(n) time and about 2× its size
 * at the peak; building is linear too (a radix sort, then one pass).
 */
export class MemoryImageBuilder {
  entryPoint?: number;
  private readonly allowReplace: boolean;
  /** Run rows: address, last address, chunk, offset in the chunk, line. A run's index is its order of arrival. */
  private readonly runs = new Rows(5);
  /** Run indices where the name changes, ascending, and the name index from there on. */
  private readonly nameFrom: number[] = [];
  private readonly nameOfRuns: number[] = [];
  /** Origins beyond each run's first (which the run row carries), in order of arrival. */
  private readonly extras = new Rows(5);
  /** Runs that have extra origins → the last address of their first one (it covers the whole run otherwise). */
  private readonly firstOriginLast = new Map<number, number>();
  /** The current (last) run's last extra origin, or -1. */
  private currentExtra = -1;
  private readonly chunks: Uint8Array[] = [];
  /** Chunks that hold many runs: never trimmed or regrown for one of them. */
  private readonly slabs = new Set<number>();
  private slab = -1;
  private slabUsed = 0;
  private stored = 0;
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  /** Where {@link place} put the last bytes. */
  private placedChunk = 0;
  private placedOff = 0;

  constructor(options: { allowReplace?: boolean } = {}) {
    this.allowReplace = options.allowReplace ?? false;
  }

  /** Adds `data` at `address`; `source` (with `line`, when given) names it in overlap errors ("app.hex line 12"). */
  add(address: number, data: Uint8Array, source: string, line = 0): void {
    this.addFrom(address, data, 0, data.length, source, line);
  }

  /** Adds (copies) `n` bytes of `src` from offset `from`: {@link add} without a view for the caller to make. */
  addFrom(address: number, src: Uint8Array, from: number, n: number, source: string, line = 0): void {
    if (!Number.isInteger(address) || address < 0 || address + n > MAX_ADDRESS) throw new AddressRangeError(address, n, sourceName(source, line));
    if (n === 0) return;
    const name = this.nameId(source);
    const r = this.runs.count - 1;
    if (r >= 0 && this.runs.get(r, LAST) + 1 === address) {
      this.append(r, src, from, n);
      this.noteOrigin(r, address, n, name, line);
      return;
    }
    this.place(n);
    copy(src, from, this.chunks[this.placedChunk]!, this.placedOff, n);
    this.pushRun(address, n, this.placedChunk, this.placedOff, name, line);
  }

  /**
   * Like {@link add}, but takes ownership of `data` instead of copying it when it starts a new
   * run (the caller must not change it afterwards). Parsers that collect large runs use this
   * so a 32 MiB image is not held twice.
   */
  adopt(address: number, data: Uint8Array, source: string, line = 0): void {
    this.adoptFrom(address, data, 0, data.length, source, line);
  }

  /** {@link adopt} of `buf[off, off + n)`; the rest of `buf` is the builder's too (room to grow the run). */
  adoptFrom(address: number, buf: Uint8Array, off: number, n: number, source: string, line = 0): void {
    const r = this.runs.count - 1;
    if (n === 0 || (r >= 0 && this.runs.get(r, LAST) + 1 === address)) {
      this.addFrom(address, buf, off, n, source, line);
      return;
    }
    if (!Number.isInteger(address) || address < 0 || address + n > MAX_ADDRESS) throw new AddressRangeError(address, n, sourceName(source, line));
    const chunk = this.chunks.push(buf) - 1;
    this.stored += n;
    this.pushRun(address, n, chunk, off, this.nameId(source), line);
  }

  /**
   * Sorts, checks overlaps and merges adjacent runs. Linear in the data after the (radix) sort:
   * each run is compared only with the bytes already laid down for its group (which hold every
   * earlier run's bytes, since overlapping bytes must agree), never with each earlier run.
   */
  build(): MemoryImage {
    const runs = this.runs;
    const n = runs.count;
    // The sort's scratch becomes the origins' names (2 u32 per run) afterwards: one array less at the peak.
    const scratch = new Uint32Array(2 * n);
    const order = orderByKey(n, (i) => runs.get(i, ADDR), scratch);
    // A group: runs that overlap or touch, so their union is one contiguous segment.
    let groups = 0;
    for (let k = 0, end = -1; k < n; k++) {
      const r = order[k]!;
      if (runs.get(r, ADDR) > end) groups++;
      end = Math.max(end, runs.get(r, LAST) + 1);
    }
    const seg = new Uint32Array(4 * groups);
    const chunks: Uint8Array[] = [];
    const chunkIds = new Int32Array(this.chunks.length).fill(-1);
    const keep = (c: number) => (chunkIds[c]! >= 0 ? chunkIds[c]! : (chunkIds[c] = chunks.push(this.chunks[c]!) - 1));
    for (let k = 0, g = 0; k < n; g++) {
      const first = order[k]!;
      let end = runs.get(first, LAST) + 1;
      let j = k + 1;
      while (j < n && runs.get(order[j]!, ADDR) <= end) end = Math.max(end, runs.get(order[j++]!, LAST) + 1);
      seg[4 * g] = runs.get(first, ADDR);
      seg[4 * g + 1] = end - 1;
      if (j === k + 1) {
        const c = runs.get(first, CHUNK);
        const off = runs.get(first, OFF);
        const len = end - runs.get(first, ADDR);
        const buf = this.chunks[c]!;
        // A run's own buffer is kept when little of it is wasted (adopted buffers sized from an
        // estimate), else trimmed to a tight copy; slabs are shared and kept as they are.
        if (this.slabs.has(c) || buf.length - len <= buf.length / 16) {
          seg[4 * g + 2] = keep(c);
          seg[4 * g + 3] = off;
        } else seg[4 * g + 2] = chunks.push(buf.slice(off, off + len)) - 1;
      } else seg[4 * g + 2] = chunks.push(this.mergeGroup(order, k, j, end)) - 1;
      k = j;
    }
    const names = this.names.slice();
    if (groups === n && this.extras.count === 0) {
      // Every run is a segment of its own and its only origin (scattered records): the
      // origins' spans are the segments', only their names are new.
      const who = scratch;
      for (let k = 0; k < n; k++) {
        who[2 * k] = this.nameOf(order[k]!);
        who[2 * k + 1] = runs.get(order[k]!, LINE);
      }
      return MemoryImage.fromTables({ seg, chunks, span: seg, spanStride: 4, who, names }, this.entryPoint);
    }
    return MemoryImage.fromTables({ seg, chunks, ...this.mergedOrigins(order, scratch), names }, this.entryPoint);
  }

  /** The name index of run `r`: a binary search of the name changes. */
  private nameOf(r: number): number {
    const from = this.nameFrom;
    let lo = 0;
    let hi = from.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (from[mid]! <= r) lo = mid;
      else hi = mid - 1;
    }
    return this.nameOfRuns[lo]!;
  }

  private nameId(source: string): number {
    let id = this.nameIds.get(source);
    if (id === undefined) {
      id = this.names.push(source) - 1;
      this.nameIds.set(source, id);
    }
    return id;
  }

  /** Finds room for `n` new bytes: in the current slab (a new one when full) or, when long, a buffer of their own. */
  private place(n: number): void {
    this.stored += n;
    if (n > SLAB_RUN) {
      this.placedChunk = this.chunks.push(new Uint8Array(n)) - 1;
      this.placedOff = 0;
      return;
    }
    if (this.slab < 0 || this.slabUsed + n > this.chunks[this.slab]!.length) {
      const size = Math.min(SLAB_MAX, Math.max(SLAB_MIN, this.stored >>> 3));
      this.slab = this.chunks.push(new Uint8Array(size)) - 1;
      this.slabs.add(this.slab);
      this.slabUsed = 0;
    }
    this.placedChunk = this.slab;
    this.placedOff = this.slabUsed;
    this.slabUsed += n;
  }

  /** Appends `n` bytes to run `r` (the current run), moving it when its buffer is full. */
  private append(r: number, src: Uint8Array, from: number, n: number): void {
    const runs = this.runs;
    const c = runs.get(r, CHUNK);
    const off = runs.get(r, OFF);
    const len = runs.get(r, LAST) - runs.get(r, ADDR) + 1;
    const buf = this.chunks[c]!;
    runs.set(r, LAST, runs.get(r, LAST) + n);
    if (this.slabs.has(c)) {
      // The current run is always the last thing in its slab.
      if (c === this.slab && off + len === this.slabUsed && this.slabUsed + n <= buf.length) {
        copy(src, from, buf, this.slabUsed, n);
        this.slabUsed += n;
        this.stored += n;
        return;
      }
      if (len + n <= SLAB_RUN) {
        this.place(len + n);
        this.stored -= len;
      } else {
        this.placedChunk = this.chunks.push(new Uint8Array(Math.max(2 * (len + n), 256))) - 1;
        this.placedOff = 0;
        this.stored += n;
      }
      const to = this.chunks[this.placedChunk]!;
      copy(buf, off, to, this.placedOff, len);
      copy(src, from, to, this.placedOff + len, n);
      runs.set(r, CHUNK, this.placedChunk);
      runs.set(r, OFF, this.placedOff);
      return;
    }
    this.stored += n;
    if (off + len + n <= buf.length) {
      copy(src, from, buf, off + len, n);
      return;
    }
    // A buffer of the run's own (or adopted for it): regrow it under the same chunk index.
    const grown = new Uint8Array(Math.max(2 * len, len + n, 256));
    copy(buf, off, grown, 0, len);
    copy(src, from, grown, len, n);
    this.chunks[c] = grown;
    runs.set(r, OFF, 0);
  }

  private pushRun(address: number, n: number, chunk: number, off: number, name: number, line: number): void {
    const runs = this.runs;
    const r = runs.push();
    runs.set(r, ADDR, address);
    runs.set(r, LAST, address + n - 1);
    runs.set(r, CHUNK, chunk);
    runs.set(r, OFF, off);
    runs.set(r, LINE, line);
    if (this.nameOfRuns[this.nameOfRuns.length - 1] !== name) {
      this.nameFrom.push(r);
      this.nameOfRuns.push(name);
    }
    this.currentExtra = -1;
  }

  /** Records where bytes appended to run `r` came from. */
  private noteOrigin(r: number, address: number, n: number, name: number, line: number): void {
    const x = this.currentExtra;
    const extras = this.extras;
    if (x < 0) {
      // (The current run is the last one, so its name is the last name change.)
      if (this.nameOfRuns[this.nameOfRuns.length - 1] === name && this.runs.get(r, LINE) === line) return; // the first origin grows with the run
      this.firstOriginLast.set(r, address - 1);
    } else if (extras.get(x, X_NAME) === name && extras.get(x, X_LINE) === line) {
      extras.set(x, X_LAST, address + n - 1);
      return;
    }
    const k = extras.push();
    extras.set(k, X_START, address);
    extras.set(k, X_LAST, address + n - 1);
    extras.set(k, X_NAME, name);
    extras.set(k, X_LINE, line);
    extras.set(k, X_RUN, r);
    this.currentExtra = k;
  }

  private byteOf(r: number, address: number): number {
    return this.chunks[this.runs.get(r, CHUNK)]![this.runs.get(r, OFF) + address - this.runs.get(r, ADDR)]!;
  }

  /** The bytes of runs order[from..to) (sorted by address, together covering [their first address, end)). */
  private mergeGroup(order: Uint32Array, from: number, to: number, end: number): Uint8Array {
    const runs = this.runs;
    const base = runs.get(order[from]!, ADDR);
    const data = new Uint8Array(end - base);
    const bytesOf = (r: number) => {
      const off = runs.get(r, OFF);
      return { buf: this.chunks[runs.get(r, CHUNK)]!, off, len: runs.get(r, LAST) - runs.get(r, ADDR) + 1 };
    };
    if (this.allowReplace) {
      // Lay runs in order of arrival (a run's index) so that later data wins.
      for (const r of order.slice(from, to).sort()) {
        const { buf, off, len } = bytesOf(r);
        copy(buf, off, data, runs.get(r, ADDR) - base, len);
      }
      return data;
    }
    let filled = base; // every byte of [base, filled) is laid down
    for (let k = from; k < to; k++) {
      const r = order[k]!;
      const a = runs.get(r, ADDR);
      const { buf, off, len } = bytesOf(r);
      const rEnd = a + len;
      const overlapEnd = Math.min(rEnd, filled);
      for (let addr = a; addr < overlapEnd; addr++) {
        if (data[addr - base] !== buf[off + addr - a]) this.overlapError(order, from, k, addr);
      }
      if (rEnd > filled) {
        copy(buf, off + filled - a, data, filled - base, rEnd - filled);
        filled = rEnd;
      }
    }
    return data;
  }

  /** Throws the overlap error for run order[k] differing at `addr` from an earlier run of its group. */
  private overlapError(order: Uint32Array, from: number, k: number, addr: number): never {
    const runs = this.runs;
    const r = order[k]!;
    const covers = (x: number, a: number) => runs.get(x, ADDR) <= a && a <= runs.get(x, LAST);
    let e = order[from]!;
    for (let m = from; m < k; m++) {
      const x = order[m]!;
      if (covers(x, addr) && this.byteOf(x, addr) !== this.byteOf(r, addr)) { e = x; break; }
    }
    const last = Math.min(runs.get(e, LAST), runs.get(r, LAST));
    let upTo = addr;
    while (upTo < last && this.byteOf(e, upTo + 1) !== this.byteOf(r, upTo + 1)) upTo++;
    const [first, second] = e < r ? [e, r] : [r, e];
    throw new ImageOverlapError(addr, upTo + 1, this.sourceAt(first, addr), this.sourceAt(second, addr), this.byteOf(first, addr), this.byteOf(second, addr));
  }

  /** The name of run `r`'s bytes at `address`: its first origin's, or an extra one's. */
  private sourceAt(r: number, address: number): string {
    const runs = this.runs;
    if (address <= (this.firstOriginLast.get(r) ?? runs.get(r, LAST))) return sourceName(this.names[this.nameOf(r)]!, runs.get(r, LINE));
    const x = this.extras;
    for (let k = 0; k < x.count; k++) {
      if (x.get(k, X_RUN) === r && x.get(k, X_START) <= address && address <= x.get(k, X_LAST)) return sourceName(this.names[x.get(k, X_NAME)]!, x.get(k, X_LINE));
    }
    return 'data';
  }

  /**
   * Origin rows in address order; neighbours that touch and share a name and line become one,
   * so an image made of many small runs from one place does not keep a row per run.
   */
  private mergedOrigins(order: Uint32Array, scratch: Uint32Array): { span: Uint32Array; spanStride: number; who: Uint32Array } {
    const runs = this.runs;
    const x = this.extras;
    // Two streams, each in (start, arrival) order: the runs' first origins and the extra ones
    // (extras arrive with non-decreasing run index, and the radix sort is stable).
    const xorder = orderByKey(x.count, (i) => x.get(i, X_START));
    const span = new Uint32Array(2 * (runs.count + x.count));
    const who = scratch.length === span.length ? scratch : new Uint32Array(span.length);
    let m = 0;
    const push = (start: number, last: number, name: number, line: number) => {
      const p = 2 * (m - 1);
      if (m > 0 && who[p] === name && who[p + 1] === line && span[p + 1]! + 1 === start) span[p + 1] = last;
      else {
        span[2 * m] = start; span[2 * m + 1] = last; who[2 * m] = name; who[2 * m + 1] = line;
        m++;
      }
    };
    let e = 0;
    const pushExtra = () => {
      const k = xorder[e++]!;
      push(x.get(k, X_START), x.get(k, X_LAST), x.get(k, X_NAME), x.get(k, X_LINE));
    };
    for (let i = 0; i < order.length; i++) {
      const r = order[i]!;
      const a = runs.get(r, ADDR);
      while (e < xorder.length && (x.get(xorder[e]!, X_START) < a || (x.get(xorder[e]!, X_START) === a && x.get(xorder[e]!, X_RUN) < r))) pushExtra();
      push(a, this.firstOriginLast.get(r) ?? runs.get(r, LAST), this.nameOf(r), runs.get(r, LINE));
    }
    while (e < xorder.length) pushExtra();
    // Trim when merging saved much (a sequential file: one origin for thousands of runs).
    const trim = (t: Uint32Array) => (2 * m === t.length ? t : 2 * m > 0.75 * t.length ? t.subarray(0, 2 * m) : t.slice(0, 2 * m));
    return { span: trim(span), spanStride: 2, who: trim(who) };
  }
}

/** Copies `n` bytes; a loop for the few bytes of a record (cheaper than making a view to `set`). */
function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n <= 32) for (let k = 0; k < n; k++) dst[to + k] = src[from + k]!;
  else dst.set(src.subarray(from, from + n), to);
}
