/**
 * The simulated MCUboot device's UART side: frames in and out of a ByteStream, an ACK for
 * every good frame, NAK for a bad CRC, resend on the host's NAK, ACK_ABORT handling, and
 * fault injection (corrupted frames either way, lost ACKs, a reset part-way through a write).
 * After a reset the device waits for a PING (autobaud), as the real bootloader does.
 */
import type { ByteStream } from '../../link/types.js';
import { encodeControl, encodeFrame, encodePingResponse, FrameDecoder, FrameType, type Frame } from '../../protocol/mcuboot/framing.js';
import { SimDeviceReset, type McubootSimTarget, type SimOutgoing } from './target.js';

/** Faults to inject; indexes are 1-based and count from when the faults were set. */
export interface McubootUartFaults {
  /** Host→device framed packets (commands and data) that arrive with a flipped bit. */
  corruptIncoming?: number[] | undefined;
  /** Device→host framed packets sent with a flipped bit (the resend after NAK is clean). */
  corruptOutgoing?: number[] | undefined;
  /** ACKs from the device that get lost on the wire. */
  dropAcks?: number[] | undefined;
  /** After this many more bytes of WriteMemory data, the device resets (power glitch, watchdog). */
  resetAfterDataBytes?: number | undefined;
}

export class McubootUartSim {
  private activeFaults: McubootUartFaults = {};
  private base = { framesIn: 0, framesOut: 0, acksSent: 0 };

  /** Faults to inject; setting them restarts the 1-based counting. */
  get faults(): McubootUartFaults {
    return this.activeFaults;
  }

  set faults(f: McubootUartFaults) {
    this.activeFaults = f;
    this.base = { framesIn: this.counters.framesIn, framesOut: this.counters.framesOut, acksSent: this.counters.acksSent };
  }

  readonly counters = { framesIn: 0, framesOut: 0, acksSent: 0, acksDropped: 0, naksSent: 0, naksReceived: 0, resendsSent: 0, resets: 0 };
  private readonly decoder = new FrameDecoder();
  private queue: SimOutgoing[] = [];
  private inFlight?: { frame: Uint8Array; item: SimOutgoing } | undefined;
  private currentTag = 0;
  /** 'ping' = after reset, waiting for autobaud; 'app' = running the application. */
  private mode: 'bootloader' | 'ping' | 'app' = 'bootloader';
  private tx: Promise<void> = Promise.resolve();

  constructor(private readonly stream: ByteStream, readonly target: McubootSimTarget) {
    stream.onData((chunk) => this.receive(chunk));
    stream.onClose(() => undefined);
  }

  /** Resets the chip now (as a power cycle would); the host must ping again. */
  powerCycle(): void {
    this.target.reset();
    this.queue = [];
    this.inFlight = undefined;
    this.decoder.reset();
    this.mode = 'ping';
    this.counters.resets++;
  }

  /** Resolves when everything queued for the host has been written. */
  flushed(): Promise<void> {
    return this.tx;
  }

  private write(bytes: Uint8Array): void {
    this.tx = this.tx.then(() => this.stream.write(bytes)).catch(() => undefined);
  }

  private receive(chunk: Uint8Array): void {
    for (const frame of this.decoder.push(chunk)) this.onFrame(frame);
  }

  private onFrame(frame: Frame): void {
    if (this.mode === 'app') return;
    if (frame.type === FrameType.Ping) {
      this.queue = [];
      this.inFlight = undefined;
      this.mode = 'bootloader';
      this.write(encodePingResponse({ name: 'P', major: 1, minor: 2, bugfix: 0, options: 0 }));
      return;
    }
    if (this.mode === 'ping') return;
    switch (frame.type) {
      case FrameType.Ack:
        if (this.inFlight) { this.inFlight = undefined; this.sendNext(); }
        return;
      case FrameType.Nak:
        this.counters.naksReceived++;
        if (this.inFlight) { this.counters.resendsSent++; this.write(this.inFlight.frame); }
        return;
      case FrameType.AckAbort:
        if (this.inFlight?.item.kind === 'data') {
          this.inFlight = undefined;
          this.queue = [this.target.abortedRead(this.currentTag)];
          this.sendNext();
        }
        return;
      case FrameType.Command:
      case FrameType.Data:
        this.onPacketFrame(frame.type, frame.payload, frame.crcOk);
        return;
      default:
        return;
    }
  }

  private onPacketFrame(type: number, payload: Uint8Array, crcOk: boolean): void {
    const index = ++this.counters.framesIn;
    if (!crcOk || this.hit(this.faults.corruptIncoming, index - this.base.framesIn) || payload.length > this.target.chip.maxBuffer) {
      this.counters.naksSent++;
      this.write(encodeControl(FrameType.Nak));
      return;
    }
    if (type === FrameType.Command) {
      this.ack();
      // A new command while a response waits for its ACK: the host moved on (its ACK was lost).
      this.queue = [];
      this.inFlight = undefined;
      this.currentTag = payload[0] ?? 0;
      this.queue.push(...this.target.handleCommand(payload));
      this.sendNext();
      return;
    }
    if (!this.target.inDataPhase) {
      this.write(encodeControl(FrameType.AckAbort));
      return;
    }
    let data = payload;
    const budget = this.faults.resetAfterDataBytes;
    if (budget !== undefined && budget < data.length) {
      data = payload.subarray(0, budget);
      this.faults.resetAfterDataBytes = undefined;
      try { if (data.length) this.target.handleData(data); } catch { /* the reset below covers it */ }
      this.powerCycle();
      return;
    }
    if (budget !== undefined) this.faults.resetAfterDataBytes = budget - data.length;
    let result: { accepted: boolean; out: SimOutgoing[] };
    try {
      result = this.target.handleData(data);
    } catch (e) {
      if (e instanceof SimDeviceReset) { this.powerCycle(); return; }
      throw e;
    }
    if (result.accepted) this.ack();
    else this.write(encodeControl(FrameType.AckAbort));
    this.queue.push(...result.out);
    this.sendNext();
  }

  private ack(): void {
    const n = ++this.counters.acksSent;
    if (this.hit(this.faults.dropAcks, n - this.base.acksSent)) { this.counters.acksDropped++; return; }
    this.write(encodeControl(FrameType.Ack));
  }

  private sendNext(): void {
    if (this.inFlight) return;
    const item = this.queue.shift();
    if (!item) return;
    const frame = encodeFrame(item.kind === 'command' ? FrameType.Command : FrameType.Data, item.payload);
    this.inFlight = { frame, item };
    const index = ++this.counters.framesOut;
    if (this.hit(this.faults.corruptOutgoing, index - this.base.framesOut)) {
      const bad = frame.slice();
      bad[bad.length - 1]! ^= 0x01;
      this.write(bad);
    } else this.write(frame);
    if (this.queue.length === 0 && this.target.leftBootloader) {
      // Reset / Execute: the response goes out, then the chip is gone.
      const how = this.target.leftBootloader;
      this.target.reset();
      this.queue = [];
      this.inFlight = undefined;
      this.mode = how === 'execute' ? 'app' : 'ping';
      this.counters.resets++;
    }
  }

  private hit(list: number[] | undefined, index: number): boolean {
    return list !== undefined && list.includes(index);
  }
}
