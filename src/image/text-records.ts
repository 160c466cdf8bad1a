/**
 * Shared machinery for the line-oriented formats (Intel HEX, S-record): hex digit tables,
 * a chunked line feeder so files can be parsed as they are read (memory stays near the image
 * size, not the file size), and a growable output buffer for the writers.
 */
import { ImageParseError, type ImageParseCode } from './errors.js';
import { MemoryImageBuilder, type MemoryImage } from './memory-image.js';

export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
export const TAB = 0x09;

/** ASCII code → hex digit value, or -1. Either case. */
export const HEX_VALUE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) { t[0x41 + i] = 10 + i; t[0x61 + i] = 10 + i; }
  return t;
})();

/** Two ASCII codes (first << 8 | second) → byte value, or -1: one lookup per byte on hot paths. */
export const HEX_PAIR_VALUE: Int16Array = (() => {
  const t = new Int16Array(65536).fill(-1);
  const digits = '0123456789abcdefABCDEF';
  for (const a of digits) for (const b of digits) t[(a.charCodeAt(0) << 8) | b.charCodeAt(0)] = parseInt(a + b, 16);
  return t;
})();

/** Upper-case hex digits as ASCII codes. */
export const HEX_DIGIT: Uint8Array = new TextEncoder().encode('0123456789ABCDEF');

export function isLineSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF;
}

/** Describes a character for error messages: `'G'`, `end of line`, `0x00`. */
export function describeChar(c: number | undefined): string {
  if (c === undefined) return 'end of file';
  if (c === LF || c === CR) return 'end of line';
  if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** The result every image reader returns. */
export interface ParsedImage {
  image: MemoryImage;
  warnings: string[];
  /**
   * Set when the file has data but no end record (Intel HEX type 01, S-record S7/S8/S9 or a
   * closing count): it may have been cut short. `line` is the last record read; `message`
   * says so in one sentence.
   */
  incomplete?: { line: number; message: string };
}

/**
 * Feeds a parser whole lines from arbitrarily split chunks. Subclasses implement
 * `parseRange(buf, start, end)`, which always receives complete lines (the range ends after
 * a line terminator, or at the end of the input in `finish`).
 */
export abstract class ChunkedLineParser {
  private carry?: Uint8Array | undefined;

  protected abstract parseRange(buf: Uint8Array, start: number, end: number): void;

  /** Parses the complete lines in `chunk`; keeps a trailing partial line for the next call. */
  push(chunk: Uint8Array): this {
    let from = 0;
    if (this.carry) {
      const lf = firstTerminator(chunk);
      if (lf < 0) {
        this.carry = concat(this.carry, chunk);
        this.drainLongLine();
        return this;
      }
      const joined = concat(this.carry, chunk.subarray(0, lf + 1));
      this.carry = undefined;
      this.parseRange(joined, 0, joined.length);
      from = lf + 1;
    }
    let last = chunk.lastIndexOf(LF);
    if (last < 0) last = chunk.lastIndexOf(CR); // old Mac line endings
    if (last < from) {
      if (from < chunk.length) this.carry = chunk.slice(from);
      this.drainLongLine();
      return this;
    }
    this.parseRange(chunk, from, last + 1);
    if (last + 1 < chunk.length) this.carry = chunk.slice(last + 1);
    return this;
  }

  /**
   * No record is longer than ~520 characters, so a "line" past 64 KiB is garbage or records
   * separated by blanks: parse it up to its last blank now instead of growing the carry
   * (which would copy it again on every chunk).
   */
  private drainLongLine(): void {
    const c = this.carry;
    if (!c || c.length <= 65536) return;
    let cut = c.length - 1;
    while (cut >= 0 && c[cut] !== SPACE && c[cut] !== TAB) cut--;
    const upTo = cut >= 0 ? cut + 1 : c.length;
    this.carry = upTo < c.length ? c.slice(upTo) : undefined;
    this.parseRange(c, 0, upTo);
  }

  /** Parses what is left (a last line without terminator). */
  protected flush(): void {
    const rest = this.carry;
    this.carry = undefined;
    if (rest) this.parseRange(rest, 0, rest.length);
  }
}

/**
 * What the Intel HEX and S-record parsers share: the image builder, the run collector, the
 * current line for error messages, warnings, and the typed parse error.
 */
export abstract class RecordFileParser extends ChunkedLineParser {
  protected readonly builder = new MemoryImageBuilder();
  protected readonly warnings: string[] = [];
  protected readonly scratch = new Uint8Array(256);
  protected line = 1;
  /** Line of the last record parsed, to name where a cut file stops. */
  protected lastRecordLine = 0;
  protected warnedAfterEnd = false;
  /** Where the current contiguous run of data began, to name it in overlap errors. */
  protected readonly runs: RunCollector;

  /** `sizeHint`: expected data bytes (e.g. from the file size), so one buffer holds the image. */
  constructor(protected readonly source: string, sizeHint = 0) {
    super();
    this.runs = new RunCollector(this.builder, sizeHint);
  }

  protected error(code: ImageParseCode, field: string, problem: string, expected?: string, found?: string): ImageParseError {
    return new ImageParseError(code, { source: this.source, line: this.line, field }, problem, { expected, found });
  }
}

function firstTerminator(chunk: Uint8Array): number {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === LF || chunk[i] === CR) return i;
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** An ASCII output buffer sized up front by the writer (grows if the estimate was short). */
export class AsciiOut {
  buf: Uint8Array;
  pos = 0;

  constructor(estimate: number) {
    this.buf = new Uint8Array(Math.max(64, estimate));
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** Appends one byte as two upper-case hex digits (caller ensured room). */
  byte(v: number): void {
    this.buf[this.pos++] = HEX_DIGIT[v >> 4]!;
    this.buf[this.pos++] = HEX_DIGIT[v & 15]!;
  }

  char(c: number): void {
    this.buf[this.pos++] = c;
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * Collects contiguous record data into one growing buffer per run and hands finished runs to
 * the builder. With a good `sizeHint` (expected data bytes, e.g. estimated from the file size)
 * a whole image is one allocation: no doubling, no final copy. A run also grows downwards
 * (records in reverse address order, as some tools write each 64 KiB block), and a record that
 * repeats bytes already in the run is dropped, so neither case makes one run (and one origin)
 * per record. A run is named after the file line where it began (a number; the text "file
 * line N" is made only for a message). A short run is copied into the builder's shared slabs
 * and the buffer reused, so scattered records cost their bytes and a table row each, not a
 * buffer each; a long one is handed over without copying.
 */
export class RunCollector {
  private buf?: Uint8Array | undefined;
  /** The run's bytes are buf[head, head + len), at addresses [start, start + len). */
  private head = 0;
  private len = 0;
  private start = 0;
  private source = '';
  private line = 0;
  private hintLeft: number;
  /** The buffer was sized from the hint: if the run then stays much shorter, the hint is not trusted again. */
  private sizedByHint = false;

  constructor(private readonly builder: MemoryImageBuilder, sizeHint = 0) {
    this.hintLeft = sizeHint;
  }

  /** Appends `n` bytes of `src` from `from` at `address`; a new run is named after `source` and `line`. */
  append(address: number, src: Uint8Array, from: number, n: number, source: string, line: number): void {
    if (n === 0) return;
    let buf = this.buf;
    if (this.len > 0 && address === this.start + this.len) {
      buf = buf!;
      if (this.head + this.len + n > buf.length) {
        // Double while small; a run that outgrows 4 KiB is probably the bulk of the file: jump
        // straight to the expected remaining size (one allocation, no more doubling).
        const byHint = buf.length >= 4096 && this.hintLeft > 2 * buf.length;
        buf = this.regrow(Math.max(this.len + n, byHint ? this.hintLeft : Math.max(64, 2 * buf.length)), 0);
        this.sizedByHint = byHint;
      }
      const at = this.head + this.len;
      for (let k = 0; k < n; k++) buf[at + k] = src[from + k]!;
      this.len += n;
      return;
    }
    if (this.len > 0 && address + n === this.start) {
      buf = buf!;
      if (this.head < n) {
        const size = Math.max(this.len + n, 2 * this.len, 64);
        buf = this.regrow(size, size - this.len);
        this.sizedByHint = false;
      }
      const at = this.head - n;
      for (let k = 0; k < n; k++) buf[at + k] = src[from + k]!;
      this.head = at;
      this.start = address;
      this.len += n;
      return;
    }
    if (this.len > 0 && address >= this.start && address + n <= this.start + this.len) {
      const at = this.head + (address - this.start);
      let same = true;
      for (let k = 0; k < n && same; k++) same = buf![at + k] === src[from + k];
      if (same) return; // a repeat of bytes already here: nothing to add, nothing to check
    }
    this.flush();
    buf = this.buf;
    if (!buf || buf.length < n) buf = this.buf = new Uint8Array(Math.max(n, 256));
    for (let k = 0; k < n; k++) buf[k] = src[from + k]!;
    this.head = 0;
    this.len = n;
    this.start = address;
    this.source = source;
    this.line = line;
  }

  /** Moves the run into a new buffer of `size` bytes, its data starting at `head`. */
  private regrow(size: number, head: number): Uint8Array {
    const grown = new Uint8Array(size);
    grown.set(this.buf!.subarray(this.head, this.head + this.len), head);
    this.buf = grown;
    this.head = head;
    return grown;
  }

  /** Hands the current run to the builder: short ones copied, long ones adopted (trimmed when much is wasted). */
  flush(): void {
    const buf = this.buf;
    const len = this.len;
    if (!buf || len === 0) return;
    this.len = 0;
    this.hintLeft = Math.max(0, this.hintLeft - len);
    if (this.sizedByHint && len < buf.length / 2) this.hintLeft = 0; // the estimate was wrong: double from now on
    this.sizedByHint = false;
    if (len <= 4096) {
      this.builder.addFrom(this.start, buf, this.head, len, this.source, this.line);
      if (buf.length > 65536) this.buf = undefined; // do not keep a large buffer for short runs
      return;
    }
    this.buf = undefined;
    if (buf.length - len <= buf.length / 16) this.builder.adoptFrom(this.start, buf, this.head, len, this.source, this.line);
    else this.builder.adopt(this.start, buf.slice(this.head, this.head + len), this.source, this.line);
  }
}
