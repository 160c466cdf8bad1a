/**
 * The two ways MCUboot packets travel: framed over a UART (ACK after every frame, NAK on a
 * bad CRC → resend) and as USB-HID reports (no ACKs). The session talks to this interface.
 */
import { CancelledError, FlashwrightError, TimeoutError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hexBytes } from '../../core/format.js';
import { ByteReader } from '../../link/byte-reader.js';
import type { ByteStream } from '../../link/types.js';
import { encodeControl, encodeFrame, FrameType, McubootFramingError, parsePingResponse, START_BYTE, type PingResponse } from './framing.js';

export interface TransferOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** For messages: "ACK to WriteMemory data packet 12". */
  what?: string | undefined;
}

/** What arrived from the device: a response (command packet) or a data packet. */
export interface Incoming {
  kind: 'command' | 'data';
  payload: Uint8Array;
}

export interface McubootTransport {
  readonly kind: 'uart' | 'hid';
  /** Sends a command packet; resolves once the device accepted it (UART: ACK). */
  sendCommand(payload: Uint8Array, options?: TransferOptions): Promise<void>;
  /** Sends one data packet; 'abort' when the device refused further data (ACK_ABORT). */
  sendData(payload: Uint8Array, options?: TransferOptions): Promise<'ok' | 'abort'>;
  /** Receives the next packet; `reply: 'abort'` answers a data packet with ACK_ABORT (UART). */
  receive(options?: TransferOptions & { reply?: 'ack' | 'abort' }): Promise<Incoming>;
  /** Drops stale input (before a new command, after an error). */
  discard(): void;
  close(): Promise<void>;
}

/** The device kept NAKing or never ACKed. */
export class McubootLinkError extends FlashwrightError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super('MCUBOOT_LINK', message, {
      hint: 'Check the wiring and baud rate; if the device reset, reconnect and write again (the range may be partly written).', context, cause,
    });
  }
}

export interface UartOptions {
  /** Default wait for any reply, ms. */
  timeoutMs?: number;
  /** How often a frame is resent after NAK before giving up. */
  maxResends?: number;
}

/** MCUboot over a UART byte stream. */
export class UartTransport implements McubootTransport {
  readonly kind = 'uart' as const;
  readonly reader: ByteReader;
  private readonly timeoutMs: number;
  private readonly maxResends: number;
  /** Frames resent after NAK, frames NAKed by us after a bad CRC (for tests and logs). */
  readonly stats = { resends: 0, naksSent: 0 };

  constructor(private readonly stream: ByteStream, options: UartOptions = {}) {
    this.reader = new ByteReader(stream);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxResends = options.maxResends ?? 3;
  }

  /** Sends PING and parses the PING_RESPONSE (also lets the device autobaud). */
  async ping(options: TransferOptions = {}): Promise<PingResponse> {
    this.reader.discard();
    await this.stream.write(encodeControl(FrameType.Ping));
    const header = await this.readFrameStart({ ...options, what: options.what ?? 'ping response' });
    if (header[1] !== FrameType.PingResponse) {
      throw new McubootFramingError(`Expected a ping response to PING, got ${hexBytes(header)}.`, { received: hexBytes(header) });
    }
    const rest = await this.reader.readExact(8, this.readOpts(options, 'ping response'));
    const all = new Uint8Array(10);
    all.set(header);
    all.set(rest, 2);
    return parsePingResponse(all);
  }

  discard(): void {
    this.reader.discard();
  }

  /**
   * Ends a frame an interrupted host left half-sent, so the device listens for PING again:
   * sends 0x00 (never a frame start, ignored by an idle device) in 64-byte steps until the
   * device says anything — a NAK for the completed frame's bad CRC — or the longest frame has
   * been covered. Returns whether the device answered.
   */
  async unstick(options: { signal?: AbortSignal | undefined; maxBytes?: number } = {}): Promise<boolean> {
    this.reader.discard();
    const max = options.maxBytes ?? 4096 + 6 + 64;
    for (let sent = 0; sent < max; sent += 64) {
      await this.stream.write(new Uint8Array(64));
      try {
        await this.reader.readExact(1, { timeoutMs: 30, ...(options.signal ? { signal: options.signal } : {}), what: 'an answer to filler' });
        // Let the rest of the answer (NAK, or a NAK per frame) arrive, then drop it.
        await new Promise((r) => setTimeout(r, 20));
        this.reader.discard();
        return true;
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
      }
    }
    return false;
  }

  sendCommand(payload: Uint8Array, options: TransferOptions = {}): Promise<void> {
    this.reader.discard();
    return this.sendFramed(FrameType.Command, payload, options).then((r) => {
      if (r === 'abort') throw new McubootLinkError('The device answered a command with ACK_ABORT.', { what: options.what });
    });
  }

  sendData(payload: Uint8Array, options: TransferOptions = {}): Promise<'ok' | 'abort'> {
    return this.sendFramed(FrameType.Data, payload, options);
  }

  async receive(options: TransferOptions & { reply?: 'ack' | 'abort' } = {}): Promise<Incoming> {
    for (let attempt = 0; ; attempt++) {
      const header = await this.readFrameStart(options);
      const type = header[1];
      if (type !== FrameType.Command && type !== FrameType.Data) {
        throw new McubootFramingError(`Expected a command or data frame, got ${hexBytes(header)}.`, { received: hexBytes(header), what: options.what });
      }
      const lenCrc = await this.reader.readExact(4, this.readOpts(options));
      const len = lenCrc[0]! | (lenCrc[1]! << 8);
      const payload = await this.reader.readExact(len, this.readOpts(options));
      const frame = new Uint8Array(6 + len);
      frame.set(header);
      frame.set(lenCrc, 2);
      frame.set(payload, 6);
      const expected = encodeFrame(type, payload);
      if (expected[4] === frame[4] && expected[5] === frame[5]) {
        const reply = options.reply === 'abort' && type === FrameType.Data ? FrameType.AckAbort : FrameType.Ack;
        await this.stream.write(encodeControl(reply));
        return { kind: type === FrameType.Command ? 'command' : 'data', payload };
      }
      // Bad CRC: ask for the frame again rather than trust a single bit of it.
      if (attempt >= this.maxResends) {
        throw new McubootFramingError(`Frame CRC mismatch ${this.maxResends + 1} times in a row${options.what ? ` (${options.what})` : ''}.`, { received: hexBytes(frame), what: options.what });
      }
      this.stats.naksSent++;
      await this.stream.write(encodeControl(FrameType.Nak));
    }
  }

  close(): Promise<void> {
    return this.stream.close();
  }

  private async sendFramed(type: number, payload: Uint8Array, options: TransferOptions): Promise<'ok' | 'abort'> {
    const frame = encodeFrame(type, payload);
    for (let attempt = 0; ; attempt++) {
      await this.stream.write(frame);
      let reply: Uint8Array;
      try {
        reply = await this.readFrameStart({ ...options, what: options.what ?? 'ACK' });
      } catch (e) {
        if (e instanceof TimeoutError) {
          // Never resend blindly: without sequence numbers a resent data frame could be written twice.
          throw new McubootLinkError(`No ACK from the device${options.what ? ` for ${options.what}` : ''}; it may have reset or lost the frame.`, { what: options.what, attempt }, e);
        }
        throw e;
      }
      if (reply[1] === FrameType.Ack) return 'ok';
      if (reply[1] === FrameType.AckAbort) return 'abort';
      if (reply[1] === FrameType.Nak) {
        if (attempt >= this.maxResends) {
          throw new McubootLinkError(`The device NAKed ${options.what ?? 'a frame'} ${attempt + 1} times (corrupted on the way).`, { what: options.what, attempts: attempt + 1 });
        }
        this.stats.resends++;
        continue;
      }
      throw new McubootFramingError(`Expected ACK or NAK, got ${hexBytes(reply)}.`, { received: hexBytes(reply), what: options.what });
    }
  }

  /** Reads up to and including the frame-type byte, skipping noise before 0x5A. */
  private async readFrameStart(options: TransferOptions): Promise<Uint8Array> {
    const opts = this.readOpts(options);
    let skipped = 0;
    for (;;) {
      const b = await this.reader.readByte(opts);
      if (b === START_BYTE) break;
      if (++skipped > 4096) throw new McubootFramingError('More than 4096 bytes of noise without a frame start (0x5A).', { what: options.what });
    }
    const type = await this.reader.readByte(opts);
    return Uint8Array.of(START_BYTE, type);
  }

  private readOpts(options: TransferOptions, what?: string) {
    if (options.signal?.aborted) throw new CancelledError();
    return { timeoutMs: options.timeoutMs ?? this.timeoutMs, signal: options.signal, what: options.what ?? what };
  }
}
