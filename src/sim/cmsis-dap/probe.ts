/**
 * A simulated CMSIS-DAP probe as a PacketDevice: raw command packets in (no HID report
 * ID), one response per command out, in order, asynchronously. v1 (HID) responses are
 * whole reports, zero-padded to the packet size; v2 (bulk) responses are exactly as long
 * as the response. DAP_TransferAbort acts at once and has no response; DAP_QueueCommands
 * packets are held and answered when the next other packet arrives (CMSIS-DAP v2.1).
 * Fault injection can drop or corrupt responses and unplug the probe mid-transfer.
 * Time is modelled by UsbTimingModel: `clock.nowMs` is where a host that has received
 * every response so far stands.
 */
import { FlashwrightError } from '../../core/errors.js';
import type { PacketDevice } from '../../link/types.js';
import { CMD } from './constants.js';
import { DapProcessor, type ProbeIdentity, type ProcessorStats } from './processor.js';
import type { DapTarget } from './target.js';
import { UsbTimingModel, type UsbLinkName } from './usb-timing.js';

export interface ProbeFaults {
  /**
   * Called for each response before it is sent (`index` counts command packets from 0):
   * 'drop' loses it, 'unplug' disconnects the probe instead of answering, a Uint8Array
   * replaces it (corruption); undefined sends it as is.
   */
  onResponse?: (index: number, response: Uint8Array, request: Uint8Array) => 'drop' | 'unplug' | Uint8Array | undefined;
}

export interface SimDapProbeOptions {
  target: DapTarget;
  /** 'v1' HID-style (padded responses) or 'v2' bulk; default from the link, else v1. */
  version?: 'v1' | 'v2';
  packetSize?: number | undefined;
  packetCount?: number;
  link?: UsbLinkName;
  processingUs?: number;
  identity?: Partial<ProbeIdentity>;
  jtag?: boolean;
  faults?: ProbeFaults | undefined;
}

export interface ProbeStats extends ProcessorStats {
  packetsOut: number;
  packetsIn: number;
  bytesOut: number;
  bytesIn: number;
  maxInFlight: number;
  dropped: number;
  corrupted: number;
}

/** The probe is gone (unplugged, closed). */
export class ProbeUnpluggedError extends FlashwrightError {
  constructor(what: string) {
    super('PROBE_UNPLUGGED', `The simulated CMSIS-DAP probe is disconnected (${what}).`, { hint: 'Reconnect the probe and start again.' });
  }
}

/**
 * Next event-loop turn: setImmediate where it exists (Node); in a browser a MessageChannel
 * message, since chained zero timeouts are clamped to 4 ms each (HTML timers, nesting level
 * > 5), which made every response of the probe in the page cost 4 ms.
 */
const macrotask: (f: () => void) => void = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate ?? browserTask();

function browserTask(): (f: () => void) => void {
  if (typeof MessageChannel === 'undefined') return (f) => { setTimeout(f, 0); };
  const channel = new MessageChannel();
  const queue: Array<() => void> = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (f) => { queue.push(f); channel.port2.postMessage(0); };
}

export class SimDapProbe {
  readonly processor: DapProcessor;
  readonly timing: UsbTimingModel;
  readonly device: PacketDevice;
  readonly version: 'v1' | 'v2';
  readonly packetSize: number;
  readonly packetCount: number;
  private listener?: (packet: Uint8Array) => void;
  private closeListener?: (error?: Error) => void;
  private queue: Promise<void> = Promise.resolve();
  /** Responses ready, delivered one per event-loop turn so a host can react between them. */
  private readonly outbox: Array<{ bytes: Uint8Array; at?: number | undefined }> = [];
  private delivering = false;
  private readonly held: Uint8Array[] = [];
  private index = 0;
  private inFlight = 0;
  private unplugged = false;
  readonly extra = { packetsOut: 0, packetsIn: 0, maxInFlight: 0, dropped: 0, corrupted: 0 };

  constructor(readonly target: DapTarget, private readonly options: SimDapProbeOptions) {
    const link = options.link ?? (options.version === 'v2' ? 'v2-bulk-fs' : 'v1-hid-fs');
    this.version = options.version ?? (link === 'v1-hid-fs' ? 'v1' : 'v2');
    this.packetSize = options.packetSize ?? (link === 'v2-bulk-hs' ? 512 : 64);
    this.packetCount = options.packetCount ?? 4;
    this.timing = new UsbTimingModel({ link, packetCount: this.packetCount, processingUs: options.processingUs });
    const id: ProbeIdentity = {
      vendor: 'flashwright', product: `flashwright simulated CMSIS-DAP (${target.name})`, serial: 'SIM0001',
      protocolVersion: this.version === 'v2' ? '2.1.1' : '1.3.0', firmwareVersion: '0.1.0', ...options.identity,
    };
    this.processor = new DapProcessor(target, { identity: id, packetSize: this.packetSize, packetCount: this.packetCount, jtag: options.jtag });
    this.processor.clockUs = () => this.timing.nowUs;
    const packetSize = this.packetSize;
    this.device = {
      maxPacketSize: packetSize,
      write: (p) => this.write(p),
      onPacket: (l) => { this.listener = l; },
      onClose: (l) => { this.closeListener = l; },
      close: () => this.close(),
    };
  }

  get stats(): ProbeStats {
    const t = this.timing.stats;
    return { ...this.processor.stats, ...this.extra, packetsOut: t.packetsOut, packetsIn: t.packetsIn, bytesOut: t.bytesOut, bytesIn: t.bytesIn };
  }

  /** The modelled clock (ms), advanced as responses reach the host. */
  get clock(): { readonly nowMs: number } { return this.timing; }

  /** Disconnects as if the cable were pulled. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.outbox.length = 0;
    queueMicrotask(() => this.closeListener?.(new ProbeUnpluggedError('unplugged')));
  }

  async close(): Promise<void> {
    if (this.unplugged) return;
    this.unplugged = true;
    await this.queue.catch(() => undefined);
    this.closeListener?.();
  }

  private async write(packet: Uint8Array): Promise<void> {
    if (this.unplugged) throw new ProbeUnpluggedError('write');
    if (packet.length > this.packetSize) {
      throw new FlashwrightError('PACKET_TOO_LARGE', `A ${packet.length}-byte packet does not fit the probe's ${this.packetSize}-byte packets.`, { hint: 'Split commands to the packet size DAP_Info reports.' });
    }
    if (packet.length === 0) return;
    const copy = packet.slice();
    if (copy[0] === CMD.TransferAbort) { this.processor.abort(); this.timing.command(copy.length, undefined, 0); return; }
    this.inFlight++;
    this.extra.maxInFlight = Math.max(this.extra.maxInFlight, this.inFlight);
    const index = this.index++;
    this.queue = this.queue.then(() => this.handle(copy, index));
  }

  private async handle(request: Uint8Array, index: number): Promise<void> {
    if (this.unplugged) return;
    if (request[0] === CMD.QueueCommands) {
      // Held: processed and answered together with the next packet that is not queued.
      this.held.push(request);
      return;
    }
    const batch = [...this.held.splice(0), request];
    for (let i = 0; i < batch.length; i++) {
      const req = batch[i]!;
      let response: Uint8Array;
      try {
        response = await this.processor.process(req);
      } catch (e) {
        // The target side failed (e.g. the QEMU bridge lost its connection): the probe goes away.
        this.unplug();
        this.lastError = e;
        return;
      }
      const busy = this.processor.takeBusyUs();
      const at = this.timing.command(req.length, response.length ? this.wireLength(response) : undefined, busy);
      const verdict = this.options.faults?.onResponse?.(index - (batch.length - 1 - i), response, req);
      if (verdict === 'unplug') { this.unplug(); return; }
      if (verdict === 'drop') { this.extra.dropped++; this.inFlight--; continue; }
      if (verdict instanceof Uint8Array) { this.extra.corrupted++; response = verdict; }
      if (response.length === 0) { this.inFlight--; continue; }
      this.send(response, at);
    }
  }

  /** Why the probe unplugged itself, when a target error caused it. */
  lastError?: unknown;

  private wireLength(response: Uint8Array): number {
    return this.version === 'v1' ? this.packetSize : response.length;
  }

  private send(response: Uint8Array, at: number | undefined): void {
    let bytes = response;
    if (this.version === 'v1' && bytes.length < this.packetSize) {
      bytes = new Uint8Array(this.packetSize);
      bytes.set(response);
    }
    this.outbox.push({ bytes, at });
    if (!this.delivering) { this.delivering = true; macrotask(() => this.deliverNext()); }
  }

  /**
   * Where the host's clock stands is normally the arrival of the last response delivered.
   * A host behind a socket may not have read it yet; when it says what it has read
   * (`consumed`), its clock follows what it has read instead.
   */
  private explicitConsumption = false;
  private readonly unconsumed: number[] = [];

  /** The host has read one more response (switches the clock to explicit consumption). */
  consumed(): void {
    this.explicitConsumption = true;
    const at = this.unconsumed.shift();
    if (at !== undefined) this.timing.deliver(at);
  }

  private deliverNext(): void {
    const next = this.outbox.shift();
    if (!next || this.unplugged) { this.delivering = false; return; }
    this.inFlight--;
    if (next.at !== undefined) {
      if (this.explicitConsumption) this.unconsumed.push(next.at);
      else this.timing.deliver(next.at);
    }
    this.extra.packetsIn++;
    this.listener?.(next.bytes);
    if (this.outbox.length) macrotask(() => this.deliverNext());
    else this.delivering = false;
  }
}

/** Builds a simulated probe around a target. */
export function createSimDapProbe(options: SimDapProbeOptions): SimDapProbe {
  return new SimDapProbe(options.target, options);
}
