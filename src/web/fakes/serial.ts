/**
 * A fake `navigator.serial` whose ports are wired to simulators running in the page. It keeps
 * the real API's shape and rules (Web Serial, WICG): requestPort() with filters (rejects
 * NotFoundError when nothing matches), readable/writable only while open, open() twice is an
 * InvalidStateError, close() refuses while a stream is locked, setSignals() only while open,
 * a lost device errors both streams with NetworkError and fires 'disconnect' on the port and
 * on navigator.serial. Bytes towards the device are held back by their time on the wire at
 * the opened baud rate, so progress, cancel and unplug happen at a human pace.
 */
import type { ByteStream } from '../../link/types.js';
import type { WebSerialOpenOptions, WebSerialPort, WebSerialSignals } from '../../link/web-serial.js';

export interface FakeSerialDevice {
  label: string;
  usbVendorId: number;
  usbProductId: number;
  /** The simulator's end of the line (it lives as long as the device: a chip keeps its flash between opens). */
  host: ByteStream;
  /** Multiplies the wire time (1 = real time at the baud rate, 0 = instant). */
  timeFactor?: number;
}

function domError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FakeSerialPort extends EventTarget implements WebSerialPort {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  /** What open() was given last, and every setSignals call: tests read them back. */
  opened?: WebSerialOpenOptions;
  readonly signalLog: WebSerialSignals[] = [];
  bytesToDevice = 0;
  private lost = false;
  private readController?: ReadableStreamDefaultController<Uint8Array> | undefined;
  private writeController?: WritableStreamDefaultController | undefined;

  constructor(readonly device: FakeSerialDevice, private readonly owner: FakeSerial) {
    super();
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { usbVendorId: this.device.usbVendorId, usbProductId: this.device.usbProductId };
  }

  async open(options: WebSerialOpenOptions): Promise<void> {
    if (this.lost) throw domError('NetworkError', 'The device has been lost.');
    if (this.readable || this.writable) throw domError('InvalidStateError', 'The port is already open.');
    if (!(options.baudRate > 0)) throw new TypeError('A positive baudRate is required.');
    this.opened = { ...options };
    const bytesPerMs = options.baudRate / ((1 + (options.dataBits ?? 8) + (options.parity && options.parity !== 'none' ? 1 : 0) + (options.stopBits ?? 1)) * 1000);
    const factor = this.device.timeFactor ?? 1;
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => { this.readController = c; },
      cancel: () => { this.readController = undefined; },
    });
    this.device.host.onData((chunk) => {
      try { this.readController?.enqueue(chunk.slice()); } catch { /* reader gone */ }
    });
    this.writable = new WritableStream<Uint8Array>({
      start: (c) => { this.writeController = c; },
      write: async (chunk) => {
        if (this.lost) throw domError('NetworkError', 'The device has been lost.');
        if (!(chunk instanceof Uint8Array)) throw new TypeError('Web Serial writes Uint8Array chunks.');
        const ms = factor > 0 ? (chunk.length / bytesPerMs) * factor : 0;
        if (ms >= 1) await sleep(ms);
        if (this.lost) throw domError('NetworkError', 'The device has been lost.');
        this.bytesToDevice += chunk.length;
        await this.device.host.write(chunk);
      },
    });
  }

  async setSignals(signals: WebSerialSignals): Promise<void> {
    if (!this.readable && !this.writable) throw domError('InvalidStateError', 'The port is not open.');
    if (this.lost) throw domError('NetworkError', 'The device has been lost.');
    this.signalLog.push({ ...signals });
    await this.device.host.setSignals?.({
      ...(signals.dataTerminalReady === undefined ? {} : { dtr: signals.dataTerminalReady }),
      ...(signals.requestToSend === undefined ? {} : { rts: signals.requestToSend }),
      ...(signals.break === undefined ? {} : { brk: signals.break }),
    });
  }

  async close(): Promise<void> {
    if (!this.readable && !this.writable) throw domError('InvalidStateError', 'The port is already closed.');
    if (this.readable?.locked || this.writable?.locked) throw new TypeError('Cannot close a port while its streams are locked.');
    this.device.host.onData(() => {});
    this.readable = null;
    this.writable = null;
    this.readController = undefined;
    this.writeController = undefined;
  }

  /** The cable is pulled: both streams fail, 'disconnect' fires here and on navigator.serial. */
  unplug(): void {
    if (this.lost) return;
    this.lost = true;
    const err = domError('NetworkError', 'The device has been lost.');
    try { this.readController?.error(err); } catch { /* already closed */ }
    try { this.writeController?.error(err); } catch { /* already closed */ }
    this.device.host.onData(() => {});
    this.dispatchEvent(new Event('disconnect'));
    this.owner.dispatchEvent(Object.assign(new Event('disconnect'), { port: this }));
  }
}

/** navigator.serial's shape: requestPort (with filters), getPorts, connect/disconnect events. */
export class FakeSerial extends EventTarget {
  readonly ports: FakeSerialPort[] = [];
  private granted = new Set<FakeSerialPort>();
  /** Which device the "chooser" picks: tests and the page set it (a real browser asks the user). */
  choose: (ports: readonly FakeSerialPort[]) => FakeSerialPort | undefined = (ports) => ports[0];

  plug(device: FakeSerialDevice): FakeSerialPort {
    const port = new FakeSerialPort(device, this);
    this.ports.push(port);
    this.dispatchEvent(Object.assign(new Event('connect'), { port }));
    return port;
  }

  async requestPort(options: { filters?: Array<{ usbVendorId?: number; usbProductId?: number }> } = {}): Promise<FakeSerialPort> {
    for (const f of options.filters ?? []) {
      if (f.usbProductId !== undefined && f.usbVendorId === undefined) throw new TypeError('A filter with usbProductId needs usbVendorId.');
    }
    const matching = this.ports.filter((p) => !options.filters?.length || options.filters.some((f) =>
      (f.usbVendorId === undefined || f.usbVendorId === p.device.usbVendorId) && (f.usbProductId === undefined || f.usbProductId === p.device.usbProductId)));
    const port = this.choose(matching);
    if (!port) throw domError('NotFoundError', 'No port selected by the user.');
    this.granted.add(port);
    return port;
  }

  async getPorts(): Promise<FakeSerialPort[]> {
    return this.ports.filter((p) => this.granted.has(p));
  }
}
