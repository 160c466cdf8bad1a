/**
 * An MCUboot session: every command of the protocol over a UART or HID transport, data
 * phases in MaxPacketSize chunks in both directions, status codes turned into typed errors.
 */
import { CancelledError, FlashwrightError, TimeoutError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import { forEachChunk } from '../../link/chunks.js';
import { CommandTag, Commands, commandName, encodeCommand, McubootPacketError, parseResponse, ResponseTag, type CommandSpec, type Response } from './commands.js';
import type { PingResponse } from './framing.js';
import { PropertyTag } from './properties.js';
import { McubootStatusError, STATUS_SUCCESS } from './status.js';
import { McubootLinkError, UartTransport, type McubootTransport, type TransferOptions } from './transport.js';

export interface CommandOptions {
  signal?: AbortSignal | undefined;
  /** Wait for the response this long (erases of big regions need more). */
  timeoutMs?: number | undefined;
  onProgress?: ((bytesDone: number) => void) | undefined;
  /** Extra context for error messages (e.g. the target address). */
  context?: ErrorContext | undefined;
}

/** The default packet size when the device does not say (MCUBOOTRM). */
export const DEFAULT_MAX_PACKET_SIZE = 32;

export interface SessionOptions {
  /** Data-packet size until `maxPacketSize` is set from the device. */
  maxPacketSize?: number;
  /** How often an idempotent command (GetProperty, ReadMemory) is retried after a link error. */
  idempotentRetries?: number;
}

/** A command that reads only: safe to resend after the link hiccuped. */
const IDEMPOTENT = new Set<number>([CommandTag.GetProperty, CommandTag.ReadMemory, CommandTag.FlashReadOnce, CommandTag.FlashReadResource]);

export class McubootSession {
  /** Bytes of data per DATA packet; set it from the MaxPacketSize property. */
  maxPacketSize: number;
  private readonly retries: number;
  /** Retries that happened (for logs and tests). */
  readonly stats = { retries: 0 };

  constructor(readonly transport: McubootTransport, options: SessionOptions = {}) {
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.retries = options.idempotentRetries ?? 1;
  }

  /** UART only: PING → protocol version. */
  async ping(options: CommandOptions = {}): Promise<PingResponse | undefined> {
    if (this.transport instanceof UartTransport) return this.transport.ping({ timeoutMs: options.timeoutMs, signal: options.signal });
    return undefined;
  }

  /** Runs a command without data phase and checks its status; returns the response. */
  async command(spec: CommandSpec, options: CommandOptions = {}): Promise<Response> {
    return this.withRetry(spec, options, async () => {
      await this.transport.sendCommand(encodeCommand(spec), this.topts(options, `the ${commandName(spec.tag)} command`));
      return this.expectFinal(spec, options);
    });
  }

  async getProperty(tag: number, memoryId = 0, options: CommandOptions = {}): Promise<number[]> {
    const r = await this.command(Commands.getProperty(tag, memoryId), { ...options, context: { property: tag, ...options.context } });
    return r.values;
  }

  async setProperty(tag: number, value: number, options?: CommandOptions): Promise<void> {
    await this.command(Commands.setProperty(tag, value), options);
  }

  /** Reads MaxPacketSize from the device and uses it (never below the protocol default). */
  async negotiatePacketSize(cap?: number, options?: CommandOptions): Promise<number> {
    const [size] = await this.getProperty(PropertyTag.MaxPacketSize, 0, options);
    if (size === undefined) throw new McubootPacketError('The MaxPacketSize property came back without a value.', {});
    this.maxPacketSize = Math.max(DEFAULT_MAX_PACKET_SIZE, Math.min(size, cap ?? size));
    return this.maxPacketSize;
  }

  async flashEraseAll(memoryId = 0, options?: CommandOptions): Promise<void> { await this.command(Commands.flashEraseAll(memoryId), options); }
  async flashEraseAllUnsecure(options?: CommandOptions): Promise<void> { await this.command(Commands.flashEraseAllUnsecure(), options); }
  async flashEraseRegion(address: number, length: number, memoryId = 0, options: CommandOptions = {}): Promise<void> {
    await this.command(Commands.flashEraseRegion(address, length, memoryId), { ...options, context: { address, length, ...options.context } });
  }
  async fillMemory(address: number, length: number, pattern: number, options: CommandOptions = {}): Promise<void> {
    await this.command(Commands.fillMemory(address, length, pattern), { ...options, context: { address, length, ...options.context } });
  }
  async flashSecurityDisable(key: Uint8Array, options?: CommandOptions): Promise<void> { await this.command(Commands.flashSecurityDisable(key), options); }
  async execute(address: number, argument: number, stackPointer: number, options?: CommandOptions): Promise<void> { await this.command(Commands.execute(address, argument, stackPointer), options); }
  async call(address: number, argument: number, options?: CommandOptions): Promise<void> { await this.command(Commands.call(address, argument), options); }
  async reset(options?: CommandOptions): Promise<void> { await this.command(Commands.reset(), options); }
  async configureMemory(memoryId: number, configAddress: number, options?: CommandOptions): Promise<void> {
    await this.command(Commands.configureMemory(memoryId, configAddress), options);
  }
  async flashProgramOnce(index: number, data: Uint8Array, options?: CommandOptions): Promise<void> { await this.command(Commands.flashProgramOnce(index, data), options); }

  /** Program-once field `index`: `byteCount` bytes (4 or 8). */
  async flashReadOnce(index: number, byteCount: number, options?: CommandOptions): Promise<Uint8Array> {
    const r = await this.command(Commands.flashReadOnce(index, byteCount), options);
    const [count, ...words] = r.values;
    const out = new Uint8Array(words.length * 4);
    const v = new DataView(out.buffer);
    words.forEach((w, i) => v.setUint32(i * 4, w, true));
    return out.slice(0, count);
  }

  /** Reads `length` bytes of memory `memoryId` at `address`. */
  readMemory(address: number, length: number, memoryId = 0, options: CommandOptions = {}): Promise<Uint8Array> {
    return this.dataIn(Commands.readMemory(address, length, memoryId), length, { ...options, context: { address, length, ...options.context } });
  }

  /** FlashReadResource (IFR / Flash resource area) with the given option. */
  flashReadResource(address: number, length: number, option: number, options: CommandOptions = {}): Promise<Uint8Array> {
    return this.dataIn(Commands.flashReadResource(address, length, option), length, { ...options, context: { address, length, ...options.context } });
  }

  /** Writes `data` at `address` of memory `memoryId`. */
  writeMemory(address: number, data: Uint8Array, memoryId = 0, options: CommandOptions = {}): Promise<void> {
    return this.dataOut(Commands.writeMemory(address, data.length, memoryId), data, { ...options, context: { address, length: data.length, ...options.context } });
  }

  /** Sends an SB file (raw bytes) to the device's SB loader. */
  receiveSbFile(data: Uint8Array, options: CommandOptions = {}): Promise<void> {
    return this.dataOut(Commands.receiveSbFile(data.length), data, options);
  }

  private async dataOut(spec: CommandSpec, data: Uint8Array, options: CommandOptions): Promise<void> {
    const name = commandName(spec.tag);
    await this.transport.sendCommand(encodeCommand(spec), this.topts(options, `the ${name} command`));
    await this.expectResponse(spec, options);
    let packet = 0;
    // The signal is checked here, not by the walk: stopping takes a zero-length packet first.
    await forEachChunk(data.length, this.maxPacketSize, async (sent, n) => {
      if (options.signal?.aborted) {
        // A zero-length data packet tells the device we stop; it answers with its final response.
        await this.transport.sendData(new Uint8Array(0), this.topts(options, 'ACK to the abort packet'));
        await this.expectFinal(spec, { ...options, signal: undefined }).catch(() => undefined);
        throw new CancelledError(name, options.signal.reason);
      }
      const chunk = data.subarray(sent, sent + n);
      const where = `${name} data packet ${packet} (${hex(this.addressOf(options, sent))})`;
      let r: 'ok' | 'abort';
      try {
        r = await this.transport.sendData(chunk, this.topts(options, where));
      } catch (e) {
        throw this.partial(e, options, sent, data.length);
      }
      if (r === 'abort') {
        await this.expectFinal(spec, { ...options, context: { ...options.context, bytesAccepted: sent } });
        throw new McubootLinkError(`The device aborted ${name} after ${sent} of ${data.length} bytes without an error status.`, { ...options.context, bytesAccepted: sent });
      }
      packet++;
    }, { onProgress: options.onProgress });
    await this.expectFinal(spec, options);
  }

  private async dataIn(spec: CommandSpec, length: number, options: CommandOptions): Promise<Uint8Array> {
    return this.withRetry(spec, options, async () => {
      const name = commandName(spec.tag);
      await this.transport.sendCommand(encodeCommand(spec), this.topts(options, `the ${name} command`));
      const first = await this.expectResponse(spec, options);
      const announced = first.values[0] ?? length;
      const out = new Uint8Array(Math.min(announced, length));
      let got = 0;
      while (got < out.length) {
        const cancel = options.signal?.aborted === true;
        const incoming = await this.transport.receive({ ...this.topts({ ...options, signal: undefined }, `${name} data at ${hex(this.addressOf(options, got))}`), reply: cancel ? 'abort' : 'ack' });
        if (incoming.kind === 'command') {
          this.checkFinal(spec, parseResponse(incoming.payload), { ...options.context, bytesReceived: got });
          throw new McubootPacketError(`${name} ended after ${got} of ${out.length} bytes.`, { ...options.context, bytesReceived: got });
        }
        if (cancel) {
          await this.expectFinal(spec, { ...options, signal: undefined }).catch(() => undefined);
          throw new CancelledError(name, options.signal?.reason);
        }
        if (got + incoming.payload.length > out.length) {
          throw new McubootPacketError(`${name} sent ${got + incoming.payload.length} bytes, more than the ${out.length} announced.`, { ...options.context });
        }
        out.set(incoming.payload, got);
        got += incoming.payload.length;
        options.onProgress?.(got);
      }
      await this.expectFinal(spec, options);
      if (out.length < length) throw new McubootShortReadError(name, length, out.length, options.context);
      return out;
    });
  }

  /** The first response of a data-phase command (generic 0xA0, or 0xA3 / 0xB0 with length). */
  private async expectResponse(spec: CommandSpec, options: CommandOptions): Promise<Response> {
    const r = await this.receiveResponse(spec, options);
    if (r.status !== STATUS_SUCCESS) throw new McubootStatusError(r.status, spec.tag, options.context);
    return r;
  }

  /** The final (or only) response; throws McubootStatusError for a non-zero status. */
  private async expectFinal(spec: CommandSpec, options: CommandOptions): Promise<Response> {
    const r = await this.receiveResponse(spec, options);
    this.checkFinal(spec, r, options.context);
    return r;
  }

  private checkFinal(spec: CommandSpec, r: Response, context?: ErrorContext): void {
    if (r.status !== STATUS_SUCCESS) throw new McubootStatusError(r.status, spec.tag, context);
    if (r.tag === ResponseTag.Generic && r.values[0] !== spec.tag) {
      throw new McubootPacketError(`The response names ${r.values[0] === undefined ? 'no command' : commandName(r.values[0])}, not ${commandName(spec.tag)}.`, { ...context });
    }
  }

  private async receiveResponse(spec: CommandSpec, options: CommandOptions): Promise<Response> {
    const incoming = await this.transport.receive(this.topts(options, `response to ${commandName(spec.tag)}`));
    if (incoming.kind !== 'command') {
      throw new McubootPacketError(`Expected the response to ${commandName(spec.tag)}, got a data packet.`, { ...options.context });
    }
    return parseResponse(incoming.payload);
  }

  private async withRetry<T>(spec: CommandSpec, options: CommandOptions, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (e) {
        const linkTrouble = e instanceof TimeoutError || e instanceof McubootLinkError || (e instanceof FlashwrightError && e.code === 'MCUBOOT_FRAMING');
        if (!linkTrouble || !IDEMPOTENT.has(spec.tag) || attempt >= this.retries || options.signal?.aborted) throw e;
        this.stats.retries++;
        await this.resync(options);
      }
    }
  }

  /** Gets back in step after a lost packet: drop stale input, ping (UART). */
  async resync(options: CommandOptions = {}): Promise<void> {
    this.transport.discard();
    await this.ping({ signal: options.signal, timeoutMs: options.timeoutMs });
  }

  private topts(options: CommandOptions, what: string): TransferOptions {
    return { timeoutMs: options.timeoutMs, signal: options.signal, what };
  }

  private addressOf(options: CommandOptions, offset: number): number {
    const a = options.context?.address;
    return typeof a === 'number' ? a + offset : offset;
  }

  private partial(e: unknown, options: CommandOptions, sent: number, total: number): unknown {
    if (e instanceof FlashwrightError) Object.assign(e.context, { bytesAcknowledged: sent, bytesTotal: total, ...options.context });
    return e;
  }
}

/** The device announced (and sent) fewer bytes than asked: never handed on as if complete. */
export class McubootShortReadError extends FlashwrightError {
  constructor(command: string, asked: number, announced: number, context: ErrorContext = {}) {
    const at = typeof context.address === 'number' ? ` at ${hex(context.address)}` : '';
    super('MCUBOOT_SHORT_READ', `${command}${at} asked for ${asked} bytes, but the device announced only ${announced}.`, {
      hint: 'The range may run past readable memory or the bootloader limits reads; check the address and length against flashwright info, or read in smaller pieces.',
      context: { ...context, asked, announced },
    });
  }
}
