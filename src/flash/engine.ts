/**
 * The flash engine: drives any Programmer through pre-flight checks → learning what the
 * device holds → plan → erase / preserve / program / RAM writes → verify → run. Ways in
 * only move bytes; every decision is made here (and in the pure planner).
 */
import { CancelledError, FlashwrightError, throwIfAborted } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { DeviceInfo, Programmer } from '../programmer/types.js';
import { assertChecksPass, runChecks, type CheckFinding } from './checks/index.js';
import { FlashInterruptedError, PlanRefusedError, type WriteProgress } from './errors.js';
import type { EventSink } from './events.js';
import { erasedValueOf, isFlashLike, regionAt, regionSectors, sectorAt } from '../target/geometry.js';
import { expectedSector, planFlash, programData, touchedSectors, type EraseMode, type FlashPlan, type SectorKnowledge } from './plan.js';
import { placeImage } from './placement.js';
import { now, PhaseReporter } from './progress.js';
import { digestFits, readChunked, verifyRange, type VerifyMethod, type VerifyRange } from './verify.js';

export type { EraseMode, FlashPlan } from './plan.js';
export type { VerifyMethod } from './verify.js';
export { readMemoryRange, eraseRange, type ReadOptions, type EraseOptions, type EraseSummary } from './erase-read.js';

export interface EngineOptions {
  signal?: AbortSignal;
  onEvent?: EventSink;
}

export interface WriteOptions extends EngineOptions {
  /** Keep bytes of partly covered sectors that lie outside the image (default true). */
  preserve?: boolean;
  verify?: 'auto' | VerifyMethod | 'none';
  /**
   * Skip sectors that already hold the right bytes. Default: when the device can checksum its
   * memory or reads are cheap (see Programmer.cheapReads); otherwise learning costs a full read.
   */
  skipUnchanged?: boolean;
  eraseMode?: EraseMode;
  allowPermanentLock?: boolean;
  allowSecure?: boolean;
  /** Start the application afterwards (when the way in can). */
  run?: boolean;
  /** Regions (by name) that need configuration and are not configured; default: what the device reported. */
  unconfigured?: ReadonlySet<string>;
}

export interface WriteSummary {
  target: string;
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

/** Learns, per touched sector, whether it already matches (digest) or what it holds (read back). */
async function learn(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions, reporter: PhaseReporter): Promise<Map<number, SectorKnowledge>> {
  const knowledge = new Map<number, SectorKnowledge>();
  const preserve = options.preserve ?? true;
  const skip = skipByDefault(programmer, options);
  const sectors = touchedSectors(image, device.target, unconfiguredOf(device, options));
  const readable = !device.protection?.readProtected;
  const work = sectors.filter((s) => (skip && (programmer.digest || readable)) || (preserve && !image.covers(s.address, s.size)));
  if (work.length === 0) return knowledge;
  if (!readable && preserve && work.some((s) => !image.covers(s.address, s.size))) {
    throw new FlashwrightError('PRESERVE_UNREADABLE', `The device is read-protected (${device.protection?.description}), so the bytes around the image in partly covered sectors cannot be preserved.`,
      { hint: "Remove the read protection first with the way in's unprotect option (stm32-uart: --unprotect; mcuboot: --unsecure), which mass-erases the chip; --no-preserve helps only where the device still erases while protected.", context: { protection: device.protection?.description } });
  }
  reporter.start('read', work.reduce((n, s) => n + s.size, 0), 'Checking what the device holds');
  for (const s of work) {
    throwIfAborted(options.signal, 'write');
    const base = reporter.position;
    const partial = !image.covers(s.address, s.size);
    if (skip && digestFits(programmer, s.address, s.size)) {
      const d = programmer.digest!;
      const remote = await d.remote(s.address, s.size, { signal: options.signal });
      const erased = erasedValueOf(s.region);
      if (remote === d.local(expectedSector(image, s, false)!)) {
        knowledge.set(s.address, { matches: true });
        reporter.reach(base + s.size);
        continue;
      }
      if (remote === d.local(new Uint8Array(s.size).fill(erased))) {
        knowledge.set(s.address, { bytes: new Uint8Array(s.size).fill(erased) });
        reporter.reach(base + s.size);
        continue;
      }
      if (!(preserve && partial)) { reporter.reach(base + s.size); continue; }
    }
    if (!readable) { reporter.reach(base + s.size); continue; }
    const bytes = partial && preserve && !programmer.checkedReads
      ? await readConsistently(programmer, s.address, s.size, reporter, options.signal)
      : await readChunked(programmer, s.address, s.size, reporter, options.signal);
    knowledge.set(s.address, { bytes });
    reporter.reach(base + s.size);
  }
  reporter.finish();
  return knowledge;
}

/** Whether the engine learns what the device holds in order to skip unchanged sectors. */
function skipByDefault(programmer: Programmer, options: WriteOptions): boolean {
  return options.skipUnchanged ?? (programmer.digest !== undefined || programmer.cheapReads === true);
}

/**
 * Reads bytes that will be written back (preserved) until two reads agree, because over an
 * unchecked link a garbled byte would otherwise be programmed silently. Three tries at most.
 */
async function readConsistently(programmer: Programmer, address: number, size: number, reporter: PhaseReporter, signal?: AbortSignal): Promise<Uint8Array> {
  let previous = await readChunked(programmer, address, size, reporter, signal);
  for (let attempt = 0; attempt < 3; attempt++) {
    const again = await readChunked(programmer, address, size, undefined, signal); // progress already counted

    const diff = again.findIndex((b, i) => b !== previous[i]);
    if (diff < 0) return again;
    reporter.log('warn', `Two reads of ${hex(address + diff)} differ (${hex(previous[diff], 2)} then ${hex(again[diff], 2)}): reading the sector again.`, { address: address + diff });
    previous = again;
  }
  throw new FlashwrightError('PRESERVE_READ_UNSTABLE', `Reads of the sector at ${hex(address)} keep giving different bytes, so its old contents cannot be preserved safely.`, {
    hint: 'The link is corrupting data: lower the baud rate, check the cable and ground, or pass --no-preserve to erase the sector completely.',
    context: { address, size },
  });
}

export interface PreparedWrite {
  plan: FlashPlan;
  knowledge: Map<number, SectorKnowledge>;
  findings: CheckFinding[];
}

/** The regions a write must not touch yet: the caller's list, else what the device reported. */
function unconfiguredOf(device: DeviceInfo, options: WriteOptions): ReadonlySet<string> | undefined {
  return options.unconfigured ?? (device.unconfiguredRegions ? new Set(device.unconfiguredRegions) : undefined);
}

/** Checks, learns what the device holds, and plans (reading back bytes to preserve); changes nothing. */
async function prepare(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions, reporter: PhaseReporter): Promise<PreparedWrite> {
  const target = device.target;
  const findings = runChecks(image, target, options);
  for (const f of findings) if (f.severity !== 'error') reporter.log(f.severity === 'warning' ? 'warn' : 'info', f.message, { check: f.id, hint: f.hint });
  assertChecksPass(findings);
  const unconfigured = unconfiguredOf(device, options);
  placeImage(image, target, { unconfigured });
  throwIfAborted(options.signal, 'write');

  const knowledge = await learn(programmer, device, image, options, reporter);
  const planInput = {
    image, target, knowledge,
    preserve: options.preserve ?? true,
    skipUnchanged: options.skipUnchanged ?? true,
    eraseMode: options.eraseMode,
    chipEraseAvailable: programmer.eraseChip !== undefined,
    unconfigured,
    writeProtectedSectors: device.protection?.writeProtectedSectors,
  };
  let plan = planFlash(planInput);
  // Sectors to preserve whose bytes are not known yet (a chip erase, or a digest mismatch).
  const unknown = [...new Set(plan.operations.filter((o) => o.kind === 'preserve').map((o) => sectorAt(regionAt(target, o.address)!, o.address)!))]
    .filter((s) => !knowledge.get(s.address)?.bytes);
  if (unknown.length) {
    reporter.start('preserve', unknown.reduce((n, s) => n + s.size, 0), 'Reading back bytes to preserve');
    for (const s of unknown) {
      const base = reporter.position;
      knowledge.set(s.address, { bytes: await readChunked(programmer, s.address, s.size, reporter, options.signal) });
      reporter.reach(base + s.size);
    }
    reporter.finish();
    plan = planFlash(planInput);
  }
  return { plan, knowledge, findings };
}

/**
 * A dry run against a connected device: the plan writeImage would execute now (what is
 * skipped, erased, preserved, programmed), after the same checks. Reads, never writes.
 */
export async function planWrite(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions = {}): Promise<PreparedWrite> {
  return prepare(programmer, device, image, options, new PhaseReporter(options.onEvent));
}

/**
 * Writes an image: checks, learns, plans, erases, programs, verifies, optionally runs.
 * A failure after the first erase is wrapped in FlashInterruptedError whose context lists
 * the erased sectors, the programmed and verified ranges and what was still pending.
 */
export async function writeImage(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions = {}): Promise<WriteSummary> {
  const t0 = now();
  const reporter = new PhaseReporter(options.onEvent);
  const target = device.target;
  const preserve = options.preserve ?? true;
  const { signal } = options;
  const { plan, knowledge, findings } = await prepare(programmer, device, image, options, reporter);
  reporter.emit({ type: 'plan', plan });

  const progress: WriteProgress = { phase: 'erase', erased: [], chipErased: false, programmed: [], verified: [], pending: plan.operations.filter((o) => o.kind === 'program' || o.kind === 'write-ram').map((o) => ({ address: o.address, size: o.size })) };
  let bytesVerified = 0;
  let ran = false;
  const method = chooseMethod(programmer, device, options.verify, reporter);
  try {
    const erases = plan.operations.filter((o) => o.kind === 'erase');
    if (erases.length) {
      reporter.start('erase', erases.reduce((n, o) => n + o.size, 0), plan.cost.chipErase ? 'Mass erase' : `Erasing ${erases.length} sector(s)`);
      if (erases.some((o) => o.kind === 'erase' && o.chip)) {
        throwIfAborted(signal, 'write');
        progress.maybeErased = erases.filter((o) => o.kind === 'erase' && o.chip).map((o) => ({ address: o.address, size: o.size }));
        await programmer.eraseChip!({ signal });
        progress.maybeErased = undefined;
        progress.chipErased = true;
        reporter.advance(erases.filter((o) => o.kind === 'erase' && o.chip).reduce((n, o) => n + o.size, 0));
      }
      const sectorErases = erases.filter((o) => !(o.kind === 'erase' && o.chip));
      // Batches keep the protocol efficient while the resume record stays precise.
      for (let i = 0; i < sectorErases.length; i += 8) {
        throwIfAborted(signal, 'write');
        const batch = sectorErases.slice(i, i + 8).map((o) => ({ address: o.address, size: o.size }));
        const base = reporter.position;
        progress.maybeErased = batch; // until the call returns, any of these may be erased
        await programmer.eraseSectors(batch, { signal, onProgress: reporter.tracker() });
        progress.maybeErased = undefined;
        progress.erased.push(...batch.map((b) => b.address));
        reporter.reach(base + batch.reduce((n, b) => n + b.size, 0));
      }
      reporter.finish();
    }

    progress.phase = 'program';
    const programs = plan.operations.filter((o) => o.kind === 'program');
    if (programs.length) {
      reporter.start('program', plan.cost.bytesToProgram, `Programming ${programs.length} range(s)`);
      // Contiguous operations in one region go out as one programFlash call (up to
      // PROGRAM_BATCH bytes): over a bootloader link one command per sector costs a round trip
      // each. The resume record lists an operation as programmed once its call has returned.
      const batches = programBatches(programs, target);
      for (const batch of batches) {
        throwIfAborted(signal, 'write');
        const pieces = batch.map((op) => {
          const sector = sectorAt(regionAt(target, op.address)!, op.address)!;
          return programData(op, image, sector, preserve, knowledge.get(sector.address)?.bytes);
        });
        const data = pieces.length === 1 ? pieces[0] : concat(pieces);
        const base = reporter.position;
        const track = reporter.tracker();
        let doneInCall = 0;
        const settle = (upTo: number) => {
          // An operation counts as programmed once the way in has reported all of its bytes.
          let end = 0;
          while (batch.length && end + pieces[0].length <= upTo) {
            end += pieces.shift()!.length;
            const op = batch.shift()!;
            progress.programmed.push({ address: op.address, size: op.size });
            progress.pending.shift();
          }
          return end;
        };
        try {
          await programmer.programFlash(batch[0].address, data, { signal, onProgress: (n) => { doneInCall = n; track(n); } });
        } catch (e) {
          settle(doneInCall);
          throw e;
        }
        reporter.reach(base + data.length);
        settle(data.length);
      }
      reporter.finish();
    }

    progress.phase = 'write-ram';
    const rams = plan.operations.filter((o) => o.kind === 'write-ram');
    if (rams.length) {
      reporter.start('write-ram', plan.cost.bytesToWriteRam, 'Writing RAM');
      for (const op of rams) {
        throwIfAborted(signal, 'write');
        const base = reporter.position;
        await programmer.writeMemory(op.address, image.read(op.address, op.size), { signal, onProgress: reporter.tracker() });
        reporter.reach(base + op.size);
        progress.programmed.push({ address: op.address, size: op.size });
        progress.pending.shift();
      }
      reporter.finish();
    }

    progress.phase = 'verify';
    if (method !== 'none') {
      const ranges: VerifyRange[] = [];
      for (const s of plan.sectors) {
        if (s.action === 'skip') continue;
        const sector = sectorAt(regionAt(target, s.address)!, s.address)!;
        const expected = expectedSector(image, sector, preserve, knowledge.get(s.address)?.bytes) ?? expectedSector(image, sector, false)!;
        ranges.push({ address: s.address, expected, sector: { address: s.address, size: s.size } });
      }
      for (const op of rams) ranges.push({ address: op.address, expected: image.read(op.address, op.size) });
      if (ranges.length) reporter.start('verify', ranges.reduce((n, r) => n + r.expected.length, 0), `Verifying by ${method === 'digest' ? programmer.digest!.name : 'reading back'}`);
      for (const r of ranges) {
        await verifyRange(programmer, r, method, signal, reporter);
        progress.verified.push({ address: r.address, size: r.expected.length });
        bytesVerified += r.expected.length;
      }
      reporter.finish();
    }

    progress.phase = 'run';
    if (options.run) {
      if (!programmer.run) reporter.log('warn', `The ${programmer.kind} way in cannot start the application; reset the board.`);
      else {
        throwIfAborted(signal, 'write');
        reporter.start('run', 0);
        await programmer.run(runAddress(image, device), { signal });
        reporter.finish();
        ran = true;
      }
    }
  } catch (e) {
    reporter.fail(e);
    if (e instanceof FlashwrightError && e.code === 'VERIFY_MISMATCH') throw e;
    const touched = progress.erased.length > 0 || progress.chipErased || progress.programmed.length > 0 || (progress.maybeErased?.length ?? 0) > 0;
    // Nothing changed yet: the plain error (or CancelledError) says it all. Otherwise the
    // caller needs to know the device is half-written, whatever stopped it (Ctrl-C included).
    if (!touched && (progress.phase === 'erase' || e instanceof CancelledError)) throw e;
    throw new FlashInterruptedError(progress, e);
  }

  const elapsedMs = now() - t0;
  const bytesWritten = plan.cost.bytesToProgram + plan.cost.bytesToWriteRam;
  const preservedSectors = new Set(plan.operations.filter((o) => o.kind === 'preserve').map((o) => sectorAt(regionAt(target, o.address)!, o.address)!.address));
  const summary: WriteSummary = {
    target: target.name,
    imageBytes: image.size,
    bytesWritten,
    sectorsErased: plan.cost.sectorErases + (plan.cost.chipErase ? target.regions.filter((r) => r.kind === 'flash').reduce((n, r) => n + regionSectors(r).length, 0) : 0),
    sectorsWritten: plan.sectors.filter((s) => s.action !== 'skip').length,
    chipErase: plan.cost.chipErase,
    sectorsSkipped: plan.sectors.filter((s) => s.action === 'skip').length,
    sectorsPreserved: preservedSectors.size,
    bytesPreserved: plan.operations.filter((o) => o.kind === 'preserve').reduce((n, o) => n + o.size, 0),
    verify: method,
    bytesVerified,
    ran,
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
  for (const s of image.segments) {
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
    throw new FlashwrightError('VERIFY_IMPOSSIBLE', `The device is read-protected and the ${programmer.kind} way in has no device checksum, so it cannot be verified.`,
      { hint: 'Write the image again (the write verifies as it goes where it can), or remove the read protection.' });
  }
  const pieces = placeImage(image, device.target);
  const ranges: VerifyRange[] = [];
  for (const p of pieces) {
    // Split flash pieces at sector borders so a mismatch names its sector.
    let at = p.address;
    while (at < p.address + p.size) {
      const sector = isFlashLike(p.region) ? sectorAt(p.region, at) : undefined;
      const end = Math.min(p.address + p.size, sector ? sector.address + sector.size : p.address + p.size);
      for (const s of image.slice(at, end).segments) {
        ranges.push({ address: s.address, expected: s.data, sector: sector && { address: sector.address, size: sector.size } });
      }
      at = end;
    }
  }
  const total = ranges.reduce((n, r) => n + r.expected.length, 0);
  reporter.start('verify', total, `Verifying ${ranges.length} range(s)`);
  for (const r of ranges) {
    // Unaligned pieces fall back to reading back inside verifyRange.
    await verifyRange(programmer, r, method, options.signal, reporter);
  }
  reporter.finish();
  const summary: VerifySummary = { target: device.target.name, method, bytesVerified: total, ranges: ranges.length, elapsedMs: now() - t0 };
  reporter.emit({ type: 'done', summary });
  return summary;
}

/** For messages: "0x08000000+0x400". */
export function describeRange(r: { address: number; size: number }): string {
  return `${hex(r.address)}+${hex(r.size, 1)}`;
}

export { PlanRefusedError };
