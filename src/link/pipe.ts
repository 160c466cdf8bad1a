import type { ByteStream, LineSignals } from './types.js';
import { Inbound } from './inbound.js';

/** Counts what crossed a link, for the virtual-time model and benchmarks. */
export interface LinkCounters {
  /** Bytes host → device. */
  bytesToDevice: number;
  /** Bytes device → host. */
  bytesToHost: number;
  /** Times the direction of traffic changed (each costs one adapter turnaround). */
  turnarounds: number;
}

/**
 * Virtual time for a serial link: each byte costs `bitsPerByte / baud` seconds (8E1 = 11
 * bits), each change of direction costs `turnaroundMs` (a USB-serial adapter's latency).
 */
export function modeledSeconds(c: LinkCounters, baud: number, bitsPerByte: number, turnaroundMs: number): number {
  return ((c.bytesToDevice + c.bytesToHost) * bitsPerByte) / baud + (c.turnarounds * turnaroundMs) / 1000;
}

type Dir = 'toDevice' | 'toHost';

class PipeEnd implements ByteStream {
  peer!: PipeEnd;
  private readonly inbound = new Inbound();
  private closeListener?: (error?: Error) => void;
  private isClosed = false;
  signals: LineSignals = {};
  onSignals?: (s: LineSignals) => void;
  baud?: number;

  constructor(private readonly dir: Dir, private readonly counters: LinkCounters, private readonly last: { dir?: Dir }) {}

  async write(data: Uint8Array): Promise<void> {
    if (this.isClosed) throw new Error('pipe closed');
    if (data.length === 0) return;
    const copy = data.slice();
    if (this.dir === 'toDevice') this.counters.bytesToDevice += copy.length;
    else this.counters.bytesToHost += copy.length;
    if (this.last.dir && this.last.dir !== this.dir) this.counters.turnarounds++;
    this.last.dir = this.dir;
    // Deliver asynchronously, as a real link does, so neither side re-enters the other.
    queueMicrotask(() => this.peer.deliver(copy));
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.inbound.attach(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  async setSignals(s: LineSignals): Promise<void> {
    this.signals = { ...this.signals, ...s };
    this.peer.onSignals?.(this.signals);
  }

  async setBaudRate(baud: number): Promise<void> {
    this.baud = baud;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.peer.remoteClosed();
  }

  private deliver(chunk: Uint8Array): void {
    if (this.isClosed) return;
    this.inbound.deliver(chunk);
  }

  private remoteClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeListener?.();
  }
}

/** Two connected in-process ByteStreams: `host` for protocol code, `device` for a simulator. */
export interface Pipe {
  host: ByteStream;
  device: ByteStream & { signals: LineSignals; onSignals?: (s: LineSignals) => void };
  counters: LinkCounters;
}

export function createPipe(): Pipe {
  const counters: LinkCounters = { bytesToDevice: 0, bytesToHost: 0, turnarounds: 0 };
  const last: { dir?: Dir } = {};
  const host = new PipeEnd('toDevice', counters, last);
  const device = new PipeEnd('toHost', counters, last);
  host.peer = device;
  device.peer = host;
  return { host, device, counters };
}
