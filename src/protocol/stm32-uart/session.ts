/**
 * A session with the STM32 system bootloader over a byte stream (AN3155). It sends the
 * frames from commands.ts, waits for ACKs (skipping BUSY), applies a timeout per step, and
 * retries only what is safe to repeat: reads, checksums and erases are re-sent after the
 * link is resynchronised; a write whose answer was lost is checked by reading it back and
 * re-sent only when the target is still erased (or is RAM).
 */
import type { ErrorContext } from '../../core/errors.js';
import { delay } from '../../core/abort.js';
import { CancelledError, FlashwrightError, TimeoutError } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import { ByteReader, LinkClosedError } from '../../link/byte-reader.js';
import { forEachChunk } from '../../link/chunks.js';
import type { ByteStream } from '../../link/types.js';
import {
  ACK, BUSY, Cmd, INIT, MAX_TRANSFER, NACK, encodeAddress, encodeChecksumLength, encodeCommand, encodeEraseGlobal, encodeErasePages,
  encodeExtendedErasePages, encodeExtendedEraseSpecial, encodeReadLength, encodeWriteData, encodeWriteProtect,
  parseChecksumResponse, parseGetResponse, parseIdResponse, parseVersionResponse, type GetResponse, type VersionResponse,
} from './commands.js';
import type { Stm32Family } from './devices.js';
import {
  Stm32DeviceResetError, Stm32NackError, Stm32NoAnswerError, Stm32UnexpectedByteError, Stm32WriteUncertainError, type Stm32Phase,
} from './errors.js';

/** Milliseconds allowed per step. Defaults follow what a widely used host allows (PROTOCOL-FACTS). */
export interface Stm32Timeouts {
  /** Answer to 0x7F. */
  initMs: number;
  /** ACK to a command byte pair, an address or a length, and reply bytes. */
  ackMs: number;
  /** ACK after a Write Memory block. */
  writeMs: number;
  /** Per page/sector erased. */
  erasePageMs: number;
  /** Global/bank erase, Readout Unprotect, Write Unprotect. */
  massEraseMs: number;
  /** Quiet time that ends a resynchronisation step. */
  resyncQuietMs: number;
}

export const DEFAULT_TIMEOUTS: Stm32Timeouts = { initMs: 500, ackMs: 500, writeMs: 1000, erasePageMs: 5000, massEraseMs: 35000, resyncQuietMs: 50 };

export interface Stm32SessionOptions {
  timeouts?: Partial<Stm32Timeouts>;
  /** Attempts for operations that are safe to repeat (default 3). */
  attempts?: number;
  signal?: AbortSignal;
  /** For the no-answer checklist. */
  family?: Stm32Family;
  port?: string;
  baud?: number;
  parity?: string;
}

/** What the session had to work around, for diagnostics and tests. */
export interface Stm32SessionStats {
  commands: number;
  retries: number;
  resyncs: number;
  busyBytes: number;
  strayBytes: number;
  /** Writes whose answer was lost but whose read-back matched. */
  writesConfirmedByReadback: number;
}

/** Errors after which nothing sensible can be repeated. */
function isFatal(e: unknown): boolean {
  return e instanceof CancelledError || e instanceof LinkClosedError || e instanceof Stm32DeviceResetError || !(e instanceof FlashwrightError);
}

export class Stm32UartSession {
  readonly reader: ByteReader;
  readonly timeouts: Stm32Timeouts;
  readonly stats: Stm32SessionStats = { commands: 0, retries: 0, resyncs: 0, busyBytes: 0, strayBytes: 0, writesConfirmedByReadback: 0 };
  private readonly attempts: number;
  /** Set by init; whether the first 0x7F found the bootloader already initialised. */
  alreadyInitialised = false;

  constructor(stream: ByteStream, private readonly options: Stm32SessionOptions = {}) {
    this.reader = new ByteReader(stream);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.attempts = Math.max(1, options.attempts ?? 3);
  }

  /** The signal of the operation running now (see during()), besides the session's own. */
  private operationSignal?: AbortSignal | undefined;
  private combined?: AbortSignal | undefined;

  private get signal(): AbortSignal | undefined {
    return this.combined ?? this.options.signal;
  }

  /**
   * Runs `fn` with `signal` reaching every wait inside it (ACKs, answers, a long erase),
   * as well as the session's own signal. Not re-entrant: an inner call keeps the outer signal.
   */
  async during<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    if (!signal || this.operationSignal) return fn();
    this.operationSignal = signal;
    this.combined = this.options.signal ? AbortSignal.any([this.options.signal, signal]) : signal;
    try {
      return await fn();
    } finally {
      this.operationSignal = undefined;
      this.combined = undefined;
    }
  }

  /** Sends 0x7F until the bootloader answers: ACK (fresh) or NACK (already initialised). */
  async init(): Promise<void> {
    this.reader.discard();
    for (let attempt = 1; attempt <= 2; attempt++) {
      await this.send(new Uint8Array([INIT]));
      try {
        const b = await this.readAnswerByte(this.timeouts.initMs, 'answer to 0x7F');
        if (b === ACK) { this.alreadyInitialised = false; return; }
        if (b === NACK) { this.alreadyInitialised = true; return; }
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        // A first 0x7F may have been taken as a command byte; the second then draws a NACK.
      }
    }
    // Two 0x7F drew nothing: the bootloader may be waiting in the middle of a command an
    // interrupted session left behind (Write Memory data, an address). Fill that frame up so
    // it fails its checksum, then it waits for a command again.
    if (await this.recoverMidCommand()) { this.alreadyInitialised = true; this.stats.resyncs++; return; }
    throw new Stm32NoAnswerError({ port: this.options.port, baud: this.options.baud, parity: this.options.parity, family: this.options.family, attempts: 2 });
  }

  /**
   * Completes whatever frame a bootloader is waiting in with filler that makes it fail, and
   * says whether the bootloader answered. The filler is 0xFF with 0xFE at every 128th byte:
   * after the two 0x7F of init, a Write Memory waiting for its count has taken N = 0x7F and
   * one data byte 0x7F, so 127 more data bytes and a checksum are due; uniform filler would
   * match that checksum (the XOR of an odd run of equal bytes is that byte) and program 128
   * bytes. 0xFE where the checksum falls makes the frame fail; 0xFF never forms a command pair,
   * an address with a valid checksum, or the 0xFFFF/0xFFFE mass-erase codes with theirs.
   */
  private async recoverMidCommand(): Promise<boolean> {
    const quiet = this.timeouts.resyncQuietMs;
    this.reader.discard();
    let sent = 0;
    // Up to the longest frame (Extended Erase with 511 pages: 1025 bytes) in 16-byte steps.
    while (sent < 1040) {
      const chunk = new Uint8Array(16).map((_, i) => ((sent + i) % 128 === 127 ? 0xfe : 0xff));
      await this.send(chunk);
      sent += chunk.length;
      if (await this.drain(quiet)) {
        // Answered: the rest of the chunk may have started a command pair; one more byte ends it.
        for (let i = 0; i < 3; i++) {
          await this.send(new Uint8Array([0xff]));
          if (await this.drain(quiet)) break;
        }
        this.reader.discard();
        return true;
      }
    }
    return false;
  }

  /** Get (0x00): bootloader version and the commands it offers. */
  get(): Promise<GetResponse> {
    return this.repeatable(Cmd.Get, async () => {
      await this.command(Cmd.Get);
      const n = await this.readBytes(1, 'Get length');
      const rest = await this.readBytes(n[0]! + 1, 'Get answer');
      await this.ack(Cmd.Get, 'result', this.timeouts.ackMs);
      return parseGetResponse(concat(n, rest));
    });
  }

  /** Get Version (0x01). */
  getVersion(): Promise<VersionResponse> {
    return this.repeatable(Cmd.GetVersion, async () => {
      await this.command(Cmd.GetVersion);
      const body = await this.readBytes(3, 'Get Version answer');
      await this.ack(Cmd.GetVersion, 'result', this.timeouts.ackMs);
      return parseVersionResponse(body);
    });
  }

  /** Get ID (0x02): the product ID. */
  getId(): Promise<number> {
    return this.repeatable(Cmd.GetId, async () => {
      await this.command(Cmd.GetId);
      const n = await this.readBytes(1, 'Get ID length');
      const rest = await this.readBytes(n[0]! + 1, 'Get ID answer');
      await this.ack(Cmd.GetId, 'result', this.timeouts.ackMs);
      return parseIdResponse(concat(n, rest));
    });
  }

  /** Read Memory (0x11): 1–256 bytes. */
  readMemory(address: number, length: number): Promise<Uint8Array> {
    const lengthFrame = encodeReadLength(length);
    return this.repeatable(Cmd.ReadMemory, async () => {
      await this.command(Cmd.ReadMemory);
      await this.send(encodeAddress(address));
      await this.ack(Cmd.ReadMemory, 'address', this.timeouts.ackMs, { address });
      await this.send(lengthFrame);
      await this.ack(Cmd.ReadMemory, 'length', this.timeouts.ackMs, { address, length });
      return this.readBytes(length, `${length} bytes from ${hex(address)}`);
    });
  }

  /**
   * Write Memory (0x31): 1–256 bytes at a 4-byte aligned address. `target` says what a lost
   * answer allows: 'ram' re-sends; 'flash' reads back and re-sends only over erased bytes.
   */
  async writeMemory(address: number, data: Uint8Array, target: 'flash' | 'ram' = 'flash'): Promise<void> {
    const frame = encodeWriteData(data);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.command(Cmd.WriteMemory);
        await this.send(encodeAddress(address));
        await this.ack(Cmd.WriteMemory, 'address', this.timeouts.ackMs, { address });
        await this.send(frame);
        await this.ack(Cmd.WriteMemory, 'data', this.timeouts.writeMs, { address, length: data.length });
        // More answers right behind the ACK: the chip reset mid-frame and the fresh bootloader
        // took a 0x7F among the data for its autobaud (that ACK), then answers the rest as
        // commands. The block was not written, whatever the ACK seemed to say.
        if (target === 'flash') {
          await this.checkWriteHeld({ address, data });
          this.lastWrite = { address, data };
        }
        return;
      } catch (e) {
        if (isFatal(e) || attempt >= this.attempts) throw e;
        // Nothing is programmed before the data step: a NACK earlier is safe to repeat.
        const beforeData = e instanceof Stm32NackError && e.phase !== 'data';
        await this.resync(Cmd.WriteMemory);
        this.stats.retries++;
        if (beforeData || target === 'ram') continue;
        const back = await this.readMemory(address, data.length);
        const diff = firstDifference(back, data);
        if (diff < 0) { this.stats.writesConfirmedByReadback++; return; }
        if (back.every((b) => b === 0xff)) continue;
        // A NACK at the data step is the flash controller's programming error: say so.
        if (e instanceof Stm32NackError) throw e;
        throw new Stm32WriteUncertainError(address, data.length, e, address + diff);
      }
    }
  }

  /** Go (0x21): jump to `address` (the vector table of the application). Never repeated. */
  async go(address: number): Promise<void> {
    await this.command(Cmd.Go);
    await this.send(encodeAddress(address));
    await this.ack(Cmd.Go, 'address', this.timeouts.ackMs, { address });
  }

  /** Erase (0x43) of up to 255 page numbers, or the whole flash. Safe to repeat. */
  erase(pages: readonly number[] | 'global'): Promise<void> {
    const frame = pages === 'global' ? encodeEraseGlobal() : encodeErasePages(pages);
    const timeout = pages === 'global' ? this.timeouts.massEraseMs : this.timeouts.erasePageMs * pages.length;
    return this.repeatable(Cmd.Erase, async () => {
      await this.command(Cmd.Erase);
      await this.send(frame);
      await this.ack(Cmd.Erase, 'pages', timeout, pages === 'global' ? { global: true } : { firstPage: pages[0], pages: pages.length });
    });
  }

  /** Extended Erase (0x44) of up to 511 pages, or 'global' / 'bank1' / 'bank2'. Safe to repeat. */
  extendedErase(pages: readonly number[] | 'global' | 'bank1' | 'bank2'): Promise<void> {
    const special = { global: 0xffff, bank1: 0xfffe, bank2: 0xfffd } as const;
    const frame = typeof pages === 'string' ? encodeExtendedEraseSpecial(special[pages]) : encodeExtendedErasePages(pages);
    const timeout = typeof pages === 'string' ? this.timeouts.massEraseMs : this.timeouts.erasePageMs * pages.length;
    return this.repeatable(Cmd.ExtendedErase, async () => {
      await this.command(Cmd.ExtendedErase);
      await this.send(frame);
      await this.ack(Cmd.ExtendedErase, 'pages', timeout, typeof pages === 'string' ? { special: pages } : { firstPage: pages[0], pages: pages.length });
    });
  }

  /** Write Protect (0x63) for the given sector codes; the device resets afterwards. */
  async writeProtect(sectors: readonly number[]): Promise<void> {
    await this.command(Cmd.WriteProtect);
    await this.send(encodeWriteProtect(sectors));
    await this.ack(Cmd.WriteProtect, 'pages', this.timeouts.massEraseMs);
  }

  /** Write Unprotect (0x73); the device resets afterwards. */
  async writeUnprotect(): Promise<void> {
    await this.command(Cmd.WriteUnprotect);
    await this.ack(Cmd.WriteUnprotect, 'result', this.timeouts.massEraseMs);
  }

  /** Readout Protect (0x82); the device resets afterwards. */
  async readoutProtect(): Promise<void> {
    await this.command(Cmd.ReadoutProtect);
    await this.ack(Cmd.ReadoutProtect, 'result', this.timeouts.massEraseMs);
  }

  /** Readout Unprotect (0x92): mass-erases the flash, then the device resets. */
  async readoutUnprotect(): Promise<void> {
    await this.command(Cmd.ReadoutUnprotect);
    await this.ack(Cmd.ReadoutUnprotect, 'result', this.timeouts.massEraseMs);
  }

  /** Get Checksum (0xA1): the device's CRC-32 (see crc.ts) over [address, address+length). */
  getChecksum(address: number, length: number): Promise<number> {
    const lengthFrame = encodeChecksumLength(length);
    return this.repeatable(Cmd.GetChecksum, async () => {
      await this.command(Cmd.GetChecksum);
      await this.send(encodeAddress(address));
      await this.ack(Cmd.GetChecksum, 'address', this.timeouts.ackMs, { address });
      await this.send(lengthFrame);
      await this.ack(Cmd.GetChecksum, 'length', this.timeouts.ackMs, { address, length });
      // The second ACK comes when the computation is done: about 1 s per MiB is generous.
      await this.ack(Cmd.GetChecksum, 'result', this.timeouts.ackMs + Math.ceil(length / 1024));
      return parseChecksumResponse(await this.readBytes(5, 'Get Checksum CRC'));
    });
  }

  /** Reads a 256-byte-or-less chunk; larger reads are split. */
  async readRange(address: number, length: number, onChunk?: (done: number) => void): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await forEachChunk(length, MAX_TRANSFER, async (off, n) => { out.set(await this.readMemory(address + off, n), off); }, { onProgress: onChunk });
    return out;
  }

  /**
   * Brings the device back to "waiting for a command" after a lost or garbled byte: sends
   * 0xFF filler (never a valid command pair) until the device answers, then single bytes
   * until one draws a NACK on its own. If the device stays silent it is asked with 0x7F: an
   * ACK there means it reset.
   */
  async resync(command: number): Promise<void> {
    this.stats.resyncs++;
    const quiet = this.timeouts.resyncQuietMs;
    this.reader.discard();
    let answered = false;
    // Up to the longest frame (Extended Erase with 511 pages: 1025 bytes) in 16-byte steps.
    for (let sent = 0; sent < 1040 && !answered; sent += 16) {
      await this.send(new Uint8Array(16).fill(0xff));
      answered = await this.drain(quiet);
    }
    if (answered) {
      for (let i = 0; i < 3; i++) {
        await this.send(new Uint8Array([0xff]));
        if (await this.drain(quiet)) return;
      }
      return;
    }
    await this.send(new Uint8Array([INIT]));
    let b: number;
    try {
      b = await this.readAnswerByte(this.timeouts.initMs, 'answer to 0x7F while resynchronising');
    } catch (e) {
      if (e instanceof TimeoutError) throw new Stm32NoAnswerError({ port: this.options.port, baud: this.options.baud, parity: this.options.parity, family: this.options.family, attempts: 1 });
      throw e;
    }
    if (b === ACK) throw new Stm32DeviceResetError(command);
  }

  /** Waits `ms` for bytes, then keeps discarding until the line is quiet; true if anything came. */
  private async drain(ms: number): Promise<boolean> {
    let got = false;
    for (;;) {
      try {
        await this.reader.readExact(1, { timeoutMs: ms, signal: this.signal });
        got = true;
        this.reader.discard();
      } catch (e) {
        if (e instanceof TimeoutError) return got;
        throw e;
      }
    }
  }

  /** Runs `fn`, resynchronising and repeating on recoverable errors. */
  private async repeatable<T>(command: number, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (isFatal(e) || attempt >= this.attempts) throw e;
        await this.resync(command);
        this.stats.retries++;
      }
    }
  }

  /**
   * Checks the answers waiting behind a Write Memory's ACK. A NACK among them: the chip reset
   * mid-frame and the fresh bootloader (autobauded by a 0x7F among the data, whose ACK looked
   * like the write's) answers the rest of the frame as commands, so the block was not
   * written. Only ACKs: a duplicated ACK, or a reset whose 0x7F came last; the block is read
   * back to tell them apart.
   */
  private async checkWriteHeld(last: { address: number; data: Uint8Array }, first?: Uint8Array): Promise<void> {
    if (this.reader.available === 0 && !first) return;
    const rest = this.reader.discard();
    const stray = first ? concat(first, rest) : rest;
    this.stats.strayBytes += stray.length;
    const reset = () => new Stm32DeviceResetError(Cmd.WriteMemory, { address: last.address, length: last.data.length, stray: Array.from(stray.subarray(0, 8)), reason: 'the bootloader answered bytes that were data: it restarted mid-frame and the block was not written' });
    if (stray.includes(NACK)) throw reset();
    if (!stray.includes(ACK)) return; // line noise (0x00 around a glitch)
    const back = await this.readMemory(last.address, last.data.length);
    if (firstDifference(back, last.data) >= 0) throw reset();
    this.stats.writesConfirmedByReadback++;
  }

  /**
   * After the last Write Memory of a run: waits a moment for answers nobody asked for, so a
   * write without verify cannot end in a silent loss (see checkWriteHeld).
   */
  async confirmQuiet(): Promise<void> {
    const last = this.lastWrite;
    this.lastWrite = undefined;
    if (!last) return;
    let first: Uint8Array;
    try {
      first = await this.reader.readExact(1, { timeoutMs: this.timeouts.resyncQuietMs, signal: this.signal, what: 'silence after the last write' });
    } catch (e) {
      if (e instanceof TimeoutError) return;
      throw e;
    }
    await delay(this.timeouts.resyncQuietMs, this.signal); // let the rest of such answers arrive
    await this.checkWriteHeld(last, first);
  }

  /** The last Write Memory that was acknowledged (checked again by the next command or confirmQuiet). */
  private lastWrite?: { address: number; data: Uint8Array } | undefined;

  /** Sends the command pair and waits for its ACK; drops stale bytes first. */
  private async command(code: number): Promise<void> {
    this.stats.commands++;
    // Answers waiting since the last Write Memory: was it taken by a restarted bootloader?
    const last = this.lastWrite;
    this.lastWrite = undefined;
    if (last && this.reader.available) await this.checkWriteHeld(last);
    this.reader.discard();
    await this.send(encodeCommand(code));
    await this.ack(code, 'command', this.timeouts.ackMs);
  }

  /** Writes; a transport failure (port unplugged, peer gone) becomes LinkClosedError. */
  private async send(bytes: Uint8Array): Promise<void> {
    try {
      await this.reader.write(bytes);
    } catch (e) {
      throw e instanceof FlashwrightError ? e : new LinkClosedError(e);
    }
  }

  private readBytes(n: number, what: string): Promise<Uint8Array> {
    // Allow twice the time the bytes take on the wire at 8E1 (11 bits), on top of the answer delay.
    const wireMs = Math.ceil((n * 11 * 1000 * 2) / (this.options.baud ?? 115200));
    return this.reader.readExact(n, { timeoutMs: this.timeouts.ackMs + wireMs, signal: this.signal, what });
  }

  /** Reads one answer byte, skipping BUSY. */
  private async readAnswerByte(timeoutMs: number, what: string): Promise<number> {
    for (;;) {
      const b = await this.reader.readByte({ timeoutMs, signal: this.signal, what });
      if (b === BUSY) { this.stats.busyBytes++; continue; }
      return b;
    }
  }

  /** Waits for ACK, skipping BUSY and stray 0x00 (line noise around resets); NACK throws. */
  private async ack(command: number, phase: Stm32Phase, timeoutMs: number, context: ErrorContext = {}): Promise<void> {
    for (;;) {
      const b = await this.readAnswerByte(timeoutMs, `ACK to ${phase} of command 0x${command.toString(16).padStart(2, '0')}`);
      if (b === ACK) return;
      if (b === NACK) throw new Stm32NackError(command, phase, context);
      if (b === 0x00) { this.stats.strayBytes++; continue; }
      throw new Stm32UnexpectedByteError(command, phase, b);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
