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

/** A clock both sides can advance: the simulators' VirtualClock has this shape. */
export interface LinkClock {
  readonly nowMs: number;
  advance(ms: number): void;
}

/**
 * Virtual time on an in-process pipe, so a simulator and the host code share one clock:
 * every transfer advances it by its bytes on the wire, every change of direction by the
 * adapter's turnaround. The same figures as modeledSeconds, but as the traffic happens.
 */
export interface LinkModel {
  baud: number;
  /** Bits on the wire per byte: 10 for 8N1, 11 for 8E1 (default 10). */
  bitsPerByte?: number;
  /** Cost of each change of direction (a USB-serial adapter's latency), default 0. */
  turnaroundMs?: number;
  /** The clock to advance (e.g. the simulator's, so flash timing adds to link time); default a fresh one. */
  clock?: LinkClock;
  /**
   * Also hold each transfer back in real time by its modelled time × this factor (0 or
   * absent: deliver at once). Order per direction is kept.
   */
  realTimeFactor?: number;
}

class SimpleClock implements LinkClock {
  nowMs = 0;
  advance(ms: number): void { if (ms > 0) this.nowMs += ms; }
}

/** The modelled milliseconds of one transfer, with its turnaround when the direction changed. */
export function transferMs(bytes: number, turned: boolean, model: LinkModel): number {
  return (bytes * (model.bitsPerByte ?? 10) * 1000) / model.baud + (turned ? model.turnaroundMs ?? 0 : 0);
}

type Dir = 'toDevice' | 'toHost';

/** Shared by both ends: the counters, the last direction, and the optional time model. */
interface LinkState {
  counters: LinkCounters;
  last?: Dir | undefined;
  model?: (LinkModel & { clock: LinkClock }) | undefined;
}

class PipeEnd implements ByteStream {
  peer!: PipeEnd;
  private readonly inbound = new Inbound();
  private closeListener?: (error?: Error) => void;
  private isClosed = false;
  signals: LineSignals = {};
  onSignals?: (s: LineSignals) => void;
  baud?: number;

  /** Real-time deliveries still pending in this direction (kept in order). */
  private delayed: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly dir: Dir, private readonly link: LinkState) {}

  async write(data: Uint8Array): Promise<void> {
    if (this.isClosed) throw new Error('pipe closed');
    if (data.length === 0) return;
    const copy = data.slice();
    const { counters, model } = this.link;
    if (this.dir === 'toDevice') counters.bytesToDevice += copy.length;
    else counters.bytesToHost += copy.length;
    const turned = this.link.last !== undefined && this.link.last !== this.dir;
    if (turned) counters.turnarounds++;
    this.link.last = this.dir;
    const ms = model ? transferMs(copy.length, turned, model) : 0;
    model?.clock.advance(ms);
    const wait = ms * (model?.realTimeFactor ?? 0);
    if (wait > 0) {
      this.pending++;
      this.delayed = this.delayed.then(() => new Promise<void>((resolve) => setTimeout(resolve, wait))).then(() => { this.pending--; this.peer.deliver(copy); });
      return;
    }
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
    if (this.pending > 0) await this.delayed; // bytes already written still arrive before the close
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
  /** The virtual clock the link model advances (present when createPipe got a model). */
  clock?: LinkClock;
}

export function createPipe(options: { model?: LinkModel } = {}): Pipe {
  const counters: LinkCounters = { bytesToDevice: 0, bytesToHost: 0, turnarounds: 0 };
  const model = options.model ? { ...options.model, clock: options.model.clock ?? new SimpleClock() } : undefined;
  const link: LinkState = { counters, model };
  const host = new PipeEnd('toDevice', link);
  const device = new PipeEnd('toHost', link);
  host.peer = device;
  device.peer = host;
  return { host, device, counters, ...(model ? { clock: model.clock } : {}) };
}
