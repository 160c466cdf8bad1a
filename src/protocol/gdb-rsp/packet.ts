/**
 * GDB remote serial protocol framing (GDB manual, "Remote Protocol" → "Overview"):
 * `$payload#cc` where cc is the modulo-256 sum of the payload bytes as two hex digits,
 * `+`/`-` acknowledgements, `%payload#cc` asynchronous notifications, and the 0x03
 * interrupt byte. Binary payloads escape `#`, `$`, `}` and `*` as `}` followed by the
 * byte XOR 0x20; replies may run-length encode repeats as `x*N` (N - 29 more copies of x).
 * Everything here is pure: bytes in, bytes or events out.
 */

const DOLLAR = 0x24;
const HASH = 0x23;
const PERCENT = 0x25;
const ESCAPE = 0x7d;
const STAR = 0x2a;
const PLUS = 0x2b;
const MINUS = 0x2d;
/** The interrupt request byte (Ctrl-C), sent outside any packet. */
export const INTERRUPT_BYTE = 0x03;

const encoder = new TextEncoder();
const decoder = new TextDecoder('latin1');

/** Bytes of an ASCII/latin1 string (one byte per char code). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A latin1 string from bytes (packet payloads are mostly ASCII). */
export function bytesToAscii(data: Uint8Array): string {
  return decoder.decode(data);
}

/** Modulo-256 sum of `data`, the RSP checksum. */
export function rspChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + data[i]!) & 0xff;
  return sum;
}

function needsEscape(b: number): boolean {
  return b === DOLLAR || b === HASH || b === ESCAPE || b === STAR;
}

/** Escapes binary data for X / vFlashWrite payloads. */
export function escapeBinary(data: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (needsEscape(data[i]!)) extra++;
  if (extra === 0) return data;
  const out = new Uint8Array(data.length + extra);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (needsEscape(b)) { out[o++] = ESCAPE; out[o++] = b ^ 0x20; } else out[o++] = b;
  }
  return out;
}

/** Length `data` would have once escaped, without building it. */
export function escapedLength(data: Uint8Array, start = 0, end = data.length): number {
  let n = end - start;
  for (let i = start; i < end; i++) if (needsEscape(data[i]!)) n++;
  return n;
}

/** How many bytes of `data` from `start` fit in `room` bytes once escaped (at least one). */
export function binaryChunkLength(data: Uint8Array, start: number, room: number): number {
  let n = 0;
  let used = 0;
  while (start + n < data.length) {
    const cost = needsEscape(data[start + n]!) ? 2 : 1;
    if (used + cost > room) break;
    used += cost;
    n++;
  }
  return Math.max(1, n);
}

/** Undoes {@link escapeBinary} (qXfer replies, binary reads). */
export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === ESCAPE && i + 1 < data.length) out[o++] = data[++i]! ^ 0x20;
    else out[o++] = data[i]!;
  }
  return out.subarray(0, o);
}

/**
 * Expands run-length encoding: `x*N` means x followed by N - 29 more copies of x
 * (N is a printable character from 0x20 + 3 upward; GDB avoids '#' and '$').
 */
export function expandRunLength(data: Uint8Array): Uint8Array {
  if (!data.includes(STAR)) return data;
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === STAR && out.length > 0 && i + 1 < data.length) {
      const repeat = data[++i]! - 29;
      const last = out[out.length - 1]!;
      for (let k = 0; k < repeat; k++) out.push(last);
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

/** Frames a payload as `$payload#cc`. The payload must already be escaped if binary. */
export function encodePacket(payload: Uint8Array | string, leadingAcks = 0): Uint8Array {
  const body = typeof payload === 'string' ? asciiBytes(payload) : payload;
  // `leadingAcks` '+' bytes go first: acknowledgements owed for earlier replies, sent in the same write.
  const out = new Uint8Array(leadingAcks + body.length + 4);
  out.fill(PLUS, 0, leadingAcks);
  out[leadingAcks] = DOLLAR;
  out.set(body, leadingAcks + 1);
  const end = leadingAcks + body.length + 1;
  const sum = rspChecksum(body);
  out[end] = HASH;
  out[end + 1] = HEX_DIGITS[sum >> 4]!;
  out[end + 2] = HEX_DIGITS[sum & 15]!;
  return out;
}

/** Frames a packet whose payload is an ASCII prefix followed by raw (unescaped) binary. */
export function encodeBinaryPacket(prefix: string, data: Uint8Array): Uint8Array {
  const head = asciiBytes(prefix);
  const escaped = escapeBinary(data);
  const payload = new Uint8Array(head.length + escaped.length);
  payload.set(head, 0);
  payload.set(escaped, head.length);
  return encodePacket(payload);
}

/** Something that arrived on the wire. */
export type RspEvent =
  | { type: 'ack' }
  | { type: 'nak' }
  /** `payload` is run-length expanded but not unescaped; `raw` is the frame as received. */
  | { type: 'packet'; payload: Uint8Array; checksumOk: boolean; raw: Uint8Array }
  | { type: 'notification'; payload: Uint8Array; checksumOk: boolean }
  | { type: 'interrupt' };

/**
 * Incremental frame decoder: feed it chunks as they arrive, get events back. Junk between
 * frames (line noise, a stray newline) is skipped, as GDB does.
 */
export class PacketDecoder {
  private state: 'idle' | 'body' | 'sum1' | 'sum2' = 'idle';
  private notification = false;
  private body: number[] = [];
  private sumText = '';

  /** Interrupt bytes are reported only when decoding what a client sends (the server side). */
  constructor(private readonly reportInterrupts = false) {}

  push(chunk: Uint8Array): RspEvent[] {
    const events: RspEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.state) {
        case 'idle':
          if (b === PLUS) events.push({ type: 'ack' });
          else if (b === MINUS) events.push({ type: 'nak' });
          else if (b === DOLLAR || b === PERCENT) {
            this.state = 'body';
            this.notification = b === PERCENT;
            this.body = [];
          } else if (b === INTERRUPT_BYTE && this.reportInterrupts) events.push({ type: 'interrupt' });
          break;
        case 'body':
          if (b === HASH) { this.state = 'sum1'; this.sumText = ''; } else this.body.push(b);
          break;
        case 'sum1':
          this.sumText = String.fromCharCode(b);
          this.state = 'sum2';
          break;
        case 'sum2': {
          this.sumText += String.fromCharCode(b);
          this.state = 'idle';
          const raw = Uint8Array.from(this.body);
          const checksumOk = /^[0-9a-fA-F]{2}$/.test(this.sumText) && parseInt(this.sumText, 16) === rspChecksum(raw);
          if (this.notification) events.push({ type: 'notification', payload: raw, checksumOk });
          else events.push({ type: 'packet', payload: checksumOk ? expandRunLength(raw) : raw, checksumOk, raw });
          break;
        }
      }
    }
    return events;
  }
}

const HEX_DIGITS = asciiBytes('0123456789abcdef');
/** ASCII code → nibble value, 255 for non-hex characters. */
const NIBBLE = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) { t[0x41 + i] = 10 + i; t[0x61 + i] = 10 + i; }
  return t;
})();

/** Writes `data` as lower-case hex digits into `out` at `offset` (2 bytes per byte). */
export function hexEncodeInto(data: Uint8Array, out: Uint8Array, offset: number): void {
  for (let i = 0, o = offset; i < data.length; i++, o += 2) {
    out[o] = HEX_DIGITS[data[i]! >> 4]!;
    out[o + 1] = HEX_DIGITS[data[i]! & 15]!;
  }
}

/** Decodes hex digits held as bytes (a reply payload) without making strings; undefined if not hex. */
export function hexDecodeBytes(text: Uint8Array, start = 0, end = text.length): Uint8Array | undefined {
  if ((end - start) % 2 !== 0) return undefined;
  const out = new Uint8Array((end - start) / 2);
  for (let i = 0, p = start; i < out.length; i++, p += 2) {
    const hi = NIBBLE[text[p]!]!;
    const lo = NIBBLE[text[p + 1]!]!;
    if (hi === 255 || lo === 255) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Lower-case hex of bytes, as m replies and M / qRcmd payloads carry them. */
export function toHex(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += (data[i]! < 16 ? '0' : '') + data[i]!.toString(16);
  return s;
}

/** Bytes from hex text; undefined when the text is not an even run of hex digits. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/** Hex text of a string's bytes (qRcmd command, O output). */
export function stringToHex(text: string): string {
  return toHex(encoder.encode(text));
}

/** The string a hex run encodes (UTF-8). */
export function hexToString(text: string): string | undefined {
  const b = fromHex(text);
  return b === undefined ? undefined : new TextDecoder().decode(b);
}
