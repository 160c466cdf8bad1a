/**
 * Shared machinery for the line-oriented formats (Intel HEX, S-record): hex digit tables,
 * a chunked line feeder so files can be parsed as they are read (memory stays near the image
 * size, not the file size), and a growable output buffer for the writers.
 */
import type { MemoryImage } from './memory-image.js';

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
}

/**
 * Feeds a parser whole lines from arbitrarily split chunks. Subclasses implement
 * `parseRange(buf, start, end)`, which always receives complete lines (the range ends after
 * a line terminator, or at the end of the input in `finish`).
 */
export abstract class ChunkedLineParser {
  private carry?: Uint8Array;

  protected abstract parseRange(buf: Uint8Array, start: number, end: number): void;

  /** Parses the complete lines in `chunk`; keeps a trailing partial line for the next call. */
  push(chunk: Uint8Array): this {
    let from = 0;
    if (this.carry) {
      const lf = firstTerminator(chunk);
      if (lf < 0) {
        this.carry = concat(this.carry, chunk);
        return this;
      }
      const joined = concat(this.carry, chunk.subarray(0, lf + 1));
      this.carry = undefined;
      this.parseRange(joined, 0, joined.length);
      from = lf + 1;
    }
    const last = Math.max(chunk.lastIndexOf(LF), chunk.lastIndexOf(CR));
    if (last < from) {
      if (from < chunk.length) this.carry = chunk.slice(from);
      return this;
    }
    this.parseRange(chunk, from, last + 1);
    if (last + 1 < chunk.length) this.carry = chunk.slice(last + 1);
    return this;
  }

  /** Parses what is left (a last line without terminator). */
  protected flush(): void {
    const rest = this.carry;
    this.carry = undefined;
    if (rest) this.parseRange(rest, 0, rest.length);
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
    this.buf[this.pos++] = HEX_DIGIT[v >> 4];
    this.buf[this.pos++] = HEX_DIGIT[v & 15];
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
