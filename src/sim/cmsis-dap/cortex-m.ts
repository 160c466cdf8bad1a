/**
 * The Cortex-M debug registers a debugger reaches through the AHB-AP, emulated in front of
 * a core that may not have them (QEMU's GDB stub) or has no CPU at all (the in-process
 * memory model). From the Armv7-M ARM (DDI0403E) C1.6 and the Armv6-M ARM (DDI0419) C1.6:
 * - DHCSR: writes need DBGKEY 0xA05F in [31:16]; C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS;
 *   S_REGRDY, S_HALT, S_LOCKUP, S_RETIRE_ST and the sticky S_RESET_ST (cleared on read);
 *   with C_DEBUGEN clear the core ignores C_HALT and leaves debug state.
 * - DCRSR/DCRDR: REGWnR [16], REGSEL [6:0] (0–12 r0–r12, 13 SP, 14 LR, 15 debug return
 *   address, 16 xPSR, 17 MSP, 18 PSP, 20 CONTROL/FAULTMASK/BASEPRI/PRIMASK); only while
 *   halted; S_REGRDY is clear until the transfer completes.
 * - DEMCR (VC_CORERESET), DFSR (write 1 to clear), AIRCR (VECTKEY 0x05FA; SYSRESETREQ),
 *   CPUID; FPB FP_CTRL (ENABLE, KEY, NUM_CODE, REV) and comparators; DWT_CTRL (no
 *   comparators modelled); a ROM table and the CoreSight ID registers of its components.
 * Everything else goes to the memory bus behind.
 */
import { AIRCR, DEMCR, DFSR, DHCSR, DWT_CTRL, FPB, SCS } from './constants.js';
import type { AccessSize, MemoryBus } from './mem-ap.js';

export type HaltCause = 'request' | 'bkpt' | 'step' | 'vcatch';

/** Real time a DHCSR read waits for a bridged core to stop (see CoreControl.untilStopped). */
const RUN_SETTLE_MS = 5;

/** What the emulation needs from a core. Methods may complete later (a bridge). */
export interface CoreControl {
  /** Current state as last known (a bridge learns a breakpoint stop asynchronously). */
  readonly halted: boolean;
  readonly lockup: boolean;
  /** Why the core halted most recently (sets DFSR bits). */
  readonly haltCause?: HaltCause | undefined;
  halt(): void | Promise<void>;
  resume(step: boolean): void | Promise<void>;
  readRegister(regsel: number): number | Promise<number>;
  writeRegister(regsel: number, value: number): void | Promise<void>;
  /** System reset; `halt`: stop at the reset vector (vector catch). */
  reset(halt: boolean): void | Promise<void>;
  /** Enabled FPB comparator addresses (instruction breakpoints). */
  setBreakpoints(addresses: number[]): void | Promise<void>;
  /**
   * A core whose execution takes real time (QEMU): waits up to `ms` for a running core to
   * stop before DHCSR is read, so code that finishes quickly reads as finished at once and
   * the modelled link time does not depend on this machine's speed.
   */
  untilStopped?(ms: number): Promise<void>;
}

export interface CortexProfile {
  cpuid: number;
  /** FP_CTRL.REV: 0 = FPB rev 1 (Armv6-M, Cortex-M3 r1/r2), 1 = rev 2. */
  fpbRev: 0 | 1;
  fpbComparators: number;
  romTable: number;
  /** The AHB-AP's TAR auto-increment block: 1 KiB (Cortex-M0) or 4 KiB (Cortex-M3/M4). */
  tarBlock: number;
}

/** CoreSight ID words (PIDR4–7, PIDR0–3, CIDR0–3 at +0xFD0…+0xFFC); class 0x1 ROM table, 0xE generic IP. */
function idBlock(partLow: number, romTable: boolean): number[] {
  const pidr = [0x04, 0, 0, 0, partLow & 0xff, 0xb0 | ((partLow >> 8) & 0xf), 0x0b, 0x00];
  const cidr = [0x0d, romTable ? 0x10 : 0xe0, 0x05, 0xb1];
  return [...pidr, ...cidr];
}

export class CortexDebug implements MemoryBus {
  private dhcsrCtl = 0;
  private resetSticky = false;
  private regReady = true;
  private dcrdr = 0;
  private demcr = 0;
  private dfsr = 0;
  private fpCtrl = 0;
  private readonly fpComp: number[];
  /** Component base → CoreSight ID words, for the ROM table walk. */
  private readonly components: Map<number, number[]>;
  private lastCause?: HaltCause | undefined;
  private wasRunning = false;

  constructor(readonly core: CoreControl, readonly memory: MemoryBus, readonly profile: CortexProfile) {
    this.fpComp = new Array<number>(profile.fpbComparators).fill(0);
    // A core that starts halted (QEMU -S) was stopped by a debugger: debug is enabled and C_HALT set.
    if (core.halted) this.dhcsrCtl = DHCSR.C_DEBUGEN | DHCSR.C_HALT;
    this.components = new Map([
      [profile.romTable, idBlock(0x4c4, true)],
      [0xe000e000, idBlock(0x00c, false)],
      [0xe0001000, idBlock(0x002, false)],
      [0xe0002000, idBlock(0x003, false)],
    ]);
  }

  /** Records a power-on/system reset (S_RESET_ST) and the halt cause the core reports. */
  noteReset(): void { this.resetSticky = true; }

  private syncDfsr(): void {
    const cause = this.core.halted ? this.core.haltCause : undefined;
    if (cause && cause !== this.lastCause) {
      this.dfsr |= cause === 'bkpt' ? DFSR.BKPT : cause === 'vcatch' ? DFSR.VCATCH : DFSR.HALTED;
    }
    this.lastCause = cause;
  }

  read(address: number, size: AccessSize): number | Promise<number> {
    const word = (address & ~3) >>> 0;
    if (word === SCS.DHCSR && !this.core.halted && this.core.untilStopped) {
      return this.core.untilStopped(RUN_SETTLE_MS).then(() => this.lanes(this.readWord(word)!, address, size));
    }
    const v = this.readWord(word);
    if (v === undefined) return this.memory.read(address, size);
    return this.lanes(v, address, size);
  }

  private lanes(v: number, address: number, size: AccessSize): number {
    return size === 4 ? v : (v >>> (8 * (address & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  private readWord(a: number): number | undefined {
    switch (a) {
      case SCS.DHCSR: {
        this.syncDfsr();
        const halted = this.core.halted;
        let v = this.dhcsrCtl | (halted ? DHCSR.S_HALT : 0) | (this.regReady ? DHCSR.S_REGRDY : 0) | (this.core.lockup ? DHCSR.S_LOCKUP : 0);
        if (this.resetSticky) { v |= DHCSR.S_RESET_ST; this.resetSticky = false; }
        if (!halted || this.wasRunning) v |= DHCSR.S_RETIRE_ST;
        this.wasRunning = !halted;
        return v >>> 0;
      }
      case SCS.DCRSR: return 0;
      case SCS.DCRDR: return this.dcrdr >>> 0;
      case SCS.DEMCR: return this.demcr >>> 0;
      case SCS.DFSR: this.syncDfsr(); return this.dfsr;
      case SCS.AIRCR: return 0xfa050000;
      case SCS.CPUID: return this.profile.cpuid >>> 0;
      case FPB.CTRL: return ((this.profile.fpbRev << 28) | ((this.profile.fpbComparators & 0xf) << 4) | (this.fpCtrl & 1)) >>> 0;
      case FPB.REMAP: return 0;
      case DWT_CTRL: return 0;
      default: break;
    }
    if (a >= FPB.COMP0 && a < FPB.COMP0 + 4 * this.fpComp.length) return this.fpComp[(a - FPB.COMP0) >> 2]! >>> 0;
    const base = (a & ~0xfff) >>> 0;
    const id = this.components.get(base);
    if (id && (a & 0xfff) >= 0xfd0) return id[((a & 0xfff) - 0xfd0) >> 2];
    if (base === this.profile.romTable) return this.romEntry(a & 0xfff);
    return undefined;
  }

  /** ROM table entries: offsets to SCS, DWT, FPB (present, 32-bit format), then the end marker. */
  private romEntry(offset: number): number {
    if (offset === 0xfcc) return 0x1; // MEMTYPE: system memory present
    const targets = [0xe000e000, 0xe0001000, 0xe0002000];
    const i = offset >> 2;
    if (offset & 3 || i >= targets.length) return 0;
    return ((((targets[i]! - this.profile.romTable) | 0) & ~0xfff) | 0x3) >>> 0;
  }

  write(address: number, size: AccessSize, value: number): void | Promise<void> {
    const word = (address & ~3) >>> 0;
    if (!this.isEmulated(word)) return this.memory.write(address, size, value);
    // Sub-word writes to these registers are unpredictable; take them as the word they fall in.
    const v = size === 4 ? value >>> 0 : (value << (8 * (address & 3))) >>> 0;
    return this.writeWord(word, v);
  }

  private isEmulated(a: number): boolean {
    return a === SCS.DHCSR || a === SCS.DCRSR || a === SCS.DCRDR || a === SCS.DEMCR || a === SCS.DFSR || a === SCS.AIRCR
      || a === FPB.CTRL || a === FPB.REMAP || (a >= FPB.COMP0 && a < FPB.COMP0 + 4 * this.fpComp.length) || a === DWT_CTRL;
  }

  private writeWord(a: number, v: number): void | Promise<void> {
    switch (a) {
      case SCS.DHCSR: return this.writeDhcsr(v);
      case SCS.DCRSR: return this.writeDcrsr(v);
      case SCS.DCRDR: this.dcrdr = v >>> 0; return;
      case SCS.DEMCR: this.demcr = v >>> 0; return;
      case SCS.DFSR: this.syncDfsr(); this.dfsr &= ~v; return;
      case SCS.AIRCR:
        if ((v & 0xffff0000) >>> 0 !== AIRCR.VECTKEY) return;
        if (v & (AIRCR.SYSRESETREQ | AIRCR.VECTRESET)) return this.systemReset();
        return;
      case FPB.CTRL:
        if (v & 2) { this.fpCtrl = v & 1; return this.core.setBreakpoints(this.breakpoints()); }
        return;
      default:
        if (a >= FPB.COMP0 && a < FPB.COMP0 + 4 * this.fpComp.length) {
          this.fpComp[(a - FPB.COMP0) >> 2] = v >>> 0;
          return this.core.setBreakpoints(this.breakpoints());
        }
    }
  }

  /** nRESET released: a system reset that the debug logic survives (vector catch applies). */
  externalReset(): void | Promise<void> {
    return this.systemReset();
  }

  private systemReset(): void | Promise<void> {
    const halt = (this.demcr & DEMCR.VC_CORERESET) !== 0 && (this.dhcsrCtl & DHCSR.C_DEBUGEN) !== 0;
    this.resetSticky = true;
    this.dhcsrCtl &= ~(DHCSR.C_HALT | DHCSR.C_STEP);
    if (halt) this.dhcsrCtl |= DHCSR.C_HALT;
    this.dfsr = 0;
    return this.core.reset(halt);
  }

  /** Addresses the enabled comparators match (rev 1: COMP[28:2] with REPLACE for the halfword; rev 2: BPADDR[31:1] with BE). */
  breakpoints(): number[] {
    if (!(this.fpCtrl & 1)) return [];
    const out: number[] = [];
    for (const c of this.fpComp) {
      if (!(c & 1)) continue;
      if (this.profile.fpbRev === 0) {
        const base = c & 0x1ffffffc;
        const replace = c >>> 30;
        if (replace === 1 || replace === 3) out.push(base);
        if (replace === 2 || replace === 3) out.push(base + 2);
      } else {
        out.push((c & 0xfffffffe) >>> 0);
      }
    }
    return out;
  }

  private writeDhcsr(v: number): void | Promise<void> {
    if ((v & 0xffff0000) >>> 0 !== DHCSR.KEY) return;
    const ctl = v & (DHCSR.C_DEBUGEN | DHCSR.C_HALT | DHCSR.C_STEP | DHCSR.C_MASKINTS);
    this.dhcsrCtl = ctl;
    if (!(ctl & DHCSR.C_DEBUGEN)) return this.core.halted ? this.core.resume(false) : undefined;
    if (ctl & DHCSR.C_HALT) return this.core.halted ? undefined : this.core.halt();
    if (this.core.halted) return this.core.resume((ctl & DHCSR.C_STEP) !== 0);
  }

  private writeDcrsr(v: number): void | Promise<void> {
    // DCRSR while running is unpredictable: the strict model never completes it.
    if (!this.core.halted) { this.regReady = false; return; }
    const regsel = v & 0x7f;
    const write = (v & (1 << 16)) !== 0;
    this.regReady = false;
    const finish = () => { this.regReady = true; };
    if (write) {
      const r = this.core.writeRegister(regsel, this.dcrdr);
      if (r instanceof Promise) return r.then(finish);
      finish();
      return;
    }
    const r = this.core.readRegister(regsel);
    if (r instanceof Promise) return r.then((x) => { this.dcrdr = x >>> 0; finish(); });
    this.dcrdr = r >>> 0;
    finish();
  }
}
