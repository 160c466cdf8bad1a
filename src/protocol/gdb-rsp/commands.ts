/**
 * Pure encoders and parsers for the RSP commands flashwright uses (GDB manual, "Remote
 * Protocol": "Packets", "General Query Packets", "Stop Reply Packets", "Host I/O").
 */
import { crc32Msb } from '../../core/crc.js';
import { GdbErrorReply } from './errors.js';
import { fromHex, hexToString } from './packet.js';

/** Hex without leading zeros, as RSP addresses and lengths are written. */
export function h(value: number): string {
  return (value >>> 0).toString(16);
}

export const encodeReadMemory = (address: number, length: number): string => `m${h(address)},${h(length)}`;
export const encodeWriteMemoryHex = (address: number, hexData: string, length: number): string => `M${h(address)},${h(length)}:${hexData}`;
/** Prefix of a binary write; the escaped data follows. */
export const binaryWritePrefix = (address: number, length: number): string => `X${h(address)},${h(length)}:`;
export const encodeReadRegister = (regnum: number): string => `p${h(regnum)}`;
/** `value` is the register's bytes in target order as hex. */
export const encodeWriteRegister = (regnum: number, valueHex: string): string => `P${h(regnum)}=${valueHex}`;
/** type 0 = software, 1 = hardware breakpoint; kind 2 = 16-bit Thumb. */
export const encodeBreakpoint = (insert: boolean, type: 0 | 1, address: number, kind = 2): string =>
  `${insert ? 'Z' : 'z'}${type},${h(address)},${h(kind)}`;
export const encodeVFlashErase = (address: number, length: number): string => `vFlashErase:${h(address)},${h(length)}`;
export const vFlashWritePrefix = (address: number): string => `vFlashWrite:${h(address)}:`;
export const encodeXferRead = (object: string, annex: string, offset: number, length: number): string =>
  `qXfer:${object}:read:${annex}:${h(offset)},${h(length)}`;

/** What a plain reply means: OK, an error number, "not supported" (empty) or data. */
export type SimpleReply = { kind: 'ok' } | { kind: 'error'; errno: number; message?: string } | { kind: 'empty' } | { kind: 'data'; text: string };

export function classifyReply(text: string): SimpleReply {
  if (text === 'OK') return { kind: 'ok' };
  if (text === '') return { kind: 'empty' };
  const e = /^E([0-9a-fA-F]{2})$/.exec(text);
  if (e) return { kind: 'error', errno: parseInt(e[1]!, 16) };
  // "E.message" textual errors (GDB 9+ stubs that negotiated error-message+).
  if (text.startsWith('E.')) return { kind: 'error', errno: 0, message: text.slice(2) };
  return { kind: 'data', text };
}

/** Throws GdbErrorReply for Exx; returns the reply otherwise. */
export function expectNoError(command: string, text: string): SimpleReply {
  const r = classifyReply(text);
  if (r.kind === 'error') throw new GdbErrorReply(command, r.errno, r.message);
  return r;
}

/** qSupported reply: `PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;…`. */
export interface ServerFeatures {
  /** Largest packet the server accepts (bytes of payload including the command). */
  packetSize?: number | undefined;
  /** Feature name → true (`+`), false (`-`), or the value after `=`. */
  flags: Map<string, boolean | string>;
}

export function parseSupported(text: string): ServerFeatures {
  const flags = new Map<string, boolean | string>();
  let packetSize: number | undefined;
  for (const item of text.split(';')) {
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq > 0) {
      const name = item.slice(0, eq);
      const value = item.slice(eq + 1);
      flags.set(name, value);
      if (name === 'PacketSize') {
        const n = parseInt(value, 16);
        if (Number.isFinite(n) && n > 0) packetSize = n;
      }
    } else if (item.endsWith('+') || item.endsWith('-')) flags.set(item.slice(0, -1), item.endsWith('+'));
    else if (item.endsWith('?')) flags.set(item.slice(0, -1), false);
  }
  return { packetSize, flags };
}

/** The names of the features a server offered (for "it offered: …" messages). */
export function offeredFeatures(f: ServerFeatures): string[] {
  return [...f.flags].filter(([, v]) => v !== false).map(([k, v]) => (v === true ? k : `${k}=${v}`));
}

/** Why the target stopped (stop reply packets). */
export type StopReply =
  | { kind: 'signal'; signal: number; pairs: Record<string, string>; thread?: string | undefined; reason?: string | undefined }
  | { kind: 'exited'; status: number }
  | { kind: 'terminated'; signal: number }
  | { kind: 'output'; text: string };

/** Parses S, T, W, X and O replies; undefined when the text is not a stop reply. */
export function parseStopReply(text: string): StopReply | undefined {
  const c = text[0];
  if (c === 'S' && /^S[0-9a-fA-F]{2}$/.test(text)) return { kind: 'signal', signal: parseInt(text.slice(1, 3), 16), pairs: {} };
  if (c === 'T' && /^T[0-9a-fA-F]{2}/.test(text)) {
    const pairs: Record<string, string> = {};
    let reason: string | undefined;
    for (const part of text.slice(3).split(';')) {
      if (!part) continue;
      const colon = part.indexOf(':');
      const key = colon < 0 ? part : part.slice(0, colon);
      const value = colon < 0 ? '' : part.slice(colon + 1);
      pairs[key] = value;
      if (['watch', 'rwatch', 'awatch', 'swbreak', 'hwbreak', 'library', 'replaylog', 'fork', 'vfork', 'exec', 'create'].includes(key)) reason = key;
    }
    return { kind: 'signal', signal: parseInt(text.slice(1, 3), 16), pairs, thread: pairs.thread, reason };
  }
  if (c === 'W' && /^W[0-9a-fA-F]{2}/.test(text)) return { kind: 'exited', status: parseInt(text.slice(1, 3), 16) };
  if (c === 'X' && /^X[0-9a-fA-F]{2}/.test(text)) return { kind: 'terminated', signal: parseInt(text.slice(1, 3), 16) };
  if (c === 'O' && text.length > 1 && text !== 'OK') {
    const s = hexToString(text.slice(1));
    if (s !== undefined) return { kind: 'output', text: s };
  }
  return undefined;
}

/** Reads a little-endian register value from its hex bytes (as p / g carry it). */
export function parseRegisterHex(text: string): number | undefined {
  if (/x/i.test(text)) return undefined; // 'xxxxxxxx' = value unavailable
  const b = fromHex(text);
  if (!b || b.length === 0 || b.length > 4) return undefined;
  let v = 0;
  for (let i = b.length - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
}

/** A 32-bit value as little-endian hex bytes (P / G payloads). */
export function registerHex(value: number, bytes = 4): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += ((value >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** The checksum a GDB server returns for `qCRC:addr,length` (libiberty xcrc32: CRC-32/MPEG-2, initial value 0xFFFFFFFF). */
export function gdbCrc32(data: Uint8Array, init = 0xffffffff): number {
  return crc32Msb(data, init, 'bytes');
}

export const encodeCrc = (address: number, length: number): string => `qCRC:${h(address)},${h(length)}`;

/** Parses a qCRC reply (`Cxxxxxxxx`); undefined for anything else. */
export function parseCrcReply(text: string): number | undefined {
  const m = /^C([0-9a-fA-F]{1,8})$/.exec(text);
  return m ? parseInt(m[1]!, 16) >>> 0 : undefined;
}
