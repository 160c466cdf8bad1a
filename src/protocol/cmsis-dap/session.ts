/**
 * A CMSIS-DAP session over any PacketDevice (HID, USB bulk, TCP, in-process simulator).
 *
 * Pipelining: a probe buffers up to DAP_Info "packet count" commands and answers them in
 * order, so the session keeps that many requests in flight and never waits for one
 * response before sending the next independent request. `maxInFlight: 1` gives the
 * one-packet-at-a-time behaviour (probe-rs, DAPjs) for comparison.
 */
import { CancelledError, FlashwrightError, TimeoutError } from '../../core/errors.js';
import type { PacketDevice } from '../../link/types.js';
import {
  BLOCK_REQUEST_HEADER, BLOCK_RESPONSE_HEADER, checkTransfer, commandName, DapCommand, DapInfoId, decodeCapabilities,
  encodeConnect, encodeDelay, encodeDisconnect, encodeHostStatus, encodeInfo, encodeResetTarget, encodeSwdConfigure,
  encodeSwjClock, encodeSwjPins, encodeSwjSequence, encodeTransfer, encodeTransferAbort, encodeTransferBlock,
  encodeTransferConfigure, encodeWriteAbort, infoNumber, infoString, parseConnect, parseInfo, parseResetTarget, parseStatus,
  parseSwjPins, parseTransfer, parseTransferBlock, TRANSFER_REQUEST_HEADER, TRANSFER_RESPONSE_HEADER, transferOpSize,
  type DapCapabilities, type TransferOp, type TransferResult,
} from './commands.js';
import { DapResponseError, DapTransferError } from './errors.js';

export interface DapSessionOptions {
  /** Upper bound on requests in flight (default: the probe's packet count). */
  maxInFlight?: number;
  /** Time allowed for each response (ms, default 2000). */
  timeoutMs?: number;
  /** Sees every packet, for logs and tests. */
  onWire?: (direction: 'out' | 'in', packet: Uint8Array) => void;
}

/** What DAP_Info says about the probe. */
export interface DapProbeInfo {
  vendor?: string;
  product?: string;
  serial?: string;
  protocolVersion?: string;
  firmwareVersion?: string;
  targetDeviceVendor?: string;
  targetDeviceName?: string;
  capabilities: DapCapabilities;
  packetCount: number;
  packetSize: number;
}

interface Pending {
  request: Uint8Array;
  resolve: (r: Uint8Array) => void;
  reject: (e: unknown) => void;
  /** The caller gave up (abort): the response is still awaited and then dropped. */
  abandoned?: boolean;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** Counted in the session's one abort listener for its signal (see watch). */
  watched?: boolean;
}

/** The link to the probe failed or fell out of step; every later request fails with it. */
export class DapLinkError extends FlashwrightError {
  constructor(message: string, cause?: unknown) {
    super('DAP_LINK', message, { hint: 'Check the probe is still plugged in; unplug and replug it if it stopped answering.', cause });
  }
}

export class DapSession {
  /** Largest packet, from DAP_Info once read (the device's maximum until then). */
  packetSize: number;
  /** Commands the probe buffers, from DAP_Info once read (1 until then). */
  packetCount = 1;
  info?: DapProbeInfo;
  /** Packets sent and the most in flight at once, for benchmarks and tests. */
  readonly stats = { packets: 0, maxInFlight: 0 };
  private readonly waiting: Pending[] = [];
  private readonly inFlight: Pending[] = [];
  private broken?: Error;

  constructor(readonly device: PacketDevice, private readonly options: DapSessionOptions = {}) {
    this.packetSize = device.maxPacketSize;
    device.onPacket((p) => this.onResponse(p));
    device.onClose((e) => this.fail(new DapLinkError(`The probe link closed${e ? ` (${e.message})` : ''}.`, e)));
  }

  /** The in-flight limit in force. */
  get window(): number {
    return Math.max(1, Math.min(this.options.maxInFlight ?? Infinity, this.packetCount));
  }

  /** Sends one command and resolves with its response (queued behind earlier ones). */
  request(packet: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.broken) return Promise.reject(this.broken);
    if (signal?.aborted) return Promise.reject(new CancelledError(commandName(packet[0] ?? 0), signal.reason));
    if (packet.length > this.packetSize) {
      return Promise.reject(new RangeError(`${commandName(packet[0] ?? 0)} of ${packet.length} bytes exceeds the probe's packet size ${this.packetSize}`));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { request: packet, resolve, reject };
      if (signal) {
        p.signal = signal;
        p.onAbort = () => {
          const i = this.waiting.indexOf(p);
          if (i >= 0) this.waiting.splice(i, 1);
          else p.abandoned = true;
          this.settle(p);
          reject(new CancelledError(commandName(packet[0] ?? 0), signal.reason));
        };
        this.watch(p);
      }
      this.waiting.push(p);
      this.pump();
    });
  }

  /** Sends a command that has no response (DAP_TransferAbort), ahead of the queue. */
  async post(packet: Uint8Array): Promise<void> {
    if (this.broken) throw this.broken;
    this.options.onWire?.('out', packet);
    await this.device.write(packet);
  }

  private pump(): void {
    while (!this.broken && this.inFlight.length < this.window && this.waiting.length) {
      const p = this.waiting.shift()!;
      this.inFlight.push(p);
      this.stats.packets++;
      this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight.length);
      const ms = this.options.timeoutMs ?? 2000;
      p.timer = setTimeout(() => this.fail(new TimeoutError(`The probe did not answer ${commandName(p.request[0] ?? 0)} within ${ms} ms.`, {
        hint: 'The probe may have hung or been unplugged; unplug and replug it.', context: { inFlight: this.inFlight.length },
      })), ms);
      this.options.onWire?.('out', p.request);
      this.device.write(p.request).catch((e) => this.fail(new DapLinkError(`Writing to the probe failed${e instanceof Error ? ` (${e.message})` : ''}.`, e)));
    }
  }

  private settle(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    this.unwatch(p);
  }

  /**
   * One abort listener per signal, however many requests wait on it: a RAM write queues dozens
   * of packets under one signal, and a listener each made Node warn about a listener leak.
   */
  private readonly abortWatch = new Map<AbortSignal, { count: number; handler: () => void }>();

  private watch(p: Pending): void {
    const signal = p.signal!;
    let w = this.abortWatch.get(signal);
    if (!w) {
      const handler = () => {
        for (const q of [...this.waiting, ...this.inFlight]) if (q.signal === signal && q.watched && q.onAbort) q.onAbort();
      };
      w = { count: 0, handler };
      this.abortWatch.set(signal, w);
      signal.addEventListener('abort', handler, { once: true });
    }
    w.count++;
    p.watched = true;
  }

  private unwatch(p: Pending): void {
    if (!p.watched || !p.signal) return;
    p.watched = false;
    const w = this.abortWatch.get(p.signal);
    if (w && --w.count === 0) {
      p.signal.removeEventListener('abort', w.handler);
      this.abortWatch.delete(p.signal);
    }
  }

  private onResponse(packet: Uint8Array): void {
    this.options.onWire?.('in', packet);
    const p = this.inFlight.shift();
    if (!p) {
      this.fail(new DapResponseError('The probe sent a response nobody asked for.', packet));
      return;
    }
    this.settle(p);
    if (!p.abandoned) {
      if (packet[0] !== p.request[0] && packet[0] !== 0xff) {
        // Out of step: every later response would be matched to the wrong request.
        const e = new DapResponseError(`The probe answered ${commandName(packet[0] ?? -1)} to ${commandName(p.request[0] ?? 0)}.`, packet);
        p.reject(e);
        this.fail(e);
        return;
      }
      p.resolve(packet);
    }
    this.pump();
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    for (const p of [...this.inFlight.splice(0), ...this.waiting.splice(0)]) {
      this.settle(p);
      if (!p.abandoned) p.reject(e);
    }
  }

  async close(): Promise<void> {
    this.fail(new DapLinkError('The probe session is closed.'));
    await this.device.close();
  }

  // ---- commands ---------------------------------------------------------------------------

  async infoItem(id: number, signal?: AbortSignal): Promise<Uint8Array> {
    return parseInfo(await this.request(encodeInfo(id), signal));
  }

  /** Reads DAP_Info (all items a host needs, sent pipelined) and adopts packet size and count. */
  async readInfo(signal?: AbortSignal): Promise<DapProbeInfo> {
    // Packet size first, alone: until it is known, only the minimum packet is safe.
    const size = infoNumber(await this.infoItem(DapInfoId.PacketSize, signal));
    const count = infoNumber(await this.infoItem(DapInfoId.PacketCount, signal));
    if (!size || size < 4) throw new DapResponseError(`The probe reports a packet size of ${size ?? 'nothing'}.`, undefined);
    // A HID link pads reports to the packet size, so it must learn it before the next command.
    const adjustable = this.device as PacketDevice & { adoptPacketSize?: (n: number) => void };
    adjustable.adoptPacketSize?.(size);
    this.packetSize = Math.min(size, this.device.maxPacketSize);
    this.packetCount = Math.max(1, count ?? 1);
    const ids = [DapInfoId.Vendor, DapInfoId.Product, DapInfoId.Serial, DapInfoId.ProtocolVersion, DapInfoId.FirmwareVersion,
      DapInfoId.TargetDeviceVendor, DapInfoId.TargetDeviceName, DapInfoId.Capabilities];
    const items = await Promise.all(ids.map((id) => this.infoItem(id, signal).catch(() => new Uint8Array(0))));
    const [vendor, product, serial, protocolVersion, firmwareVersion, tv, tn, caps] = items.map((d, i) => (i < 7 ? infoString(d!) : d));
    const info: DapProbeInfo = { capabilities: decodeCapabilities(caps as Uint8Array), packetCount: this.packetCount, packetSize: this.packetSize };
    const strings = { vendor, product, serial, protocolVersion, firmwareVersion, targetDeviceVendor: tv, targetDeviceName: tn };
    for (const [k, v] of Object.entries(strings)) if (typeof v === 'string' && v) (info as unknown as Record<string, string>)[k] = v;
    this.info = info;
    return info;
  }

  async hostStatus(type: 'connect' | 'running', on: boolean, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.HostStatus, await this.request(encodeHostStatus(type, on), signal));
  }

  async connect(port: number, signal?: AbortSignal): Promise<number> {
    return parseConnect(await this.request(encodeConnect(port), signal), port);
  }

  async disconnect(signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.Disconnect, await this.request(encodeDisconnect(), signal));
  }

  async transferConfigure(idleCycles: number, waitRetry: number, matchRetry: number, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.TransferConfigure, await this.request(encodeTransferConfigure(idleCycles, waitRetry, matchRetry), signal));
  }

  async swjClock(hz: number, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.SwjClock, await this.request(encodeSwjClock(hz), signal));
  }

  async swjSequence(bits: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.SwjSequence, await this.request(encodeSwjSequence(bits, data), signal));
  }

  async swjPins(output: number, select: number, waitUs: number, signal?: AbortSignal): Promise<number> {
    return parseSwjPins(await this.request(encodeSwjPins(output, select, waitUs), signal));
  }

  async swdConfigure(turnaround: number, dataPhase: boolean, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.SwdConfigure, await this.request(encodeSwdConfigure(turnaround, dataPhase), signal));
  }

  async delay(us: number, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.Delay, await this.request(encodeDelay(us), signal));
  }

  async resetTarget(signal?: AbortSignal): Promise<{ executed: boolean }> {
    return parseResetTarget(await this.request(encodeResetTarget(), signal));
  }

  async writeAbort(value: number, signal?: AbortSignal): Promise<void> {
    parseStatus(DapCommand.WriteAbort, await this.request(encodeWriteAbort(0, value), signal));
  }

  /** DAP_TransferAbort: has no response; the aborted transfer answers with what it did. */
  transferAbort(): Promise<void> {
    return this.post(encodeTransferAbort());
  }

  /**
   * Runs DP/AP accesses, split into as few DAP_Transfer packets as the packet size allows,
   * all sent without waiting (pipelined); resolves with the read values in order.
   */
  async transfer(ops: readonly TransferOp[], what: string, signal?: AbortSignal, onReads?: (n: number) => void): Promise<number[]> {
    const packets = this.splitTransfers(ops);
    const results = await Promise.allSettled(packets.map((chunk) => this.request(encodeTransfer(0, chunk), signal).then((r) => {
      const t = parseTransfer(r, chunk);
      checkTransfer(t, chunk.length, what);
      onReads?.(t.reads.length);
      return t.reads;
    })));
    return settleInOrder(results).flat();
  }

  /**
   * Runs `head` then `tail` like transfer(), pipelined, except that the `tail` ops travel
   * together in the last packet (sharing it with the end of `head` when they fit) and that
   * packet's result is returned unjudged, with `offset` = the index of tail[0] in it: the
   * caller tells an expected value mismatch (a poll that has not matched yet) from a failure.
   * Nothing of the tail can run unless every op before it in its packet did. `head` failures
   * are thrown (the first).
   */
  async transferWithTail(head: readonly TransferOp[], tail: readonly TransferOp[], what: string, signal?: AbortSignal): Promise<{ head: number[]; tail: TransferResult; offset: number }> {
    const packets = head.length ? this.splitTransfers(head) : [];
    const last = packets[packets.length - 1];
    let merged: TransferOp[] = [...tail];
    let offset = 0;
    if (last && this.fits([...last, ...tail])) {
      packets.pop();
      merged = [...last, ...tail];
      offset = last.length;
    }
    if (!this.fits(merged)) throw new RangeError(`${what}: ${tail.length} transfers do not fit one ${this.packetSize}-byte packet`);
    const heads = packets.map((chunk) => this.request(encodeTransfer(0, chunk), signal).then((r) => {
      const t = parseTransfer(r, chunk);
      checkTransfer(t, chunk.length, what);
      return t.reads;
    }));
    const final = this.request(encodeTransfer(0, merged), signal).then((r) => parseTransfer(r, merged));
    const [h, f] = await Promise.all([Promise.allSettled(heads).then(settleInOrder), final.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }))]);
    if (!f.ok) throw f.e;
    // The head ops sharing the final packet must have completed for the tail to be looked at.
    const headInFinal = offset;
    if (headInFinal && f.v.count < headInFinal) checkTransfer(f.v, merged.length, what);
    const headReads = merged.slice(0, headInFinal).filter((op) => op.read && !op.match).length;
    return { head: [...h.flat(), ...f.v.reads.slice(0, headReads)], tail: { ...f.v, reads: f.v.reads.slice(headReads) }, offset };
  }

  /** Whether ops fit one DAP_Transfer packet both ways. */
  fits(ops: readonly TransferOp[]): boolean {
    if (ops.length > 255) return false;
    let req = TRANSFER_REQUEST_HEADER;
    let res = TRANSFER_RESPONSE_HEADER;
    for (const op of ops) { const s = transferOpSize(op); req += s.request; res += s.response; }
    return req <= this.packetSize && res <= this.packetSize;
  }

  /** Groups ops into packets whose request and response both fit. */
  splitTransfers(ops: readonly TransferOp[]): TransferOp[][] {
    const out: TransferOp[][] = [];
    let cur: TransferOp[] = [];
    let req = TRANSFER_REQUEST_HEADER;
    let res = TRANSFER_RESPONSE_HEADER;
    for (const op of ops) {
      const s = transferOpSize(op);
      if (cur.length && (req + s.request > this.packetSize || res + s.response > this.packetSize || cur.length === 255)) {
        out.push(cur);
        cur = [];
        req = TRANSFER_REQUEST_HEADER;
        res = TRANSFER_RESPONSE_HEADER;
      }
      cur.push(op);
      req += s.request;
      res += s.response;
    }
    if (cur.length) out.push(cur);
    return out;
  }

  /** Words per DAP_TransferBlock packet in each direction. */
  get blockWords(): { write: number; read: number } {
    return { write: Math.floor((this.packetSize - BLOCK_REQUEST_HEADER) / 4), read: Math.floor((this.packetSize - BLOCK_RESPONSE_HEADER) / 4) };
  }

  /** One DAP_TransferBlock packet (the caller keeps it within blockWords). */
  async transferBlock(ap: boolean, register: number, read: boolean, count: number, data: Uint32Array | undefined, what: string, signal?: AbortSignal): Promise<Uint32Array> {
    const r = parseTransferBlock(await this.request(encodeTransferBlock(0, ap, register, read, count, data), signal), read);
    checkTransfer(r, count, what);
    return r.data;
  }
}

/** Values of settled promises in order; throws the first rejection (later ones are consequences). */
export function settleInOrder<T>(results: PromiseSettledResult<T>[]): T[] {
  const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (firstFailure) throw firstFailure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

export { DapTransferError };
