/**
 * Intel HEX (Intel "Hexadecimal Object File Format Specification", rev. A, 1988): records
 * `:LLAAAATT<data>CC`, types 00 data, 01 end of file, 02 extended segment address,
 * 03 start segment address, 04 extended linear address, 05 start linear address. The checksum
 * is the two's complement of the sum of all record bytes. Reads bytes directly (no per-line
 * strings): a 32 MiB image parses in well under a second.
 */
import { hex } from '../core/format.js';

import type { MemoryImage } from './memory-image.js';
import { AsciiOut, RecordFileParser, describeChar, HEX_PAIR_VALUE as SHARED_HEX_PAIR_VALUE, HEX_VALUE as SHARED_HEX_VALUE, type ParsedImage } from './text-records.js';

// Module-local copies: hot loops must not go through an import binding (some loaders,
// e.g. tsx in tests, turn each access into a getter call, which costs 2–3× overall).
const HEX_VALUE: Int8Array = SHARED_HEX_VALUE;
const HEX_PAIR_VALUE: Int16Array = SHARED_HEX_PAIR_VALUE;
const LF = 0x0a;
const CR = 0x0d;
const isLineSpace = (c: number) => c === 0x20 || c === 0x09 || c === CR || c === LF;

const COLON = 0x3a;
const TYPE_NAMES = ['data', 'end of file', 'extended segment address', 'start segment address', 'extended linear address', 'start linear address'];
/** Byte count each non-data record type must have. */
const FIXED_LENGTH = [-1, 0, 2, 4, 2, 4];

export class IntelHexParser extends RecordFileParser {
  /** Added to record addresses: ULBA << 16 (type 04) or USBA << 4 (type 02). */
  private base = 0;
  private segmentMode = false;
  private ended = false;
  private sawData = false;

  /** Parses the rest and returns the image. */
  finish(): ParsedImage {
    this.flush();
    this.runs.flush();
    let incomplete: ParsedImage['incomplete'];
    if (!this.ended) {
      const message = this.sawData
        ? `${this.source} has no end-of-file record (:00000001FF): it stops after line ${this.lastRecordLine}, the last record read, so it may have been cut short.`
        : `${this.source} holds no Intel HEX records.`;
      this.warnings.push(message);
      if (this.sawData) incomplete = { line: this.lastRecordLine, message };
    }
    return { image: this.builder.build(), warnings: this.warnings, ...(incomplete ? { incomplete } : {}) };
  }

  protected parseRange(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      const c = buf[i];
      if (c === LF) { this.line++; i++; continue; }
      if (c === CR || c === 0x20 || c === 0x09) { i++; continue; }
      if (this.ended) {
        if (!this.warnedAfterEnd) this.warnings.push(`${this.source} line ${this.line}: content after the end-of-file record was ignored.`);
        this.warnedAfterEnd = true;
        while (i < end && buf[i] !== LF) i++;
        continue;
      }
      if (c !== COLON) {
        throw this.error('IMAGE_BAD_RECORD', 'record start', 'a record must start with a colon', "':'", describeChar(c));
      }
      this.lastRecordLine = this.line;
      i = this.record(buf, i, end);
    }
  }

  private record(buf: Uint8Array, at: number, end: number): number {
    const count = this.byteAt(buf, at + 1, end, 'byte count');
    const textEnd = at + 11 + 2 * count;
    // Decode address, type, data and checksum: count + 5 bytes in all.
    const scratch = this.scratch;
    let sum = count;
    let p = at + 3;
    const n = count + 4;
    if (at + 11 + 2 * count > end) this.badDigit(buf, this.firstBadDigit(buf, at + 3, end), end, at, count);
    for (let k = 0; k < n; k++, p += 2) {
      const v = HEX_PAIR_VALUE[(buf[p]! << 8) | buf[p + 1]!]!;
      if (v < 0) this.badDigit(buf, HEX_VALUE[buf[p]!]! < 0 ? p : p + 1, end, at, count);
      scratch[k] = v;
      sum += v;
    }
    if (textEnd < end && !isLineSpace(buf[textEnd]!)) {
      let extra = textEnd;
      while (extra < end && !isLineSpace(buf[extra]!)) extra++;
      throw this.error('IMAGE_LENGTH_MISMATCH', 'byte count', `the record is longer than its byte count ${count} says`,
        `${11 + 2 * count} characters`, `${extra - at} characters`);
    }
    if ((sum & 0xff) !== 0) {
      const found = scratch[n - 1]!;
      const computed = (found - sum) & 0xff;
      throw this.error('IMAGE_BAD_CHECKSUM', 'checksum', 'the record checksum does not match its contents', hex(computed, 2), hex(found, 2));
    }
    const offset = (scratch[0]! << 8) | scratch[1]!;
    const type = scratch[2]!;
    if (type > 5) {
      throw this.error('IMAGE_UNKNOWN_RECORD', 'record type', 'unknown record type', '00–05', hex(type, 2));
    }
    if (type !== 0 && count !== FIXED_LENGTH[type]) {
      throw this.error('IMAGE_LENGTH_MISMATCH', 'byte count', `a ${TYPE_NAMES[type]} record must hold ${FIXED_LENGTH[type]} bytes`, String(FIXED_LENGTH[type]), String(count));
    }
    switch (type) {
      case 0: this.data(offset, count); break;
      case 1: this.ended = true; break;
      case 2: this.base = ((scratch[3]! << 8) | scratch[4]!) << 4; this.segmentMode = true; break;
      case 3: this.builder.entryPoint = (((scratch[3]! << 8) | scratch[4]!) << 4) + ((scratch[5]! << 8) | scratch[6]!); break;
      case 4: this.base = (((scratch[3]! << 8) | scratch[4]!) << 16) >>> 0; this.segmentMode = false; break;
      case 5: this.builder.entryPoint = ((scratch[3]! << 24) | (scratch[4]! << 16) | (scratch[5]! << 8) | scratch[6]!) >>> 0; break;
    }
    return textEnd;
  }

  private data(offset: number, count: number): void {
    if (count === 0) return;
    this.sawData = true;
    if (this.segmentMode && offset + count > 0x10000) {
      // Segment addressing wraps the offset within the 64 KiB segment (8086 semantics).
      const first = 0x10000 - offset;
      this.add(this.base + offset, 3, first);
      this.add(this.base, 3 + first, count - first);
      return;
    }
    this.add(this.base + offset, 3, count);
  }

  /** Adds `n` decoded bytes from scratch[from] at `address`. */
  private add(address: number, from: number, n: number): void {
    if (address + n > 0x1_0000_0000) {
      throw this.error('IMAGE_BAD_RECORD', 'address', `the data at ${hex(address)} runs past the 32-bit address space`, 'end <= 0x100000000', hex(address + n, 9));
    }
    this.runs.append(address, this.scratch, from, n, this.source, this.line);
  }

  private byteAt(buf: Uint8Array, p: number, end: number, field: string): number {
    const hi = p < end ? HEX_VALUE[buf[p]!]! : -1;
    const lo = p + 1 < end ? HEX_VALUE[buf[p + 1]!]! : -1;
    if ((hi | lo) < 0) {
      const bad = hi < 0 ? p : p + 1;
      const c = bad < end ? buf[bad] : undefined;
      if (c === undefined || c === LF || c === CR) throw this.error('IMAGE_LENGTH_MISMATCH', field, 'the record ends early', 'two hex digits', describeChar(c));
      throw this.error('IMAGE_BAD_RECORD', field, 'not a hex digit', 'a hex digit', describeChar(c));
    }
    return (hi << 4) | lo;
  }

  /** Position of the first non-hex character from `p` (or `end`). */
  private firstBadDigit(buf: Uint8Array, p: number, end: number): number {
    while (p < end && HEX_VALUE[buf[p]!]! >= 0) p++;
    return p;
  }

  private badDigit(buf: Uint8Array, p: number, end: number, at: number, count: number): never {
    const k = (p - at - 3) >> 1; // index of the byte (after the count) the bad character belongs to
    const c = p < end ? buf[p] : undefined;
    const field = k < 2 ? 'address' : k === 2 ? 'record type' : k === count + 3 ? 'checksum' : `data byte ${k - 3}`;
    if (c === undefined || c === LF || c === CR || c === 0x20 || c === 0x09) {
      throw this.error('IMAGE_LENGTH_MISMATCH', 'byte count', `the record is shorter than its byte count ${count} says`,
        `${11 + 2 * count} characters`, `${p - at} characters`);
    }
    throw this.error('IMAGE_BAD_RECORD', field, 'not a hex digit', 'a hex digit', describeChar(c));
  }
}

/** Parses a whole Intel HEX file held in memory. */
export function parseIntelHex(data: Uint8Array, source: string): ParsedImage {
  return new IntelHexParser(source).push(data).finish();
}

export interface IntelHexWriteOptions {
  /** Data bytes per record: 16 (objcopy's default) or 32 (srec_cat's). */
  recordSize?: number;
  /** Line ending; default LF. */
  crlf?: boolean;
}

/**
 * Writes Intel HEX: data records aligned to the record size (so none crosses a 64 KiB
 * boundary), a type 04 record whenever the upper 16 address bits change, a type 05 start
 * address when the image has an entry point, and the end-of-file record.
 */
export function writeIntelHex(image: MemoryImage, options: IntelHexWriteOptions = {}): Uint8Array {
  return intelHexChunks(image, options, Infinity).next().value!;
}

/**
 * {@link writeIntelHex} as a sequence of pieces of about `chunkBytes` each, so a file can be
 * written without holding all its text (a million scattered records are tens of MiB of it).
 */
export function* intelHexChunks(image: MemoryImage, options: IntelHexWriteOptions = {}, chunkBytes = 1 << 20): Generator<Uint8Array, undefined> {
  const rs = options.recordSize ?? 16;
  if (!Number.isInteger(rs) || rs < 1 || rs > 255) throw new RangeError(`Intel HEX record size must be 1–255, not ${rs}.`);
  const eol = options.crlf ? 2 : 1;
  let estimate = 64;
  for (const s of image.eachSegment()) estimate += (Math.ceil(s.data.length / rs) + 1) * (11 + eol) + 2 * s.data.length + (Math.ceil(s.data.length / 0x10000) + 1) * (15 + eol);
  let out = new AsciiOut(Math.min(estimate, chunkBytes + 1024));
  const newline = () => { if (options.crlf) out.char(CR); out.char(LF); };
  let upper = 0;
  for (const seg of image.eachSegment()) {
    const data = seg.data;
    let addr = seg.address;
    let i = 0;
    while (i < data.length) {
      if (addr >>> 16 !== upper) {
        upper = addr >>> 16;
        out.ensure(16);
        out.char(COLON); out.byte(2); out.byte(0); out.byte(0); out.byte(4); out.byte(upper >> 8); out.byte(upper & 0xff);
        out.byte((-(2 + 4 + (upper >> 8) + (upper & 0xff))) & 0xff);
        newline();
      }
      const n = Math.min(rs - (addr % rs), data.length - i, 0x10000 - (addr & 0xffff));
      out.ensure(13 + 2 * n);
      const lo = addr & 0xffff;
      let sum = n + (lo >> 8) + (lo & 0xff);
      out.char(COLON); out.byte(n); out.byte(lo >> 8); out.byte(lo & 0xff); out.byte(0);
      for (let k = 0; k < n; k++) {
        const v = data[i + k]!;
        sum += v;
        out.byte(v);
      }
      out.byte((-sum) & 0xff);
      newline();
      i += n;
      addr += n;
      if (out.pos >= chunkBytes) {
        yield out.result();
        out = new AsciiOut(chunkBytes + 1024);
      }
    }
  }
  out.ensure(64);
  if (image.entryPoint !== undefined) {
    const e = image.entryPoint >>> 0;
    const b = [e >>> 24, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff];
    out.char(COLON); out.byte(4); out.byte(0); out.byte(0); out.byte(5);
    for (const v of b) out.byte(v);
    out.byte((-(4 + 5 + b[0]! + b[1]! + b[2]! + b[3]!)) & 0xff);
    newline();
  }
  out.text(':00000001FF');
  newline();
  yield out.result();
  return undefined;
}
