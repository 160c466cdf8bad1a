/**
 * The packet layer of a GDB session over any ByteStream: sends framed packets, handles
 * acknowledgements and retransmission (until no-ack mode is on), and hands received
 * packets to one waiting reader at a time. Commands are serialised by the client above.
 */
import { TimeoutError } from '../../core/errors.js';
import { LinkClosedError } from '../../link/byte-reader.js';
import type { ByteStream } from '../../link/types.js';
import { Mailbox } from '../../link/waiter.js';
import { GdbProtocolError } from './errors.js';
import { bytesToAscii, encodePacket, INTERRUPT_BYTE, PacketDecoder, type RspEvent } from './packet.js';

/** One line of the wire log, for `--verbose` output and recorded-exchange tests. */
export interface WireLogEntry {
  dir: 'send' | 'recv';
  text: string;
}

export interface ConnectionOptions {
  /** Retransmissions after a NAK or a missing ACK before giving up. */
  retries?: number;
  /** Called with each frame sent/received (payloads shortened to 200 chars). */
  onWire?: ((entry: WireLogEntry) => void) | undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  what: string;
}

export class RspConnection {
  private readonly decoder = new PacketDecoder();
  private readonly inbox = new Mailbox<RspEvent>();
  private pendingAcks = 0;
  private acksReceived = 0;
  private ackTimer?: ReturnType<typeof setTimeout> | undefined;
  /** True once QStartNoAckMode was accepted: no more + / - on the wire. */
  noAck = false;
  private readonly retries: number;
  /** Bytes sent and received, for benchmarks. */
  readonly counters = { bytesSent: 0, bytesReceived: 0, packetsSent: 0 };

  constructor(private readonly stream: ByteStream, private readonly options: ConnectionOptions = {}) {
    this.retries = options.retries ?? 3;
    stream.onData((chunk) => {
      this.counters.bytesReceived += chunk.length;
      for (const e of this.decoder.push(chunk)) this.deliver(e);
    });
    stream.onClose((err) => this.inbox.close(new LinkClosedError(err)));
  }

  get closed(): boolean {
    return this.inbox.closed !== undefined;
  }

  private deliver(e: RspEvent): void {
    if (e.type === 'packet') {
      if (this.options.onWire) this.log('recv', e.checksumOk ? bytesToAscii(e.payload) : `(bad checksum) ${bytesToAscii(e.raw)}`);
      if (!this.noAck) {
        if (e.checksumOk) this.deferAck();
        else void this.rawWrite(new Uint8Array([0x2d])).catch(() => undefined);
      }
      if (!e.checksumOk) return; // the server retransmits after our '-'
    }
    if (e.type === 'notification') return; // non-stop notifications: not used in all-stop mode
    if (e.type === 'ack') this.acksReceived++;
    this.inbox.push(e); // an ack can arrive before send() starts waiting for it
  }

  private log(dir: 'send' | 'recv', text: string): void {
    this.options.onWire?.({ dir, text: text.length > 200 ? `${text.slice(0, 200)}…(${text.length})` : text });
  }

  /**
   * Our '+' for a reply rides in front of the next packet when one follows at once (the
   * usual case: one TCP segment instead of two per exchange); otherwise it goes out on the
   * next turn of the event loop. Servers ignore a '+' before a '$'.
   */
  private deferAck(): void {
    this.pendingAcks++;
    if (this.ackTimer === undefined) this.ackTimer = setTimeout(() => this.flushAcks(), 0);
  }

  /** Takes the owed acks to send in front of the next frame (none in no-ack mode). */
  private takePendingAcks(): number {
    const n = this.pendingAcks;
    this.pendingAcks = 0;
    if (this.ackTimer !== undefined) { clearTimeout(this.ackTimer); this.ackTimer = undefined; }
    return n;
  }

  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.pendingAcks === 0 || this.inbox.closed) { this.pendingAcks = 0; return; }
    const acks = new Uint8Array(this.pendingAcks).fill(0x2b);
    this.pendingAcks = 0;
    void this.rawWrite(acks, false).catch(() => undefined);
  }

  private async rawWrite(data: Uint8Array, withAcks = true): Promise<void> {
    if (this.inbox.closed) throw this.inbox.closed;
    if (withAcks && this.pendingAcks > 0) {
      const merged = new Uint8Array(this.pendingAcks + data.length);
      merged.fill(0x2b, 0, this.pendingAcks);
      merged.set(data, this.pendingAcks);
      data = merged;
      this.pendingAcks = 0;
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    this.counters.bytesSent += data.length;
    await this.stream.write(data);
  }

  /** Waits for the next event that `accept` takes (queued packets first). */
  private next(accept: (e: RspEvent) => boolean, opts: WaitOptions): Promise<RspEvent> {
    return this.inbox.next({
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onTimeout: () => new TimeoutError(`The GDB server did not answer within ${opts.timeoutMs} ms (waiting for ${opts.what}).`, {
        hint: 'Check HOST:PORT, that the server is running and that no other debugger is connected; a running target answers only after it halts.',
        context: { timeoutMs: opts.timeoutMs, what: opts.what },
      }),
    }, accept);
  }

  /**
   * Sends one framed packet and, in ack mode, waits for '+' (retransmitting after '-' or
   * silence). Resolves once the server has the packet.
   */
  async send(payload: Uint8Array | string, opts: WaitOptions): Promise<void> {
    const frame = encodePacket(payload);
    // Only a wire logger needs the payload as text (a 4 KiB write is worth not decoding).
    const text = this.options.onWire ? (typeof payload === 'string' ? payload : bytesToAscii(payload)) : '';
    for (let attempt = 0; ; attempt++) {
      // Acks left over from earlier exchanges must not acknowledge this packet.
      this.inbox.discard((e) => e.type !== 'packet');
      this.log('send', text);
      this.counters.packetsSent++;
      await this.rawWrite(frame);
      if (this.noAck) return;
      let ev: RspEvent;
      try {
        ev = await this.next((e) => e.type === 'ack' || e.type === 'nak', { ...opts, what: `acknowledgement of ${opts.what}` });
      } catch (e) {
        if (e instanceof TimeoutError && attempt < this.retries) continue;
        throw e;
      }
      if (ev.type === 'ack') return;
      if (attempt >= this.retries) {
        throw new GdbProtocolError(`The GDB server rejected the packet for ${opts.what} ${attempt + 1} times (bad checksum).`, { what: opts.what, attempts: attempt + 1 },
          'The link corrupts data: check the serial settings or the network path.');
      }
    }
  }

  /**
   * Sends a packet and waits for its reply in one step: the '+' is taken in passing rather
   * than awaited on its own (one wait per exchange instead of two); a '-' or silence
   * before any '+' makes it retransmit.
   */
  async exchange(payload: Uint8Array | string, opts: WaitOptions): Promise<Uint8Array> {
    let frame = encodePacket(payload, this.takePendingAcks());
    // Only a wire logger needs the payload as text (a 4 KiB write is worth not decoding).
    const text = this.options.onWire ? (typeof payload === 'string' ? payload : bytesToAscii(payload)) : '';
    for (let attempt = 0; ; attempt++) {
      this.inbox.discard((e) => e.type !== 'packet');
      const acksBefore = this.acksReceived;
      this.log('send', text);
      this.counters.packetsSent++;
      await this.rawWrite(frame);
      if (attempt === 0 && frame[0] === 0x2b) frame = encodePacket(payload); // retransmissions carry no acks
      let ev: RspEvent;
      try {
        ev = await this.next((e) => e.type === 'packet' || e.type === 'nak', { ...opts, what: `the reply to ${opts.what}` });
      } catch (e) {
        // Retransmit only when the packet itself may have been lost (no '+' came back).
        if (e instanceof TimeoutError && !this.noAck && this.acksReceived === acksBefore && attempt < this.retries) continue;
        throw e;
      }
      if (ev.type === 'packet') return ev.payload;
      if (attempt >= this.retries) {
        throw new GdbProtocolError(`The GDB server rejected the packet for ${opts.what} ${attempt + 1} times (bad checksum).`, { what: opts.what, attempts: attempt + 1 },
          'The link corrupts data: check the serial settings or the network path.');
      }
    }
  }

  /** Waits for the next reply packet (payload as received: RLE expanded, still escaped). */
  async receive(opts: WaitOptions): Promise<Uint8Array> {
    const ev = await this.next((e) => e.type === 'packet', opts);
    return (ev as Extract<RspEvent, { type: 'packet' }>).payload;
  }

  /** Sends the out-of-band interrupt byte (0x03); the stop reply arrives as a packet. */
  async interrupt(): Promise<void> {
    this.log('send', '^C');
    await this.rawWrite(new Uint8Array([INTERRUPT_BYTE]));
  }

  /** Sends bytes without framing (used for the initial '+' some stubs expect). */
  async sendRaw(data: Uint8Array): Promise<void> {
    await this.rawWrite(data);
  }

  /** Drops queued packets (stale replies before a fresh command). */
  discardQueued(): number {
    return this.inbox.discard();
  }

  async close(): Promise<void> {
    this.flushAcks();
    await this.stream.close();
  }
}
