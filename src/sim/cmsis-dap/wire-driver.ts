/**
 * The probe firmware's end of the wire: it clocks SWD packets bit by bit into the target
 * (request with parity, turnaround, ACK, data with parity, optional data phase after
 * WAIT/FAULT as SWD_Configure says, back-off after a protocol error, idle cycles), and
 * JTAG scans through the TAP. Counting cycles here gives the probe's wire time.
 */
import { ACK, JTAG_ACK, JTAG_IR } from './constants.js';
import { parity32 } from './swd-wire.js';
import type { DapTarget } from './target.js';

export interface WireResult {
  /** 1 OK, 2 WAIT, 4 FAULT, 7 no response, 8 parity error in read data. */
  ack: number;
  data?: number | undefined;
}

export class WireDriver {
  /** SWD_Configure: turnaround cycles (1–4) and the data phase after WAIT/FAULT. */
  turnaround = 1;
  dataPhase = false;
  /** TransferConfigure idle cycles after each transfer. */
  idleCycles = 0;
  /** SWJ_Pins TDI level, used while SWJ_Sequence clocks TMS. */
  tdi: 0 | 1 = 1;
  /** JTAG_Configure IR lengths (one device: the DP). */
  irLengths: number[] = [4];
  cycles = 0;
  private currentIr = -1;

  constructor(readonly target: DapTarget) {}

  /** One cycle with SWDIO/TMS driven (or released). */
  private clk(out: 0 | 1 | undefined): 0 | 1 {
    this.cycles++;
    const level = this.target.wire.clock(out);
    if (this.target.wire.mode === 'jtag') this.target.jtag.clock((out ?? 1) as 0 | 1, this.tdi);
    return level;
  }

  /** SWJ_Sequence: `count` bits of SWDIO/TMS, LSB first. */
  swjSequence(bits: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) this.clk(((bits[i >> 3]! >> (i & 7)) & 1) as 0 | 1);
    this.currentIr = -1;
  }

  /** SWD_Sequence: output `count` bits, or capture them (input). */
  swdSequence(count: number, input: boolean, bits?: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.ceil(count / 8));
    for (let i = 0; i < count; i++) {
      const v = this.clk(input ? undefined : (((bits![i >> 3]! >> (i & 7)) & 1) as 0 | 1));
      if (input && v) out[i >> 3]! |= 1 << (i & 7);
    }
    return out;
  }

  /** JTAG_Sequence: TCK cycles with a TMS value, TDI bits, TDO captured. */
  jtagSequence(count: number, tms: 0 | 1, tdiBits: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.ceil(count / 8));
    for (let i = 0; i < count; i++) {
      this.cycles++;
      const tdo = this.target.jtag.clock(tms, ((tdiBits[i >> 3]! >> (i & 7)) & 1) as 0 | 1);
      if (tdo) out[i >> 3]! |= 1 << (i & 7);
    }
    this.currentIr = -1;
    return out;
  }

  /** One SWD packet. `req`: bit0 APnDP, bit1 RnW, bits 2–3 A[3:2]. */
  swd(req: number, data = 0): WireResult {
    const apndp = req & 1, rnw = (req >> 1) & 1, a2 = (req >> 2) & 1, a3 = (req >> 3) & 1;
    const header = [1, apndp, rnw, a2, a3, (apndp ^ rnw ^ a2 ^ a3) & 1, 0, 1] as const;
    for (const b of header) this.clk(b as 0 | 1);
    for (let i = 0; i < this.turnaround; i++) this.clk(undefined);
    let ack = 0;
    for (let i = 0; i < 3; i++) ack |= this.clk(undefined) << i;
    const result: WireResult = { ack };
    if (ack === ACK.OK) {
      if (rnw) {
        let v = 0;
        for (let i = 0; i < 32; i++) v |= this.clk(undefined) << i;
        const p = this.clk(undefined);
        for (let i = 0; i < this.turnaround; i++) this.clk(undefined);
        result.data = v >>> 0;
        if (p !== parity32(v)) result.ack = 0x8;
      } else {
        for (let i = 0; i < this.turnaround; i++) this.clk(undefined);
        for (let i = 0; i < 32; i++) this.clk(((data >>> i) & 1) as 0 | 1);
        this.clk(parity32(data) as 0 | 1);
      }
    } else if (ack === ACK.WAIT || ack === ACK.FAULT) {
      if (this.dataPhase && rnw) for (let i = 0; i < 33; i++) this.clk(undefined);
      for (let i = 0; i < this.turnaround; i++) this.clk(undefined);
      if (this.dataPhase && !rnw) for (let i = 0; i < 33; i++) this.clk(0);
    } else {
      // Protocol error (no or a bad ACK): back off over the whole data phase, line released.
      for (let i = 0; i < this.turnaround + 33; i++) this.clk(undefined);
      result.ack = ack === 0 ? ACK.NONE : ack;
      if (result.ack !== ACK.NONE) result.ack = ACK.NONE;
    }
    for (let i = 0; i < this.idleCycles; i++) this.clk(0);
    return result;
  }

  // ---- JTAG ----

  private tap(tms: 0 | 1, tdi: 0 | 1 = 0): 0 | 1 {
    this.cycles++;
    return this.target.jtag.clock(tms, tdi);
  }

  /** From Run-Test/Idle, shifts `len` bits through IR (select) or DR, back to Run-Test/Idle. */
  private scan(ir: boolean, value: bigint, len: number): bigint {
    this.tap(1);
    if (ir) this.tap(1);
    this.tap(0); this.tap(0); // Capture, Shift
    let out = 0n;
    for (let i = 0; i < len; i++) {
      const last = i === len - 1;
      const tdo = this.tap(last ? 1 : 0, Number((value >> BigInt(i)) & 1n) as 0 | 1);
      out |= BigInt(tdo) << BigInt(i);
    }
    this.tap(1); this.tap(0); // Update, Run-Test/Idle
    return out;
  }

  /** Puts the TAP in Run-Test/Idle from any state (5× TMS high, then low). */
  jtagReset(): void {
    for (let i = 0; i < 5; i++) this.tap(1);
    this.tap(0);
    this.currentIr = -1;
  }

  private selectIr(ir: number): void {
    if (this.currentIr === ir) return;
    this.scan(true, BigInt(ir), this.irLengths[0] ?? 4);
    this.currentIr = ir;
  }

  jtagIdcode(): number {
    this.selectIr(JTAG_IR.IDCODE);
    return Number(this.scan(false, 0n, 32) & 0xffffffffn) >>> 0;
  }

  /**
   * One DP/AP transaction through the JTAG-DP: the request scan, then a DPACC RDBUFF read
   * scan whose capture holds the request's ACK and result (ADIv5.2 B3.3.2).
   */
  jtag(req: number, data = 0): WireResult {
    const apndp = req & 1, rnw = (req >> 1) & 1, a = (req >> 2) & 3;
    this.selectIr(apndp ? JTAG_IR.APACC : JTAG_IR.DPACC);
    this.scan(false, (BigInt(data >>> 0) << 3n) | BigInt((a << 1) | rnw), 35);
    this.selectIr(JTAG_IR.DPACC);
    const r = this.scan(false, BigInt((3 << 1) | 1), 35);
    const ack = Number(r & 7n);
    for (let i = 0; i < this.idleCycles; i++) this.tap(0);
    if (ack === JTAG_ACK.WAIT) return { ack: ACK.WAIT };
    if (ack !== JTAG_ACK.OK_FAULT) return { ack: ACK.NONE };
    return { ack: ACK.OK, data: rnw ? Number((r >> 3n) & 0xffffffffn) >>> 0 : undefined };
  }
}
