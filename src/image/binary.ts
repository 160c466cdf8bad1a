/**
 * Raw binary: bytes with no addresses. Reading needs a base address; writing lays the image
 * out from its lowest address with gaps filled, and refuses absurd gaps (data at 0x08000000
 * and 0x60000000 would silently become a 1.5 GiB file) unless forced.
 */
import { FlashwrightError } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { AddressRangeError, MemoryImage, MemoryImageBuilder } from './memory-image.js';

/** Gap (total fill bytes) above which writing a binary needs `force`. */
export const MAX_BINARY_GAP = 256 * 1024 * 1024;

/** A raw binary would be mostly fill because the image has data far apart. */
export class BinaryGapError extends FlashwrightError {
  constructor(readonly gap: number, readonly total: number, readonly before: { start: number; end: number; sources: string[] }, readonly after: { start: number; end: number; sources: string[] }) {
    const name = (s: { start: number; end: number; sources: string[] }) => `${hex(s.start)}–${hex(s.end - 1)}${s.sources.length ? ` (${s.sources.join(', ')})` : ''}`;
    const largest = after.start - before.end;
    const between = `between the segment at ${name(before)} and the segment at ${name(after)}`;
    super('IMAGE_BINARY_GAP', largest === gap
      ? `A raw binary of this image would hold ${formatSize(gap)} of fill ${between}.`
      : `A raw binary of this image would hold ${formatSize(gap)} of fill in all; the largest gap, ${formatSize(largest)}, lies ${between}.`,
      {
        hint: `Write Intel HEX or S-record instead (gaps cost nothing there), or pass --force if you really want a ${formatSize(total)} file.`,
        context: { gap, total, before, after, limit: MAX_BINARY_GAP },
      });
  }
}

/** Places raw bytes at `base`. */
export function readBinary(data: Uint8Array, base: number, source: string): MemoryImage {
  if (!Number.isInteger(base) || base < 0 || base + data.length > 0x1_0000_0000) throw new AddressRangeError(base, data.length, source);
  const b = new MemoryImageBuilder();
  b.add(base, data, source);
  return b.build();
}

export interface BinaryWriteOptions {
  /** Gap fill value; default 0xFF (erased flash). */
  fill?: number;
  /** Write even when the gaps add up to more than {@link MAX_BINARY_GAP}. */
  force?: boolean | undefined;
}

/** Throws {@link BinaryGapError} when the gaps are too big (and not forced); returns the file size. */
export function checkBinaryGaps(image: MemoryImage, options: BinaryWriteOptions = {}): number {
  const n = image.segmentCount;
  if (n === 0) return 0;
  const total = image.end! - image.start!;
  const gap = total - image.size;
  if (gap > MAX_BINARY_GAP && !options.force) {
    let worst = 1;
    let widest = -1;
    let prevEnd = image.start!;
    let i = 0;
    for (const s of image.eachSegment()) {
      if (i > 0 && s.address - prevEnd > widest) { widest = s.address - prevEnd; worst = i; }
      prevEnd = s.address + s.data.length;
      i++;
    }
    const describe = (s: { address: number; data: Uint8Array }) => ({ start: s.address, end: s.address + s.data.length, sources: image.sourcesIn(s.address, s.address + s.data.length).slice(0, 3) });
    throw new BinaryGapError(gap, total, describe(image.segmentAt(worst - 1)), describe(image.segmentAt(worst)));
  }
  return total;
}

/**
 * The binary file as a sequence of chunks (segment data and fill blocks of at most 1 MiB), so
 * a caller can stream a large file without holding it whole. Starts at the image's lowest address.
 */
export function* binaryChunks(image: MemoryImage, options: BinaryWriteOptions = {}): Generator<Uint8Array> {
  checkBinaryGaps(image, options);
  const fill = options.fill ?? 0xff;
  let fillBlock: Uint8Array | undefined;
  let pos = image.start ?? 0;
  for (const s of image.eachSegment()) {
    let gap = s.address - pos;
    while (gap > 0) {
      fillBlock ??= new Uint8Array(1024 * 1024).fill(fill);
      const n = Math.min(gap, fillBlock.length);
      yield fillBlock.subarray(0, n);
      gap -= n;
    }
    yield s.data;
    pos = s.address + s.data.length;
  }
}

/** The whole binary file in memory (a view of the data when the image is one segment). */
export function writeBinary(image: MemoryImage, options: BinaryWriteOptions = {}): Uint8Array {
  const total = checkBinaryGaps(image, options);
  if (image.segmentCount === 1) return image.segmentAt(0).data;
  const out = new Uint8Array(total);
  let o = 0;
  for (const chunk of binaryChunks(image, options)) { out.set(chunk, o); o += chunk.length; }
  return out;
}
