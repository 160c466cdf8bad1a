/**
 * STM32 system-memory bootloader over USART (ST AN3155, "USART protocol used in the STM32
 * bootloader"): byte values, command codes and pure frame encoders/parsers. No I/O here;
 * session.ts sends these frames and waits for the answers.
 */
import { FlashwrightError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hex, hexByte, hexBytes } from '../../core/format.js';

/** AN3155 §2: the host's first byte; the ROM measures it to pick the baud rate. */
export const INIT = 0x7f;
export const ACK = 0x79;
export const NACK = 0x1f;
/** Sent by some bootloaders while an operation is still running; the host skips it. */
export const BUSY = 0x76;

/** AN3155 §2 Table 2: command codes. */
export const Cmd = {
  Get: 0x00,
  GetVersion: 0x01,
  GetId: 0x02,
  ReadMemory: 0x11,
  Go: 0x21,
  WriteMemory: 0x31,
  Erase: 0x43,
  ExtendedErase: 0x44,
  Special: 0x50,
  ExtendedSpecial: 0x51,
  WriteProtect: 0x63,
  WriteUnprotect: 0x73,
  ReadoutProtect: 0x82,
  ReadoutUnprotect: 0x92,
  GetChecksum: 0xa1,
} as const;

export type CommandCode = (typeof Cmd)[keyof typeof Cmd];

const NAMES: Record<number, string> = {
  0x00: 'Get', 0x01: 'Get Version', 0x02: 'Get ID', 0x11: 'Read Memory', 0x21: 'Go', 0x31: 'Write Memory',
  0x43: 'Erase', 0x44: 'Extended Erase', 0x50: 'Special', 0x51: 'Extended Special', 0x63: 'Write Protect',
  0x73: 'Write Unprotect', 0x82: 'Readout Protect', 0x92: 'Readout Unprotect', 0xa1: 'Get Checksum',
};

/** "Write Memory (0x31)"; unknown codes by value. */
export function commandName(code: number): string {
  return `${NAMES[code] ?? 'unknown command'} (${hexByte(code)})`;
}

/** Largest Read Memory / Write Memory transfer (AN3155 §3.4, §3.6). */
export const MAX_TRANSFER = 256;
/** Extended Erase page lists longer than this are refused by some bootloaders in practice. */
export const MAX_ERASE_PAGES_PER_COMMAND = 511;
/** Extended Erase special codes (AN3155 §3.8). */
export const ExtendedEraseSpecial = { Global: 0xffff, Bank1: 0xfffe, Bank2: 0xfffd } as const;

/** A frame the device sent that does not follow AN3155. */
export class Stm32FrameError extends FlashwrightError {
  constructor(message: string, context: ErrorContext) {
    super('STM32_BAD_FRAME', message, {
      context,
      hint: 'Bytes were lost or garbled on the line: check the baud rate, the parity setting (8E1 on a real UART, 8N1 on a pseudo-terminal) and the cable.',
    });
  }
}

/** An argument outside what the protocol can carry. */
export class Stm32ArgumentError extends FlashwrightError {
  constructor(message: string, context: ErrorContext) {
    super('STM32_ARGUMENT', message, { context });
  }
}

/** XOR of all bytes. */
export function xorBytes(data: ArrayLike<number>, start = 0): number {
  let x = start;
  for (let i = 0; i < data.length; i++) x ^= data[i]!;
  return x & 0xff;
}

/** `code, code ^ 0xFF` (AN3155 §2). */
export function encodeCommand(code: number): Uint8Array {
  return new Uint8Array([code & 0xff, ~code & 0xff]);
}

/** Four address bytes MSB first, then their XOR (Read/Write Memory, Go, Get Checksum). */
export function encodeAddress(address: number): Uint8Array {
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
    throw new Stm32ArgumentError(`The address ${address} does not fit in 32 bits.`, { address });
  }
  const b = new Uint8Array(5);
  new DataView(b.buffer).setUint32(0, address >>> 0, false);
  b[4] = xorBytes(b.subarray(0, 4));
  return b;
}

/** Parses an address frame; undefined when the checksum is wrong (the device NACKs). */
export function decodeAddress(frame: Uint8Array): number | undefined {
  if (frame.length !== 5 || xorBytes(frame.subarray(0, 4)) !== frame[4]) return undefined;
  return new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
}

/** Read Memory length: `N-1, ~(N-1)` for 1 ≤ N ≤ 256. */
export function encodeReadLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > MAX_TRANSFER) {
    throw new Stm32ArgumentError(`Read Memory takes 1 to 256 bytes, not ${length}.`, { length });
  }
  return new Uint8Array([length - 1, ~(length - 1) & 0xff]);
}

/**
 * Write Memory data: `N-1, data…, XOR(N-1, data…)`. The data is padded with 0xFF to a
 * multiple of 4 bytes (AN3155 §3.6: N must be a multiple of 4; 0xFF programs nothing).
 */
export function encodeWriteData(data: Uint8Array): Uint8Array {
  if (data.length < 1 || data.length > MAX_TRANSFER) {
    throw new Stm32ArgumentError(`Write Memory takes 1 to 256 bytes, not ${data.length}.`, { length: data.length });
  }
  const n = (data.length + 3) & ~3;
  const frame = new Uint8Array(n + 2).fill(0xff);
  frame[0] = n - 1;
  frame.set(data, 1);
  frame[n + 1] = xorBytes(frame.subarray(0, n + 1));
  return frame;
}

/** Erase (0x43) with a page list: `N-1, pages…, XOR`; at most 255 pages of number ≤ 255. */
export function encodeErasePages(pages: readonly number[]): Uint8Array {
  if (pages.length < 1 || pages.length > 255) throw new Stm32ArgumentError(`Erase takes 1 to 255 pages per command, not ${pages.length}.`, { count: pages.length });
  const frame = new Uint8Array(pages.length + 2);
  frame[0] = pages.length - 1;
  pages.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p > 0xff) throw new Stm32ArgumentError(`Erase (0x43) page numbers are one byte; ${p} needs Extended Erase.`, { page: p });
    frame[i + 1] = p;
  });
  frame[pages.length + 1] = xorBytes(frame.subarray(0, pages.length + 1));
  return frame;
}

/** Erase (0x43) global erase: `0xFF, 0x00`. */
export function encodeEraseGlobal(): Uint8Array {
  return new Uint8Array([0xff, 0x00]);
}

/** Extended Erase (0x44) page list: `N-1` (2 bytes MSB first), pages (2 bytes each), XOR of all. */
export function encodeExtendedErasePages(pages: readonly number[]): Uint8Array {
  if (pages.length < 1 || pages.length > MAX_ERASE_PAGES_PER_COMMAND) {
    throw new Stm32ArgumentError(`Extended Erase takes 1 to ${MAX_ERASE_PAGES_PER_COMMAND} pages per command, not ${pages.length}.`, { count: pages.length });
  }
  const frame = new Uint8Array(2 + pages.length * 2 + 1);
  const v = new DataView(frame.buffer);
  v.setUint16(0, pages.length - 1, false);
  pages.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p >= 0xfff0) throw new Stm32ArgumentError(`Extended Erase page number ${p} is out of range.`, { page: p });
    v.setUint16(2 + i * 2, p, false);
  });
  frame[frame.length - 1] = xorBytes(frame.subarray(0, frame.length - 1));
  return frame;
}

/** Extended Erase special: 0xFFFF global, 0xFFFE bank 1, 0xFFFD bank 2; checksum = XOR of both bytes. */
export function encodeExtendedEraseSpecial(code: number): Uint8Array {
  if (code !== 0xffff && code !== 0xfffe && code !== 0xfffd) throw new Stm32ArgumentError(`${hex(code, 4)} is not an Extended Erase special code.`, { code });
  return new Uint8Array([code >> 8, code & 0xff, (code >> 8) ^ (code & 0xff)]);
}

/** Write Protect (0x63): `N-1, sector codes…, XOR`. */
export function encodeWriteProtect(sectors: readonly number[]): Uint8Array {
  if (sectors.length < 1 || sectors.length > 256) throw new Stm32ArgumentError(`Write Protect takes 1 to 256 sectors, not ${sectors.length}.`, { count: sectors.length });
  const frame = new Uint8Array(sectors.length + 2);
  frame[0] = sectors.length - 1;
  sectors.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0 || s > 0xff) throw new Stm32ArgumentError(`Write Protect sector codes are one byte, not ${s}.`, { sector: s });
    frame[i + 1] = s;
  });
  frame[sectors.length + 1] = xorBytes(frame.subarray(0, sectors.length + 1));
  return frame;
}

/** Get Checksum (0xA1) length: 4 bytes MSB first + XOR; the length must be a multiple of 4. */
export function encodeChecksumLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 4 || length % 4 !== 0 || length > 0xffffffff) {
    throw new Stm32ArgumentError(`Get Checksum needs a length that is a positive multiple of 4, not ${length}.`, { length });
  }
  return encodeAddress(length);
}

/** Get (0x00) answer after the first ACK: `N, version, N command codes`, then ACK. */
export interface GetResponse {
  /** Bootloader version byte: 0x31 = v3.1. */
  version: number;
  commands: number[];
}

/** Parses the bytes of a Get answer between the two ACKs (`N, version, codes…`). */
export function parseGetResponse(body: Uint8Array): GetResponse {
  if (body.length < 2 || body[0]! + 2 !== body.length) {
    throw new Stm32FrameError(`The Get answer is malformed (${hexBytes(body)}).`, { body: hexBytes(body) });
  }
  return { version: body[1]!, commands: [...body.subarray(2)] };
}

/** Get Version (0x01) answer: version, option byte 1, option byte 2. */
export interface VersionResponse {
  version: number;
  option1: number;
  option2: number;
}

export function parseVersionResponse(body: Uint8Array): VersionResponse {
  if (body.length !== 3) throw new Stm32FrameError(`The Get Version answer has ${body.length} bytes, not 3.`, { body: hexBytes(body) });
  return { version: body[0]!, option1: body[1]!, option2: body[2]! };
}

/** Get ID (0x02) answer: `N (= number of bytes - 1), PID…`; returns the product ID. */
export function parseIdResponse(body: Uint8Array): number {
  if (body.length < 2 || body[0]! + 2 !== body.length) {
    throw new Stm32FrameError(`The Get ID answer is malformed (${hexBytes(body)}).`, { body: hexBytes(body) });
  }
  let pid = 0;
  for (const b of body.subarray(1)) pid = (pid << 8) | b;
  return pid >>> 0;
}

/** Get Checksum answer: CRC 4 bytes MSB first + XOR of them. */
export function parseChecksumResponse(frame: Uint8Array): number {
  if (frame.length !== 5 || xorBytes(frame.subarray(0, 4)) !== frame[4]) {
    throw new Stm32FrameError(`The Get Checksum answer ${hexBytes(frame)} fails its XOR check.`, { frame: hexBytes(frame) });
  }
  return new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
}

/** "v3.1" from 0x31. */
export function formatBootloaderVersion(v: number): string {
  return `v${v >> 4}.${v & 0x0f}`;
}
