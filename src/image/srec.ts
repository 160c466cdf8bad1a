/**
 * Motorola S-record (Motorola M68000 Family Programmer's Reference Manual, appendix C):
 * `S<type><count><address><data><checksum>`, where count is the number of bytes after it and
 * the checksum is the ones' complement of the low byte of the sum of count, address and data.
 * S0 header, S1/S2/S3 data with 16/24/32-bit addresses, S5/S6 record counts, S7/S8/S9 start
 * address (termination). Reads bytes directly, like the Intel HEX reader.
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

const S = 0x53;
const S_LOWER = 0x73;
/** Address bytes per record type (-1: reserved/unknown). */
const ADDRESS_BYTES = [2, 2, 3, 4, -1, 2, 3, 4, 3, 2];

export interface ParsedSrec extends ParsedImage {
  /** The S0 header's text, when there was one. */
  header?: string | undefined;
}

export class SrecParser extends RecordFileParser {
  private dataRecords = 0;
  private header?: string;
  private terminated = false;
  /** The last record was a matching S5/S6 count: the file is evidently complete. */
  private countedAtEnd = false;

  finish(): ParsedSrec {
    this.flush();
    this.runs.flush();
    // No termination record after a matching count is a file without an entry point (srec_cat
    // writes those); without either, the file may have been cut short.
    let incomplete: ParsedImage['incomplete'];
    if (!this.terminated && !this.countedAtEnd) {
      const message = this.dataRecords > 0
        ? `${this.source} has no termination record (S7/S8/S9) or closing record count (S5/S6): it stops after line ${this.lastRecordLine}, the last record read, so it may have been cut short.`
        : `${this.source} holds no S-records.`;
      this.warnings.push(message);
      if (this.dataRecords > 0) incomplete = { line: this.lastRecordLine, message };
    }
    return { image: this.builder.build(), warnings: this.warnings, header: this.header, ...(incomplete ? { incomplete } : {}) };
  }

  protected parseRange(buf: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      const c = buf[i];
      if (c === LF) { this.line++; i++; continue; }
      if (c === CR || c === 0x20 || c === 0x09) { i++; continue; }
      if (this.terminated) {
        if (!this.warnedAfterEnd) this.warnings.push(`${this.source} line ${this.line}: content after the termination record was ignored.`);
        this.warnedAfterEnd = true;
        while (i < end && buf[i] !== LF) i++;
        continue;
      }
      if (c !== S && c !== S_LOWER) throw this.error('IMAGE_BAD_RECORD', 'record start', "an S-record must start with 'S'", "'S'", describeChar(c));
      this.lastRecordLine = this.line;
      i = this.record(buf, i, end);
    }
  }

  private record(buf: Uint8Array, at: number, end: number): number {
    const t = at + 1 < end ? buf[at + 1]! - 0x30 : -1;
    if (t < 0 || t > 9) {
      const c = at + 1 < end ? buf[at + 1] : undefined;
      if (c === undefined || c === LF || c === CR) throw this.error('IMAGE_LENGTH_MISMATCH', 'record type', 'the record ends early', 'a digit 0–9', describeChar(c));
      throw this.error('IMAGE_UNKNOWN_RECORD', 'record type', 'unknown record type', 'S0–S9', `S${String.fromCharCode(c)}`);
    }
    const addrBytes = ADDRESS_BYTES[t]!;
    if (addrBytes < 0) throw this.error('IMAGE_UNKNOWN_RECORD', 'record type', 'S4 is a reserved record type', 'S0–S3, S5–S9', 'S4');
    // Count, then `count` bytes (address, data, checksum).
    const count = this.hexByte(buf, at + 2, end, at, -1, 'byte count');
    if (count < addrBytes + 1) {
      throw this.error('IMAGE_LENGTH_MISMATCH', 'byte count', `an S${t} record needs at least ${addrBytes + 1} bytes after the count`, `>= ${addrBytes + 1}`, String(count));
    }
    const scratch = this.scratch;
    let sum = count;
    let p = at + 4;
    const fieldOf = (k: number) => k < addrBytes ? 'address' : k === count - 1 ? 'checksum' : `data byte ${k - addrBytes}`;
    if (at + 4 + 2 * count > end) {
      let q = p;
      while (q < end && HEX_VALUE[buf[q]!]! >= 0) q++;
      const k = (q - p) >> 1;
      this.hexByte(buf, p + 2 * k, end, at, count, fieldOf(k));
    }
    for (let k = 0; k < count; k++, p += 2) {
      const v = HEX_PAIR_VALUE[(buf[p]! << 8) | buf[p + 1]!]!;
      if (v < 0) this.hexByte(buf, p, end, at, count, fieldOf(k));
      scratch[k] = v;
      sum += v;
    }
    if (p < end && !isLineSpace(buf[p]!)) {
      let extra = p;
      while (extra < end && !isLineSpace(buf[extra]!)) extra++;
      throw this.error('IMAGE_LENGTH_MISMATCH', 'byte count', `the record is longer than its byte count ${count} says`, `${4 + 2 * count} characters`, `${extra - at} characters`);
    }
    const found = scratch[count - 1]!;
    sum -= found;
    const computed = ~sum & 0xff;
    if (computed !== found) throw this.error('IMAGE_BAD_CHECKSUM', 'checksum', 'the record checksum does not match its contents', hex(computed, 2), hex(found, 2));
    let address = 0;
    for (let k = 0; k < addrBytes; k++) address = address * 256 + scratch[k]!;
    const dataLen = count - addrBytes - 1;
    switch (t) {
      case 0: {
        let s = '';
        for (let k = 0; k < dataLen; k++) s += String.fromCharCode(scratch[addrBytes + k]!);
        this.header = s.replace(/\0+$/, '');
        break;
      }
      case 1: case 2: case 3: this.data(address, addrBytes, dataLen); break;
      case 5: case 6:
        if (address !== this.dataRecords) {
          throw this.error('IMAGE_LENGTH_MISMATCH', 'record count', `the S${t} record count does not match the data records read`, String(address), String(this.dataRecords));
        }
        this.countedAtEnd = true;
        break;
      default:
        this.terminated = true;
        this.builder.entryPoint = address;
    }
    return p;
  }

  private data(address: number, from: number, n: number): void {
    this.dataRecords++;
    this.countedAtEnd = false;
    if (n === 0) return;
    if (address + n > 0x1_0000_0000) {
      throw this.error('IMAGE_BAD_RECORD', 'address', `the data at ${hex(address)} runs past the 32-bit address space`, 'end <= 0x100000000', hex(address + n, 9));
    }
    this.runs.append(address, this.scratch, from, n, this.source, this.line);
  }

  /** Decodes a hex byte or throws the right error for what stands there. */
  private hexByte(buf: Uint8Array, p: number, end: number, at: number, count: number, field: string): number {
    const hi = p < end ? HEX_VALUE[buf[p]!]! : -1;
    const lo = p + 1 < end ? HEX_VALUE[buf[p + 1]!]! : -1;
    if ((hi | lo) >= 0) return (hi << 4) | lo;
    const bad = hi < 0 ? p : p + 1;
    const c = bad < end ? buf[bad] : undefined;
    if (c === undefined || isLineSpace(c)) {
      if (count < 0) throw this.error('IMAGE_LENGTH_MISMATCH', field, 'the record ends early', 'two hex digits', describeChar(c));
      throw this.error('IMAGE_LENGTH_MISMATCH', 'byte count', `the record is shorter than its byte count ${count} says`, `${4 + 2 * count} characters`, `${bad - at} characters`);
    }
    throw this.error('IMAGE_BAD_RECORD', field, 'not a hex digit', 'a hex digit', describeChar(c));
  }
}

export function parseSrec(data: Uint8Array, source: string): ParsedSrec {
  return new SrecParser(source).push(data).finish();
}

export interface SrecWriteOptions {
  /** Data bytes per record; default 16. */
  recordSize?: number;
  crlf?: boolean;
  /** S0 header text; default none (an empty S0 record). */
  header?: string;
}

/**
 * Writes S-records: S1/S2/S3 chosen by the highest address, an S0 header first, an S5/S6
 * count, and the matching S9/S8/S7 termination carrying the entry point. An image without an
 * entry point gets no termination record (as srec_cat writes it): readers, srec_cat included,
 * take a termination record's address as the start address, so S9 0000 would invent one.
 */
export function writeSrec(image: MemoryImage, options: SrecWriteOptions = {}): Uint8Array {
  return srecChunks(image, options, Infinity).next().value!;
}

/** {@link writeSrec} as a sequence of pieces of about `chunkBytes` each (see intelHexChunks). */
export function* srecChunks(image: MemoryImage, options: SrecWriteOptions = {}, chunkBytes = 1 << 20): Generator<Uint8Array, undefined> {
  const rs = options.recordSize ?? 16;
  const top = (image.end ?? 0) - 1;
  const entry = image.entryPoint;
  const highest = Math.max(top, entry ?? 0);
  const addrBytes = highest <= 0xffff ? 2 : highest <= 0xffffff ? 3 : 4;
  if (!Number.isInteger(rs) || rs < 1 || rs > 255 - addrBytes - 1) throw new RangeError(`S-record record size must be 1–${254 - addrBytes}, not ${rs}.`);
  const dataType = addrBytes - 1; // S1, S2, S3
  const endType = 11 - addrBytes; // S9, S8, S7
  const eol = options.crlf ? 2 : 1;
  let estimate = 128 + (options.header?.length ?? 0) * 2;
  for (const s of image.eachSegment()) estimate += (Math.ceil(s.data.length / rs) + 1) * (6 + 2 * addrBytes + 2 + eol) + 2 * s.data.length;
  let out = new AsciiOut(Math.min(estimate, chunkBytes + 1024));
  const newline = () => { if (options.crlf) out.char(CR); out.char(LF); };
  // Data as (bytes, offset, count), not a view per record: a million records would make a million views.
  const record = (type: number, address: number, data: Uint8Array | undefined, aBytes: number, from = 0, n = data?.length ?? 0) => {
    const count = aBytes + n + 1;
    out.ensure(8 + 2 * count);
    out.char(S); out.char(0x30 + type); out.byte(count);
    let sum = count;
    for (let k = aBytes - 1; k >= 0; k--) {
      const v = Math.floor(address / 2 ** (8 * k)) & 0xff;
      sum += v;
      out.byte(v);
    }
    for (let k = 0; k < n; k++) {
      const v = data![from + k]!;
      sum += v;
      out.byte(v);
    }
    out.byte(~sum & 0xff);
    newline();
  };
  record(0, 0, new TextEncoder().encode(options.header ?? '').subarray(0, 250), 2);
  let count = 0;
  for (const seg of image.eachSegment()) {
    for (let i = 0; i < seg.data.length;) {
      const addr = seg.address + i;
      const n = Math.min(rs - (addr % rs), seg.data.length - i);
      record(dataType, addr, seg.data, addrBytes, i, n);
      i += n;
      count++;
      if (out.pos >= chunkBytes) {
        yield out.result();
        out = new AsciiOut(chunkBytes + 1024);
      }
    }
  }
  if (count <= 0xffff) record(5, count, undefined, 2);
  else if (count <= 0xffffff) record(6, count, undefined, 3);
  if (entry !== undefined) record(endType, entry, undefined, addrBytes);
  yield out.result();
  return undefined;
}
