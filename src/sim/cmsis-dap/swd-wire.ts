/**
 * The target end of the SWD wire, one SWCLK cycle at a time (Arm ADIv5.2 IHI0031 B4.2):
 * an 8-bit packet request (start 1, APnDP, RnW, A[2:3], even parity, stop 0, park 1),
 * a turnaround, a 3-bit ACK (OK 0b001, WAIT 0b010, FAULT 0b100, LSB first), the 32-bit
 * data phase with even parity (target-driven for reads, host-driven after a turnaround for
 * writes). A request with a bad parity, stop or park bit is a protocol error: the target
 * stops driving the line until a line reset (≥ 50 cycles with SWDIO high). The SWJ-DP
 * select sequences (ADIv5.2 B5.2: 0xE79E JTAG→SWD, 0xE73C SWD→JTAG, 16 bits LSB first
 * after ≥ 50 high) switch between the wire protocols, and the dormant state (B5.3) is
 * entered by SWD-to-dormant (0xE3BC, 16 bits after ≥ 50 high) or JTAG-to-dormant
 * (0x33BBBBBA, 31 bits after ≥ 5 high) and left only by the 128-bit selection alert
 * 0x19BC0EA2_E3DDAFE9_86852D95_6209F392, 4 low cycles and the SWD activation code 0x1A.
 *
 * Modelling the wire rather than whole transactions is what makes the probe's handling of
 * turnaround, overrun detection's data phase and parity real: a probe that clocks the
 * wrong number of bits desynchronises here exactly as it would on silicon.
 */

export interface SwdRequest {
  apndp: boolean;
  rnw: boolean;
  /** A[3:2] as a byte address: 0x0, 0x4, 0x8, 0xC. */
  a: number;
}

/** What the DP behind the wire does with a packet. */
export interface SwdResponder {
  /** A valid request arrived; the ACK to drive (undefined: no response) and, for an OK read, the data. */
  request(r: SwdRequest): { ack?: number; data?: number };
  /** The data phase of a write that was acknowledged OK. */
  writeData(r: SwdRequest, data: number, parityOk: boolean): void;
  /** ≥ 50 cycles with SWDIO high were seen. */
  lineReset(): void;
  /** A request with a bad parity, stop or park bit. */
  protocolError(): void;
  /** CTRL/STAT.ORUNDETECT: WAIT and FAULT still have a data phase. */
  readonly overrunDetect: boolean;
  /** Turnaround period in cycles (DLCR.TURNROUND + 1). */
  readonly turnaround: number;
}

export type WireMode = 'swd' | 'jtag' | 'dormant';

const SELECTION_ALERT = 0x19bc0ea2e3ddafe986852d956209f392n;

type Phase =
  | { kind: 'idle' }
  | { kind: 'request'; bits: number; n: number }
  | { kind: 'trn'; left: number; then: Phase }
  | { kind: 'ack'; ack?: number | undefined; n: number; req: SwdRequest; data?: number | undefined }
  | { kind: 'rdata'; data?: number | undefined; n: number; req: SwdRequest; drive: boolean }
  | { kind: 'wdata'; bits: number; n: number; req: SwdRequest; ignore: boolean }
  | { kind: 'lockout' };

/** Even parity of a 32-bit word. */
export function parity32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16; x ^= x >>> 8; x ^= x >>> 4; x ^= x >>> 2; x ^= x >>> 1;
  return x & 1;
}

export interface WireStats {
  lineResets: number;
  protocolErrors: number;
  /** Cycles in which both ends drove SWDIO. */
  contention: number;
  requests: number;
}

export class SwdTargetWire {
  private phase: Phase = { kind: 'lockout' };
  /** Consecutive host-driven high cycles (line reset detection). */
  private highRun = 0;
  /** After ≥ 50 highs, the next 16 host bits are checked against the select sequences. */
  private select?: { bits: number; n: number } | undefined;
  /** JTAG mode: after ≥ 5 highs, 31 bits checked against JTAG-to-dormant. */
  private toDormant?: { bits: number; n: number } | undefined;
  /** Length of the run of highs the latest low bit ended. */
  private lastHighRun = 0;
  /** Dormant: the last 128 host bits, and the activation code after a selection alert. */
  private alertWindow = 0n;
  private activation?: { bits: number; n: number } | undefined;
  readonly stats: WireStats = { lineResets: 0, protocolErrors: 0, contention: 0, requests: 0 };
  /** Called when a select sequence switches the protocol (so the JTAG TAP can take over). */
  onModeChange?: ((mode: WireMode) => void) | undefined;

  constructor(private readonly dp: SwdResponder, public mode: WireMode = 'swd') {}

  /**
   * One SWCLK cycle. `out` is the host's SWDIO bit, or undefined when the host is not
   * driving; returns the line level (the target's bit, else the host's, else the pull-up).
   */
  clock(out: 0 | 1 | undefined): 0 | 1 {
    const driven = this.targetBit();
    if (driven !== undefined && out !== undefined) this.stats.contention++;
    const level: 0 | 1 = driven ?? out ?? 1;
    this.watchResetAndSelect(out);
    this.watchDormant(out);
    if (this.mode === 'swd') this.advance(out, level);
    return level;
  }

  /** The bit the target drives in this cycle, if any. */
  private targetBit(): 0 | 1 | undefined {
    const p = this.phase;
    if (this.mode !== 'swd') return undefined;
    if (p.kind === 'ack') return p.ack === undefined ? undefined : (((p.ack >> p.n) & 1) as 0 | 1);
    if (p.kind === 'rdata' && p.drive && p.data !== undefined) return (p.n < 32 ? (p.data >>> p.n) & 1 : parity32(p.data)) as 0 | 1;
    return undefined;
  }

  private watchDormant(out: 0 | 1 | undefined): void {
    const b = out ?? 1;
    if (this.mode === 'dormant') {
      if (this.activation) {
        this.activation.bits |= b << this.activation.n;
        if (++this.activation.n < 12) return;
        // 4 low cycles, then 0x1A (LSB first) selects the SW-DP.
        const code = this.activation.bits;
        this.activation = undefined;
        if ((code & 0xf) === 0 && code >> 4 === 0x1a) { this.mode = 'swd'; this.phase = { kind: 'lockout' }; this.onModeChange?.('swd'); }
        return;
      }
      this.alertWindow = (this.alertWindow >> 1n) | (BigInt(b) << 127n);
      if (this.alertWindow === SELECTION_ALERT) { this.alertWindow = 0n; this.activation = { bits: 0, n: 0 }; }
      return;
    }
    if (this.mode !== 'jtag') { this.toDormant = undefined; return; }
    if (this.toDormant) {
      this.toDormant.bits = (this.toDormant.bits | (b << this.toDormant.n)) >>> 0;
      if (++this.toDormant.n < 31) return;
      const seq = this.toDormant.bits;
      this.toDormant = undefined;
      if (seq === 0x33bbbbba) this.enterDormant();
      return;
    }
    // The sequence starts with a low bit (0xA = 1010, LSB first) right after ≥ 5 highs.
    if (b === 0 && this.lastHighRun >= 5) this.toDormant = { bits: 0, n: 1 };
  }

  private enterDormant(): void {
    this.mode = 'dormant';
    this.phase = { kind: 'lockout' };
    this.select = undefined;
    this.toDormant = undefined;
    this.alertWindow = 0n;
    this.onModeChange?.('dormant');
  }

  private watchResetAndSelect(out: 0 | 1 | undefined): void {
    if (out !== 1) this.lastHighRun = this.highRun;
    if (this.mode === 'dormant') { this.highRun = out === 1 ? this.highRun + 1 : 0; return; }
    if (out === 1) {
      this.highRun++;
      if (this.highRun === 50) {
        this.select = { bits: 0, n: 0 };
        if (this.mode === 'swd') { this.stats.lineResets++; this.phase = { kind: 'idle' }; this.dp.lineReset(); }
      }
      if (this.highRun >= 50) { this.select = { bits: 0, n: 0 }; return; }
    } else {
      this.highRun = 0;
    }
    if (!this.select) return;
    // Select sequence bits follow the reset highs, LSB first.
    this.select.bits |= (out ?? 1) << this.select.n;
    this.select.n++;
    if (this.select.n < 16) return;
    const seq = this.select.bits;
    this.select = undefined;
    if (seq === 0xe79e && this.mode === 'jtag') { this.mode = 'swd'; this.phase = { kind: 'lockout' }; this.onModeChange?.('swd'); }
    else if (seq === 0xe73c && this.mode === 'swd') { this.mode = 'jtag'; this.phase = { kind: 'lockout' }; this.onModeChange?.('jtag'); }
    else if (seq === 0xe3bc && this.mode === 'swd') this.enterDormant();
  }

  private advance(out: 0 | 1 | undefined, level: 0 | 1): void {
    // While SWDIO is held high the target is inside a (possible) line reset: nothing starts.
    const p = this.phase;
    switch (p.kind) {
      case 'lockout':
        return;
      case 'idle':
        // Highs that continue a line reset are not start bits.
        if (out === 1 && this.highRun < 50) this.phase = { kind: 'request', bits: 1, n: 1 };
        return;
      case 'request': {
        const bits = p.bits | (level << p.n);
        if (p.n + 1 < 8) { this.phase = { kind: 'request', bits, n: p.n + 1 }; return; }
        this.finishRequest(bits);
        return;
      }
      case 'trn':
        this.phase = p.left > 1 ? { ...p, left: p.left - 1 } : p.then;
        return;
      case 'ack': {
        if (p.n + 1 < 3) { this.phase = { ...p, n: p.n + 1 }; return; }
        this.afterAck(p);
        return;
      }
      case 'rdata':
        if (p.n + 1 < 33) { this.phase = { ...p, n: p.n + 1 }; return; }
        this.phase = { kind: 'trn', left: this.dp.turnaround, then: { kind: 'idle' } };
        return;
      case 'wdata': {
        const bits = p.n < 32 ? (p.bits | (level << p.n)) >>> 0 : p.bits;
        if (p.n < 32) { this.phase = { ...p, bits, n: p.n + 1 }; return; }
        if (!p.ignore) this.dp.writeData(p.req, bits, parity32(bits) === level);
        this.phase = { kind: 'idle' };
        return;
      }
    }
  }

  private finishRequest(bits: number): void {
    const apndp = (bits >> 1) & 1;
    const rnw = (bits >> 2) & 1;
    const a2 = (bits >> 3) & 1;
    const a3 = (bits >> 4) & 1;
    const par = (bits >> 5) & 1;
    const stop = (bits >> 6) & 1;
    const park = (bits >> 7) & 1;
    if (((apndp ^ rnw ^ a2 ^ a3) & 1) !== par || stop !== 0 || park !== 1) {
      this.stats.protocolErrors++;
      this.dp.protocolError();
      this.phase = { kind: 'lockout' };
      return;
    }
    this.stats.requests++;
    const req: SwdRequest = { apndp: apndp === 1, rnw: rnw === 1, a: (a2 << 2) | (a3 << 3) };
    const r = this.dp.request(req);
    this.phase = { kind: 'trn', left: this.dp.turnaround, then: { kind: 'ack', ack: r.ack, n: 0, req, data: r.data } };
  }

  private afterAck(p: Extract<Phase, { kind: 'ack' }>): void {
    const trn = this.dp.turnaround;
    const ok = p.ack === 1;
    const waitOrFault = p.ack === 2 || p.ack === 4;
    if (p.ack === undefined) { this.phase = { kind: 'lockout' }; return; }
    if (!ok && !(waitOrFault && this.dp.overrunDetect)) {
      this.phase = { kind: 'trn', left: trn, then: { kind: 'idle' } };
      return;
    }
    if (p.req.rnw) this.phase = { kind: 'rdata', data: p.data, n: 0, req: p.req, drive: ok };
    else this.phase = { kind: 'trn', left: trn, then: { kind: 'wdata', bits: 0, n: 0, req: p.req, ignore: !ok } };
  }
}
