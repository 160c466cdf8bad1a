/**
 * CoreAccess for a Cortex-M core behind a MEM-AP: halt/run/step through DHCSR (with
 * DHCSR.DBGKEY), core registers through DCRSR/DCRDR with S_REGRDY polled by the probe's value
 * match (one packet per register, several registers pipelined), reset by AIRCR.SYSRESETREQ
 * with DEMCR.VC_CORERESET or by the nRESET pin, and FPB breakpoints (rev 1 and rev 2), with
 * a BKPT instruction where the FPB cannot reach (rev 1 above 0x20000000).
 */
import { delay } from '../../core/abort.js';
import { FlashwrightError, TimeoutError, throwIfAborted } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import { AIRCR, CPUID, DCRSR, decodeCpuId, decodeFpCtrl, DEMCR, DFSR, DHCSR, FPB, fpComparator, REGSEL, type CpuId } from '../../arch/cortex-m.js';
import type { CoreAccess, CoreOptions, CoreRegister, HaltState, HaltWaitOptions, RegisterWriteOptions } from '../../arch/core-access.js';
import { DapTransferError } from '../cmsis-dap/errors.js';
import { checkTransfer, type TransferOp } from '../cmsis-dap/commands.js';
import { MemAp } from './mem-ap.js';
import { settleInOrder } from '../cmsis-dap/session.js';

export interface CortexMOptions {
  /** Reset by the nRESET pin instead of AIRCR.SYSRESETREQ. */
  hardwareReset?: boolean;
  /** Time a halt, step or reset may take (ms, default 1000). */
  haltTimeoutMs?: number;
}

export class CoreError extends FlashwrightError {
  constructor(message: string, hint: string, context: ErrorContext = {}, cause?: unknown) {
    super('CORE', message, { hint, context, cause });
  }
}

const BKPT_INSTRUCTION = 0xbe00;

interface HaltResult { dfsr: number; pc: number; words?: number[] }

/** Register writes and a run not sent yet: they lead the next transfer instead of taking packets of their own. */
interface Queued {
  ops: TransferOp[];
  what: string[];
  /** TAR[31:4] points at the DHCSR bank after these ops (BD0–BD3 = DHCSR, DCRSR, DCRDR, DEMCR). */
  atDebugBank: boolean;
  /** The probe's match mask after these ops. */
  mask?: number | undefined;
}

export class CortexM implements CoreAccess {
  readonly memoryAccessWhileRunning = true;
  readonly registersWrittenSingly = true;
  /** Bumped by everything that may change the core's registers (see CoreAccess.registerEpoch). */
  registerEpoch = 0;
  private queued?: Queued | undefined;
  /** DFSR was read and cleared at the last halt, and nothing has halted the core since. */
  private dfsrClear = false;
  cpuid?: CpuId;
  private fpb?: { revision: 1 | 2; comparators: number; used: Array<number | undefined> };
  /** Software breakpoints: address → the halfword the BKPT replaced. */
  private readonly soft = new Map<number, number>();
  /** Raw DHCSR from the last poll, for messages. */
  lastDhcsr = 0;
  /**
   * Writes sent but not yet answered (write-behind): memory, register and run-control writes
   * return once their packets are queued, so the next request follows at once instead of a
   * USB round trip later. The session keeps order; the first failure among them is thrown by
   * the next call that waits for an answer (it is the cause of whatever followed).
   */
  private behind: Array<Promise<unknown>> = [];
  /** How long the last waited-for run took (ms, wall clock). */
  private lastRunMs = 0;

  constructor(readonly ap: MemAp, readonly description: string, readonly options: CortexMOptions = {}) {}

  /** Enables halting debug (keeping the core's run state) and reads CPUID and the FPB. */
  async init(signal?: AbortSignal): Promise<void> {
    const dhcsr = await this.ap.readWord(DHCSR.address, signal);
    await this.ap.writeWord(DHCSR.address, DHCSR.DBGKEY | DHCSR.C_DEBUGEN | (dhcsr & DHCSR.C_HALT), signal);
    this.cpuid = decodeCpuId(await this.ap.readWord(CPUID, signal));
    // The Cortex-M3 and M4 AHB-AP auto-increments TAR across 4 KiB (Cortex-M3 TRM DDI0337 and
    // Cortex-M4 TRM DDI0439, "AHB-AP"); others get the 1 KiB ADIv5 guarantees.
    if (this.cpuid.implementer === 0x41 && (this.cpuid.part === 0xc23 || this.cpuid.part === 0xc24)) this.ap.tarWrap = 0x1000;
    const fp = decodeFpCtrl(await this.ap.readWord(FPB.FP_CTRL, signal));
    this.fpb = { revision: fp.revision, comparators: fp.codeComparators, used: new Array(fp.codeComparators).fill(undefined) };
  }

  get fpbInfo(): { revision: 1 | 2; comparators: number } | undefined {
    return this.fpb ? { revision: this.fpb.revision, comparators: this.fpb.comparators } : undefined;
  }

  private post(p: Promise<unknown>): Promise<void> {
    p.catch(() => undefined); // reported by the next waiting call, never unhandled
    this.behind.push(p);
    return Promise.resolve();
  }

  /** Adds ops to the queue that leads the next transfer. */
  private enqueue(ops: TransferOp[], what: string, atDebugBank: boolean, mask?: number): void {
    const q = this.queued ?? { ops: [], what: [], atDebugBank: false };
    q.ops.push(...ops);
    q.what.push(what);
    q.atDebugBank = atDebugBank;
    if (mask !== undefined) q.mask = mask;
    this.queued = q;
    // A caller that makes no further call still gets its run: the queue goes out on its own once
    // the current chain of calls (microtasks) has had its chance to carry it.
    this.flushTimer ??= setTimeout(() => { this.flushTimer = undefined; this.flush(); }, 0);
  }

  private flushTimer?: ReturnType<typeof setTimeout> | undefined;

  private takeQueued(): Queued | undefined {
    const q = this.queued;
    this.queued = undefined;
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    return q;
  }

  /** Sends the queued ops on their own (before an access that cannot carry them). */
  private flush(signal?: AbortSignal): void {
    const q = this.takeQueued();
    if (!q) return;
    void this.post(this.ap.guard(() => this.ap.dp.dap.transfer(q.ops, q.what.join(', then '), signal), signal).catch((e) => { throw this.explainRegister(e); }));
  }

  /** Waits for every write sent so far; throws the first that failed. */
  async sync(): Promise<void> {
    this.flush();
    const earlier = this.behind.splice(0);
    if (earlier.length) settleInOrder(await Promise.allSettled(earlier));
  }

  /** Runs a request that waits for its answer (sent after the writes before it), then reports those writes' failures first. */
  private async answered<T>(start: () => Promise<T>): Promise<T> {
    this.flush();
    const earlier = this.behind.splice(0);
    const p = start();
    const [r] = await Promise.allSettled([p]);
    if (earlier.length) settleInOrder(await Promise.allSettled(earlier));
    if (r!.status === 'rejected') throw r!.reason;
    return r!.value;
  }

  readMemory(address: number, length: number, options?: CoreOptions): Promise<Uint8Array> {
    return this.answered(() => this.ap.read(address, length, options));
  }

  writeMemory(address: number, data: Uint8Array, options?: CoreOptions): Promise<void> {
    if (!this.ap.ready) { this.flush(options?.signal); return this.ap.write(address, data, options); }
    // Queued register writes and a run lead the write's first packet (the next page loads while this one programs).
    const q = this.takeQueued();
    if (!q) return this.post(this.ap.write(address, data, options));
    return this.post(this.ap.write(address, data, options, q.ops, q.what.join(', then ')).catch((e) => { throw this.explainRegister(e); }));
  }

  private regsel(name: string): number {
    const n = (REGSEL as Readonly<Record<string, number>>)[name];
    if (n === undefined) throw new RangeError(`unknown Cortex-M register ${name}`);
    return n;
  }

  /**
   * Core register access through the banked data registers with TAR at DHCSR (0xE000EDF0):
   * BD0 = DHCSR, BD1 = DCRSR, BD2 = DCRDR, so one TAR write serves a whole batch and each
   * register costs three accesses; S_REGRDY is polled by the probe's value match.
   */
  private debugBankOps(): TransferOp[] {
    return [...this.ap.bankOps(DHCSR.address), MemAp.matchMaskOp(DHCSR.S_REGRDY)];
  }

  private readRegisterOps(sel: number): TransferOp[] {
    return [...this.ap.bankedOp(1, false, sel), ...this.ap.bankedOp(0, true, DHCSR.S_REGRDY, true), ...this.ap.bankedOp(2, true)];
  }

  async readRegister(name: CoreRegister, options?: CoreOptions): Promise<number> {
    const [v] = await this.readRegisters([name], options);
    return v ?? 0;
  }

  /** Reads several registers, pipelined. */
  async readRegisters(names: readonly string[], options?: CoreOptions): Promise<number[]> {
    // While the core stays halted its registers change only by our writes: known values need no packet.
    const known = names.map((n) => this.registers.get(n));
    if (known.every((v) => v !== undefined)) return known as number[];
    if (!this.ap.ready) await this.ap.init(options?.signal);
    const ops = [...this.debugBankOps(), ...names.flatMap((n) => this.readRegisterOps(this.regsel(n)))];
    const values = await this.answered(() => this.ap.guard(() => this.ap.dp.dap.transfer(ops, `Reading core register${names.length > 1 ? 's' : ''} ${names.join(', ')}`, options?.signal), options?.signal)
      .catch((e) => { throw this.explainRegister(e); }));
    names.forEach((n, i) => this.registers.set(n, values[i]!));
    return values;
  }

  /**
   * Register values known since the core last halted (read, or written by us); forgotten
   * whenever the core may run (resume, step, reset, halt).
   */
  private readonly registers = new Map<string, number>();

  async writeRegisters(values: Partial<Record<CoreRegister, number>>, options?: RegisterWriteOptions): Promise<void> {
    if (!this.ap.ready) { this.flush(options?.signal); await this.ap.init(options?.signal); }
    this.registerEpoch++;
    const entries = Object.entries(values) as Array<[CoreRegister, number]>;
    const q = this.queued;
    const bank = q?.atDebugBank && q.mask === DHCSR.S_REGRDY ? [] : this.debugBankOps();
    const ops = [...bank, ...entries.flatMap(([n, v]) => [
      ...this.ap.bankedOp(2, false, v >>> 0),
      ...this.ap.bankedOp(1, false, this.regsel(n) | DCRSR.REGWnR),
      ...this.ap.bankedOp(0, true, DHCSR.S_REGRDY, true),
    ])];
    for (const [n, v] of entries) this.registers.set(n, v >>> 0);
    if (entries.some(([n]) => n === 'sp')) { this.registers.delete('msp'); this.registers.delete('psp'); }
    // Sent with whatever comes next (a run, a memory write, the halt poll), not in a packet of its own.
    this.enqueue(ops, `Writing core registers ${entries.map(([n]) => n).join(', ')}`, true, DHCSR.S_REGRDY);
  }

  private explainRegister(e: unknown): unknown {
    if (e instanceof DapTransferError && e.flags.valueMismatch) {
      return new CoreError('The core never set DHCSR.S_REGRDY: core registers can be accessed only while the core is halted.', 'Halt the core first (it may have been running or locked up).', {}, e);
    }
    return e;
  }

  async readDhcsr(signal?: AbortSignal): Promise<number> {
    this.flush(signal);
    this.lastDhcsr = await this.answered(() => this.ap.readWord(DHCSR.address, signal));
    return this.lastDhcsr;
  }

  async halt(options?: CoreOptions): Promise<HaltState> {
    await this.sync();
    this.registers.clear();
    this.registerEpoch++;
    this.dfsrClear = false;
    await this.ap.writeWord(DHCSR.address, DHCSR.DBGKEY | DHCSR.C_DEBUGEN | DHCSR.C_HALT, options?.signal);
    return this.waitForHalt(this.options.haltTimeoutMs ?? 1000, options, 'interrupted');
  }

  async resume(options?: CoreOptions): Promise<void> {
    this.registers.clear();
    this.registerEpoch++;
    if (!this.ap.ready) { this.flush(options?.signal); await this.ap.init(options?.signal); }
    const run = DHCSR.DBGKEY | DHCSR.C_DEBUGEN;
    // DFSR is sticky: cleared (unless the last halt's poll did) so the next halt's reason is its own.
    const ops = this.dfsrClear ? [] : this.ap.writeWordOps(DFSR.address, DFSR.ALL);
    const atBank = !ops.length && this.queued?.atDebugBank === true;
    ops.push(...(atBank ? this.ap.bankedOp(0, false, run) : this.ap.writeWordOps(DHCSR.address, run)));
    this.dfsrClear = false;
    // Not sent yet: it travels with the next transfer (the next page's data, or the halt poll).
    this.enqueue(ops, 'resuming the core', true);
  }

  /** Executes one instruction (interrupts masked) and halts again. */
  async step(options?: CoreOptions): Promise<HaltState> {
    await this.sync();
    this.registers.clear();
    this.registerEpoch++;
    this.dfsrClear = false;
    await this.ap.writeWord(DFSR.address, 0x1f, options?.signal);
    await this.ap.writeWord(DHCSR.address, DHCSR.DBGKEY | DHCSR.C_DEBUGEN | DHCSR.C_MASKINTS | DHCSR.C_HALT, options?.signal);
    await this.ap.writeWord(DHCSR.address, DHCSR.DBGKEY | DHCSR.C_DEBUGEN | DHCSR.C_MASKINTS | DHCSR.C_STEP, options?.signal);
    return this.waitForHalt(this.options.haltTimeoutMs ?? 1000, options, 'breakpoint');
  }

  /**
   * Polls DHCSR (the AHB-AP reads it while the core runs) until S_HALT. A core in LOCKUP
   * (a fault inside a fault handler, or an ARMv6-M HardFault with no handler) never halts by
   * itself: it is halted and reported as 'signal' so the caller reads the fault registers.
   */
  async waitForHalt(timeoutMs: number, options?: HaltWaitOptions, reason?: HaltState['reason']): Promise<HaltState> {
    const signal = options?.signal;
    const started = Date.now();
    const deadline = started + timeoutMs;
    const words = options?.readWords ?? [];
    const adaptive = reason === undefined;
    const done = (r: HaltResult): HaltState => {
      const why = reason ?? (r.dfsr & (DFSR.BKPT | DFSR.DWTTRAP) ? 'breakpoint' : r.dfsr & DFSR.VCATCH ? 'signal' : 'interrupted');
      if (adaptive) this.lastRunMs = Date.now() - started;
      const h: HaltState = { reason: why, pc: r.pc, detail: `DHCSR S_HALT, DFSR ${hex(r.dfsr)}` };
      if (r.words) h.words = r.words;
      return h;
    };
    if (!this.ap.ready) { this.flush(signal); await this.ap.init(signal); }
    // The run queued by resume() (and the register writes before it) go out in the same packet as
    // a value-match poll of S_HALT and, behind it, the reads a halt needs: a call that is over by
    // the time the probe polls costs one packet and one round trip.
    const q = this.takeQueued();
    if (q) {
      const r = await this.haltPoll(q, words, signal);
      if (r) return done(r);
      // Code the host runs again and again (a flash algorithm's ProgramPage) takes about as long
      // each time: the next poll waits most of the last run's time instead of spending packets.
      if (adaptive && this.lastRunMs > 2) await delay(Math.min(50, Math.floor(this.lastRunMs * 0.8)), signal);
    } else if (adaptive && this.lastRunMs > 2) await delay(Math.min(50, Math.floor(this.lastRunMs * 0.8)), signal);
    let pause = 0;
    for (;;) {
      throwIfAborted(signal, 'wait for halt');
      const d = await this.readDhcsr(signal);
      if (d & DHCSR.S_HALT) {
        // The caller next wants the PC and usually r0 (a function's result): fetched in one packet.
        const r = await this.haltPoll(undefined, words, signal);
        if (r) return done(r);
        continue; // halted and running again in between (a step, another debugger)
      }
      if (d & DHCSR.S_LOCKUP) {
        await this.ap.writeWord(DHCSR.address, DHCSR.DBGKEY | DHCSR.C_DEBUGEN | DHCSR.C_HALT, signal);
        const pc = await this.readRegister('pc', options).catch(() => undefined);
        const h: HaltState = { reason: 'signal', detail: `core LOCKUP (DHCSR ${hex(d)}): a fault escalated with no way to handle it` };
        if (pc !== undefined) h.pc = pc;
        return h;
      }
      if (Date.now() >= deadline) {
        throw new TimeoutError(`The core did not halt within ${timeoutMs} ms (DHCSR ${hex(d)}${d & DHCSR.S_SLEEP ? ', sleeping' : ''}).`, {
          hint: 'The code it runs did not reach its breakpoint; the fault registers and PC tell where it went.', context: { dhcsr: hex(d) },
        });
      }
      await delay(pause, signal);
      pause = Math.min(10, pause + 1);
    }
  }

  /**
   * One packet: (queued ops, then) a value-match read of DHCSR for S_HALT and behind it DFSR
   * (read, and cleared when there is room), PC, r0 and `words`. A mismatch on the poll stops the
   * probe there, so nothing behind it runs while the core runs; undefined then (not halted yet).
   */
  private async haltPoll(q: Queued | undefined, words: readonly number[], signal?: AbortSignal): Promise<HaltResult | undefined> {
    const dap = this.ap.dp.dap;
    let head = q?.ops ?? [];
    // TAR at the DHCSR bank serves the poll (BD0) and the register reads (BD1, BD2) alike.
    const bank = q?.atDebugBank ? [] : this.ap.bankOps(DHCSR.address);
    const build = (clearDfsr: boolean, withWords: boolean): { ops: TransferOp[]; poll: number } => {
      const ops: TransferOp[] = [MemAp.matchMaskOp(DHCSR.S_HALT)];
      ops.push(...this.ap.bankedOp(0, true, DHCSR.S_HALT, true));
      // The match read itself: a DP SELECT write may go ahead of it when the bank changes.
      const poll = ops.findIndex((op) => op.match);
      ops.push(MemAp.matchMaskOp(DHCSR.S_REGRDY), ...this.readRegisterOps(this.regsel('pc')), ...this.readRegisterOps(this.regsel('r0')));
      ops.push(...this.ap.readWordOps(DFSR.address), ...(clearDfsr ? this.ap.writeWordOps(DFSR.address, DFSR.ALL) : []));
      if (withWords) for (const w of words) ops.push(...this.ap.readWordOps(w));
      return { ops, poll };
    };
    // Whatever fits one packet: on 64-byte packets the DFSR clear (left to the next resume) or the words may not;
    // the TAR/CSW/SELECT setup may go ahead of it (harmless while the core runs).
    let plan!: { ops: TransferOp[]; poll: number };
    let cleared = false;
    let gotWords = false;
    // Building ops moves the CSW/SELECT caches along: each candidate starts from the same state.
    const restore = this.ap.cacheSnapshot();
    for (const [c, w, lead] of [[true, true, false], [false, true, false], [true, true, true], [false, true, true], [false, false, true]] as const) {
      restore();
      const built = build(c, w);
      const ops = lead ? built.ops : [...bank, ...built.ops];
      if (!dap.fits(ops)) continue;
      plan = { ops, poll: built.poll + (lead ? 0 : bank.length) };
      if (lead) head = [...head, ...bank];
      cleared = c;
      gotWords = w;
      break;
    }
    const what = `${q ? `${q.what.join(', then ')}, then waiting` : 'Waiting'} for the core to halt`;
    const r = await this.answered(() => this.ap.guard(async () => {
      const { tail, offset } = await dap.transferWithTail(head, plan.ops, what, signal);
      if (tail.valueMismatch && tail.ack === 1 && tail.count === offset + plan.poll) {
        // Still running. The ops behind the poll never ran, but building them moved the SELECT and
        // CSW caches on (SELECT is left at the DHCSR bank's): forget both, the next access writes them.
        this.ap.invalidate();
        this.ap.dp.invalidate();
        return undefined;
      }
      checkTransfer(tail, offset + plan.ops.length, what);
      return tail.reads;
    }, signal).catch((e) => { throw this.explainRegister(e); }));
    if (!r) return undefined;
    const [pc, r0, dfsr, ...rest] = r as [number, number, number, ...number[]];
    this.dfsrClear = cleared;
    this.registers.set('pc', pc);
    this.registers.set('r0', r0);
    return { dfsr, pc, ...(gotWords ? { words: rest } : {}) };
  }

  async setBreakpoint(address: number, options?: CoreOptions): Promise<void> {
    await this.sync();
    const fpb = this.fpb;
    const value = fpb ? fpComparator(address, fpb.revision) : undefined;
    if (fpb && value !== undefined) {
      if (fpb.used.includes(address)) return;
      const slot = fpb.used.indexOf(undefined);
      if (slot >= 0) {
        await this.ap.writeWord(FPB.FP_CTRL, FPB.KEY_ENABLE, options?.signal);
        await this.ap.writeWord(FPB.FP_COMP0 + 4 * slot, value, options?.signal);
        fpb.used[slot] = address;
        return;
      }
    }
    // No comparator can hold it (FPB rev 1 above 0x20000000, all in use): a BKPT instruction in RAM.
    if (this.soft.has(address)) return;
    const old = await this.ap.read(address & ~1, 2, options);
    this.soft.set(address, (old[0] ?? 0) | ((old[1] ?? 0) << 8));
    await this.ap.write(address & ~1, Uint8Array.of(BKPT_INSTRUCTION & 0xff, BKPT_INSTRUCTION >>> 8), options);
  }

  async clearBreakpoint(address: number, options?: CoreOptions): Promise<void> {
    await this.sync();
    const slot = this.fpb?.used.indexOf(address) ?? -1;
    if (this.fpb && slot >= 0) {
      await this.ap.writeWord(FPB.FP_COMP0 + 4 * slot, 0, options?.signal);
      this.fpb.used[slot] = undefined;
      return;
    }
    const old = this.soft.get(address);
    if (old === undefined) return;
    this.soft.delete(address);
    // Put back the original only where the BKPT still stands (the caller may have reloaded the area).
    const now = await this.ap.read(address & ~1, 2, options);
    if (((now[0] ?? 0) | ((now[1] ?? 0) << 8)) === BKPT_INSTRUCTION) await this.ap.write(address & ~1, Uint8Array.of(old & 0xff, old >>> 8), options);
  }

  /**
   * Resets the chip: DEMCR.VC_CORERESET (set for 'halt', cleared for 'run'), then
   * AIRCR.SYSRESETREQ (or a pulse on nRESET), then waits for the core to come out of reset
   * (S_RESET_ST read, and S_HALT for 'halt').
   */
  async reset(mode: 'halt' | 'run', options?: CoreOptions): Promise<void> {
    const signal = options?.signal;
    await this.sync();
    this.registers.clear();
    this.registerEpoch++;
    this.dfsrClear = false;
    const demcr = await this.ap.readWord(DEMCR.address, signal);
    const vc = mode === 'halt' ? demcr | DEMCR.VC_CORERESET : demcr & ~DEMCR.VC_CORERESET;
    await this.ap.writeWord(DEMCR.address, vc >>> 0, signal);
    await this.readDhcsr(signal); // clears a stale S_RESET_ST
    if (this.options.hardwareReset) {
      await this.ap.dp.setReset(true, signal);
      await delay(20, signal);
      await this.ap.dp.setReset(false, signal);
    } else {
      // The write may not be acknowledged: the system resets under it.
      await this.ap.writeWord(AIRCR.address, AIRCR.VECTKEY | AIRCR.SYSRESETREQ, signal).catch((e) => { if (!(e instanceof DapTransferError)) throw e; });
    }
    this.ap.invalidate();
    this.ap.dp.invalidate();
    for (const s of this.soft.keys()) this.soft.delete(s); // RAM breakpoints do not survive a reset's startup code reliably
    const deadline = Date.now() + (this.options.haltTimeoutMs ?? 1000);
    let seenReset = false;
    for (;;) {
      let d: number | undefined;
      try {
        d = await this.readDhcsr(signal);
      } catch (e) {
        if (!(e instanceof DapTransferError)) throw e;
      }
      if (d !== undefined) {
        seenReset ||= !!(d & DHCSR.S_RESET_ST);
        if (mode === 'run' && (seenReset || Date.now() > deadline - 900)) break;
        if (mode === 'halt' && d & DHCSR.S_HALT && !(d & DHCSR.S_RESET_ST)) break;
      }
      if (Date.now() > deadline) {
        if (mode === 'halt') {
          throw new CoreError(`The core did not halt after reset within ${this.options.haltTimeoutMs ?? 1000} ms (DHCSR ${hex(d ?? 0)}).`,
            'The reset vector catch did not fire: try --connect-under-reset, or check that nothing holds the part in reset.', { dhcsr: d });
        }
        break;
      }
      await delay(2, signal);
    }
    if (mode === 'halt') await this.ap.writeWord(DEMCR.address, demcr & ~DEMCR.VC_CORERESET, signal);
    // FPB comparators survive a system reset, but the program's FP_CTRL may be cleared: re-enable.
    if (this.fpb?.used.some((a) => a !== undefined)) await this.ap.writeWord(FPB.FP_CTRL, FPB.KEY_ENABLE, signal);
  }

  /** Fault-escalation and vector-catch state for `info`. */
  async describe(signal?: AbortSignal): Promise<Record<string, string | number | boolean>> {
    const d = await this.readDhcsr(signal);
    const c = this.cpuid;
    return {
      core: c ? `${c.core} ${'r' + c.variant + 'p' + c.revision}` : 'unknown', architecture: c?.architecture ?? 'unknown', cpuid: hex(c?.raw ?? 0),
      halted: !!(d & DHCSR.S_HALT), lockup: !!(d & DHCSR.S_LOCKUP), sleeping: !!(d & DHCSR.S_SLEEP),
      fpb: this.fpb ? `rev ${this.fpb.revision}, ${this.fpb.comparators} code comparators` : 'none',
    };
  }

  async close(options?: { resume?: boolean }): Promise<void> {
    try {
      await this.sync().catch(() => undefined);
      for (const a of [...this.soft.keys(), ...(this.fpb?.used ?? [])]) if (a !== undefined) await this.clearBreakpoint(a).catch(() => undefined);
      if (options?.resume) {
        const demcr = await this.ap.readWord(DEMCR.address);
        await this.ap.writeWord(DEMCR.address, demcr & ~DEMCR.VC_CORERESET);
        await this.ap.writeWord(DFSR.address, 0x1f);
        // Halting debug off: a stray BKPT in the application then faults instead of hanging in debug state.
        await this.ap.writeWord(DHCSR.address, DHCSR.DBGKEY);
      }
    } finally {
      await this.ap.dp.dap.disconnect().catch(() => undefined);
      await this.ap.dp.dap.close();
    }
  }
}
