/**
 * A GDB remote serial protocol client session: capability negotiation, memory, registers,
 * breakpoints, execution control, monitor commands, memory map and vFlash. One command at
 * a time; every wait has a timeout and honours an AbortSignal.
 */
import { throwIfAborted } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import type { ByteStream } from '../../link/types.js';
import { forEachChunk } from '../../link/chunks.js';
import {
  binaryWritePrefix, classifyReply, encodeBreakpoint, encodeCrc, parseCrcReply, encodeReadMemory, encodeReadRegister, encodeVFlashErase,
  encodeWriteMemoryHex, encodeWriteRegister, expectNoError, parseRegisterHex,
  parseStopReply, parseSupported, registerHex, vFlashWritePrefix, type StopReply,
} from './commands.js';
import { HEADER_ROOM, RspRequester, type CallOptions, type GdbClientOptions } from './requester.js';
import { GdbErrorReply, GdbProtocolError, GdbUnsupportedError } from './errors.js';
import { asciiBytes, binaryChunkLength, bytesToAscii, escapeBinary, fromHex, hexDecodeBytes, hexEncodeInto, stringToHex } from './packet.js';
import { decodeRegisterBlock, patchRegisterBlock, readRegisterLayout, stopInfoFrom, type StopInfo } from './registers.js';
import { parseMemoryMap, type MemoryMapRegion, type RegisterInfo } from './xml.js';

export type { CallOptions, GdbClientOptions } from './requester.js';
export type { StopInfo } from './registers.js';

export class GdbClient extends RspRequester {
  /** Registers by lower-case name, from the target description. */
  readonly registers = new Map<string, RegisterInfo>();
  private orderedRegisters: RegisterInfo[] = [];
  private binaryWrite: 'unknown' | 'yes' | 'no' = 'unknown';
  private singleRegister: 'unknown' | 'yes' | 'no' = 'unknown';

  constructor(stream: ByteStream, private readonly options: GdbClientOptions = {}) {
    super(stream, options);
  }

  private lastRegisterBlock?: string;

  /** Negotiates features (qSupported, no-ack mode) and reads the register layout. */
  async connect(opts: CallOptions = {}): Promise<void> {
    // A '+' first tells stubs that wait for the host's ack that a host is there.
    await this.connection.sendRaw(asciiBytes('+'));
    const reply = await this.request('qSupported:multiprocess-;swbreak+;hwbreak+;vContSupported+;xmlRegisters=arm', 'qSupported', opts);
    this.features = parseSupported(reply);
    if (this.options.noAck !== false && this.supports('QStartNoAckMode')) {
      const r = await this.request('QStartNoAckMode', 'QStartNoAckMode', opts);
      if (r === 'OK') this.connection.noAck = true;
    }
    await this.loadRegisterLayout(opts);
  }

  private async loadRegisterLayout(opts: CallOptions): Promise<void> {
    const layout = await readRegisterLayout(this.supports('qXfer:features:read') ? (annex) => this.xferRead('features', annex, opts) : undefined);
    this.registers.clear();
    for (const [name, r] of layout.byName) this.registers.set(name, r);
    this.orderedRegisters = layout.ordered;
  }

  /** Why the target is stopped right now ('?'). */
  async haltReason(opts: CallOptions = {}): Promise<StopInfo> {
    const reply = await this.exclusive(async () => {
      throwIfAborted(opts.signal, '?');
      const wait = { timeoutMs: opts.timeoutMs ?? this.timeoutMs, signal: opts.signal, what: 'halt reason (?)' };
      await this.connection.send('?', wait);
      return bytesToAscii(await this.connection.receive({ ...wait, what: 'the reply to halt reason (?)' }));
    });
    return stopInfoFrom(reply, '?');
  }

  /** Reads target memory with m packets sized to the server's PacketSize. */
  readMemory(address: number, length: number, opts: CallOptions & { onProgress?: ((done: number) => void) | undefined } = {}): Promise<Uint8Array> {
    return this.exclusive(async () => {
      const out = new Uint8Array(length);
      const chunk = Math.max(16, Math.floor((this.packetSize - HEADER_ROOM) / 2));
      // No signal here: each request checks it, naming the packet it did not send.
      await forEachChunk(length, chunk, async (done, n) => {
        const a = (address + done) >>> 0;
        const cmd = encodeReadMemory(a, n);
        const raw = await this.requestBytes(cmd, `read of ${n} bytes at ${hex(a)}`, opts);
        // Short replies may be OK/Exx/empty; data replies are decoded straight from bytes.
        const r = raw.length <= 4 || raw[0] === 0x45 ? classifyReply(bytesToAscii(raw)) : undefined;
        if (r?.kind === 'error') throw new GdbErrorReply(cmd, r.errno, r.message, `The server could not read ${hex(a)}: check that the address is mapped and readable.`);
        const bytes = r === undefined || r.kind === 'data' ? hexDecodeBytes(raw) : undefined;
        if (!bytes || bytes.length === 0) throw new GdbProtocolError(`The reply to a read at ${hex(a)} is not hex data: '${bytesToAscii(raw.subarray(0, 40))}'.`, { address: a, reply: bytesToAscii(raw.subarray(0, 200)) });
        // Stubs may return fewer bytes than asked (end of a region); carry on from there.
        out.set(bytes.subarray(0, n), done);
        return Math.min(bytes.length, n);
      }, { onProgress: opts.onProgress });
      return out;
    });
  }

  /** Writes target memory: binary X packets, or hex M packets when the server lacks X. */
  writeMemory(address: number, data: Uint8Array, opts: CallOptions & { onProgress?: ((done: number) => void) | undefined } = {}): Promise<void> {
    return this.exclusive(async () => {
      // Pieces are sized by escaping (X) or hex (M) within the packet; each request checks the signal.
      await forEachChunk(data.length, Math.max(1, this.packetSize - HEADER_ROOM), async (done, room) => {
        const a = (address + done) >>> 0;
        if (this.binaryWrite !== 'no') {
          const n = binaryChunkLength(data, done, this.packetSize - HEADER_ROOM);
          const piece = data.subarray(done, done + n);
          const payload = withEscapedData(binaryWritePrefix(a, n), piece);
          const reply = await this.requestUnlocked(payload, `binary write of ${n} bytes at ${hex(a)}`, opts);
          const r = classifyReply(reply);
          if (r.kind !== 'empty') {
            if (r.kind === 'error') throw new GdbErrorReply(`X${a.toString(16)},${n.toString(16)}`, r.errno, r.message, `The server could not write ${hex(a)}: flash needs --algo or vFlash, and the address must be mapped.`);
            this.binaryWrite = 'yes';
            return n;
          }
          this.binaryWrite = 'no'; // X unsupported: the same piece goes again as M
        }
        {
          const n = Math.min(Math.floor((this.packetSize - HEADER_ROOM) / 2), room);
          const head = asciiBytes(encodeWriteMemoryHex(a, '', n));
          const cmd = new Uint8Array(head.length + 2 * n);
          cmd.set(head);
          hexEncodeInto(data.subarray(done, done + n), cmd, head.length);
          const reply = await this.requestUnlocked(cmd, `write of ${n} bytes at ${hex(a)}`, opts);
          const r = classifyReply(reply);
          if (r.kind === 'empty') throw new GdbUnsupportedError('memory writes (X or M packets)', this.offered);
          if (r.kind === 'error') throw new GdbErrorReply(`M${a.toString(16)},${n.toString(16)}`, r.errno, r.message, `The server could not write ${hex(a)}: flash needs --algo or vFlash, and the address must be mapped.`);
          return n;
        }
      }, { onProgress: opts.onProgress });
    });
  }

  /** Which binary-write flavour the server turned out to take. */
  get memoryWritePacket(): 'X' | 'M' | 'unknown' {
    return this.binaryWrite === 'yes' ? 'X' : this.binaryWrite === 'no' ? 'M' : 'unknown';
  }

  register(name: string): RegisterInfo {
    const r = this.registers.get(name.toLowerCase());
    if (!r) throw new GdbUnsupportedError(`register '${name}'`, [...this.registers.keys()], `The target description has no register '${name}'; it lists: ${[...this.registers.keys()].join(', ')}.`);
    return r;
  }

  /** Reads one register (p, or g when p is not supported). */
  async readRegister(name: string, opts: CallOptions = {}): Promise<number> {
    const reg = this.register(name);
    if (this.singleRegister !== 'no') {
      const reply = await this.request(encodeReadRegister(reg.regnum), `read of register ${name}`, opts);
      const r = expectNoError(`p${reg.regnum.toString(16)}`, reply);
      if (r.kind === 'data') {
        this.singleRegister = 'yes';
        const v = parseRegisterHex(r.text.slice(0, 8));
        if (v === undefined) throw new GdbProtocolError(`The server returned no value for register ${name}: '${r.text}'.`, { register: name, reply: r.text });
        return v;
      }
      this.singleRegister = 'no';
    }
    const all = await this.readAllRegisters(opts);
    const v = all.get(reg.regnum);
    if (v === undefined) throw new GdbProtocolError(`The g reply does not include register ${name}.`, { register: name });
    return v;
  }

  /** Reads the g block: every register in regnum order (32-bit registers only are decoded). */
  async readAllRegisters(opts: CallOptions = {}): Promise<Map<number, number>> {
    const reply = await this.request('g', 'read of all registers (g)', opts);
    const r = expectNoError('g', reply);
    if (r.kind !== 'data') throw new GdbUnsupportedError('reading registers (p or g packets)', this.offered);
    return decodeRegisterBlock(r.text, this.orderedRegisters);
  }

  /**
   * Writes several registers with one g read and one G write. Resolves false (nothing
   * written) when the server does not take G, so the caller can fall back to P.
   */
  async writeRegisterBlock(values: Map<number, number>, opts: CallOptions = {}, reuseLastBlock = false): Promise<boolean> {
    let text: string;
    if (reuseLastBlock && this.lastRegisterBlock !== undefined) {
      // The caller does not need the other registers: patch the last block instead of reading it.
      text = this.lastRegisterBlock;
    } else {
      const reply = await this.request('g', 'read of all registers (g)', opts);
      const r = expectNoError('g', reply);
      if (r.kind !== 'data') return false;
      text = r.text;
    }
    const patched = patchRegisterBlock(text, this.orderedRegisters, values);
    if (patched === undefined) return false;
    text = patched;
    const back = classifyReply(await this.request(`G${text}`, 'write of all registers (G)', opts));
    if (back.kind === 'error' || back.kind === 'empty') return false;
    this.lastRegisterBlock = text;
    return true;
  }

  /** Writes one register with P. */
  async writeRegister(name: string, value: number, opts: CallOptions = {}): Promise<void> {
    const reg = this.register(name);
    const cmd = encodeWriteRegister(reg.regnum, registerHex(value, reg.bitsize / 8));
    const reply = await this.request(cmd, `write of register ${name}`, opts);
    const r = expectNoError(cmd, reply);
    if (r.kind === 'empty') throw new GdbUnsupportedError('writing registers (P packet)', this.offered);
  }

  /** Inserts (or removes) a software (type 0) or hardware (type 1) breakpoint. */
  async breakpoint(insert: boolean, address: number, type: 0 | 1 = 0, opts: CallOptions = {}): Promise<void> {
    const cmd = encodeBreakpoint(insert, type, address);
    const reply = await this.request(cmd, `${insert ? 'insert' : 'remove'} breakpoint at ${hex(address)}`, opts);
    const r = expectNoError(cmd, reply);
    if (r.kind === 'empty') throw new GdbUnsupportedError(`${type === 0 ? 'software' : 'hardware'} breakpoints (Z${type})`, this.offered);
  }

  /** Resumes the target (c, or s to step); the stop reply comes through {@link waitForStop}. */
  resume(step = false, opts: CallOptions = {}): Promise<void> {
    return this.exclusive(async () => {
      if (this.running) return;
      // vCont when the server lists the action (asked once with 'vCont?'), else plain c / s.
      if (this.vContActions === undefined) {
        this.vContActions = new Set();
        if (this.supports('vContSupported')) {
          const r = await this.requestUnlocked('vCont?', 'vCont?', opts);
          if (r.startsWith('vCont')) for (const a of r.split(';').slice(1)) this.vContActions.add(a);
        }
      }
      const action = step ? 's' : 'c';
      const packet = this.vContActions.has(action) ? `vCont;${action}` : action;
      await this.connection.send(packet, { timeoutMs: opts.timeoutMs ?? this.timeoutMs, signal: opts.signal, what: step ? 'step' : 'continue' });
      this.running = true;
    });
  }

  private vContActions?: Set<string>;

  /**
   * Waits for the stop reply after {@link resume}; console output (O packets) goes to
   * onConsole. Rejects with TimeoutError if the target keeps running; the target is then
   * still running (call {@link interrupt}).
   */
  async waitForStop(opts: CallOptions & { timeoutMs: number }): Promise<StopInfo> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const left = Math.max(1, deadline - Date.now());
      const reply = bytesToAscii(await this.connection.receive({ timeoutMs: left, signal: opts.signal, what: 'the target to halt' }));
      const s: StopReply | undefined = parseStopReply(reply);
      if (s?.kind === 'output') { this.options.onConsole?.(s.text); continue; }
      this.running = false;
      return stopInfoFrom(reply, 'continue');
    }
  }

  /** Asks a running target to stop (0x03) and waits for the stop reply. */
  async interrupt(opts: CallOptions = {}): Promise<StopInfo> {
    if (!this.running) return this.haltReason(opts);
    await this.connection.interrupt();
    return this.waitForStop({ ...opts, timeoutMs: opts.timeoutMs ?? this.timeoutMs });
  }

  /** Runs a server monitor command (qRcmd) and returns its console output. */
  async monitor(command: string, opts: CallOptions = {}): Promise<string> {
    return this.exclusive(async () => {
      const what = `monitor '${command}'`;
      const wait = { timeoutMs: opts.timeoutMs ?? this.timeoutMs, signal: opts.signal, what };
      await this.connection.send(`qRcmd,${stringToHex(command)}`, wait);
      let output = '';
      for (;;) {
        const reply = bytesToAscii(await this.connection.receive({ ...wait, what: `the reply to ${what}` }));
        const s = parseStopReply(reply);
        if (s?.kind === 'output') { output += s.text; continue; }
        const r = classifyReply(reply);
        if (r.kind === 'empty') throw new GdbUnsupportedError('monitor commands (qRcmd)', this.offered);
        if (r.kind === 'error') throw new GdbErrorReply(what, r.errno, output.trim() || r.message, `The server did not accept '${command}'; see its output.`);
        if (r.kind === 'data') output += fromHex(r.text) ? new TextDecoder().decode(fromHex(r.text)) : r.text;
        return output;
      }
    });
  }

  /**
   * The server's CRC of [address, address+length) (`qCRC`, see {@link gdbCrc32}), or
   * undefined when the server does not implement it (QEMU does not; OpenOCD does).
   */
  async crc(address: number, length: number, opts: CallOptions = {}): Promise<number | undefined> {
    if (this.qcrc === false) return undefined;
    const cmd = encodeCrc(address, length);
    const reply = await this.request(cmd, `CRC of ${length} bytes at ${hex(address)}`, { ...opts, timeoutMs: opts.timeoutMs ?? Math.max(this.timeoutMs, 30000) });
    const r = classifyReply(reply);
    if (r.kind === 'empty') { this.qcrc = false; return undefined; }
    if (r.kind === 'error') throw new GdbErrorReply(cmd, r.errno, r.message, `The server could not checksum ${hex(address)}: check that the address is mapped.`);
    const v = parseCrcReply(reply);
    if (v === undefined) throw new GdbProtocolError(`Unexpected reply to qCRC: '${reply.slice(0, 40)}'.`, { reply: reply.slice(0, 200) });
    this.qcrc = true;
    return v;
  }

  private qcrc?: boolean;

  /** The server's memory map, or undefined when it publishes none. */
  async memoryMap(opts: CallOptions = {}): Promise<MemoryMapRegion[] | undefined> {
    if (!this.supports('qXfer:memory-map:read')) return undefined;
    return parseMemoryMap(await this.xferRead('memory-map', '', opts));
  }

  /** vFlashErase over [address, address+length): must cover whole blocks of the map. */
  async flashErase(address: number, length: number, opts: CallOptions = {}): Promise<void> {
    const cmd = encodeVFlashErase(address, length);
    const r = expectNoError(cmd, await this.request(cmd, `flash erase at ${hex(address)}`, opts));
    if (r.kind === 'empty') throw new GdbUnsupportedError('flash erase (vFlashErase)', this.offered);
  }

  /** vFlashWrite of `data` at `address`, split to the packet size. */
  async flashWrite(address: number, data: Uint8Array, opts: CallOptions & { onProgress?: ((done: number) => void) | undefined } = {}): Promise<void> {
    await forEachChunk(data.length, Math.max(1, this.packetSize - HEADER_ROOM), async (done) => {
      const a = (address + done) >>> 0;
      const n = binaryChunkLength(data, done, this.packetSize - HEADER_ROOM);
      const payload = withEscapedData(vFlashWritePrefix(a), data.subarray(done, done + n));
      const reply = await this.request(payload, `flash write of ${n} bytes at ${hex(a)}`, opts);
      if (reply === 'E.memtype') throw new GdbErrorReply(`vFlashWrite:${a.toString(16)}`, 0, 'not flash memory', `${hex(a)} is not in a flash region of the server's memory map.`);
      const r = expectNoError(`vFlashWrite:${a.toString(16)}`, reply);
      if (r.kind === 'empty') throw new GdbUnsupportedError('flash write (vFlashWrite)', this.offered);
      return n;
    }, { onProgress: opts.onProgress });
  }

  /** vFlashDone: the server finishes buffered flash writes. */
  async flashDone(opts: CallOptions = {}): Promise<void> {
    const r = expectNoError('vFlashDone', await this.request('vFlashDone', 'flash done', { ...opts, timeoutMs: opts.timeoutMs ?? Math.max(this.timeoutMs, 60000) }));
    if (r.kind === 'empty') throw new GdbUnsupportedError('vFlashDone', this.offered);
  }

  /** Detaches (D): the target resumes and the server may accept another client. */
  async detach(opts: CallOptions = {}): Promise<void> {
    if (this.connection.closed) return;
    if (this.running) await this.interrupt(opts).catch(() => undefined);
    await this.request('D', 'detach', opts).catch(() => undefined);
  }

  /** Kills the target (k); many servers close the connection without a reply. */
  async kill(): Promise<void> {
    if (this.connection.closed) return;
    await this.connection.send('k', { timeoutMs: 1000, what: 'kill' }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** A binary packet: the command text, then `data` escaped (X and vFlashWrite). */
function withEscapedData(prefix: string, data: Uint8Array): Uint8Array {
  const head = asciiBytes(prefix);
  const escaped = escapeBinary(data);
  const payload = new Uint8Array(head.length + escaped.length);
  payload.set(head);
  payload.set(escaped, head.length);
  return payload;
}
