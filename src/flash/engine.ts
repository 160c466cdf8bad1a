/**
 * The flash engine: drives any Programmer through pre-flight checks → learning what the
 * device holds → plan (prepare.ts, made once) → a plain walk over the plan's phases:
 * unlock → erase → program → RAM writes → verify → protect → run. Ways in only move bytes;
 * every decision is made in the planner, and the walk keeps a true resume record.
 */
import { CancelledError, FlashwrightError, RefusedBeforeSendingError, throwIfAborted } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { DeviceInfo, Programmer } from '../programmer/types.js';
import { erasedValueOf, isFlashLike, regionAt, regionSectors, sectorAt } from '../target/geometry.js';
import { changeReport, type ChangeReport } from './changes.js';
import type { CheckFinding } from './checks/index.js';
import { diagnoseProgramFailure } from './diagnose.js';
import { FlashInterruptedError, PlanRefusedError, protectionRemedy, VerifyError, type Range, type WriteProgress } from './errors.js';
import type { ChangeOperation, FlashPlan, ProgramOperation, RamOperation } from './plan.js';
import { placeImage } from './placement.js';
import { prepareWrite, type EngineOptions, type WriteOptions } from './prepare.js';
import { keptBytesOf } from './journal.js';
import { now, PhaseReporter } from './progress.js';
import { verifyRange, type VerifyMethod, type VerifyRange } from './verify.js';

export type { EraseMode, FlashPlan } from './plan.js';
export type { VerifyMethod } from './verify.js';
export { planWrite, type EngineOptions, type WriteOptions, type PreparedWrite } from './prepare.js';
export { readMemoryRange, eraseRange, type ReadOptions, type EraseOptions, type EraseSummary } from './erase-read.js';

export type { ChangeReport } from './changes.js';

export interface WriteSummary {
  target: string;
  /** The journal the kept bytes were saved in before the erase (cleared once verified). */
  journal?: string;
  /** Image data bytes placed on the device (flash + RAM). */
  imageBytes: number;
  /** Bytes sent to program flash (page padding and preserved bytes included) plus RAM bytes. */
  bytesWritten: number;
  sectorsErased: number;
  /** Sectors erased and/or programmed (not skipped). */
  sectorsWritten: number;
  chipErase: boolean;
  sectorsSkipped: number;
  /** Sectors whose bytes outside the image were read back and rewritten. */
  sectorsPreserved: number;
  bytesPreserved: number;
  verify: VerifyMethod | 'none';
  bytesVerified: number;
  /** Unlocks and protections that ran, in order. */
  changes: ChangeReport[];
  ran: boolean;
  elapsedMs: number;
  /** Written bytes per second over the whole call, in KiB/s. */
  kibPerSecond: number;
  warnings: CheckFinding[];
  plan: FlashPlan;
}

export interface VerifyOptions extends EngineOptions {
  verify?: 'auto' | VerifyMethod;
}

export interface VerifySummary {
  target: string;
  method: VerifyMethod;
  bytesVerified: number;
  ranges: number;
  elapsedMs: number;
}

function chooseMethod(programmer: Programmer, device: DeviceInfo, asked: 'auto' | VerifyMethod | 'none' | undefined, reporter: PhaseReporter): VerifyMethod | 'none' {
  const want = asked ?? 'auto';
  if (want === 'none') return 'none';
  if (want === 'digest' || want === 'auto') {
    if (programmer.digest) return 'digest';
    if (want === 'digest') reporter.log('warn', `The ${programmer.kind} way in has no device checksum; verifying by reading back.`);
  }
  if (device.protection?.readProtected) {
    reporter.log('warn', 'The device is read-protected: it cannot be verified by reading back.', { protection: device.protection.description });
    return 'none';
  }
  return 'readback';
}

/** `ranges` less `[address, address+size)`. */
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
class PlanWalk {
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

/**
 * Writes an image: checks, learns, plans once, then walks the plan. A failure once anything
 * may have changed is wrapped in FlashInterruptedError whose progress lists the changes
 * made, the erased (and maybe-erased) sectors, the programmed (and maybe-programmed),
 * verified and still pending ranges.
 */
export async function writeImage(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions = {}): Promise<WriteSummary> {
  const t0 = now();
  const reporter = new PhaseReporter(options.onEvent);
  const target = device.target;
  const { plan, findings, device: after } = await prepareWrite(programmer, device, image, options, reporter);
  reporter.emit({ type: 'plan', plan });
  const method = chooseMethod(programmer, after, options.verify, reporter);
  const walk = new PlanWalk(programmer, plan, reporter, options.signal);
  // Before anything is erased, the bytes the plan keeps go to the journal, so an interrupted
  // write cannot lose them: the record names it and the next run restores them.
  const kept = keptBytesOf(plan);
  if (kept.length && options.journal && plan.operations.some((o) => o.kind === 'erase')) {
    await options.journal.save(kept);
    walk.progress.kept = { journal: options.journal.name, ranges: kept.map((k) => ({ address: k.address, size: k.data.length })) };
    reporter.log('info', `Saved ${kept.reduce((n, k) => n + k.data.length, 0)} byte(s) to keep in ${options.journal.name} before erasing.`, { journal: options.journal.name });
  }
  try {
    await walk.changesOf('unlock');
    await walk.erase();
    await walk.program(target);
    await walk.writeRam();
    await walk.verify(method, target);
    // Verified (or written without verify): the kept bytes are back on the device.
    await options.journal?.clear();
    await walk.changesOf('protect');
    if (options.run) await walk.run(runAddress(image, device));
  } catch (e) {
    reporter.fail(e);
    // A mismatch is the chip's answer, not an interruption: it carries the write's record.
    if (e instanceof VerifyError) throw e.duringWrite(walk.progress);
    if (e instanceof FlashwrightError && e.code === 'VERIFY_MISMATCH') throw e;
    if (e instanceof RefusedBeforeSendingError) {
      // The failed call sent nothing: none of its memory can have changed.
      walk.progress.maybeErased = undefined;
      walk.progress.maybeProgrammed = undefined;
    }
    // Nothing changed yet: the plain error (or CancelledError) says it all. Otherwise the
    // caller needs to know the device is half-written, whatever stopped it (Ctrl-C included).
    if (!walk.touched && (e instanceof CancelledError || ['unlock', 'erase'].includes(walk.progress.phase))) throw e;
    throw new FlashInterruptedError(walk.progress, e);
  }

  const elapsedMs = now() - t0;
  const bytesWritten = plan.cost.bytesToProgram + plan.cost.bytesToWriteRam;
  const preserves = plan.operations.flatMap((o) => (o.kind === 'preserve' ? [o] : []));
  const preservedSectors = new Set(preserves.map((o) => sectorAt(regionAt(target, o.address)!, o.address)!.address));
  const summary: WriteSummary = {
    ...(walk.progress.kept ? { journal: walk.progress.kept.journal } : {}),
    target: target.name,
    imageBytes: image.size,
    bytesWritten,
    sectorsErased: plan.cost.sectorErases + (plan.cost.chipErase ? target.regions.filter((r) => r.kind === 'flash').reduce((n, r) => n + regionSectors(r).length, 0) : 0),
    sectorsWritten: plan.sectors.filter((s) => s.action !== 'skip').length,
    chipErase: plan.cost.chipErase,
    sectorsSkipped: plan.sectors.filter((s) => s.action === 'skip').length,
    sectorsPreserved: preservedSectors.size,
    bytesPreserved: preserves.reduce((n, o) => n + o.size, 0),
    verify: method,
    bytesVerified: walk.bytesVerified,
    changes: walk.changes,
    ran: walk.ran,
    elapsedMs,
    kibPerSecond: elapsedMs > 0 ? bytesWritten / 1024 / (elapsedMs / 1000) : 0,
    warnings: findings.filter((f) => f.severity !== 'error'),
    plan,
  };
  reporter.emit({ type: 'done', summary });
  return summary;
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

/** Where to start the application: the vector table (lowest flash address of the image) or the entry point. */
function runAddress(image: MemoryImage, device: DeviceInfo): number | undefined {
  for (const s of image.eachSegment()) {
    const r = regionAt(device.target, s.address);
    if (r && isFlashLike(r) && r.kind !== 'option-bytes') return s.address;
  }
  return image.entryPoint;
}

/** Checks that the device holds the image (image bytes only; gaps are not compared). */
export async function verifyImage(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: VerifyOptions = {}): Promise<VerifySummary> {
  const t0 = now();
  const reporter = new PhaseReporter(options.onEvent);
  const method = chooseMethod(programmer, device, options.verify, reporter);
  if (method === 'none') {
    throw new FlashwrightError('VERIFY_IMPOSSIBLE', `The chip is read-protected (${device.protection?.description ?? 'protected'}) and the ${programmer.kind} way in has no device checksum, so what it holds cannot be verified.`,
      { hint: `To verify it, ${protectionRemedy(programmer.kind)}, then write and verify the image again.`, context: { protection: device.protection?.description } });
  }
  const pieces = placeImage(image, device.target);
  const ranges: VerifyRange[] = [];
  for (const p of pieces) {
    // Split flash pieces at sector borders so a mismatch names its sector.
    let at = p.address;
    while (at < p.address + p.size) {
      const sector = isFlashLike(p.region) ? sectorAt(p.region, at) : undefined;
      const end = Math.min(p.address + p.size, sector ? sector.address + sector.size : p.address + p.size);
      for (const s of image.eachSegment(at, end)) {
        ranges.push({ address: s.address, expected: s.data, sector: sector && { address: sector.address, size: sector.size } });
      }
      at = end;
    }
  }
  const total = ranges.reduce((n, r) => n + r.expected.length, 0);
  reporter.start('verify', total, `Verifying ${ranges.length} range(s)`);
  for (const r of ranges) {
    // Unaligned pieces fall back to reading back inside verifyRange.
    await verifyRange(programmer, r, method, options.signal, reporter, { erasedValue: erasedValueAt(device.target, r.address) });
  }
  reporter.finish();
  const summary: VerifySummary = { target: device.target.name, method, bytesVerified: total, ranges: ranges.length, elapsedMs: now() - t0 };
  reporter.emit({ type: 'done', summary });
  return summary;
}

/** The erased value of the region holding `address` (0xFF when unknown). */
function erasedValueAt(target: DeviceInfo['target'], address: number): number {
  const r = regionAt(target, address);
  return r ? erasedValueOf(r) : 0xff;
}

/** For messages: "0x08000000+0x400". */
export function describeRange(r: { address: number; size: number }): string {
  return `${hex(r.address)}+${hex(r.size, 1)}`;
}

export { PlanRefusedError };
