/**
 * DAP_Transfer and DAP_TransferBlock as the CMSIS-DAP v2.1 specification defines them
 * ("DAP_Transfer", "DAP_TransferBlock", "DAP_TransferConfigure"):
 * - transfers run in order until one does not end OK; the response gives how many
 *   completed and the last ACK (bit 3: protocol/parity error, bit 4: value mismatch);
 * - WAIT is retried up to the configured count; a read with value match is repeated up
 *   to match-retry times until (value & mask) == match; a write with the match-mask bit
 *   sets the mask and touches nothing;
 * - AP reads are posted on the wire, so the probe reads each AP result with the next AP
 *   read or from RDBUFF, and checks the last write through RDBUFF, returning every
 *   transfer's own data;
 * - a transfer with the timestamp bit gets the test-domain timer value (µs) before its data.
 */
import { ACK, REQ, RESP_MISMATCH } from './constants.js';
import type { WireDriver, WireResult } from './wire-driver.js';

export interface TransferConfig {
  waitRetry: number;
  matchRetry: number;
  matchMask: number;
}

export interface TransferContext {
  driver: WireDriver;
  config: TransferConfig;
  protocol: 'swd' | 'jtag';
  /** The probe's timer in µs (test domain timer). */
  timestamp(): number;
  /** Set when a DAP_TransferAbort arrived. */
  aborted(): boolean;
  /** Waits for the target's asynchronous work between packets (a bridged memory access). */
  settle(): Promise<void>;
}

const RDBUFF_READ = REQ.RnW | 0x0c;

/** Little-endian output buffer. */
export class Out {
  private readonly bytes: number[] = [];
  u8(v: number): void { this.bytes.push(v & 0xff); }
  u16(v: number): void { this.bytes.push(v & 0xff, (v >> 8) & 0xff); }
  u32(v: number): void { this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff); }
  set(index: number, v: number): void { this.bytes[index] = v & 0xff; }
  get length(): number { return this.bytes.length; }
  toBytes(): Uint8Array { return Uint8Array.from(this.bytes); }
}

/** Little-endian reader over a request; `ok` turns false when the request was too short. */
export class In {
  pos: number;
  ok = true;
  constructor(readonly bytes: Uint8Array, start: number) { this.pos = start; }
  u8(): number { if (this.pos + 1 > this.bytes.length) { this.ok = false; return 0; } return this.bytes[this.pos++]!; }
  u16(): number { return this.u8() | (this.u8() << 8); }
  u32(): number { return (this.u8() | (this.u8() << 8) | (this.u8() << 16) | (this.u8() << 24)) >>> 0; }
}

async function once(ctx: TransferContext, req: number, data?: number): Promise<WireResult> {
  for (let retry = ctx.config.waitRetry; ; retry--) {
    const r = ctx.protocol === 'swd' ? ctx.driver.swd(req, data) : ctx.driver.jtag(req, data);
    await ctx.settle();
    if (r.ack !== ACK.WAIT || retry <= 0 || ctx.aborted()) return r;
  }
}

/** Runs the transfers of a DAP_Transfer request (after the command byte); returns the response. */
export async function dapTransfer(ctx: TransferContext, input: In): Promise<Out> {
  input.u8(); // DAP index: one device
  const count = input.u8();
  const out = new Out();
  out.u8(0x05); out.u8(0); out.u8(0);
  let done = 0;
  let ack: number = ACK.OK;
  // SWD: an AP read is on the wire whose data has not been fetched yet.
  let posted: { timestamp?: number | undefined } | undefined;
  let checkWrite = false;
  const swd = ctx.protocol === 'swd';

  const collectPosted = async (viaNextApRead?: { req: number }): Promise<boolean> => {
    const r = await once(ctx, viaNextApRead ? viaNextApRead.req : RDBUFF_READ);
    if (r.ack !== ACK.OK) { ack = r.ack; return false; }
    if (posted!.timestamp !== undefined) out.u32(posted!.timestamp);
    out.u32(r.data ?? 0);
    posted = undefined;
    return true;
  };

  let i = 0;
  for (; i < count; i++) {
    const req = input.u8();
    if (!input.ok) break;
    const isAp = (req & REQ.APnDP) !== 0;
    const wire = req & 0x0f;
    const ts = (req & REQ.timestamp) !== 0;
    if (req & REQ.RnW) {
      if (req & REQ.matchValue) {
        const match = input.u32();
        if (posted && !(await collectPosted())) break;
        if (swd && isAp) { const r = await once(ctx, wire); if (r.ack !== ACK.OK) { ack = r.ack; break; } }
        let value = 0;
        let r: WireResult = { ack: ACK.OK };
        for (let left = ctx.config.matchRetry; ; left--) {
          r = await once(ctx, swd && isAp ? wire : wire, undefined);
          if (r.ack !== ACK.OK) break;
          value = r.data ?? 0;
          if ((value & ctx.config.matchMask) >>> 0 === match >>> 0 || left <= 0 || ctx.aborted()) break;
        }
        if (r.ack !== ACK.OK) { ack = r.ack; break; }
        if ((value & ctx.config.matchMask) >>> 0 !== match >>> 0) { ack = ACK.OK | RESP_MISMATCH; break; }
        if (ts) out.u32(ctx.timestamp());
      } else if (swd && isAp) {
        if (posted) {
          const stamp = ts ? ctx.timestamp() : undefined;
          if (!(await collectPosted({ req: wire }))) break;
          posted = { timestamp: stamp };
        } else {
          const stamp = ts ? ctx.timestamp() : undefined;
          const r = await once(ctx, wire);
          if (r.ack !== ACK.OK) { ack = r.ack; break; }
          posted = { timestamp: stamp };
        }
      } else {
        if (posted && !(await collectPosted())) break;
        const stamp = ts ? ctx.timestamp() : undefined;
        const r = await once(ctx, wire);
        if (r.ack !== ACK.OK) { ack = r.ack; break; }
        if (stamp !== undefined) out.u32(stamp);
        out.u32(r.data ?? 0);
      }
      checkWrite = false;
    } else {
      const value = input.u32();
      if (!input.ok) break;
      if (posted && !(await collectPosted())) break;
      if (req & REQ.matchMask) {
        ctx.config.matchMask = value;
      } else {
        const stamp = ts ? ctx.timestamp() : undefined;
        const r = await once(ctx, wire, value);
        if (r.ack !== ACK.OK) { ack = r.ack; break; }
        if (stamp !== undefined) out.u32(stamp);
        checkWrite = true;
      }
    }
    done++;
    if (ctx.aborted()) break;
  }
  if (ack === ACK.OK && swd) {
    if (posted) await collectPosted();
    else if (checkWrite) { const r = await once(ctx, RDBUFF_READ); ack = r.ack; }
  }
  out.set(1, done);
  out.set(2, ack);
  return out;
}

/** DAP_TransferBlock: one register, `count` reads or writes. */
export async function dapTransferBlock(ctx: TransferContext, input: In): Promise<Out> {
  input.u8(); // DAP index
  const count = input.u16();
  const req = input.u8() & 0x0f;
  const out = new Out();
  out.u8(0x06); out.u16(0); out.u8(0);
  let done = 0;
  let ack: number = ACK.OK;
  const swd = ctx.protocol === 'swd';
  const isAp = (req & REQ.APnDP) !== 0;
  if (req & REQ.RnW) {
    if (swd && isAp && count > 0) {
      const r = await once(ctx, req);
      ack = r.ack;
    }
    for (let n = 0; ack === ACK.OK && n < count; n++) {
      const last = n === count - 1;
      const r = await once(ctx, swd && isAp ? (last ? RDBUFF_READ : req) : req);
      ack = r.ack;
      if (r.ack !== ACK.OK) break;
      out.u32(r.data ?? 0);
      done++;
      if (ctx.aborted()) break;
    }
  } else {
    for (let n = 0; n < count; n++) {
      const value = input.u32();
      if (!input.ok) break;
      const r = await once(ctx, req, value);
      ack = r.ack;
      if (r.ack !== ACK.OK) break;
      done++;
      if (ctx.aborted()) break;
    }
    if (ack === ACK.OK && swd && done > 0) ack = (await once(ctx, RDBUFF_READ)).ack;
  }
  out.set(1, done & 0xff);
  out.set(2, (done >> 8) & 0xff);
  out.set(3, ack);
  return out;
}
