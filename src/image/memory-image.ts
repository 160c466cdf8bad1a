import { crc32, sha256 } from '../core/crc.js';
import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';

/** A contiguous run of bytes at a 32-bit address. */
export interface Segment {
  readonly address: number;
  readonly data: Uint8Array;
}

/** Where a range of bytes came from (a file and line, an ELF section…), for error messages. */
export interface Origin {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly source: string;
}

/** Two inputs put different bytes at the same address. */
export class ImageOverlapError extends FlashwrightError {
  constructor(readonly start: number, readonly end: number, readonly firstSource: string, readonly secondSource: string, readonly firstByte: number, readonly secondByte: number) {
    super('IMAGE_OVERLAP',
      `${secondSource} overlaps ${firstSource} at ${hex(start)}–${hex(end - 1)} with different bytes (${hex(firstByte, 2)} vs ${hex(secondByte, 2)} at ${hex(start)}).`,
      { hint: 'Check the linker script or the order of merged files: two pieces of data claim the same flash.', context: { start, end, firstSource, secondSource } });
  }
}

/** Address outside 0…0xFFFFFFFF. */
export class AddressRangeError extends FlashwrightError {
  constructor(address: number, length: number, source: string) {
    super('IMAGE_ADDRESS_RANGE', `${source} puts ${length} bytes at ${address < 0 ? address : hex(address)}, past the 32-bit address space.`,
      { hint: 'flashwright handles 32-bit targets; check the record addresses or the --base value.', context: { address, length, source } });
  }
}

const MAX_ADDRESS = 0x1_0000_0000;

/**
 * A sparse memory image: sorted, non-overlapping, non-adjacent segments of bytes at 32-bit
 * addresses. Gaps cost nothing. Immutable once built: use {@link MemoryImageBuilder} (or
 * {@link MemoryImage.fromSegments}) to make one.
 */
export class MemoryImage {
  /** Entry point (ELF e_entry, HEX/SREC start address), when the file gave one. */
  readonly entryPoint?: number | undefined;
  /** Running maximum of the origins' ends (origins are sorted by start), built on first use. */
  private originMaxEnd?: Float64Array;

  private constructor(readonly segments: readonly Segment[], readonly origins: readonly Origin[], entryPoint?: number) {
    this.entryPoint = entryPoint;
  }

  /** @internal Used by the builder, which guarantees the invariants. */
  static fromSorted(segments: Segment[], origins: Origin[], entryPoint?: number): MemoryImage {
    return new MemoryImage(segments, origins, entryPoint);
  }

  static empty(): MemoryImage {
    return new MemoryImage([], []);
  }

  /** Builds an image from segments in any order; overlapping different bytes throw. */
  static fromSegments(segments: Iterable<{ address: number; data: Uint8Array; source?: string }>, entryPoint?: number): MemoryImage {
    const b = new MemoryImageBuilder();
    for (const s of segments) b.add(s.address, s.data, s.source ?? 'data');
    if (entryPoint !== undefined) b.entryPoint = entryPoint;
    return b.build();
  }

  /** Total number of data bytes (gaps not counted). */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.data.length;
    return n;
  }

  get isEmpty(): boolean {
    return this.segments.length === 0;
  }

  /** Lowest address with data (undefined when empty). */
  get start(): number | undefined {
    return this.segments[0]?.address;
  }

  /** One past the highest address with data (undefined when empty). */
  get end(): number | undefined {
    const last = this.segments[this.segments.length - 1];
    return last && last.address + last.data.length;
  }

  /** The sources that contributed bytes to [start, end). */
  sourcesIn(start: number, end: number): string[] {
    const names = new Set<string>();
    for (const o of this.originsIn(start, end)) names.add(o.source);
    return [...names];
  }

  /** Origins that touch [start, end), in order: a binary search, then only the nearby ones. */
  private originsIn(start: number, end: number): Origin[] {
    const os = this.origins;
    // Origins are sorted by start but may overlap, so search the running maximum of their ends.
    const maxEnd = this.originMaxEnd ??= (() => {
      const m = new Float64Array(os.length);
      let e = 0;
      for (let i = 0; i < os.length; i++) m[i] = e = Math.max(e, os[i]!.end);
      return m;
    })();
    let lo = 0;
    let hi = os.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (maxEnd[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    const out: Origin[] = [];
    for (let i = lo; i < os.length && os[i]!.start < end; i++) if (os[i]!.end > start) out.push(os[i]!);
    return out;
  }

  /** True when every byte of [address, address+length) holds data. */
  covers(address: number, length: number): boolean {
    const i = this.indexAt(address);
    if (i < 0) return false;
    const s = this.segments[i]!;
    return address + length <= s.address + s.data.length;
  }

  /** True when any byte of [start, end) holds data. */
  intersects(start: number, end: number): boolean {
    const s = this.segments[this.firstEndingAfter(start)];
    return s !== undefined && s.address < end;
  }

  /** The byte at `address`, or undefined in a gap. */
  byteAt(address: number): number | undefined {
    const i = this.indexAt(address);
    return i < 0 ? undefined : this.segments[i]!.data[address - this.segments[i]!.address];
  }

  /** The part of the image inside [start, end), sharing bytes with this image. */
  slice(start: number, end: number): MemoryImage {
    const segs: Segment[] = [];
    for (let i = this.firstEndingAfter(start); i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const sEnd = s.address + s.data.length;
      if (s.address >= end) break;
      const a = Math.max(start, s.address);
      const b = Math.min(end, sEnd);
      segs.push({ address: a, data: s.data.subarray(a - s.address, b - s.address) });
    }
    const origins = this.originsIn(start, end)
      .map((o) => ({ start: Math.max(o.start, start), end: Math.min(o.end, end), source: o.source }));
    const entry = this.entryPoint !== undefined && this.entryPoint >= start && this.entryPoint < end ? this.entryPoint : undefined;
    return new MemoryImage(segs, origins, entry);
  }

  /** Bytes of [start, start+length) with gaps set to `fill`. */
  read(start: number, length: number, fill = 0xff): Uint8Array {
    const out = new Uint8Array(length);
    const end = start + length;
    let filled = start; // everything below this is written
    for (let i = this.firstEndingAfter(start); i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const sEnd = s.address + s.data.length;
      if (s.address >= end) break;
      const a = Math.max(start, s.address);
      const b = Math.min(end, sEnd);
      if (a > filled && fill !== 0) out.fill(fill, filled - start, a - start);
      out.set(s.data.subarray(a - s.address, b - s.address), a - start);
      filled = b;
    }
    if (filled < end && fill !== 0) out.fill(fill, filled - start, length);
    return out;
  }

  /** One segment covering [start, end) (default: the whole image) with gaps filled. */
  filled(fill = 0xff, start = this.start ?? 0, end = this.end ?? 0): MemoryImage {
    if (end <= start) return MemoryImage.empty();
    return new MemoryImage([{ address: start, data: this.read(start, end - start, fill) }], this.origins, this.entryPoint);
  }

  /** This image with `other` laid over it; overlapping different bytes throw unless `replace`. */
  merge(other: MemoryImage, replace = false): MemoryImage {
    const b = new MemoryImageBuilder({ allowReplace: replace });
    for (const o of this.origins.length ? this.origins : this.segments.map((s) => ({ start: s.address, end: s.address + s.data.length, source: 'image' }))) {
      b.add(o.start, this.read(o.start, o.end - o.start), o.source);
    }
    for (const o of other.origins.length ? other.origins : other.segments.map((s) => ({ start: s.address, end: s.address + s.data.length, source: 'image' }))) {
      b.add(o.start, other.read(o.start, o.end - o.start), o.source);
    }
    const entry = other.entryPoint ?? this.entryPoint;
    if (entry !== undefined) b.entryPoint = entry;
    return b.build();
  }

  /** A copy moved by `offset` bytes (e.g. to place a raw binary). */
  shift(offset: number): MemoryImage {
    const b = new MemoryImageBuilder();
    for (const s of this.segments) b.add(s.address + offset, s.data, 'image');
    if (this.entryPoint !== undefined) b.entryPoint = this.entryPoint + offset;
    return b.build();
  }

  /** CRC-32 (IEEE) over [start, end) with gaps read as `fill`; default: all data bytes, gaps skipped. */
  crc32(range?: { start: number; end: number; fill?: number }): number {
    if (range) return crc32(this.read(range.start, range.end - range.start, range.fill ?? 0xff));
    let c = 0;
    for (const s of this.segments) c = crc32(s.data, c);
    return c;
  }

  /** SHA-256 hex digest over [start, end) with gaps as `fill` (default: data bytes concatenated). */
  async sha256(range?: { start: number; end: number; fill?: number }): Promise<string> {
    let data: Uint8Array;
    if (range) data = this.read(range.start, range.end - range.start, range.fill ?? 0xff);
    else {
      data = new Uint8Array(this.size);
      let o = 0;
      for (const s of this.segments) { data.set(s.data, o); o += s.data.length; }
    }
    const d = await sha256(data);
    return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  /**
   * Index of the first segment that ends after `address` (segments.length if none). Binary
   * search, so reading or slicing a small range of an image with many segments costs log n.
   */
  private firstEndingAfter(address: number): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.segments[mid]!;
      if (s.address + s.data.length <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the segment holding `address`, or -1. Binary search. */
  private indexAt(address: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.segments[mid]!;
      if (address < s.address) hi = mid - 1;
      else if (address >= s.address + s.data.length) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}

interface Run {
  address: number;
  buf: Uint8Array;
  length: number;
  seq: number;
  /**
   * The run's first origin, [address, originEnd) from `source`, kept on the run itself: a file
   * of scattered records makes one run per record, and a separate origin object for each
   * would cost another object per record while the image is built.
   */
  source: string;
  originEnd: number;
  /** Later data of the run from other sources (or after a gap in the first's) is in `extraOrigins`. */
  hasExtra: boolean;
}

interface PendingOrigin extends Origin {
  seq: number;
}

/**
 * Collects bytes in any order and builds a {@link MemoryImage}. Appending at the end of the
 * previous chunk (the common case for HEX/SREC records) grows one buffer, so a 32 MiB file of
 * 16-byte records costs amortised O(n) time and about 2× its size in memory at the peak.
 */
export class MemoryImageBuilder {
  entryPoint?: number;
  private runs: Run[] = [];
  private current?: Run;
  /** Origins beyond each run's first (which the run carries). */
  private extraOrigins: PendingOrigin[] = [];
  private seq = 0;
  private readonly allowReplace: boolean;

  constructor(options: { allowReplace?: boolean } = {}) {
    this.allowReplace = options.allowReplace ?? false;
  }

  /**
   * Like {@link add}, but takes ownership of `data` instead of copying it when it starts a new
   * run (the caller must not change it afterwards). Parsers that collect large runs use this
   * so a 32 MiB image is not held twice.
   */
  adopt(address: number, data: Uint8Array, source: string): void {
    const cur = this.current;
    if (data.length === 0 || (cur && cur.address + cur.length === address)) {
      this.add(address, data, source);
      return;
    }
    if (!Number.isInteger(address) || address < 0 || address + data.length > MAX_ADDRESS) throw new AddressRangeError(address, data.length, source);
    const run: Run = { address, buf: data, length: data.length, seq: this.seq++, source, originEnd: address + data.length, hasExtra: false };
    this.runs.push(run);
    this.current = run;
  }

  /** Adds `data` at `address`; `source` names it in overlap errors ("app.hex line 12"). */
  add(address: number, data: Uint8Array, source: string): void {
    if (!Number.isInteger(address) || address < 0 || address + data.length > MAX_ADDRESS) throw new AddressRangeError(address, data.length, source);
    if (data.length === 0) return;
    const cur = this.current;
    if (cur && cur.address + cur.length === address) {
      if (cur.length + data.length > cur.buf.length) {
        const grown = new Uint8Array(Math.max(cur.buf.length * 2, cur.length + data.length, 256));
        grown.set(cur.buf.subarray(0, cur.length));
        cur.buf = grown;
      }
      cur.buf.set(data, cur.length);
      cur.length += data.length;
      const lastExtra = cur.hasExtra ? this.extraOrigins[this.extraOrigins.length - 1]! : undefined;
      if (!lastExtra && cur.source === source && cur.originEnd === address) cur.originEnd = address + data.length;
      else if (lastExtra && lastExtra.source === source && lastExtra.end === address) (lastExtra as { end: number }).end = address + data.length;
      else {
        this.extraOrigins.push({ start: address, end: address + data.length, source, seq: cur.seq });
        cur.hasExtra = true;
      }
      return;
    }
    const run: Run = { address, buf: new Uint8Array(Math.max(data.length, 64)), length: data.length, seq: this.seq++, source, originEnd: address + data.length, hasExtra: false };
    run.buf.set(data);
    this.runs.push(run);
    this.current = run;
  }

  /**
   * Sorts, checks overlaps and merges adjacent runs. Linear in the data after the sort: each
   * run is compared only with the bytes already laid down for its group (which hold every
   * earlier run's bytes, since overlapping bytes must agree), never with each earlier run.
   */
  build(): MemoryImage {
    const runs = this.runs.slice().sort((a, b) => a.address - b.address || a.seq - b.seq);
    const segments: Segment[] = [];
    for (let i = 0; i < runs.length;) {
      // A group: runs that overlap or touch, so their union is one contiguous segment.
      const first = runs[i]!;
      let end = first.address + first.length;
      let j = i + 1;
      while (j < runs.length && runs[j]!.address <= end) {
        end = Math.max(end, runs[j]!.address + runs[j]!.length);
        j++;
      }
      segments.push({ address: first.address, data: j === i + 1 ? tight(first) : this.mergeGroup(runs, i, j, end) });
      i = j;
    }
    const origins = this.mergedOrigins(runs);
    return MemoryImage.fromSorted(segments, origins, this.entryPoint);
  }

  /** The bytes of runs[from..to) (sorted by address, together covering [runs[from].address, end)). */
  private mergeGroup(runs: Run[], from: number, to: number, end: number): Uint8Array {
    const base = runs[from]!.address;
    const data = new Uint8Array(end - base);
    if (this.allowReplace) {
      // Lay runs in insertion order so that later data wins.
      for (const r of runs.slice(from, to).sort((a, b) => a.seq - b.seq)) data.set(r.buf.subarray(0, r.length), r.address - base);
      return data;
    }
    let filled = base; // every byte of [base, filled) is laid down
    for (let k = from; k < to; k++) {
      const r = runs[k]!;
      const rEnd = r.address + r.length;
      const overlapEnd = Math.min(rEnd, filled);
      for (let addr = r.address; addr < overlapEnd; addr++) {
        if (data[addr - base] !== r.buf[addr - r.address]) this.overlapError(runs, from, k, addr);
      }
      if (rEnd > filled) {
        data.set(r.buf.subarray(filled - r.address, r.length), filled - base);
        filled = rEnd;
      }
    }
    return data;
  }

  /** Throws the overlap error for runs[k] differing at `addr` from an earlier run of its group. */
  private overlapError(runs: Run[], from: number, k: number, addr: number): never {
    const r = runs[k]!;
    let e = runs[from]!;
    for (let m = from; m < k; m++) {
      const x = runs[m]!;
      if (x.address <= addr && addr < x.address + x.length && x.buf[addr - x.address] !== r.buf[addr - r.address]) { e = x; break; }
    }
    const b = Math.min(e.address + e.length, r.address + r.length);
    let last = addr;
    while (last + 1 < b && e.buf[last + 1 - e.address] !== r.buf[last + 1 - r.address]) last++;
    const [first, second] = e.seq < r.seq ? [e, r] : [r, e];
    throw new ImageOverlapError(addr, last + 1, this.sourceAt(first.seq, addr), this.sourceAt(second.seq, addr),
      first.buf[addr - first.address]!, second.buf[addr - second.address]!);
  }

  /**
   * Origins in address order; neighbours that touch and share a source become one, so an
   * image made of many small runs does not keep one object per run.
   */
  private mergedOrigins(sortedRuns: readonly Run[]): Origin[] {
    // Two streams, each in (start, seq) order: the runs' first origins and the extra ones.
    const extras = this.extraOrigins.slice().sort((a, b) => a.start - b.start || a.seq - b.seq);
    const out: { start: number; end: number; source: string }[] = [];
    const push = (start: number, end: number, source: string): void => {
      const last = out[out.length - 1];
      if (last && last.source === source && last.end === start) last.end = end;
      else out.push({ start, end, source });
    };
    let e = 0;
    for (const r of sortedRuns) {
      while (e < extras.length && (extras[e]!.start < r.address || (extras[e]!.start === r.address && extras[e]!.seq < r.seq))) {
        const x = extras[e++]!;
        push(x.start, x.end, x.source);
      }
      push(r.address, r.originEnd, r.source);
    }
    for (; e < extras.length; e++) push(extras[e]!.start, extras[e]!.end, extras[e]!.source);
    return out;
  }

  private sourceAt(seq: number, address: number): string {
    const r = this.runs[seq]; // runs are pushed in seq order
    if (r && r.address <= address && address < r.originEnd) return r.source;
    const o = this.extraOrigins.find((x) => x.seq === seq && x.start <= address && address < x.end);
    return o?.source ?? 'data';
  }
}

/** A run's bytes: a view when little of its buffer is wasted (adopted buffers sized from an estimate), else a tight copy. */
function tight(r: Run): Uint8Array {
  if (r.buf.length === r.length) return r.buf; // already exact: no second view per run
  return r.buf.length - r.length <= r.buf.length / 16 ? r.buf.subarray(0, r.length) : r.buf.slice(0, r.length);
}
