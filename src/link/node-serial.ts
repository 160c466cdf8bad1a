/**
 * ByteStream over a local serial port through the `serialport` package (Node only).
 *
 * Defaults follow the STM32 ROM bootloader (AN3155): 8 data bits, EVEN parity, 1 stop bit.
 * Flow control is switched off explicitly (RTS/CTS and XON/XOFF): a port left with
 * handshaking half-configured is a classic cause of "no response from the target".
 * Pseudo-terminals silently ignore parity, so talking to a simulator over a pty needs
 * `parity: 'none'` on both sides.
 */
import type { SerialPort } from 'serialport';
import { FlashwrightError } from '../core/errors.js';
import type { ByteStream, LineSignals } from './types.js';
import { Inbound } from './inbound.js';

export type Parity = 'none' | 'even' | 'odd';

export interface NodeSerialOptions {
  path: string;
  /** Any rate the OS and adapter accept; 115200 when omitted. */
  baudRate?: number;
  /** 'even' when omitted (AN3155 framing). */
  parity?: Parity;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  /**
   * Lines to set right after opening. When omitted, DTR and RTS are left as the OS set
   * them on open; entry sequences (line-sequence.ts) drive them afterwards.
   */
  initialSignals?: LineSignals;
  /** Drop DTR when the port closes (POSIX HUPCL). Default false: closing must not reset a board wired to DTR. */
  hangupOnClose?: boolean;
}

/** The port could not be opened or configured. */
export class SerialPortError extends FlashwrightError {
  constructor(message: string, path: string, cause?: unknown, hint?: string) {
    super('SERIAL_PORT', message, {
      context: { path },
      cause,
      hint: hint ?? 'Check the port name (`flashwright ports` lists them), that no other program holds it, and your permissions (the dialout group on Linux).',
    });
  }
}

class NodeSerialStream implements ByteStream {
  private readonly inbound = new Inbound();
  private closeListener?: (error?: Error) => void;
  private closedNotified = false;
  private closing = false;
  /** serialport's set() writes every flag each call, so we keep the full state here. */
  private signals: Required<LineSignals> = { dtr: true, rts: true, brk: false };

  constructor(private readonly port: SerialPort, readonly path: string) {
    port.on('data', (chunk: Uint8Array) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length).slice();
      this.inbound.deliver(bytes);
    });
    port.on('close', (err?: Error | null) => this.notifyClosed(this.closing ? undefined : err ?? undefined));
    port.on('error', (err: Error) => this.notifyClosed(err));
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port.isOpen) { reject(new SerialPortError(`The serial port ${this.path} is not open.`, this.path)); return; }
      this.port.write(data, (err) => {
        if (err) { reject(new SerialPortError(`Writing to ${this.path} failed.`, this.path, err)); return; }
        // Resolve once the bytes left the OS buffer, so timeouts start when they are on the wire.
        this.port.drain((e) => (e ? reject(new SerialPortError(`Writing to ${this.path} failed.`, this.path, e)) : resolve()));
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.inbound.attach(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  setSignals(signals: LineSignals): Promise<void> {
    this.signals = {
      dtr: signals.dtr ?? this.signals.dtr,
      rts: signals.rts ?? this.signals.rts,
      brk: signals.brk ?? this.signals.brk,
    };
    const wanted = { ...this.signals };
    return new Promise((resolve, reject) => {
      this.port.set(wanted, (err) => (err
        ? reject(new SerialPortError(`Setting DTR/RTS/BREAK on ${this.path} failed.`, this.path, err, 'Some adapters and pseudo-terminals have no modem-control lines; drop --entry/--exit or wire BOOT0/NRST by hand.'))
        : resolve()));
    });
  }

  setBaudRate(baud: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.update({ baudRate: baud }, (err) => (err
        ? reject(new SerialPortError(`The port ${this.path} refused ${baud} baud.`, this.path, err, 'Pick a rate the adapter supports (115200 works almost everywhere).'))
        : resolve()));
    });
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    this.closing = true;
    return new Promise((resolve) => {
      this.port.close(() => resolve());
    });
  }

  private notifyClosed(err?: Error): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    this.closeListener?.(err);
  }
}

/**
 * Why a port did not open, in words. A path that exists but is no terminal (a regular file,
 * /dev/null, a stale link) is named as such: no driver, permission or socat advice applies.
 */
function openError(path: string, err: Error): SerialPortError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || /no such file/i.test(err.message)) {
    return new SerialPortError(`The serial port ${path} does not exist.`, path, err, 'Check the name (`flashwright ports` lists the ports), or that the simulator serving that link path is still running.');
  }
  if (code === 'ENOTTY' || /inappropriate ioctl/i.test(err.message)) {
    return new SerialPortError(`${path} is not a serial port or terminal.`, path, err, 'Give a serial device (`flashwright ports` lists them) or the link path a running simulator printed (`flashwright sim stm32|mcuboot --pty PATH`).');
  }
  if (code === 'EACCES' || /permission denied/i.test(err.message)) {
    return new SerialPortError(`Permission denied opening the serial port ${path}.`, path, err, 'Add yourself to the group that owns the port (dialout on Debian/Ubuntu, uucp on Arch) and log in again.');
  }
  return new SerialPortError(`Could not open the serial port ${path}.`, path, err);
}

/** Opens a serial port as a ByteStream (8E1, no flow control, unless told otherwise). */
export async function openSerialPort(options: NodeSerialOptions): Promise<ByteStream & { readonly path: string }> {
  const baudRate = options.baudRate ?? 115200;
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new SerialPortError(`The baud rate ${baudRate} is not a positive integer.`, options.path);
  }
  // Loaded on first use: serialport costs ~50 ms at start-up, which every other command would pay.
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({
    path: options.path,
    baudRate,
    dataBits: options.dataBits ?? 8,
    parity: options.parity ?? 'even',
    stopBits: options.stopBits ?? 1,
    rtscts: false,
    xon: false,
    xoff: false,
    xany: false,
    hupcl: options.hangupOnClose ?? false,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => (err ? reject(openError(options.path, err)) : resolve()));
  });
  const stream = new NodeSerialStream(port, options.path);
  if (options.initialSignals) await stream.setSignals(options.initialSignals);
  return stream;
}

/** One serial port as `flashwright ports` shows it. */
export interface SerialPortListing {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/** Lists ports through serialport (udev on Linux); throws when enumeration is unavailable. */
export async function listSerialPorts(): Promise<SerialPortListing[]> {
  const { SerialPort } = await import('serialport');
  const ports = await SerialPort.list();
  return ports.map((p) => ({
    path: p.path,
    manufacturer: p.manufacturer,
    serialNumber: p.serialNumber,
    vendorId: p.vendorId,
    productId: p.productId,
  }));
}
