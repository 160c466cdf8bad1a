/**
 * An ARMv6-M (Thumb) interpreter for the in-process memory target, so code a debugger loads
 * — a CMSIS flash algorithm, the runner's CRC routine — really runs behind the simulated
 * probe. From the Armv6-M Architecture Reference Manual (DDI0419E): the Thumb instruction
 * set of A5/A6 (all 16-bit instructions, and the 32-bit BL, MSR, MRS, DMB/DSB/ISB, UDF),
 * flags and AddWithCarry/Shift_C of A2, word and halfword accesses aligned or a fault
 * (A3.2), exception entry to HardFault through the vector table with the 8-word frame and
 * EXC_RETURN, return on EXC_RETURN, lockup on a fault in HardFault or an unusable vector
 * (B1.5). A BKPT halts (debug enabled, C1.5); an FPB breakpoint halts before its instruction.
 * Not modelled: interrupts, the process stack's use by exceptions, WFI/WFE wake-ups (they
 * halt nothing and run on), cycle timing. On the Cortex-M4 models the same ARMv6-M subset
 * runs: an ARMv7-M Thumb-2 instruction beyond it is reported as undefined (a limit of the
 * model, named in the fault, not of the chip).
 */
import { ApBusError } from './dp.js';
import type { AccessSize } from './mem-ap.js';

export interface ThumbBus {
  read(address: number, size: AccessSize): number;
  write(address: number, size: AccessSize, value: number): void;
}

/** Registers as DCRSR numbers them: 0–12, 13 SP, 14 LR, 15 PC, 16 xPSR, 17 MSP, 18 PSP, 20 CONTROL/PRIMASK. */
export type RegisterFile = Map<number, number>;

export type ThumbStop =
  | { kind: 'bkpt'; pc: number }
  | { kind: 'breakpoint'; pc: number }
  | { kind: 'step' }
  /** Still running when the step budget ran out (the core stays running). */
  | { kind: 'budget' }
  | { kind: 'lockup'; reason: string };

export interface ThumbOptions {
  breakpoints: readonly number[];
  /** Instructions to execute at most (1 for a single step). */
  maxSteps: number;
  /** Where the vector table is (VTOR, or 0 on a core without one). */
  vectorTable: number;
}

const N = 0x80000000;
const Z = 0x40000000;
const C = 0x20000000;
const V = 0x10000000;
const HARDFAULT = 3;
const SVCALL = 11;

/** A fault: escalates to HardFault (ARMv6-M has no configurable fault handlers). */
class Fault extends Error {}

export function runThumb(regs: RegisterFile, bus: ThumbBus, options: ThumbOptions): ThumbStop {
  const cpu = new Cpu(regs, bus);
  try {
    for (let n = 0; n < options.maxSteps; n++) {
      const pc = cpu.r[15]!;
      if (options.breakpoints.includes(pc)) return { kind: 'breakpoint', pc };
      try {
        if (cpu.step()) return { kind: 'bkpt', pc };
      } catch (e) {
        if (!(e instanceof Fault || e instanceof ApBusError)) throw e;
        const svc = e instanceof Fault && e.message === 'svc';
        cpu.r[15] = pc;
        // A fault returns to the instruction that faulted; SVC to the one after it.
        cpu.exception(svc ? SVCALL : HARDFAULT, svc ? (pc + 2) >>> 0 : pc, options.vectorTable, e.message);
      }
    }
    return options.maxSteps === 1 ? { kind: 'step' } : { kind: 'budget' };
  } catch (e) {
    if (e instanceof Lockup) return { kind: 'lockup', reason: e.message };
    throw e;
  } finally {
    cpu.save();
  }
}

class Lockup extends Error {}

class Cpu {
  readonly r: number[] = [];
  xpsr: number;

  constructor(private readonly regs: RegisterFile, private readonly bus: ThumbBus) {
    for (let i = 0; i < 16; i++) this.r[i] = (regs.get(i) ?? 0) >>> 0;
    this.r[15] = (this.r[15]! & ~1) >>> 0;
    this.xpsr = (regs.get(16) ?? 0x01000000) >>> 0;
  }

  save(): void {
    for (let i = 0; i < 16; i++) this.regs.set(i, this.r[i]! >>> 0);
    this.regs.set(17, this.r[13]! >>> 0);
    this.regs.set(16, this.xpsr >>> 0);
  }

  private load(address: number, size: AccessSize): number {
    if (address % size) throw new Fault(`unaligned ${size}-byte load at 0x${address.toString(16)}`);
    return this.bus.read(address >>> 0, size) >>> 0;
  }

  private store(address: number, size: AccessSize, value: number): void {
    if (address % size) throw new Fault(`unaligned ${size}-byte store at 0x${address.toString(16)}`);
    this.bus.write(address >>> 0, size, size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff));
  }

  private nz(v: number): void {
    this.xpsr = (this.xpsr & ~(N | Z)) | (v & 0x80000000 ? N : 0) | (v >>> 0 === 0 ? Z : 0);
  }

  private flags(v: number, carry: boolean, overflow?: boolean): void {
    this.nz(v);
    this.xpsr = (this.xpsr & ~C) | (carry ? C : 0);
    if (overflow !== undefined) this.xpsr = (this.xpsr & ~V) | (overflow ? V : 0);
  }

  private get carry(): number { return this.xpsr & C ? 1 : 0; }

  /** AddWithCarry (A2.2.1), flags set. */
  private add(x: number, y: number, carryIn: number, setFlags = true): number {
    const u = (x >>> 0) + (y >>> 0) + carryIn;
    const result = u >>> 0;
    if (setFlags) this.flags(result, u > 0xffffffff, (((x ^ result) & (y ^ result)) >>> 31) === 1);
    return result;
  }

  private sub(x: number, y: number, setFlags = true): number {
    return this.add(x, ~y >>> 0, 1, setFlags);
  }

  private condition(cond: number): boolean {
    const n = (this.xpsr & N) !== 0; const z = (this.xpsr & Z) !== 0; const c = (this.xpsr & C) !== 0; const v = (this.xpsr & V) !== 0;
    const base = [z, c, n, v, c && !z, n === v, n === v && !z, true][cond >> 1]!;
    return cond & 1 && cond !== 0xf ? !base : base;
  }

  private branchTo(address: number): void {
    this.r[15] = (address & ~1) >>> 0;
  }

  /** BX/BLX/POP {pc}/LDR pc: bit 0 must be 1 (Thumb), EXC_RETURN in Handler mode returns. */
  private interworking(address: number): void {
    if ((this.xpsr & 0x3f) !== 0 && (address >>> 28) === 0xf) { this.exceptionReturn(address >>> 0); return; }
    if (!(address & 1)) throw new Fault(`branch to 0x${(address >>> 0).toString(16)} leaves Thumb state`);
    this.branchTo(address);
  }

  exception(number: number, returnAddress: number, vectorTable: number, why: string): void {
    if ((this.xpsr & 0x3f) === HARDFAULT) throw new Lockup(`fault in the HardFault handler: ${why}`);
    const sp = this.r[13]!;
    const align = (sp - 32) & 4 ? 4 : 0;
    const frame = (sp - 32 - align) >>> 0;
    const xpsr = (this.xpsr & ~(1 << 9)) | (align ? 1 << 9 : 0);
    try {
      [this.r[0]!, this.r[1]!, this.r[2]!, this.r[3]!, this.r[12]!, this.r[14]!, returnAddress, xpsr].forEach((w, i) => this.store(frame + 4 * i, 4, w));
    } catch (e) {
      throw new Lockup(`stacking for exception ${number} failed (${(e as Error).message})`);
    }
    let handler: number;
    try { handler = this.load(vectorTable + 4 * number, 4); } catch (e) { throw new Lockup(`vector ${number} unreadable (${(e as Error).message})`); }
    if (!(handler & 1)) throw new Lockup(`vector ${number} is 0x${handler.toString(16)}, not a Thumb address (${why})`);
    this.r[13] = frame;
    this.r[14] = 0xfffffff9;
    this.xpsr = (this.xpsr & ~0x3f) | number;
    this.branchTo(handler);
  }

  private exceptionReturn(excReturn: number): void {
    if (excReturn !== 0xfffffff9 && excReturn !== 0xfffffff1) throw new Lockup(`EXC_RETURN 0x${excReturn.toString(16)} (process stack) is not modelled`);
    const f = this.r[13]!;
    const w = (i: number) => this.load(f + 4 * i, 4);
    const frame = [0, 1, 2, 3, 4, 5, 6, 7].map(w);
    [0, 1, 2, 3, 12, 14].forEach((reg, i) => { this.r[reg] = frame[i]!; });
    this.r[13] = (f + 32 + (frame[7]! & (1 << 9) ? 4 : 0)) >>> 0;
    this.xpsr = frame[7]! & ~(1 << 9);
    this.branchTo(frame[6]!);
  }

  /** Executes one instruction; true when it was a BKPT (the core halts at it). */
  step(): boolean {
    const pc = this.r[15]!;
    // Executing with EPSR.T clear is an INVSTATE UsageFault (escalated to HardFault on ARMv6-M).
    if (!(this.xpsr & 0x01000000)) throw new Fault(`execution at 0x${pc.toString(16)} with xPSR.T = 0`);
    const op = this.load(pc, 2);
    const next = (pc + 2) >>> 0;
    this.r[15] = next;
    // Reads of PC give the instruction's address + 4 (A5.1.2).
    const reg = (n: number) => (n === 15 ? (pc + 4) >>> 0 : this.r[n]!);
    const rd = op & 7; const rn = (op >> 3) & 7; const rm = (op >> 6) & 7;
    const top5 = op >> 11;
    if (top5 <= 2) { // LSL/LSR/ASR immediate
      const imm = (op >> 6) & 0x1f; const x = this.r[rn]!;
      let v: number; let c = this.carry === 1;
      if (top5 === 0) { v = imm ? (x << imm) >>> 0 : x; if (imm) c = ((x >>> (32 - imm)) & 1) === 1; }
      else if (top5 === 1) { const s = imm || 32; v = s === 32 ? 0 : x >>> s; c = ((x >>> (s - 1)) & 1) === 1; }
      else { const s = imm || 32; v = s === 32 ? (x & N ? 0xffffffff : 0) : (x >> s) >>> 0; c = ((x >>> (s - 1)) & 1) === 1; }
      this.r[rd] = v; this.flags(v, c); return false;
    }
    if (top5 === 3) { // ADD/SUB register or 3-bit immediate
      const y = op & 0x400 ? rm : this.r[rm]!;
      this.r[rd] = op & 0x200 ? this.sub(this.r[rn]!, y) : this.add(this.r[rn]!, y, 0);
      return false;
    }
    if (top5 >= 4 && top5 <= 7) { // MOV/CMP/ADD/SUB 8-bit immediate
      const d = (op >> 8) & 7; const imm = op & 0xff;
      if (top5 === 4) { this.r[d] = imm; this.nz(imm); }
      else if (top5 === 5) this.sub(this.r[d]!, imm);
      else if (top5 === 6) this.r[d] = this.add(this.r[d]!, imm, 0);
      else this.r[d] = this.sub(this.r[d]!, imm);
      return false;
    }
    if ((op >> 10) === 0x10) { this.dataProcessing((op >> 6) & 0xf, rd, rn); return false; }
    if ((op >> 10) === 0x11) { // special data, BX, BLX
      const m = (op >> 3) & 0xf; const d = (op & 7) | ((op >> 4) & 8);
      switch ((op >> 8) & 3) {
        case 0: { const v = (reg(d) + reg(m)) >>> 0; if (d === 15) this.branchTo(v); else if (d === 13) this.r[13] = v & ~3; else this.r[d] = v; return false; }
        case 1: this.sub(reg(d), reg(m)); return false;
        case 2: { const v = reg(m); if (d === 15) this.branchTo(v); else if (d === 13) this.r[13] = (v & ~3) >>> 0; else this.r[d] = v; return false; }
        default: {
          const target = reg(m);
          if (op & 0x80) this.r[14] = (next | 1) >>> 0; // BLX
          this.interworking(target);
          return false;
        }
      }
    }
    if (top5 === 9) { this.r[(op >> 8) & 7] = this.load(((pc + 4) & ~3) + (op & 0xff) * 4, 4); return false; } // LDR literal
    if ((op >> 12) === 5) { // load/store register offset
      const a = (this.r[rn]! + this.r[rm]!) >>> 0;
      switch ((op >> 9) & 7) {
        case 0: this.store(a, 4, this.r[rd]!); break;
        case 1: this.store(a, 2, this.r[rd]!); break;
        case 2: this.store(a, 1, this.r[rd]!); break;
        case 3: this.r[rd] = ((this.load(a, 1) << 24) >> 24) >>> 0; break;
        case 4: this.r[rd] = this.load(a, 4); break;
        case 5: this.r[rd] = this.load(a, 2); break;
        case 6: this.r[rd] = this.load(a, 1); break;
        default: this.r[rd] = ((this.load(a, 2) << 16) >> 16) >>> 0;
      }
      return false;
    }
    if (top5 >= 12 && top5 <= 17) { // load/store immediate offset: word, byte, halfword
      const imm = (op >> 6) & 0x1f; const isLoad = (op & 0x800) !== 0;
      const size: AccessSize = top5 <= 13 ? 4 : top5 <= 15 ? 1 : 2;
      const a = (this.r[rn]! + imm * size) >>> 0;
      if (isLoad) this.r[rd] = this.load(a, size); else this.store(a, size, this.r[rd]!);
      return false;
    }
    if (top5 === 18 || top5 === 19) { // STR/LDR SP-relative
      const d = (op >> 8) & 7; const a = (this.r[13]! + (op & 0xff) * 4) >>> 0;
      if (top5 === 19) this.r[d] = this.load(a, 4); else this.store(a, 4, this.r[d]!);
      return false;
    }
    if (top5 === 20) { this.r[(op >> 8) & 7] = (((pc + 4) & ~3) + (op & 0xff) * 4) >>> 0; return false; } // ADR
    if (top5 === 21) { this.r[(op >> 8) & 7] = (this.r[13]! + (op & 0xff) * 4) >>> 0; return false; } // ADD Rd, SP, #imm
    if ((op >> 12) === 0xb) return this.misc(op);
    if (top5 === 24 || top5 === 25) { // STM / LDM (increment after, writeback)
      const n = (op >> 8) & 7; const list = op & 0xff;
      let a = this.r[n]!;
      for (let i = 0; i < 8; i++) {
        if (!(list & (1 << i))) continue;
        if (top5 === 24) this.store(a, 4, this.r[i]!); else this.r[i] = this.load(a, 4);
        a = (a + 4) >>> 0;
      }
      if (top5 === 24 || !(list & (1 << n))) this.r[n] = a;
      return false;
    }
    if ((op >> 12) === 0xd) { // conditional branch, UDF, SVC
      const cond = (op >> 8) & 0xf;
      if (cond === 0xe) throw new Fault(`UDF #${op & 0xff} at 0x${pc.toString(16)}`);
      if (cond === 0xf) throw new Fault('svc');
      if (this.condition(cond)) this.branchTo((pc + 4 + (((op & 0xff) << 24) >> 23)) >>> 0);
      return false;
    }
    if (top5 === 28) { this.branchTo((pc + 4 + (((op & 0x7ff) << 21) >> 20)) >>> 0); return false; } // B
    if (top5 >= 29) return this.wide(pc, op);
    throw new Fault(`undefined instruction 0x${op.toString(16)} at 0x${pc.toString(16)}`);
  }

  private dataProcessing(opc: number, d: number, m: number): void {
    const x = this.r[d]!; const y = this.r[m]!;
    const shift = (kind: number): void => {
      const s = y & 0xff; let v = x; let c = this.carry === 1;
      if (s !== 0) {
        if (kind === 0) { v = s >= 32 ? 0 : (x << s) >>> 0; c = s > 32 ? false : ((x >>> (32 - s)) & 1) === 1; }
        else if (kind === 1) { v = s >= 32 ? 0 : x >>> s; c = s > 32 ? false : ((x >>> (s - 1)) & 1) === 1; }
        else if (kind === 2) { v = s >= 32 ? (x & N ? 0xffffffff : 0) : (x >> s) >>> 0; c = s >= 32 ? (x & N) !== 0 : ((x >>> (s - 1)) & 1) === 1; }
        else { const r = s & 31; v = r ? ((x >>> r) | (x << (32 - r))) >>> 0 : x; c = (v & N) !== 0; }
      }
      this.r[d] = v; this.flags(v, c);
    };
    switch (opc) {
      case 0x0: this.r[d] = (x & y) >>> 0; this.nz(this.r[d]!); break; // AND
      case 0x1: this.r[d] = (x ^ y) >>> 0; this.nz(this.r[d]!); break; // EOR
      case 0x2: shift(0); break; // LSL
      case 0x3: shift(1); break; // LSR
      case 0x4: shift(2); break; // ASR
      case 0x5: this.r[d] = this.add(x, y, this.carry); break; // ADC
      case 0x6: this.r[d] = this.add(x, ~y >>> 0, this.carry); break; // SBC
      case 0x7: shift(3); break; // ROR
      case 0x8: this.nz((x & y) >>> 0); break; // TST
      case 0x9: this.r[d] = this.sub(0, y); break; // RSB #0 (NEG)
      case 0xa: this.sub(x, y); break; // CMP
      case 0xb: this.add(x, y, 0); break; // CMN
      case 0xc: this.r[d] = (x | y) >>> 0; this.nz(this.r[d]!); break; // ORR
      case 0xd: this.r[d] = Math.imul(x, y) >>> 0; this.nz(this.r[d]!); break; // MUL
      case 0xe: this.r[d] = (x & ~y) >>> 0; this.nz(this.r[d]!); break; // BIC
      default: this.r[d] = ~y >>> 0; this.nz(this.r[d]!); // MVN
    }
  }

  private misc(op: number): boolean {
    const pc = (this.r[15]! - 2) >>> 0;
    if ((op & 0xff00) === 0xb000) { const imm = (op & 0x7f) * 4; this.r[13] = (op & 0x80 ? this.r[13]! - imm : this.r[13]! + imm) >>> 0; return false; }
    if ((op & 0xff00) === 0xb200) { // SXTH, SXTB, UXTH, UXTB
      const m = this.r[(op >> 3) & 7]!; const d = op & 7;
      this.r[d] = [((m << 16) >> 16) >>> 0, ((m << 24) >> 24) >>> 0, m & 0xffff, m & 0xff][(op >> 6) & 3]!;
      return false;
    }
    if ((op & 0xfe00) === 0xb400) { // PUSH
      const list = op & 0xff; const lr = (op & 0x100) !== 0;
      const count = [...Array(8).keys()].filter((i) => list & (1 << i)).length + (lr ? 1 : 0);
      let a = (this.r[13]! - 4 * count) >>> 0;
      const start = a;
      for (let i = 0; i < 8; i++) if (list & (1 << i)) { this.store(a, 4, this.r[i]!); a += 4; }
      if (lr) this.store(a, 4, this.r[14]!);
      this.r[13] = start;
      return false;
    }
    if ((op & 0xfe00) === 0xbc00) { // POP
      let a = this.r[13]!;
      for (let i = 0; i < 8; i++) if (op & (1 << i)) { this.r[i] = this.load(a, 4); a = (a + 4) >>> 0; }
      if (op & 0x100) { const v = this.load(a, 4); this.r[13] = (a + 4) >>> 0; this.interworking(v); return false; }
      this.r[13] = a;
      return false;
    }
    if ((op & 0xffe8) === 0xb660) return false; // CPS (PRIMASK: no interrupts are modelled)
    if ((op & 0xff00) === 0xba00) { // REV, REV16, REVSH
      const m = this.r[(op >> 3) & 7]!; const d = op & 7;
      const kind = (op >> 6) & 3;
      if (kind === 0) this.r[d] = (((m & 0xff) << 24) | ((m & 0xff00) << 8) | ((m >>> 8) & 0xff00) | (m >>> 24)) >>> 0;
      else if (kind === 1) this.r[d] = (((m & 0x00ff00ff) << 8) | ((m >>> 8) & 0x00ff00ff)) >>> 0;
      else if (kind === 3) this.r[d] = ((((m & 0xff) << 24) >> 16) | ((m >>> 8) & 0xff)) >>> 0;
      else throw new Fault(`undefined instruction 0x${op.toString(16)} at 0x${pc.toString(16)}`);
      return false;
    }
    if ((op & 0xff00) === 0xbe00) { this.r[15] = pc; return true; } // BKPT: halts at it
    if ((op & 0xff0f) === 0xbf00 && (op & 0xf0) <= 0x40) return false; // NOP, YIELD, WFE, WFI, SEV
    throw new Fault(`undefined instruction 0x${op.toString(16)} at 0x${pc.toString(16)}`);
  }

  /** 32-bit instructions: BL, MSR, MRS, DMB/DSB/ISB; anything else is undefined. */
  private wide(pc: number, hw1: number): boolean {
    const hw2 = this.load((pc + 2) >>> 0, 2);
    this.r[15] = (pc + 4) >>> 0;
    if ((hw1 & 0xf800) === 0xf000 && (hw2 & 0xd000) === 0xd000) { // BL
      const s = (hw1 >> 10) & 1; const j1 = (hw2 >> 13) & 1; const j2 = (hw2 >> 11) & 1;
      const i1 = ~(j1 ^ s) & 1; const i2 = ~(j2 ^ s) & 1;
      let imm = (s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1);
      imm = (imm << 7) >> 7;
      this.r[14] = ((pc + 4) | 1) >>> 0;
      this.branchTo((pc + 4 + imm) >>> 0);
      return false;
    }
    if ((hw1 & 0xfff0) === 0xf380 && (hw2 & 0xff00) === 0x8800) { // MSR: APSR flags, MSP, PSP, PRIMASK, CONTROL
      const v = this.r[hw1 & 0xf]!; const sysm = hw2 & 0xff;
      if (sysm <= 3) this.xpsr = (this.xpsr & 0x0fffffff) | (v & 0xf0000000);
      else if (sysm === 8) this.r[13] = (v & ~3) >>> 0;
      else if (sysm === 9) this.regs.set(18, (v & ~3) >>> 0);
      else if (sysm === 16 || sysm === 20) this.regs.set(20, ((this.regs.get(20) ?? 0) & ~(sysm === 16 ? 1 : 0x3000000)) | (sysm === 16 ? v & 1 : (v & 3) << 24));
      return false;
    }
    if (hw1 === 0xf3ef && (hw2 & 0xf000) === 0x8000) { // MRS
      const sysm = hw2 & 0xff; const d = (hw2 >> 8) & 0xf;
      const c20 = this.regs.get(20) ?? 0;
      // xPSR views: SYSm[0] includes IPSR, SYSm[2] clear includes the APSR flags; EPSR reads as zero.
      this.r[d] = (sysm <= 7 ? (sysm & 1 ? this.xpsr & 0x3f : 0) | (sysm & 4 ? 0 : this.xpsr & 0xf0000000) : sysm === 8 ? this.r[13]! : sysm === 9 ? this.regs.get(18) ?? 0 : sysm === 16 ? c20 & 1 : sysm === 20 ? (c20 >>> 24) & 3 : 0) >>> 0;
      return false;
    }
    if (hw1 === 0xf3bf && (hw2 & 0xff00) === 0x8f00) return false; // DSB, DMB, ISB: in order already
    throw new Fault(`undefined instruction 0x${hw1.toString(16)} 0x${hw2.toString(16)} at 0x${pc.toString(16)} (outside ARMv6-M: Thumb-2 is not modelled)`);
  }
}
