/**
 * The request discipline of a GDB remote session, below the commands: one outstanding
 * request at a time, a timeout and an AbortSignal on every wait, stop replies nobody asked
 * for set aside, the server's features and packet size, and qXfer objects read in pieces.
 */
import { throwIfAborted } from '../../core/errors.js';
import type { ByteStream } from '../../link/types.js';
import { classifyReply, encodeXferRead, offeredFeatures, parseStopReply, type ServerFeatures } from './commands.js';
import { RspConnection, type WireLogEntry } from './connection.js';
import { GdbErrorReply, GdbProtocolError, GdbUnsupportedError } from './errors.js';
import { asciiBytes, bytesToAscii, unescapeBinary } from './packet.js';

export interface GdbClientOptions {
  /** Time allowed for each reply (ms). */
  timeoutMs?: number | undefined;
  onWire?: ((entry: WireLogEntry) => void) | undefined;
  /** Console output the target or server sends while running or in monitor commands. */
  onConsole?: ((text: string) => void) | undefined;
  /** Ask for no-ack mode when offered (default true). */
  noAck?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

/** Fallback packet size when a server does not say (GDB's own default is 400 bytes). */
const DEFAULT_PACKET_SIZE = 400;
/** Room for the command letter, address, length and framing inside a packet. */
export const HEADER_ROOM = 32;

export class RspRequester {
  readonly connection: RspConnection;
  features: ServerFeatures = { flags: new Map() };
  protected readonly timeoutMs: number;
  private lock: Promise<unknown> = Promise.resolve();
  /** True while the target runs after c/s (only interrupt and the stop reply are legal). */
  running = false;

  constructor(stream: ByteStream, options: GdbClientOptions = {}) {
    this.connection = new RspConnection(stream, { onWire: options.onWire });
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Largest packet the server takes. */
  get packetSize(): number {
    return this.features.packetSize ?? DEFAULT_PACKET_SIZE;
  }

  /** Whether the server said it supports `name` (`name+` in qSupported). */
  supports(name: string): boolean {
    return this.features.flags.get(name) === true;
  }

  get offered(): string[] {
    return offeredFeatures(this.features);
  }

  /** Serialises commands: the protocol allows one outstanding request. */
  protected exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Sends a command and returns the reply text (latin1; binary replies need unescaping). */
  request(payload: string | Uint8Array, what: string, opts: CallOptions = {}): Promise<string> {
    return this.exclusive(() => this.requestUnlocked(payload, what, opts));
  }

  protected async requestUnlocked(payload: string | Uint8Array, what: string, opts: CallOptions = {}): Promise<string> {
    return bytesToAscii(await this.requestBytes(payload, what, opts));
  }

  /** Like request, but the reply stays bytes (bulk data: no string round trip). */
  protected async requestBytes(payload: string | Uint8Array, what: string, opts: CallOptions = {}): Promise<Uint8Array> {
    throwIfAborted(opts.signal, what);
    if (this.running) throw new GdbProtocolError(`Cannot send ${what} while the target is running.`, { what }, 'Halt the target first.');
    const wait = { timeoutMs: opts.timeoutMs ?? this.timeoutMs, signal: opts.signal, what };
    let reply = await this.connection.exchange(payload, wait);
    for (;;) {
      // A stop reply no command asked for: QEMU sends one when a new debugger connects to a
      // running machine (it stops the VM). Commands flashwright sends here never answer with
      // T/S + two hex digits, so such a reply is set aside and the real one read next.
      if ((reply[0] === 0x54 || reply[0] === 0x53) && reply[1] !== undefined && parseStopReply(bytesToAscii(reply)) !== undefined) {
        this.unsolicitedStops.push(bytesToAscii(reply));
        reply = await this.connection.receive({ ...wait, what: `the reply to ${what}` });
        continue;
      }
      return reply;
    }
  }

  /** Stop replies that arrived without being asked for (for diagnostics). */
  readonly unsolicitedStops: string[] = [];

  /** Reads a whole qXfer object (features, memory-map) in packet-sized pieces. */
  async xferRead(object: string, annex: string, opts: CallOptions = {}): Promise<string> {
    let out = '';
    const chunk = Math.max(64, this.packetSize - HEADER_ROOM);
    for (let offset = 0; ; ) {
      const cmd = encodeXferRead(object, annex, offset, chunk);
      const reply = await this.request(cmd, `qXfer:${object}:read ${annex}`, opts);
      const r = classifyReply(reply);
      if (r.kind === 'empty') throw new GdbUnsupportedError(`qXfer:${object}:read`, this.offered);
      if (r.kind === 'error') throw new GdbErrorReply(cmd, r.errno, r.message);
      const kind = reply[0];
      if (kind !== 'm' && kind !== 'l') throw new GdbProtocolError(`Unexpected reply to qXfer:${object}:read: '${reply.slice(0, 40)}'.`, { reply: reply.slice(0, 200) });
      const data = bytesToAscii(unescapeBinary(asciiBytes(reply.slice(1))));
      out += data;
      offset += data.length;
      if (kind === 'l' || data.length === 0) return out;
    }
  }
}
