/**
 * A small in-process GDB server for edge cases real stubs do not show on demand: no-ack
 * mode, missing X, run-length encoded replies, Exx errors, NAKs, silence, a memory map
 * with vFlash. It speaks over the device end of a pipe and records every packet.
 */
import type { ByteStream } from '../../src/link/types.js';
import { gdbCrc32 } from '../../src/protocol/gdb-rsp/commands.js';
import { asciiBytes, bytesToAscii, encodePacket, PacketDecoder, toHex, unescapeBinary } from '../../src/protocol/gdb-rsp/packet.js';

export interface FakeServerOptions {
  features?: string;
  noAck?: boolean;
  binaryWrite?: boolean;
  /** Reply to m with run-length encoding where it saves space. */
  rle?: boolean;
  memoryMap?: string;
  targetXml?: Record<string, string>;
  /** Addresses at or above this answer E14 to m/M/X. */
  faultAbove?: number;
  /** Packets (by prefix) that get no reply at all. */
  silentFor?: string[];
  /** NAK the first N packets received. */
  nakFirst?: number;
  /** What `c` does: stop after ms with this reply, or never ('running'). */
  onContinue?: { afterMs: number; reply: string } | 'running';
  monitor?: (cmd: string) => { output?: string; reply: string };
  /** Answer qCRC (as OpenOCD does). */
  qcrc?: boolean;
  /** A packet sent as soon as the client connects (QEMU sends a stop reply when it stops a running VM). */
  greeting?: string;
}

/** Encodes hex text with GDB run-length encoding (x*N for runs of 4+ identical chars). */
export function runLengthEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    let n = 1;
    while (i + n < text.length && text[i + n] === text[i] && n < 95) n++;
    // N + 29 must be printable and not '#' (35) or '$' (36): avoid counts 6 and 7.
    let repeat = n - 1;
    if (repeat + 29 === 35 || repeat + 29 === 36) repeat = 5;
    if (repeat >= 3) { out += text[i] + '*' + String.fromCharCode(repeat + 29); i += repeat + 1; } else { out += text[i]; i++; }
  }
  return out;
}

export class FakeGdbServer {
  readonly memory = new Map<number, number>();
  readonly registers = new Array<number>(26).fill(0);
  readonly received: string[] = [];
  readonly wire: string[] = [];
  readonly breakpoints = new Set<string>();
  readonly flashOps: string[] = [];
  private readonly decoder = new PacketDecoder(true);
  noAckActive = false;
  private naks: number;
  running = false;
  private runTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly stream: ByteStream, readonly options: FakeServerOptions = {}) {
    this.naks = options.nakFirst ?? 0;
    if (options.greeting) void this.send(options.greeting);
    stream.onData((chunk) => {
      for (const e of this.decoder.push(chunk)) {
        if (e.type === 'interrupt') { this.wire.push('^C'); this.stop('T02'); continue; }
        if (e.type !== 'packet') { this.wire.push(e.type === 'ack' ? '+' : e.type === 'nak' ? '-' : e.type); continue; }
        const text = bytesToAscii(e.payload);
        this.wire.push(`$${text}`);
        if (!this.noAckActive) {
          if (this.naks > 0) { this.naks--; void this.raw('-'); continue; }
          void this.raw('+');
        }
        this.received.push(text);
        this.handle(text, e.payload);
      }
    });
  }

  private raw(s: string): Promise<void> {
    return this.stream.write(asciiBytes(s));
  }

  send(payload: string): Promise<void> {
    return this.stream.write(encodePacket(payload));
  }

  private stop(reply: string): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.runTimer);
    void this.send(reply);
  }

  private readMem(a: number): number {
    return this.memory.get(a >>> 0) ?? 0;
  }

  private handle(text: string, payload: Uint8Array): void {
    const o = this.options;
    if (o.silentFor?.some((p) => text.startsWith(p))) return;
    const reply = (r: string) => void this.send(r);
    if (text.startsWith('qSupported')) return reply(o.features ?? `PacketSize=100;qXfer:features:read+${o.noAck ? ';QStartNoAckMode+' : ''}${o.memoryMap ? ';qXfer:memory-map:read+' : ''}`);
    if (text === 'QStartNoAckMode') { if (!o.noAck) return reply(''); reply('OK'); this.noAckActive = true; return; }
    if (text === '?') return reply('T05thread:01;');
    const xfer = /^qXfer:(features|memory-map):read:([^:]*):([0-9a-f]+),([0-9a-f]+)$/.exec(text);
    if (xfer) {
      const doc = xfer[1] === 'memory-map' ? o.memoryMap : o.targetXml?.[xfer[2]!];
      if (doc === undefined) return reply(xfer[1] === 'memory-map' ? '' : 'E00');
      const off = parseInt(xfer[3]!, 16);
      const len = parseInt(xfer[4]!, 16);
      const piece = doc.slice(off, off + len);
      return reply((off + len >= doc.length ? 'l' : 'm') + piece.replace(/[}#$*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20)));
    }
    const m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(text);
    if (m) {
      const a = parseInt(m[1]!, 16);
      const n = parseInt(m[2]!, 16);
      if (o.faultAbove !== undefined && a + n > o.faultAbove) return reply('E14');
      const hex = toHex(Uint8Array.from({ length: n }, (_, i) => this.readMem(a + i)));
      return reply(o.rle ? runLengthEncode(hex) : hex);
    }
    const M = /^M([0-9a-f]+),([0-9a-f]+):([0-9a-f]*)$/.exec(text);
    if (M) {
      const a = parseInt(M[1]!, 16);
      if (o.faultAbove !== undefined && a + parseInt(M[2]!, 16) > o.faultAbove) return reply('E14');
      for (let i = 0; i < M[3]!.length / 2; i++) this.memory.set(a + i, parseInt(M[3]!.substr(i * 2, 2), 16));
      return reply('OK');
    }
    if (text.startsWith('X')) {
      if (o.binaryWrite === false) return reply('');
      const colon = payload.indexOf(0x3a);
      const [addr = NaN, len = NaN] = text.slice(1, colon).split(',').map((v) => parseInt(v, 16));
      if (o.faultAbove !== undefined && addr + len > o.faultAbove) return reply('E14');
      const data = unescapeBinary(payload.subarray(colon + 1));
      if (data.length !== len) return reply('E01');
      data.forEach((b, i) => this.memory.set(addr + i, b));
      return reply('OK');
    }
    const p = /^p([0-9a-f]+)$/.exec(text);
    if (p) return reply(toHex(le(this.registers[parseInt(p[1]!, 16)] ?? 0)));
    const P = /^P([0-9a-f]+)=([0-9a-f]{8})$/.exec(text);
    if (P) { this.registers[parseInt(P[1]!, 16)] = fromLe(P[2]!); return reply('OK'); }
    if (text === 'g') return reply([...this.registers.slice(0, 16), this.registers[25] ?? 0].map((r) => toHex(le(r))).join(''));
    if (text.startsWith('G')) {
      const body = text.slice(1);
      for (let i = 0; i < 17; i++) this.registers[i === 16 ? 25 : i] = fromLe(body.substr(i * 8, 8));
      return reply('OK');
    }
    const z = /^([Zz])([01]),([0-9a-f]+),([0-9a-f]+)$/.exec(text);
    if (z) { if (z[1] === 'Z') this.breakpoints.add(z[3]!); else this.breakpoints.delete(z[3]!); return reply('OK'); }
    const crc = /^qCRC:([0-9a-f]+),([0-9a-f]+)$/.exec(text);
    if (crc) {
      if (!o.qcrc) return reply('');
      const a = parseInt(crc[1]!, 16);
      return reply('C' + gdbCrc32(Uint8Array.from({ length: parseInt(crc[2]!, 16) }, (_, i) => this.readMem(a + i))).toString(16));
    }
    if (text === 'vCont?') return reply(o.features?.includes('vContSupported+') ? 'vCont;c;C;s;S' : '');
    if (text === 'c' || text === 's' || text === 'vCont;c' || text === 'vCont;s') {
      this.running = true;
      const c = o.onContinue ?? { afterMs: 1, reply: 'T05thread:01;' };
      if (c !== 'running') this.runTimer = setTimeout(() => { void this.send('O' + toHex(asciiBytes('running\n'))).then(() => this.stop(c.reply)); }, c.afterMs);
      return;
    }
    if (text.startsWith('qRcmd,')) {
      const cmd = bytesToAscii(Uint8Array.from(text.slice(6).match(/../g) ?? [], (h) => parseInt(h, 16)));
      const r = o.monitor ? o.monitor(cmd) : { reply: '' };
      if (r.output) void this.send('O' + toHex(asciiBytes(r.output)));
      return reply(r.reply);
    }
    const fe = /^vFlashErase:([0-9a-f]+),([0-9a-f]+)$/.exec(text);
    if (fe && o.memoryMap) {
      const a = parseInt(fe[1]!, 16);
      const n = parseInt(fe[2]!, 16);
      for (let i = 0; i < n; i++) this.memory.set(a + i, 0xff);
      this.flashOps.push(`erase ${fe[1]},${fe[2]}`);
      return reply('OK');
    }
    if (text.startsWith('vFlashWrite:') && o.memoryMap) {
      const colon = payload.indexOf(0x3a, 12);
      const a = parseInt(text.slice(12, colon), 16);
      const data = unescapeBinary(payload.subarray(colon + 1));
      data.forEach((b, i) => this.memory.set(a + i, this.readMem(a + i) & b));
      this.flashOps.push(`write ${a.toString(16)},${data.length.toString(16)}`);
      return reply('OK');
    }
    if (text === 'vFlashDone' && o.memoryMap) { this.flashOps.push('done'); return reply('OK'); }
    if (text === 'D') return reply('OK');
    return reply('');
  }

  close(): void {
    clearTimeout(this.runTimer);
  }
}

function le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function fromLe(hex: string): number {
  const b = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  return new DataView(b.buffer).getUint32(0, true);
}

/** GDB's own ARM M-profile description, shaped as QEMU serves it (two files, an include). */
export const QEMU_LIKE_XML: Record<string, string> = {
  'target.xml': '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>arm</architecture><xi:include href="arm-m-profile.xml"/></target>',
  'arm-m-profile.xml': '<?xml version="1.0"?><feature name="org.gnu.gdb.arm.m-profile">' +
    Array.from({ length: 13 }, (_, i) => `<reg name="r${i}" bitsize="32"/>`).join('') +
    '<reg name="sp" bitsize="32" type="data_ptr"/><reg name="lr" bitsize="32"/><reg name="pc" bitsize="32" type="code_ptr"/><reg name="xpsr" bitsize="32" regnum="25"/></feature>',
};
