/**
 * The walk over one plan: unlocks, erases, program batches, RAM writes, verify, protections
 * and the run, each through the way in, while the resume record (WriteProgress) is kept true —
 * erased / maybe-erased sectors, programmed bytes as the way in confirms them, the rest of a
 * failed call as maybe-programmed, verified and pending ranges.
 */
import { throwIfAborted } from '../core/errors.js';
import type { DeviceInfo, Programmer } from '../programmer/types.js';
import { erasedValueOf, regionAt } from '../target/geometry.js';
import { changeReport, type ChangeReport } from './changes.js';
import { diagnoseProgramFailure } from './diagnose.js';
import type { Range, WriteProgress } from './errors.js';
import type { ChangeOperation, FlashPlan, ProgramOperation, RamOperation } from './plan.js';
import { PhaseReporter } from './progress.js';
import { verifyRange, type VerifyMethod, type VerifyRange } from './verify.js';

function subtract(ranges: Range[], cut: Range): Range[] {
  const out: Range[] = [];
  const cutEnd = cut.address + cut.size;
  for (const r of ranges) {
    const end = r.address + r.size;
    if (end <= cut.address || r.address >= cutEnd) { out.push(r); continue; }
    if (r.address < cut.address) out.push({ address: r.address, size: cut.address - r.address });
    if (end > cutEnd) out.push({ address: cutEnd, size: end - cutEnd });
  }
  return out;
}

/** The walk over one plan, keeping the resume record as it goes. */
export class PlanWalk {
  readonly progress: WriteProgress;
  readonly changes: ChangeReport[] = [];
  bytesVerified = 0;
  ran = false;

  constructor(private readonly programmer: Programmer, private readonly plan: FlashPlan, private readonly reporter: PhaseReporter, private readonly signal: AbortSignal | undefined) {
    const writes = plan.operations.filter((o): o is ProgramOperation | RamOperation => o.kind === 'program' || o.kind === 'write-ram');
    this.progress = { phase: 'unlock', changes: [], erased: [], chipErased: false, programmed: [], verified: [], pending: writes.map((o) => ({ address: o.address, size: o.size })) };
  }

  private get ctx() {
    return { signal: this.signal, emit: this.reporter.emit };
  }

  async changesOf(kind: 'unlock' | 'protect'): Promise<void> {
    const ops = this.plan.operations.filter((o): o is ChangeOperation => o.kind === kind);
    this.progress.phase = kind;
    if (ops.length === 0) return;
    const bytes = ops.reduce((n, o) => n + (o.change.erases ?? []).reduce((m, e) => m + e.size, 0), 0);
    this.reporter.start(kind, bytes, ops.map((o) => o.change.description).join('; '));
    for (const { change } of ops) {
      throwIfAborted(this.signal, 'write');
      // Until the call returns, the memory it mass-erases may be erased, wholly or partly.
      if (change.erases) this.progress.maybeErased = change.erases.map((e) => ({ address: e.start, size: e.size }));
      const base = this.reporter.position;
      await this.programmer.applyChange!(change, { ...this.ctx, onProgress: this.reporter.tracker() });
      this.progress.maybeErased = undefined;
      if (change.erases) this.progress.chipErased = true;
      this.progress.changes.push(change.kind);
      this.changes.push(changeReport(change));
      this.reporter.reach(base + (change.erases ?? []).reduce((m, e) => m + e.size, 0));
    }
    this.reporter.finish();
  }

  async erase(): Promise<void> {
    this.progress.phase = 'erase';
    const erases = this.plan.operations.flatMap((o) => (o.kind === 'erase' ? [o] : []));
    if (!erases.length) return;
    const { reporter, signal } = this;
    reporter.start('erase', erases.reduce((n, o) => n + o.size, 0), this.plan.cost.chipErase ? 'Mass erase' : `Erasing ${erases.length} sector(s)`);
    const chip = erases.filter((o) => o.chip);
    if (chip.length) {
      throwIfAborted(signal, 'write');
      this.progress.maybeErased = chip.map((o) => ({ address: o.address, size: o.size }));
      await this.programmer.eraseChip!(this.ctx);
      this.progress.maybeErased = undefined;
      this.progress.chipErased = true;
      reporter.advance(chip.reduce((n, o) => n + o.size, 0));
    }
    const sectorErases = erases.filter((o) => !o.chip);
    // Batches keep the protocol efficient while the resume record stays precise.
    for (let i = 0; i < sectorErases.length; i += 8) {
      throwIfAborted(signal, 'write');
      const batch = sectorErases.slice(i, i + 8).map((o) => ({ address: o.address, size: o.size }));
      const base = reporter.position;
      this.progress.maybeErased = batch; // until the call returns, any of these may be erased
      await this.programmer.eraseSectors(batch, { ...this.ctx, onProgress: reporter.tracker() });
      this.progress.maybeErased = undefined;
      this.progress.erased.push(...batch.map((b) => b.address));
      reporter.reach(base + batch.reduce((n, b) => n + b.size, 0));
    }
    reporter.finish();
  }

  /**
   * Contiguous operations in one region go out as one programFlash call (up to
   * PROGRAM_BATCH bytes): over a bootloader link one command per sector costs a round trip
   * each. Bytes count as programmed once the way in has confirmed them (onCommitted); the
   * rest of a call that failed may hold some of its bytes (maybeProgrammed).
   */
  async program(target: DeviceInfo['target']): Promise<void> {
    this.progress.phase = 'program';
    const programs = this.plan.operations.filter((o): o is ProgramOperation => o.kind === 'program');
    if (!programs.length) return;
    const { reporter, signal } = this;
    reporter.start('program', this.plan.cost.bytesToProgram, `Programming ${programs.length} range(s)`);
    for (const batch of programBatches(programs, target)) {
      throwIfAborted(signal, 'write');
      const data = batch.length === 1 ? batch[0]!.data : concat(batch.map((o) => o.data));
      const address = batch[0]!.address;
      const base = reporter.position;
      const track = reporter.tracker();
      let done = 0;
      try {
        await this.programmer.programFlash(address, data, { ...this.ctx, onProgress: track, onCommitted: (n) => { done = Math.max(done, Math.min(n, data.length)); } });
      } catch (e) {
        this.wrote({ address, size: done });
        if (done < data.length) this.progress.maybeProgrammed = [{ address: address + done, size: data.length - done }];
        throw await diagnoseProgramFailure(e, this.programmer, target, address + done, this.progress.erased, signal);
      }
      reporter.reach(base + data.length);
      this.wrote({ address, size: data.length });
    }
    reporter.finish();
  }

  private wrote(r: Range): void {
    if (r.size <= 0) return;
    this.progress.programmed.push(r);
    this.progress.pending = subtract(this.progress.pending, r);
  }

  async writeRam(): Promise<void> {
    this.progress.phase = 'write-ram';
    const rams = this.plan.operations.filter((o): o is RamOperation => o.kind === 'write-ram');
    if (!rams.length) return;
    const { reporter, signal } = this;
    reporter.start('write-ram', this.plan.cost.bytesToWriteRam, 'Writing RAM');
    for (const op of rams) {
      throwIfAborted(signal, 'write');
      const base = reporter.position;
      try {
        await this.programmer.writeMemory(op.address, op.data, { ...this.ctx, onProgress: reporter.tracker() });
      } catch (e) {
        // No way in confirms RAM bytes one by one: any of the failed call's may have landed.
        this.progress.maybeProgrammed = [{ address: op.address, size: op.size }];
        throw e;
      }
      reporter.reach(base + op.size);
      this.wrote({ address: op.address, size: op.size });
    }
    reporter.finish();
  }

  async verify(method: VerifyMethod | 'none', target: DeviceInfo['target']): Promise<void> {
    this.progress.phase = 'verify';
    if (method === 'none' || this.plan.verify.length === 0) return;
    const ranges: VerifyRange[] = this.plan.verify;
    this.reporter.start('verify', ranges.reduce((n, r) => n + r.expected.length, 0), `Verifying by ${method === 'digest' ? this.programmer.digest!.name : 'reading back'}`);
    for (const r of ranges) {
      await verifyRange(this.programmer, r, method, this.signal, this.reporter, { erasedValue: erasedValueAt(target, r.address) });
      this.progress.verified.push({ address: r.address, size: r.expected.length });
      this.bytesVerified += r.expected.length;
    }
    this.reporter.finish();
  }

  async run(address: number | undefined): Promise<void> {
    this.progress.phase = 'run';
    if (!this.programmer.run) {
      this.reporter.log('warn', `The ${this.programmer.kind} way in cannot start the application; reset the board.`);
      return;
    }
    throwIfAborted(this.signal, 'write');
    this.reporter.start('run', 0);
    await this.programmer.run(address, this.ctx);
    this.reporter.finish();
    this.ran = true;
  }

  /** Whether the device may differ from before the write. */
  get touched(): boolean {
    const p = this.progress;
    return p.changes.length > 0 || p.erased.length > 0 || p.chipErased || p.programmed.length > 0 || (p.maybeErased?.length ?? 0) > 0 || (p.maybeProgrammed?.length ?? 0) > 0;
  }
}

/** Largest single programFlash call the engine makes from coalesced operations. */
export const PROGRAM_BATCH = 64 * 1024;

/** Groups program operations that follow each other without a gap in the same region, each group ≤ PROGRAM_BATCH bytes. */
export function programBatches<T extends { address: number; size: number }>(ops: readonly T[], target: DeviceInfo['target']): T[][] {
  const out: T[][] = [];
  let size = 0;
  for (const op of ops) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (prev && prev.address + prev.size === op.address && regionAt(target, prev.address) === regionAt(target, op.address) && size + op.size <= PROGRAM_BATCH) {
      last.push(op);
      size += op.size;
    } else {
      out.push([op]);
      size = op.size;
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The erased value of the region holding `address` (0xFF outside any). */
export function erasedValueAt(target: DeviceInfo['target'], address: number): number {
  const r = regionAt(target, address);
  return r ? erasedValueOf(r) : 0xff;
}
