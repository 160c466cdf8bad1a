/**
 * A CoreAccess test double that "executes" flash-algorithm functions in TypeScript: each
 * entry address maps to a handler over a flat memory. It checks the calling convention the
 * runner must follow (LR = breakpoint | 1 with a breakpoint set, r9, SP, Thumb xPSR) and
 * can be told to run for a while, never return, fault, or allow memory access while running.
 */
import { TimeoutError } from '../../src/core/errors.js';
import { CHAIN_TRAMPOLINE, ERASE_LOOP } from '../../src/protocol/flash-algo/layout.js';
import type { CoreAccess, CoreOptions, CoreRegister, HaltState } from '../../src/arch/core-access.js';

export interface CallRecord {
  pc: number;
  args: number[];
  r9: number;
  sp: number;
}

/** What a simulated function does: return a result, run for a while, hang, halt somewhere, or fault at `fault.pc`. */
export type Outcome = { result?: number; runMs?: number; hang?: boolean; haltAt?: number; fault?: { pc: number } };
export type Handler = (args: [r0: number, r1: number, r2: number, r3: number], core: FakeCore) => Outcome;

export class FakeCore implements CoreAccess {
  readonly description = 'fake core';
  readonly memory = new Map<number, number>();
  readonly regs: Record<CoreRegister, number> & { hangPc?: number | undefined } = {
    r0: 0, r1: 0, r2: 0, r3: 0, r4: 0, r5: 0, r6: 0, r7: 0, r8: 0, r9: 0, r10: 0, r11: 0, r12: 0, sp: 0, lr: 0, pc: 0, xpsr: 0x01000000,
  };
  readonly breakpoints = new Set<number>();
  readonly calls: CallRecord[] = [];
  /** Memory writes made while a function was running (double buffering evidence). */
  writesWhileRunning = 0;
  private running = false;
  private haltPromise?: Promise<HaltState>;
  private timer?: ReturnType<typeof setTimeout>;
  private release?: (h: HaltState) => void;

  constructor(readonly handlers: Map<number, Handler>, readonly memoryAccessWhileRunning = false) {}

  async readMemory(address: number, length: number): Promise<Uint8Array> {
    if (this.running && !this.memoryAccessWhileRunning) throw new Error('memory read while running');
    return Uint8Array.from({ length }, (_, i) => this.memory.get(address + i) ?? 0);
  }

  async writeMemory(address: number, data: Uint8Array): Promise<void> {
    if (this.running) {
      if (!this.memoryAccessWhileRunning) throw new Error('memory write while running');
      this.writesWhileRunning++;
    }
    data.forEach((b, i) => this.memory.set(address + i, b));
  }

  word(address: number): number {
    return [0, 1, 2, 3].reduce((v, i) => v | ((this.memory.get(address + i) ?? 0) << (8 * i)), 0) >>> 0;
  }

  async readRegister(name: CoreRegister): Promise<number> {
    if (this.running) throw new Error('register read while running');
    return this.regs[name];
  }

  async writeRegisters(values: Partial<Record<CoreRegister, number>>): Promise<void> {
    if (this.running) throw new Error('register write while running');
    Object.assign(this.regs, values);
  }

  async halt(): Promise<HaltState> {
    if (this.running) {
      clearTimeout(this.timer);
      this.running = false;
      this.regs.pc = this.regs.hangPc ?? this.regs.pc;
      this.release?.({ reason: 'interrupted' });
    }
    return { reason: 'interrupted', pc: this.regs.pc };
  }

  async resume(_o?: CoreOptions): Promise<void> {
    this.running = true;
    this.haltPromise = new Promise<HaltState>((resolve) => { this.release = resolve; });
    this.execute();
  }

  /** Runs the handler at PC, then "returns" to LR: a breakpoint halts, the chaining trampoline and the erase loop are emulated. */
  private execute(): void {
    const pc = this.regs.pc;
    if (ERASE_LOOP.every((b, i) => this.memory.get(pc + i) === b)) { this.eraseLoop(); return; }
    const handler = this.handlers.get(pc);
    const args: Parameters<Handler>[0] = [this.regs.r0, this.regs.r1, this.regs.r2, this.regs.r3];
    this.calls.push({ pc, args, r9: this.regs.r9, sp: this.regs.sp });
    const returnTo = this.regs.lr & ~1;
    const outcome: Outcome = handler ? handler(args, this) : { haltAt: pc };
    if (outcome.hang) { this.regs.hangPc = pc + 8; return; }
    this.timer = setTimeout(() => {
      if (outcome.haltAt !== undefined) { this.running = false; this.regs.pc = outcome.haltAt; this.release?.({ reason: 'signal' }); return; }
      if (outcome.fault) {
        // Exception entry as the core does it: stack r0–r3, r12, LR, PC, xPSR; take the HardFault vector.
        const sp = this.regs.sp - 32;
        const frame = [this.regs.r0, this.regs.r1, this.regs.r2, this.regs.r3, 0, this.regs.lr, outcome.fault.pc, this.regs.xpsr];
        frame.forEach((v, i) => [0, 1, 2, 3].forEach((b) => this.memory.set(sp + 4 * i + b, (v >>> (8 * b)) & 0xff)));
        Object.assign(this.regs, { sp, xpsr: 0x01000003, lr: 0xfffffff9 });
        const handler = this.word(this.word(0xe000ed08) + 12) & ~1;
        if (this.breakpoints.has(handler)) this.halted(handler);
        else { this.running = false; this.regs.pc = handler; this.release?.({ reason: 'signal' }); }
        return;
      }
      this.regs.r0 = outcome.result ?? 0;
      if (!this.breakpoints.has(returnTo) && this.isTrampoline(returnTo)) {
        this.trampolineRuns++;
        if (this.regs.r0 !== 0) { this.halted(this.regs.r8 & ~1); return; }
        Object.assign(this.regs, { r0: this.regs.r4, r1: this.regs.r5, r2: this.regs.r6, r3: this.regs.r7, pc: this.regs.r7 & ~1, r7: 0, lr: this.regs.r8 });
        this.execute();
        return;
      }
      if (!this.breakpoints.has(returnTo)) throw new Error('returned to an address without a breakpoint');
      this.halted(returnTo);
    }, outcome.runMs ?? 0);
  }

  private halted(pc: number): void {
    this.running = false;
    this.regs.pc = pc;
    this.release?.({ reason: 'breakpoint', pc });
  }

  /** ERASE_LOOP as the Thumb code does it: EraseSector (r7) on r4, r5 times, r4 += r6, stop at a failure; then to r8. */
  private eraseLoop(): void {
    this.eraseLoopRuns++;
    this.timer = setTimeout(() => {
      let r0 = 0;
      while (this.regs.r5 > 0) {
        const handler = this.handlers.get(this.regs.r7 & ~1);
        const args: Parameters<Handler>[0] = [this.regs.r4, this.regs.r1, this.regs.r2, this.regs.r3];
        this.calls.push({ pc: this.regs.r7 & ~1, args, r9: this.regs.r9, sp: this.regs.sp });
        r0 = handler ? (handler(args, this).result ?? 0) : 0;
        if (r0 !== 0) break;
        this.regs.r4 = (this.regs.r4 + this.regs.r6) >>> 0;
        this.regs.r5--;
      }
      this.regs.r0 = r0;
      if (!this.breakpoints.has(this.regs.r8 & ~1)) throw new Error('erase loop returned to an address without a breakpoint');
      this.halted(this.regs.r8 & ~1);
    }, 0);
  }

  eraseLoopRuns = 0;

  /** Times the chaining trampoline ran (one resume, two ProgramPage calls). */
  trampolineRuns = 0;

  private isTrampoline(address: number): boolean {
    return CHAIN_TRAMPOLINE.every((b, i) => this.memory.get(address + i) === b);
  }

  async waitForHalt(timeoutMs: number): Promise<HaltState> {
    if (!this.haltPromise) throw new Error('not running');
    let t: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => { t = setTimeout(() => reject(new TimeoutError('fake core did not halt')), timeoutMs); });
    try {
      return await Promise.race([this.haltPromise, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  async setBreakpoint(address: number): Promise<void> { this.breakpoints.add(address); }
  async clearBreakpoint(address: number): Promise<void> { this.breakpoints.delete(address); }
  async reset(): Promise<void> { this.regs.pc = 0; }
  async close(): Promise<void> { clearTimeout(this.timer); }
}
