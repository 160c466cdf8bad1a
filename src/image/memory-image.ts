import { crc32, sha256 } from '../core/crc.js';
import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';
import { MemoryImageBuilder } from './image-builder.js';

export { MemoryImageBuilder } from './image-builder.js';

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

/**
 * @internal The compact form of an image: a file of a million scattered records is four typed
 * arrays and a few data buffers, not an object, a view and a string per record.
 */
export interface ImageTables {
  /** 4 u32 per segment, by address, neither overlapping nor touching: address, last address, chunk, offset in the chunk. */
  readonly seg: Uint32Array;
  readonly chunks: readonly Uint8Array[];
  /**
   * Origins, by start (they may overlap): start and last address of origin k at
   * span[spanStride·k] and the next u32. When every origin is exactly one segment (scattered
   * records) this is the segment table itself (stride 4), so the spans are not stored twice.
   */
  readonly span: Uint32Array;
  readonly spanStride: number;
  /** 2 u32 per origin: name index, line (0: none). */
  readonly who: Uint32Array;
  readonly names: readonly string[];
}

/** "app.hex line 12" from a name and a line number (0: the name alone). */
export function sourceName(name: string, line: number): string {
  return line > 0 ? `${name} line ${line}` : name;
}

/**
 * A sparse memory image: sorted, non-overlapping, non-adjacent segments of bytes at 32-bit
 * addresses. Gaps cost nothing, and neither does a segment: the image keeps compact tables
 * ({@link ImageTables}) and makes {@link Segment} and {@link Origin} objects only when asked
 * ({@link segmentAt}; the {@link segments} and {@link origins} lists are built on first use).
 * Immutable once built: use {@link MemoryImageBuilder} (or {@link MemoryImage.fromSegments}).
 */
export class MemoryImage {
  /** Entry point (ELF e_entry, HEX/SREC start address), when the file gave one. */
  readonly entryPoint?: number | undefined;
  /** Total number of data bytes (gaps not counted). */
  readonly size: number;
  private readonly seg: Uint32Array;
  private readonly chunks: readonly Uint8Array[];
  private readonly span: Uint32Array;
  private readonly stride: number;
  private readonly who: Uint32Array;
  private readonly names: readonly string[];
  private segmentList?: readonly Segment[];
  private originList?: readonly Origin[];
  /** Running maximum of the origins' last addresses (origins are sorted by start), built on first use. */
  private originMaxLast?: Uint32Array;

  private constructor(t: ImageTables, entryPoint?: number) {
    this.seg = t.seg;
    this.chunks = t.chunks;
    this.span = t.span;
    this.stride = t.spanStride;
    this.who = t.who;
    this.names = t.names;
    this.entryPoint = entryPoint;
    let n = 0;
    for (let k = 0; k < t.seg.length; k += 4) n += t.seg[k + 1]! - t.seg[k]! + 1;
    this.size = n;
  }

  /** @internal Used by the builder, which guarantees the invariants. */
  static fromTables(t: ImageTables, entryPoint?: number): MemoryImage {
    return new MemoryImage(t, entryPoint);
  }

  static empty(): MemoryImage {
    return new MemoryImage(EMPTY);
  }

  /** Builds an image from segments in any order; overlapping different bytes throw. */
  static fromSegments(segments: Iterable<{ address: number; data: Uint8Array; source?: string }>, entryPoint?: number): MemoryImage {
    const b = new MemoryImageBuilder();
    for (const s of segments) b.add(s.address, s.data, s.source ?? 'data');
    if (entryPoint !== undefined) b.entryPoint = entryPoint;
    return b.build();
  }

  /** Number of segments. */
  get segmentCount(): number {
    return this.seg.length >>> 2;
  }

  /** Segment `i` (0 ≤ i < segmentCount) as a new object whose data is a view of the image's bytes. */
  segmentAt(i: number): Segment {
    return { address: this.seg[4 * i]!, data: this.dataOf(i) };
  }

  /** The segment holding `address` (whole, not cut at the address), or undefined in a gap. */
  segmentHolding(address: number): Segment | undefined {
    const i = this.indexAt(address);
    return i < 0 ? undefined : this.segmentAt(i);
  }

  /**
   * The segments, or their parts inside [start, end), one new object at a time (nothing kept):
   * how code that may meet images of a million segments walks them.
   */
  *eachSegment(start = 0, end = 0x1_0000_0000): Generator<Segment> {
    const s = this.seg;
    for (let i = this.firstEndingAfter(start); i < this.segmentCount && s[4 * i]! < end; i++) {
      const a = s[4 * i]!;
      if (a >= start && s[4 * i + 1]! < end) { yield this.segmentAt(i); continue; }
      const first = Math.max(start, a);
      const from = s[4 * i + 3]! + first - a;
      yield { address: first, data: this.chunks[s[4 * i + 2]!]!.subarray(from, from + Math.min(end - 1, s[4 * i + 1]!) - first + 1) };
    }
  }

  /**
   * All segments, in address order. Built on first use and kept: it costs an object and a
   * view per segment, so code that may see images of many segments walks
   * {@link eachSegment} (or {@link segmentCount} / {@link segmentAt}) instead.
   */
  get segments(): readonly Segment[] {
    return this.segmentList ??= Array.from({ length: this.segmentCount }, (_, i) => this.segmentAt(i));
  }

  /** Where the bytes came from, by start address (built on first use, like {@link segments}). */
  get origins(): readonly Origin[] {
    return this.originList ??= Array.from({ length: this.originCount }, (_, k) => this.originAt(k));
  }

  get isEmpty(): boolean {
    return this.seg.length === 0;
  }

  /** Lowest address with data (undefined when empty). */
  get start(): number | undefined {
    return this.seg.length ? this.seg[0] : undefined;
  }

  /** One past the highest address with data (undefined when empty). */
  get end(): number | undefined {
    return this.seg.length ? this.seg[this.seg.length - 3]! + 1 : undefined;
  }

  /** The sources that contributed bytes to [start, end). */
  sourcesIn(start: number, end: number): string[] {
    const names = new Set<string>();
    for (const k of this.originsIn(start, end)) names.add(this.originName(k));
    return [...names];
  }

  /** True when every byte of [address, address+length) holds data. */
  covers(address: number, length: number): boolean {
    const i = this.indexAt(address);
    return i >= 0 && address + length - 1 <= this.seg[4 * i + 1]!;
  }

  /** True when any byte of [start, end) holds data. */
  intersects(start: number, end: number): boolean {
    const i = this.firstEndingAfter(start);
    return i < this.segmentCount && this.seg[4 * i]! < end;
  }

  /** The byte at `address`, or undefined in a gap. */
  byteAt(address: number): number | undefined {
    const i = this.indexAt(address);
    if (i < 0) return undefined;
    const s = this.seg;
    return this.chunks[s[4 * i + 2]!]![s[4 * i + 3]! + address - s[4 * i]!];
  }

  /** The part of the image inside [start, end), sharing bytes with this image. */
  slice(start: number, end: number): MemoryImage {
    if (end <= start) return MemoryImage.empty();
    const s = this.seg;
    const from = this.firstEndingAfter(start);
    let to = from;
    while (to < this.segmentCount && s[4 * to]! < end) to++;
    const seg = new Uint32Array(4 * (to - from));
    const chunks: Uint8Array[] = [];
    const chunkIds = new Map<number, number>();
    for (let i = from; i < to; i++) {
      const a = s[4 * i]!;
      const first = Math.max(start, a);
      const c = s[4 * i + 2]!;
      let id = chunkIds.get(c);
      if (id === undefined) { id = chunks.push(this.chunks[c]!) - 1; chunkIds.set(c, id); }
      const k = 4 * (i - from);
      seg[k] = first;
      seg[k + 1] = Math.min(end - 1, s[4 * i + 1]!);
      seg[k + 2] = id;
      seg[k + 3] = s[4 * i + 3]! + first - a;
    }
    const entry = this.entryPoint !== undefined && this.entryPoint >= start && this.entryPoint < end ? this.entryPoint : undefined;
    return new MemoryImage({ seg, chunks, ...this.originsClipped(start, end), names: this.names }, entry);
  }

  /** The origins inside [start, end), cut at its ends: every origin of an image lies inside one of its segments. */
  private originsClipped(start: number, end: number): { span: Uint32Array; spanStride: number; who: Uint32Array } {
    const ks = this.originsIn(start, end);
    const span = new Uint32Array(2 * ks.length);
    const who = new Uint32Array(2 * ks.length);
    ks.forEach((k, j) => {
      span[2 * j] = Math.max(start, this.span[this.stride * k]!);
      span[2 * j + 1] = Math.min(end - 1, this.span[this.stride * k + 1]!);
      who[2 * j] = this.who[2 * k]!;
      who[2 * j + 1] = this.who[2 * k + 1]!;
    });
    return { span, spanStride: 2, who };
  }

  /** Bytes of [start, start+length) with gaps set to `fill`. */
  read(start: number, length: number, fill = 0xff): Uint8Array {
    const out = new Uint8Array(length);
    const end = start + length;
    const s = this.seg;
    let filled = start; // everything below this is written
    for (let i = this.firstEndingAfter(start); i < this.segmentCount; i++) {
      const addr = s[4 * i]!;
      if (addr >= end) break;
      const a = Math.max(start, addr);
      const b = Math.min(end, s[4 * i + 1]! + 1);
      if (a > filled && fill !== 0) out.fill(fill, filled - start, a - start);
      const chunk = this.chunks[s[4 * i + 2]!]!;
      const from = s[4 * i + 3]! + a - addr;
      if (b - a <= 64) for (let k = 0; k < b - a; k++) out[a - start + k] = chunk[from + k]!;
      else out.set(chunk.subarray(from, from + b - a), a - start);
      filled = b;
    }
    if (filled < end && fill !== 0) out.fill(fill, filled - start, length);
    return out;
  }

  /** One segment covering [start, end) (default: the whole image) with gaps filled. */
  filled(fill = 0xff, start = this.start ?? 0, end = this.end ?? 0): MemoryImage {
    if (end <= start) return MemoryImage.empty();
    const seg = Uint32Array.of(start, end - 1, 0, 0);
    return new MemoryImage({ seg, chunks: [this.read(start, end - start, fill)], ...this.originsClipped(start, end), names: this.names }, this.entryPoint);
  }

  /** This image with `other` laid over it; overlapping different bytes throw unless `replace`. */
  merge(other: MemoryImage, replace = false): MemoryImage {
    const b = new MemoryImageBuilder({ allowReplace: replace });
    this.addTo(b);
    other.addTo(b);
    const entry = other.entryPoint ?? this.entryPoint;
    if (entry !== undefined) b.entryPoint = entry;
    return b.build();
  }

  /** A copy moved by `offset` bytes (e.g. to place a raw binary). */
  shift(offset: number): MemoryImage {
    const b = new MemoryImageBuilder();
    const s = this.seg;
    for (let i = 0; i < this.segmentCount; i++) {
      b.addFrom(s[4 * i]! + offset, this.chunks[s[4 * i + 2]!]!, s[4 * i + 3]!, s[4 * i + 1]! - s[4 * i]! + 1, 'image');
    }
    if (this.entryPoint !== undefined) b.entryPoint = this.entryPoint + offset;
    return b.build();
  }

  /** CRC-32 (IEEE) over [start, end) with gaps read as `fill`; default: all data bytes, gaps skipped. */
  crc32(range?: { start: number; end: number; fill?: number }): number {
    if (range) return crc32(this.read(range.start, range.end - range.start, range.fill ?? 0xff));
    let c = 0;
    for (let i = 0; i < this.segmentCount; i++) c = crc32(this.dataOf(i), c);
    return c;
  }

  /** SHA-256 hex digest over [start, end) with gaps as `fill` (default: data bytes concatenated). */
  async sha256(range?: { start: number; end: number; fill?: number }): Promise<string> {
    let data: Uint8Array;
    if (range) data = this.read(range.start, range.end - range.start, range.fill ?? 0xff);
    else {
      data = new Uint8Array(this.size);
      let o = 0;
      for (let i = 0; i < this.segmentCount; i++) { const d = this.dataOf(i); data.set(d, o); o += d.length; }
    }
    const d = await sha256(data);
    return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  /** Segment i's bytes: the chunk itself when the segment is all of it, else a view. */
  private dataOf(i: number): Uint8Array {
    const s = this.seg;
    const chunk = this.chunks[s[4 * i + 2]!]!;
    const off = s[4 * i + 3]!;
    const len = s[4 * i + 1]! - s[4 * i]! + 1;
    return off === 0 && len === chunk.length ? chunk : chunk.subarray(off, off + len);
  }

  private get originCount(): number {
    return this.who.length >>> 1;
  }

  private originAt(k: number): Origin {
    return { start: this.span[this.stride * k]!, end: this.span[this.stride * k + 1]! + 1, source: this.originName(k) };
  }

  private originName(k: number): string {
    return sourceName(this.names[this.who[2 * k]!]!, this.who[2 * k + 1]!);
  }

  /**
   * Adds every origin's bytes to a builder, under the origin's name, and the bytes no origin
   * names (the fill of a {@link filled} image, or every byte of an image without origins) as "image".
   */
  private addTo(b: MemoryImageBuilder): void {
    const s = this.seg;
    const n = this.originCount;
    let k = 0;
    for (let i = 0; i < this.segmentCount; i++) {
      const a = s[4 * i]!;
      const last = s[4 * i + 1]!;
      const chunk = this.chunks[s[4 * i + 2]!]!;
      const off = s[4 * i + 3]! - a; // chunk index of address x: off + x
      let next = a; // the first address of the segment not yet added
      // Origins ascend by start and each lies inside one segment.
      for (; k < n && this.span[this.stride * k]! <= last; k++) {
        const from = this.span[this.stride * k]!;
        const to = this.span[this.stride * k + 1]!;
        if (from > next) b.addFrom(next, chunk, off + next, from - next, 'image');
        b.addFrom(from, chunk, off + from, to - from + 1, this.names[this.who[2 * k]!]!, this.who[2 * k + 1]!);
        next = Math.max(next, to + 1);
      }
      if (next <= last) b.addFrom(next, chunk, off + next, last - next + 1, 'image');
    }
  }

  /** Indices of the origins that touch [start, end), in order: a binary search, then only the nearby ones. */
  private originsIn(start: number, end: number): number[] {
    const span = this.span;
    const w = this.stride;
    const n = this.originCount;
    // Origins are sorted by start but may overlap, so search the running maximum of their ends.
    const maxLast = this.originMaxLast ??= (() => {
      const m = new Uint32Array(n);
      let e = 0;
      for (let k = 0; k < n; k++) m[k] = e = Math.max(e, span[w * k + 1]!);
      return m;
    })();
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (maxLast[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let k = lo; k < n && span[w * k]! < end; k++) if (span[w * k + 1]! >= start) out.push(k);
    return out;
  }

  /**
   * Index of the first segment that ends after `address` (segmentCount if none). Binary
   * search, so reading or slicing a small range of an image with many segments costs log n.
   */
  private firstEndingAfter(address: number): number {
    const s = this.seg;
    let lo = 0;
    let hi = this.segmentCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[4 * mid + 1]! < address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the segment holding `address`, or -1. Binary search. */
  private indexAt(address: number): number {
    const i = this.firstEndingAfter(address);
    return i < this.segmentCount && this.seg[4 * i]! <= address ? i : -1;
  }
}

const EMPTY: ImageTables = { seg: new Uint32Array(0), chunks: [], span: new Uint32Array(0), spanStride: 2, who: new Uint32Array(0), names: [] };
