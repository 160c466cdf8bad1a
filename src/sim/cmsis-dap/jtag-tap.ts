/**
 * The JTAG-DP's TAP (IEEE 1149.1 state machine; Arm ADIv5.2 IHI0031 B3.3): a 4-bit IR
 * with ABORT 0x8, DPACC 0xA, APACC 0xB, IDCODE 0xE, BYPASS 0xF (others act as BYPASS).
 * DPACC/APACC are 35-bit scans: in, RnW [0], A[3:2] [2:1], DATAIN [34:3]; captured, ACK
 * [2:0] (0b010 OK/FAULT, 0b001 WAIT) and the result of the previous transaction [34:3].
 * Only active while the SWJ-DP's wire is in JTAG mode.
 */
import { ACK, JTAG_ACK, JTAG_IR } from './constants.js';
import type { DebugPort } from './dp.js';

type State = 'TLR' | 'RTI' | 'SelDR' | 'CapDR' | 'ShiftDR' | 'Exit1DR' | 'PauseDR' | 'Exit2DR' | 'UpdDR'
  | 'SelIR' | 'CapIR' | 'ShiftIR' | 'Exit1IR' | 'PauseIR' | 'Exit2IR' | 'UpdIR';

const NEXT: Record<State, [State, State]> = {
  TLR: ['RTI', 'TLR'], RTI: ['RTI', 'SelDR'], SelDR: ['CapDR', 'SelIR'], CapDR: ['ShiftDR', 'Exit1DR'],
  ShiftDR: ['ShiftDR', 'Exit1DR'], Exit1DR: ['PauseDR', 'UpdDR'], PauseDR: ['PauseDR', 'Exit2DR'], Exit2DR: ['ShiftDR', 'UpdDR'],
  UpdDR: ['RTI', 'SelDR'], SelIR: ['CapIR', 'TLR'], CapIR: ['ShiftIR', 'Exit1IR'], ShiftIR: ['ShiftIR', 'Exit1IR'],
  Exit1IR: ['PauseIR', 'UpdIR'], PauseIR: ['PauseIR', 'Exit2IR'], Exit2IR: ['ShiftIR', 'UpdIR'], UpdIR: ['RTI', 'SelDR'],
};

export class JtagTap {
  state: State = 'TLR';
  ir: number = JTAG_IR.IDCODE;
  private sr = 0n;
  private len = 1;
  /** What the next DPACC/APACC capture returns. */
  private result = { ack: JTAG_ACK.OK_FAULT as number, data: 0 };
  private readAp = false;

  constructor(private readonly dp: DebugPort, readonly idcode: number, private readonly active: () => boolean) {}

  /** One TCK cycle; returns TDO (1 when not shifting, as a pulled-up line reads). */
  clock(tms: 0 | 1, tdi: 0 | 1): 0 | 1 {
    if (!this.active()) return 1;
    let tdo: 0 | 1 = 1;
    switch (this.state) {
      case 'CapDR': this.captureDr(); break;
      case 'CapIR': this.sr = 0b0001n; this.len = 4; break;
      case 'ShiftDR': case 'ShiftIR':
        tdo = Number(this.sr & 1n) as 0 | 1;
        this.sr = (this.sr >> 1n) | (BigInt(tdi) << BigInt(this.len - 1));
        break;
      default: break;
    }
    this.state = NEXT[this.state][tms];
    if (this.state === 'TLR') this.ir = JTAG_IR.IDCODE;
    if (this.state === 'UpdIR') this.ir = Number(this.sr & 0xfn);
    if (this.state === 'UpdDR') this.updateDr();
    return tdo;
  }

  private captureDr(): void {
    switch (this.ir) {
      case JTAG_IR.IDCODE: this.sr = BigInt(this.idcode >>> 0); this.len = 32; return;
      case JTAG_IR.DPACC: case JTAG_IR.APACC: case JTAG_IR.ABORT: {
        let data = this.result.data;
        if (this.readAp && this.result.ack === JTAG_ACK.OK_FAULT) data = this.dp.readBufferValue;
        this.sr = (BigInt(data >>> 0) << 3n) | BigInt(this.result.ack);
        this.len = 35;
        return;
      }
      default: this.sr = 0n; this.len = 1;
    }
  }

  private updateDr(): void {
    if (this.ir !== JTAG_IR.DPACC && this.ir !== JTAG_IR.APACC && this.ir !== JTAG_IR.ABORT) return;
    const rnw = Number(this.sr & 1n) === 1;
    const a = Number((this.sr >> 1n) & 3n) << 2;
    const data = Number((this.sr >> 3n) & 0xffffffffn) >>> 0;
    if (this.ir === JTAG_IR.ABORT) { this.dp.writeData({ apndp: false, rnw: false, a: 0 }, data, true); return; }
    const req = { apndp: this.ir === JTAG_IR.APACC, rnw, a };
    const r = this.dp.request(req, true);
    if (r.ack === ACK.WAIT) { this.result = { ack: JTAG_ACK.WAIT, data: 0 }; this.readAp = false; return; }
    // JTAG-DP reports FAULT through CTRL/STAT's sticky flags, not the ACK.
    if (r.ack === ACK.OK && !rnw) this.dp.writeData(req, data, true);
    this.result = { ack: JTAG_ACK.OK_FAULT, data: r.data ?? 0 };
    this.readAp = rnw && req.apndp && r.ack === ACK.OK;
  }
}
