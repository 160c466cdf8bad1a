/**
 * An ADIv5 debug port behind the SWD wire (Arm ADIv5.2 IHI0031, B2 "DP reference
 * information", B4 "The Serial Wire Debug Port"):
 * - after a line reset only a read of DPIDR is answered (B4.3.3); anything else gets no
 *   response, as silicon does;
 * - SELECT banks the AP registers (APSEL [31:24], APBANKSEL [7:4]) and CTRL/STAT's
 *   address (DPBANKSEL [3:0]: 0 CTRL/STAT, 1 DLCR, 2 TARGETID, 3 DLPIDR, 4 EVENTSTAT);
 * - CTRL/STAT power-up: CDBGPWRUPACK/CSYSPWRUPACK follow their requests two transactions later;
 *   an AP access with debug power off is answered FAULT and sets STICKYERR;
 * - AP reads are posted: the data of an AP read is the previous AP read's result, RDBUFF
 *   returns the last one without a new access; an AP still busy answers WAIT;
 * - sticky flags (STICKYERR, STICKYCMP, STICKYORUN, WDATAERR) make every AP access and
 *   RDBUFF answer FAULT until ABORT clears them; DPIDR, CTRL/STAT, SELECT, RESEND and
 *   ABORT keep working (B4.2.3);
 * - with ORUNDETECT, any WAIT or FAULT sets STICKYORUN (and the wire keeps the data
 *   phase); a write with bad data parity sets WDATAERR and is discarded.
 */
import { ABORT, ACK, CTRL } from './constants.js';
import type { SwdRequest, SwdResponder } from './swd-wire.js';

/** An access port: register reads/writes by byte offset (APBANKSEL << 4 | A[3:2]). */
export interface AccessPort {
  readonly name: string;
  /** Returns the value, or a promise when the access runs behind an asynchronous bus; throws ApBusError for a bus error. */
  read(offset: number): number | Promise<number>;
  write(offset: number, value: number): void | Promise<void>;
  /** DAPABORT: drop the transaction in progress. */
  abort?(): void;
}

/** A bus error in an AP access (sets STICKYERR). */
export class ApBusError extends Error {}

export interface DpOptions {
  dpidr: number;
  /** DPv2 TARGETID (bank 2). */
  targetId?: number;
  /** SWD transactions after a power-up request before it is acknowledged (default 2: the first CTRL/STAT read after the request shows no ACK). */
  powerUpReads?: number;
  /** Fault injection: answer WAIT this many times before each AP access is accepted. */
  waitsPerApAccess?: number | undefined;
}

export interface DpStats {
  apReads: number;
  apWrites: number;
  waits: number;
  faults: number;
  noResponse: number;
}

export class DebugPort implements SwdResponder {
  private ctrl = 0;
  private select = 0;
  private dlcr = 0;
  /** False after a line reset until DPIDR has been read. */
  private dpidrRead = false;
  private readBuffer = 0;
  private lastRead = 0;
  private pending?: Promise<void> | undefined;
  private powerUpCountdown = 0;
  private waitBudget = 0;
  readonly stats: DpStats = { apReads: 0, apWrites: 0, waits: 0, faults: 0, noResponse: 0 };

  constructor(readonly aps: Map<number, AccessPort>, private readonly options: DpOptions) {}

  get overrunDetect(): boolean { return (this.ctrl & CTRL.ORUNDETECT) !== 0; }
  get turnaround(): number { return ((this.dlcr >> 8) & 3) + 1; }
  get ctrlStat(): number { return this.ctrl >>> 0; }
  get sticky(): number { return this.ctrl & (CTRL.STICKYERR | CTRL.STICKYCMP | CTRL.STICKYORUN | CTRL.WDATAERR); }

  /** Completes any AP access still running on an asynchronous bus. */
  async settle(): Promise<void> {
    while (this.pending) await this.pending;
  }

  lineReset(): void {
    this.dpidrRead = false;
  }

  protocolError(): void {
    // The wire locks out until a line reset; nothing to record in the DP.
  }

  /** Power-on reset of the debug logic (the probe was reconnected, the target repowered). */
  powerOn(): void {
    this.ctrl = 0; this.select = 0; this.dlcr = 0; this.dpidrRead = false; this.readBuffer = 0;
  }

  /** The value an AP read fetched last (what RDBUFF returns; a JTAG-DP's next capture). */
  get readBufferValue(): number { return this.readBuffer; }

  /** A transaction request; `jtag`: through the JTAG-DP (no line-reset lockout). */
  request(r: SwdRequest, jtag = false): { ack?: number; data?: number } {
    // Power-up acknowledges arrive a few transactions after the request (never instantly).
    if (this.powerUpCountdown > 0 && --this.powerUpCountdown === 0) this.updatePowerAcks();
    if (!jtag && !this.dpidrRead && !(!r.apndp && r.rnw && r.a === 0)) { this.stats.noResponse++; return {}; }
    if (!r.apndp) return this.dpRequest(r);
    if (this.sticky) return this.fault();
    if (this.pending || this.waitBudget > 0) return this.wait();
    if (!(this.ctrl & CTRL.CDBGPWRUPACK)) { this.ctrl |= CTRL.STICKYERR; return this.fault(); }
    const ap = this.aps.get(this.select >>> 24);
    if (!r.rnw) return { ack: ACK.OK };
    // Posted read: this request returns what the previous AP read fetched.
    const data = this.readBuffer;
    this.stats.apReads++;
    this.waitBudget = this.options.waitsPerApAccess ?? 0;
    const offset = (this.select & 0xf0) | r.a;
    this.run(() => (ap ? ap.read(offset) : 0), (v) => { this.readBuffer = v >>> 0; });
    this.lastRead = data;
    return { ack: ACK.OK, data };
  }

  writeData(r: SwdRequest, data: number, parityOk: boolean): void {
    if (!parityOk) { this.ctrl |= CTRL.WDATAERR; return; }
    if (!r.apndp) { this.dpWrite(r.a, data); return; }
    const ap = this.aps.get(this.select >>> 24);
    this.stats.apWrites++;
    this.waitBudget = this.options.waitsPerApAccess ?? 0;
    const offset = (this.select & 0xf0) | r.a;
    this.run(() => ap?.write(offset, data), () => undefined);
  }

  /** Runs an AP access; a promise keeps the AP busy (WAIT) until it settles. */
  private run<T>(access: () => T | Promise<T>, done: (v: T) => void): void {
    try {
      const v = access();
      if (v instanceof Promise) {
        const p: Promise<void> = v.then(done, (e) => this.busError(e)).finally(() => { if (this.pending === p) this.pending = undefined; });
        this.pending = p;
      } else {
        done(v);
      }
    } catch (e) {
      this.busError(e);
    }
  }

  /** A deferred access (e.g. combined writes sent late) failed: as a bus error on the wire. */
  noteBusError(e: unknown): void { this.busError(e); }

  private busError(e: unknown): void {
    if (e instanceof ApBusError) { this.ctrl |= CTRL.STICKYERR; return; }
    // Anything else (the bridge lost QEMU, a bug) is also a failed access as far as the wire can tell.
    this.ctrl |= CTRL.STICKYERR;
    this.lastError = e;
  }

  /** The last non-bus error an AP access raised (for diagnostics). */
  lastError?: unknown;

  private wait(): { ack: number } {
    this.stats.waits++;
    if (this.waitBudget > 0) this.waitBudget--;
    if (this.overrunDetect) this.ctrl |= CTRL.STICKYORUN;
    return { ack: ACK.WAIT };
  }

  private fault(): { ack: number } {
    this.stats.faults++;
    if (this.overrunDetect) this.ctrl |= CTRL.STICKYORUN;
    return { ack: ACK.FAULT };
  }

  private dpRequest(r: SwdRequest): { ack?: number; data?: number } {
    if (!r.rnw) {
      // Writes: ABORT (0x0) and SELECT (0x8) are accepted with sticky flags set; TARGETSEL (0xC) is never acknowledged.
      if (r.a === 0xc) { this.stats.noResponse++; return {}; }
      if (r.a === 0x4 && this.sticky) return this.fault();
      return { ack: ACK.OK };
    }
    switch (r.a) {
      case 0x0:
        this.dpidrRead = true;
        return this.readOk(this.options.dpidr);
      case 0x4:
        return this.readOk(this.readBank());
      case 0x8:
        return this.readOk(this.lastRead); // RESEND
      default: // RDBUFF
        if (this.sticky) return this.fault();
        if (this.pending) return this.wait();
        return this.readOk(this.readBuffer);
    }
  }

  private readOk(v: number): { ack: number; data: number } {
    this.lastRead = v >>> 0;
    return { ack: ACK.OK, data: v >>> 0 };
  }

  private readBank(): number {
    switch (this.select & 0xf) {
      case 0: return this.ctrl >>> 0;
      case 1: return this.dlcr;
      case 2: return this.options.targetId ?? 0;
      case 3: return 0x00000001; // DLPIDR: protocol version 1, instance 0
      default: return 0;
    }
  }

  private updatePowerAcks(): void {
    const want = (bit: number) => (this.ctrl & bit) !== 0;
    this.ctrl = (this.ctrl & ~(CTRL.CDBGPWRUPACK | CTRL.CSYSPWRUPACK | CTRL.CDBGRSTACK))
      | (want(CTRL.CDBGPWRUPREQ) ? CTRL.CDBGPWRUPACK : 0)
      | (want(CTRL.CSYSPWRUPREQ) ? CTRL.CSYSPWRUPACK : 0)
      | (want(CTRL.CDBGRSTREQ) ? CTRL.CDBGRSTACK : 0);
  }

  private dpWrite(a: number, v: number): void {
    if (a === 0x0) {
      if (v & ABORT.DAPABORT) { for (const ap of this.aps.values()) ap.abort?.(); this.pending = undefined; this.waitBudget = 0; }
      if (v & ABORT.STKCMPCLR) this.ctrl &= ~CTRL.STICKYCMP;
      if (v & ABORT.STKERRCLR) this.ctrl &= ~CTRL.STICKYERR;
      if (v & ABORT.WDERRCLR) this.ctrl &= ~CTRL.WDATAERR;
      if (v & ABORT.ORUNERRCLR) this.ctrl &= ~CTRL.STICKYORUN;
      return;
    }
    if (a === 0x8) { this.select = v >>> 0; return; }
    if (a === 0x4) {
      if ((this.select & 0xf) === 1) { this.dlcr = v & 0x300; return; }
      if ((this.select & 0xf) !== 0) return;
      // Sticky flags are read-only here in SWD (cleared through ABORT); acks are status.
      const writable = CTRL.ORUNDETECT | CTRL.TRNMODE | 0xf00 | CTRL.CDBGRSTREQ | CTRL.CDBGPWRUPREQ | CTRL.CSYSPWRUPREQ;
      const reqBefore = this.ctrl & (CTRL.CDBGPWRUPREQ | CTRL.CSYSPWRUPREQ | CTRL.CDBGRSTREQ);
      this.ctrl = ((this.ctrl & ~writable) | (v & writable)) >>> 0;
      const reqAfter = this.ctrl & (CTRL.CDBGPWRUPREQ | CTRL.CSYSPWRUPREQ | CTRL.CDBGRSTREQ);
      if (reqAfter !== reqBefore) {
        // A request raised waits a read before it is acknowledged; one dropped drops its ack at once.
        if (reqAfter & ~reqBefore) this.powerUpCountdown = this.options.powerUpReads ?? 2;
        this.ctrl &= ~((reqBefore & ~reqAfter) << 1);
      }
    }
  }
}
