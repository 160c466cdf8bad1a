/**
 * The flash engine: drives any Programmer through pre-flight checks → learning what the
 * device holds → plan (prepare.ts, made once) → a plain walk over the plan's phases:
 * unlock → erase → program → RAM writes → verify → protect → run. Ways in only move bytes;
 * every decision is made in the planner, and the walk keeps a true resume record.
 */
import { CancelledError, FlashwrightError, RefusedBeforeSendingError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { DeviceInfo, Programmer } from '../programmer/types.js';
import { isFlashLike, regionAt, regionSectors, sectorAt } from '../target/geometry.js';
import type { ChangeReport } from './changes.js';
import type { CheckFinding } from './checks/index.js';
import { FlashInterruptedError, PlanRefusedError, protectionRemedy, VerifyError } from './errors.js';
import type { FlashPlan } from './plan.js';
import { placeImage } from './placement.js';
import { prepareWrite, type EngineOptions, type WriteOptions } from './prepare.js';
import { keptBytesOf } from './journal.js';
import { now, PhaseReporter } from './progress.js';
import { verifyRange, type VerifyMethod, type VerifyRange } from './verify.js';
import { erasedValueAt, PlanWalk } from './walk.js';

export { PROGRAM_BATCH, programBatches } from './walk.js';

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

/** For messages: "0x08000000+0x400". */
export function describeRange(r: { address: number; size: number }): string {
  return `${hex(r.address)}+${hex(r.size, 1)}`;
}

export { PlanRefusedError };
