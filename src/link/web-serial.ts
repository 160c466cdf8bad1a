/**
 * Web Serial (navigator.serial) as a ByteStream, so the STM32 and MCUboot UART code runs in a
 * browser unchanged. Written against the API's shape (structural types: TypeScript's DOM lib
 * has no Web Serial), which also lets tests hand in a faithful fake.
 *
 * Web Serial facts used (WICG Web Serial API): open() takes baudRate, dataBits, stopBits,
 * parity ('none' | 'even' | 'odd') and flowControl; `readable`/`writable` are WHATWG streams
 * of Uint8Array that exist only while open; a fatal error (the device is unplugged) makes the
 * reader's read() reject and the port emit 'disconnect'; setSignals takes dataTerminalReady,
 * requestToSend and break; the baud rate changes only by closing and opening again.
 */
import { FlashwrightError } from '../core/errors.js';
import type { ByteStream, LineSignals } from './types.js';

export type WebSerialParity = 'none' | 'even' | 'odd';

export interface WebSerialOpenOptions {
  baudRate: number;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  parity?: WebSerialParity;
  bufferSize?: number;
  flowControl?: 'none' | 'hardware';
}

export interface WebSerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

/** The slice of a Web Serial SerialPort used here. */
export interface WebSerialPort {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: WebSerialOpenOptions): Promise<void>;
  close(): Promise<void>;
  setSignals(signals: WebSerialSignals): Promise<void>;
  getInfo?(): { usbVendorId?: number; usbProductId?: number };
  addEventListener?(type: 'disconnect', listener: () => void): void;
  removeEventListener?(type: 'disconnect', listener: () => void): void;
}

/** The slice of navigator.serial used here. */
export interface WebSerial {
  requestPort(options?: { filters?: Array<{ usbVendorId?: number; usbProductId?: number }> }): Promise<WebSerialPort>;
  getPorts(): Promise<WebSerialPort[]>;
}

export class WebSerialError extends FlashwrightError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('WEB_SERIAL', message, { hint: options.hint ?? 'Check the USB cable and that no other tab or program has the port open.', cause: options.cause });
  }
}

/** Maps the ByteStream's line names onto Web Serial's (DTR/RTS/BREAK). */
export function toWebSignals(s: LineSignals): WebSerialSignals {
  return {
    ...(s.dtr === undefined ? {} : { dataTerminalReady: s.dtr }),
    ...(s.rts === undefined ? {} : { requestToSend: s.rts }),
    ...(s.brk === undefined ? {} : { break: s.brk }),
  };
}

/** An open Web Serial port as a ByteStream. Opens it (8E1 for the STM32 bootloader by default). */
export async function openWebSerial(port: WebSerialPort, options: WebSerialOpenOptions): Promise<ByteStream> {
  const stream = new WebSerialStream(port, { dataBits: 8, stopBits: 1, parity: 'even', flowControl: 'none', ...options });
  await stream.start();
  return stream;
}

class WebSerialStream implements ByteStream {
  private listener?: (chunk: Uint8Array) => void;
  private early: Uint8Array[] = [];
  private closeListener?: (error?: Error) => void;
  private reader?: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private writer?: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private pump?: Promise<void> | undefined;
  private closing = false;
  private closed = false;
  /** Why the link ended, so later writes say it rather than just "closed". */
  private failure?: Error | undefined;
  private readonly onDisconnect = (): void => this.finish(new WebSerialError('The serial device was disconnected (unplugged or reset by USB).', { hint: 'Plug it in again and reconnect; the write did not finish.' }));

  constructor(private readonly port: WebSerialPort, private options: WebSerialOpenOptions) {}

  async start(): Promise<void> {
    try {
      await this.port.open(this.options);
    } catch (e) {
      throw new WebSerialError(`Cannot open the serial port: ${(e as Error).message ?? String(e)}.`, { cause: e });
    }
    this.port.addEventListener?.('disconnect', this.onDisconnect);
    this.attach();
  }

  private attach(): void {
    const readable = this.port.readable;
    const writable = this.port.writable;
    if (!readable || !writable) throw new WebSerialError('The serial port opened without streams.');
    this.reader = readable.getReader();
    this.writer = writable.getWriter();
    const reader = this.reader;
    this.pump = (async () => {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (!this.closing) this.finish(new WebSerialError(`The serial port failed: ${(e as Error).message ?? String(e)}.`, { cause: e, hint: 'The device may have been unplugged; plug it in again and reconnect.' }));
          return;
        }
        if (r.done) {
          if (!this.closing) this.finish(new WebSerialError('The serial port closed.'));
          return;
        }
        if (r.value.length) this.deliver(r.value);
      }
    })();
  }

  private deliver(chunk: Uint8Array): void {
    if (this.listener) this.listener(chunk);
    else this.early.push(chunk);
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed || !this.writer) throw new WebSerialError('The serial port is closed.');
    try {
      await this.writer.write(data.slice());
    } catch (e) {
      const err = new WebSerialError(`Cannot write to the serial port: ${(e as Error).message ?? String(e)}.`, { cause: e, hint: 'The device may have been unplugged; plug it in again and reconnect.' });
      this.finish(err);
      throw err;
    }
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.listener = listener;
    const early = this.early;
    this.early = [];
    for (const c of early) listener(c);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  async setSignals(signals: LineSignals): Promise<void> {
    await this.port.setSignals(toWebSignals(signals));
  }

  /** Web Serial fixes the rate at open(): close and open again at the new one. */
  async setBaudRate(baud: number): Promise<void> {
    if (baud === this.options.baudRate) return;
    await this.release();
    await this.port.close();
    this.options = { ...this.options, baudRate: baud };
    await this.port.open(this.options);
    this.closing = false;
    this.attach();
  }

  private async release(): Promise<void> {
    this.closing = true;
    try { await this.reader?.cancel(); } catch { /* already failed */ }
    this.reader?.releaseLock();
    try { this.writer?.releaseLock(); } catch { /* already released */ }
    await this.pump;
    this.reader = undefined;
    this.writer = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.port.removeEventListener?.('disconnect', this.onDisconnect);
    await this.release();
    this.closed = true;
    try { await this.port.close(); } catch { /* unplugged: nothing left to close */ }
  }

  private finish(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    this.closeListener?.(error);
  }
}
