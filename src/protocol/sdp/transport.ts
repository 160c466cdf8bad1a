/**
 * The two ways SDP travels. USB-HID: numbered reports (1 command, 2 data, 3 HAB, 4 status/data).
 * UART: the same 16-byte command and raw data bytes, then the HAB word and the status/data
 * bytes as they are, no framing, no checksum (RM "Serial Downloader" → UART).
 */
import { FlashwrightError, TimeoutError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { ByteReader } from '../../link/byte-reader.js';
import { forEachChunk } from '../../link/chunks.js';
import type { ByteStream, PacketDevice } from '../../link/types.js';
import { Mailbox } from '../../link/waiter.js';
import { encodeSdpHidReport, parseSdpHidReport, SDP_HID_DATA_CHUNK, SdpHidReport, type SdpInReport } from './commands.js';

export interface SdpWaitOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  what?: string | undefined;
}

export interface SdpTransport {
  readonly kind: 'hid' | 'uart';
  /** Whether setBaudRate can follow a SET_BAUDRATE (a UART whose port can change rate). */
  readonly canChangeBaud: boolean;
  sendCommand(block: Uint8Array, options?: SdpWaitOptions): Promise<void>;
  /** File or DCD bytes after a WRITE_FILE / DCD_WRITE command; `onChunk` after each piece went out. */
  sendData(data: Uint8Array, options?: SdpWaitOptions & { onChunk?: (sent: number) => void }): Promise<void>;
  /** The 4-byte HAB security configuration. */
  readHab(options?: SdpWaitOptions): Promise<Uint8Array>;
  /** `n` bytes of status or read data. */
  readResponse(n: number, options?: SdpWaitOptions): Promise<Uint8Array>;
  /** Switches the host side of the link to `baud` (UART; after SET_BAUDRATE). */
  setBaudRate(baud: number): Promise<void>;
  close(): Promise<void>;
}

export class SdpLinkError extends FlashwrightError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super('SDP_LINK', message, { hint: 'The device reset or was unplugged; power-cycle it with the BOOT_MODE pins set to serial downloader (01) and try again.', context, cause });
  }
}

const DEFAULT_TIMEOUT_MS = 2000;

function timeout(ms: number, what: string | undefined): TimeoutError {
  return new TimeoutError(`No answer from the i.MX RT boot ROM within ${ms} ms${what ? ` (waiting for ${what})` : ''}.`, {
    hint: 'Check that the chip is in serial-download mode (BOOT_MODE[1:0] = 01, or a blank part) and that no other program has the device open.',
    context: { timeoutMs: ms, what },
  });
}

/** SDP over USB-HID reports through a PacketDevice (report ID as the first byte both ways). */
export class SdpHidTransport implements SdpTransport {
  readonly kind = 'hid' as const;
  readonly canChangeBaud = false;
  private readonly inbox = new Mailbox<SdpInReport>();
  /** Bytes of a report 4 not yet consumed (a read may take less than one report). */
  private partial: Uint8Array = new Uint8Array(0);
  private readonly timeoutMs: number;

  constructor(private readonly device: PacketDevice, options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    device.onPacket((p) => {
      try {
        this.inbox.push(parseSdpHidReport(p));
      } catch (e) {
        this.inbox.close(e as Error);
      }
    });
    device.onClose((err) => this.inbox.close(new SdpLinkError('The USB HID device went away (it reset, jumped to the loaded image, or was unplugged).', {}, err)));
  }

  async sendCommand(block: Uint8Array, options?: SdpWaitOptions): Promise<void> {
    this.inbox.discard();
    this.partial = new Uint8Array(0);
    await this.write(encodeSdpHidReport(SdpHidReport.Command.id, block, SdpHidReport.Command.size), options);
  }

  async sendData(data: Uint8Array, options: SdpWaitOptions & { onChunk?: (sent: number) => void } = {}): Promise<void> {
    await forEachChunk(data.length, SDP_HID_DATA_CHUNK, async (o, n) => {
      // Reports go at the full 1025-byte size the report descriptor declares; the ROM counts
      // the file by the command's byte count, so the padding of the last report is ignored.
      await this.write(encodeSdpHidReport(SdpHidReport.Data.id, data.subarray(o, o + n), SdpHidReport.Data.size), options);
    }, { signal: options.signal, onProgress: options.onChunk, what: 'SDP data transfer' });
  }

  async readHab(options: SdpWaitOptions = {}): Promise<Uint8Array> {
    const r = await this.next('hab', { ...options, what: options.what ?? 'the HAB security configuration (report 3)' });
    return r.payload;
  }

  async readResponse(n: number, options: SdpWaitOptions = {}): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (this.partial.length === 0) this.partial = (await this.next('response', { ...options, what: options.what ?? 'status/data (report 4)' })).payload;
      const k = Math.min(n - got, this.partial.length);
      out.set(this.partial.subarray(0, k), got);
      this.partial = this.partial.subarray(k);
      got += k;
    }
    return out;
  }

  setBaudRate(): Promise<void> {
    return Promise.reject(new SdpLinkError('A USB HID link has no baud rate.', {}));
  }

  close(): Promise<void> {
    return this.device.close();
  }

  private next(kind: SdpInReport['kind'], options: SdpWaitOptions): Promise<SdpInReport> {
    const ms = options.timeoutMs ?? this.timeoutMs;
    return this.inbox.next({ timeoutMs: ms, signal: options.signal, onTimeout: () => timeout(ms, options.what) }, (r) => r.kind === kind);
  }

  private async write(report: Uint8Array, options?: SdpWaitOptions): Promise<void> {
    if (this.inbox.closed) throw this.inbox.closed;
    try {
      await this.device.write(report);
    } catch (e) {
      throw new SdpLinkError(`Writing a USB HID report to the ROM failed${options?.what ? ` (${options.what})` : ''}.`, { what: options?.what }, e);
    }
  }
}

/** SDP over a UART (the ROM autobauds on the first bytes it gets). */
export class SdpUartTransport implements SdpTransport {
  readonly kind = 'uart' as const;
  private readonly reader: ByteReader;
  private readonly timeoutMs: number;
  /** The UART form has no packets; data goes in pieces so progress and cancellation are seen. */
  static readonly CHUNK = 1024;

  get canChangeBaud(): boolean {
    return this.stream.setBaudRate !== undefined;
  }

  constructor(private readonly stream: ByteStream, options: { timeoutMs?: number } = {}) {
    this.reader = new ByteReader(stream);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async sendCommand(block: Uint8Array): Promise<void> {
    this.reader.discard();
    await this.stream.write(block);
  }

  async sendData(data: Uint8Array, options: SdpWaitOptions & { onChunk?: (sent: number) => void } = {}): Promise<void> {
    await forEachChunk(data.length, SdpUartTransport.CHUNK, (o, n) => this.stream.write(data.subarray(o, o + n)), { signal: options.signal, onProgress: options.onChunk, what: 'SDP data transfer' });
  }

  readHab(options: SdpWaitOptions = {}): Promise<Uint8Array> {
    return this.read(4, { ...options, what: options.what ?? 'the HAB security configuration' });
  }

  readResponse(n: number, options: SdpWaitOptions = {}): Promise<Uint8Array> {
    return this.read(n, { ...options, what: options.what ?? 'status/data' });
  }

  async setBaudRate(baud: number): Promise<void> {
    if (!this.stream.setBaudRate) throw new SdpLinkError(`The serial link cannot change its baud rate to ${baud}, but the ROM now listens at that rate.`, { baud });
    await this.stream.setBaudRate(baud);
  }

  close(): Promise<void> {
    return this.stream.close();
  }

  private async read(n: number, options: SdpWaitOptions): Promise<Uint8Array> {
    const ms = options.timeoutMs ?? this.timeoutMs;
    try {
      return await this.reader.readExact(n, { timeoutMs: ms, signal: options.signal, what: options.what });
    } catch (e) {
      if (e instanceof TimeoutError) throw timeout(ms, options.what);
      throw e;
    }
  }
}
