/**
 * Modelled USB time for a CMSIS-DAP probe, so a benchmark can compare hosts on the link
 * rather than on this machine's speed. Three links (USB 2.0 §5.7–5.8 transfer types):
 * - v1 HID full speed: an interrupt endpoint polled every 1 ms frame, one 64-byte report
 *   per frame in each direction;
 * - v2 bulk full speed: 64-byte packets, up to 19 per 1 ms frame each way;
 * - v2 bulk high speed: 512-byte packets, one per 125 µs micro-frame each way (8 per ms).
 * A packet the host submits at time t goes out in the next (micro-)frame with room left (the
 * host controller runs a frame's schedule from its start); an interrupt IN report (HID) waits
 * for the next frame's poll too, while a bulk IN packet goes as soon as the probe has it, in
 * the same frame if there is room (the controller keeps issuing IN tokens through the frame).
 * Either arrives after its bytes' time on the bus (12 or 480 Mbit/s). The probe handles one
 * command at a time: a fixed processing time plus its SWD/JTAG clock cycles at the
 * configured SWJ clock. At most `packetCount` commands are buffered: another packet
 * waits (NAKed) until a buffer frees.
 */

export type UsbLinkName = 'v1-hid-fs' | 'v2-bulk-fs' | 'v2-bulk-hs';
export const USB_LINKS: readonly UsbLinkName[] = ['v1-hid-fs', 'v2-bulk-fs', 'v2-bulk-hs'];

export interface UsbLinkModel {
  name: UsbLinkName;
  frameUs: number;
  packetsPerFrame: number;
  packetBytes: number;
  bitsPerSecond: number;
  /** Interrupt IN endpoint: responses move only at frame polls (HID); bulk IN moves whenever the frame has room. */
  polledIn: boolean;
}

export const USB_LINK_MODELS: Record<UsbLinkName, UsbLinkModel> = {
  'v1-hid-fs': { name: 'v1-hid-fs', frameUs: 1000, packetsPerFrame: 1, packetBytes: 64, bitsPerSecond: 12e6, polledIn: true },
  'v2-bulk-fs': { name: 'v2-bulk-fs', frameUs: 1000, packetsPerFrame: 19, packetBytes: 64, bitsPerSecond: 12e6, polledIn: false },
  'v2-bulk-hs': { name: 'v2-bulk-hs', frameUs: 125, packetsPerFrame: 1, packetBytes: 512, bitsPerSecond: 480e6, polledIn: false },
};

/** One direction of the bus: frames with a packet budget each. */
class FrameScheduler {
  private frame = -1;
  private used = 0;
  /** When the bus is free again in this direction. */
  private busFree = 0;
  constructor(private readonly m: UsbLinkModel, private readonly aligned: boolean) {}

  /** When a packet of `bytes` handed over at `t` µs has crossed the bus. */
  schedule(t: number, bytes: number): number {
    // The frame is chosen by when the packet was handed over; within it, packets queue on the bus.
    let f = this.aligned ? Math.ceil(t / this.m.frameUs - 1e-9) : Math.floor(Math.max(t, this.busFree) / this.m.frameUs + 1e-9);
    if (f < this.frame) f = this.frame;
    if (f === this.frame && this.used >= this.m.packetsPerFrame) f++;
    if (f !== this.frame) { this.frame = f; this.used = 0; }
    this.used++;
    const wire = (Math.max(bytes, 1) * 8 * 1e6) / this.m.bitsPerSecond;
    const start = Math.max(t, this.busFree, f * this.m.frameUs);
    this.busFree = start + wire;
    return start + wire;
  }
}

export interface ProbeTimingOptions {
  link: UsbLinkName;
  /** Fixed time the probe firmware spends per command packet (µs); default 20. */
  processingUs?: number | undefined;
  packetCount: number;
}

export interface TimingStats {
  packetsOut: number;
  packetsIn: number;
  bytesOut: number;
  bytesIn: number;
}

/**
 * The modelled clock. `nowUs` is the host's time: it moves to each response's arrival as
 * the host receives it, so a host that waits for every answer pays every round trip.
 */
export class UsbTimingModel {
  nowUs = 0;
  private readonly out: FrameScheduler;
  private readonly inn: FrameScheduler;
  private probeFreeAt = 0;
  /** Completion times of buffered commands (for the packet-count limit). */
  private readonly buffered: number[] = [];
  readonly model: UsbLinkModel;
  readonly stats: TimingStats = { packetsOut: 0, packetsIn: 0, bytesOut: 0, bytesIn: 0 };

  constructor(private readonly o: ProbeTimingOptions) {
    this.model = USB_LINK_MODELS[o.link];
    this.out = new FrameScheduler(this.model, true);
    this.inn = new FrameScheduler(this.model, this.model.polledIn);
  }

  get nowMs(): number { return this.nowUs / 1000; }

  /**
   * A command packet sent now; `busyUs` is the probe's wire time for it. Returns when its
   * response reaches the host (undefined for a command without a response).
   */
  command(requestBytes: number, responseBytes: number | undefined, busyUs: number): number | undefined {
    this.stats.packetsOut++;
    this.stats.bytesOut += requestBytes;
    let sendAt = this.nowUs;
    // Only packetCount commands fit in the probe's buffers; the next waits for one to finish.
    while (this.buffered.length && this.buffered[0]! <= sendAt) this.buffered.shift();
    if (this.buffered.length >= this.o.packetCount) sendAt = Math.max(sendAt, this.buffered[this.buffered.length - this.o.packetCount]!);
    const arrived = this.out.schedule(sendAt, requestBytes);
    const start = Math.max(arrived, this.probeFreeAt);
    const done = start + (this.o.processingUs ?? 20) + busyUs;
    this.probeFreeAt = done;
    this.buffered.push(done);
    if (responseBytes === undefined) return undefined;
    this.stats.packetsIn++;
    this.stats.bytesIn += responseBytes;
    return this.inn.schedule(done, responseBytes);
  }

  /** The host received a response that arrived at `t`. */
  deliver(t: number): void {
    if (t > this.nowUs) this.nowUs = t;
  }
}
