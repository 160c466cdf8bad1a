/**
 * Everything a write does before it changes anything: pre-flight checks, the unlocks and
 * protections asked for, learning what the device holds (digests or read-back per sector,
 * and the bytes to preserve), then the plan — made once. `planWrite` is exactly this, so
 * `plan --via X` shows what `write --via X` then does.
 */
import { protectionRemedy } from './errors.js';
import { FlashwrightError, throwIfAborted } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { DeviceChange, DeviceChangeKind, DeviceInfo, Programmer } from '../programmer/types.js';
import { erasedValueOf, regionSectors, type FlashSector } from '../target/geometry.js';
import { assertChecksPass, runChecks, type CheckFinding } from './checks/index.js';
import { identityFindings, identityTarget } from './checks/identity.js';
import { deviceAfterUnlocks, erasedByUnlock, planChanges } from './changes.js';
import type { EventSink } from './events.js';
import type { KeptBytesJournal } from './journal.js';
import { expectedSector, planFlash, touchedSectors, type EraseMode, type FlashPlan, type SectorKnowledge } from './plan.js';
import { placeImage } from './placement.js';
import { PhaseReporter } from './progress.js';
import { digestFits, readChunked, type VerifyMethod } from './verify.js';

export interface EngineOptions {
  signal?: AbortSignal;
  onEvent?: EventSink;
}

export interface WriteOptions extends EngineOptions {
  /** Keep bytes of partly covered sectors that lie outside the image (default true). */
  preserve?: boolean | undefined;
  verify?: ('auto' | VerifyMethod | 'none') | undefined;
  /**
   * Skip sectors that already hold the right bytes. Default: when the device can checksum its
   * memory or reads are cheap (see Programmer.cheapReads); otherwise learning costs a full read.
   */
  skipUnchanged?: boolean | undefined;
  eraseMode?: EraseMode;
  allowPermanentLock?: boolean | undefined;
  allowSecure?: boolean | undefined;
  /** Write an image covering the boot address that the chip would not boot (vector table, boot header). */
  allowUnbootable?: boolean | undefined;
  /** Start the application afterwards (when the way in can). */
  run?: boolean;
  /** Regions (by name) that need configuration and are not configured; default: what the device reported. */
  unconfigured?: ReadonlySet<string> | undefined;
  /** Unlocks and protections to make (the way in must offer them); each is a plan operation. */
  changes?: readonly DeviceChangeKind[] | undefined;
  /** Where bytes to keep are saved before their sector is erased (journal.ts); none = not saved. */
  journal?: KeptBytesJournal | undefined;
}

export interface PreparedWrite {
  plan: FlashPlan;
  knowledge: Map<number, SectorKnowledge>;
  findings: CheckFinding[];
  /** The device as the plan's unlocks leave it (protection), which the rest of the write plans with. */
  device: DeviceInfo;
}

/** Whether the engine learns what the device holds in order to skip unchanged sectors. */
export function skipByDefault(programmer: Programmer, options: WriteOptions): boolean {
  return options.skipUnchanged ?? (programmer.digest !== undefined || programmer.cheapReads === true);
}

/** The regions a write must not touch yet: the caller's list, else what the device reported. */
function unconfiguredOf(device: DeviceInfo, options: WriteOptions): ReadonlySet<string> | undefined {
  return options.unconfigured ?? (device.unconfiguredRegions ? new Set(device.unconfiguredRegions) : undefined);
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
    reporter.log('warn', `Two reads of ${hex(address + diff)} differ (${hex(previous[diff]!, 2)} then ${hex(again[diff]!, 2)}): reading the sector again.`, { address: address + diff });
    previous = again;
  }
  throw new FlashwrightError('PRESERVE_READ_UNSTABLE', `Reads of the sector at ${hex(address)} keep giving different bytes, so its old contents cannot be preserved safely.`, {
    hint: 'The link is corrupting data: lower the baud rate, check the cable and ground, or pass --no-preserve to erase the sector completely.',
    context: { address, size },
  });
}

interface LearnJob {
  sector: FlashSector;
  /** The image covers part of the sector. */
  partial: boolean;
  /** The bytes are needed (preserve); otherwise only "does it match" is. */
  needBytes: boolean;
}

/**
 * Learns, per sector, whether it already matches (digest) or what it holds (read back):
 * touched sectors for skipping and preserving, and — when a chip erase is asked for with
 * preserve on — every other sector of the chip's flash, whose bytes the mass erase would
 * otherwise lose. Sectors an unlock mass-erases need no reading: the plan knows them.
 */
async function learn(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions, changes: readonly DeviceChange[], reporter: PhaseReporter): Promise<Map<number, SectorKnowledge>> {
  const knowledge = new Map<number, SectorKnowledge>();
  const preserve = options.preserve ?? true;
  // A mass erase wipes every sector first: reading them to skip the unchanged ones is wasted
  // (only bytes to keep are read, and only when preserving).
  const skip = skipByDefault(programmer, options) && !(options.eraseMode === 'chip' && programmer.eraseChip);
  const readable = !device.protection?.readProtected;
  const touched = touchedSectors(image, device.target, unconfiguredOf(device, options)).filter((s) => !erasedByUnlock(changes, s));
  const jobs: LearnJob[] = touched
    .map((s) => ({ sector: s, partial: !image.covers(s.address, s.size), needBytes: preserve && !image.covers(s.address, s.size) }))
    .filter((j) => (skip && (programmer.digest || readable)) || j.needBytes);
  const untouched: LearnJob[] = [];
  if (options.eraseMode === 'chip' && preserve && programmer.eraseChip) {
    const seen = new Set(touched.map((s) => s.address));
    for (const r of device.target.regions.filter((x) => x.kind === 'flash')) {
      for (const s of regionSectors(r)) if (!seen.has(s.address) && !erasedByUnlock(changes, s)) untouched.push({ sector: s, partial: true, needBytes: true });
    }
  }
  if (!readable && [...jobs, ...untouched].some((j) => j.needBytes)) {
    // Name the security first: it is the cause; the preserved bytes are only its consequence.
    throw new FlashwrightError('PRESERVE_UNREADABLE', `The chip is protected — ${device.protection?.description} — so its bootloader refuses to read the bytes around the image in partly covered sectors, and they cannot be kept.`,
      { hint: `To write it, ${protectionRemedy(programmer.kind)}; --no-preserve helps only where the device still erases while protected (everything else in those sectors is then lost).`, context: { protection: device.protection?.description } });
  }
  const run = async (phase: 'read' | 'preserve', list: LearnJob[], message: string) => {
    if (list.length === 0) return;
    reporter.start(phase, list.reduce((n, j) => n + j.sector.size, 0), message);
    for (const { sector: s, partial, needBytes } of list) {
      throwIfAborted(options.signal, 'write');
      const base = reporter.position;
      if (digestFits(programmer, s.address, s.size) && (skip || phase === 'preserve')) {
        const d = programmer.digest!;
        const remote = await d.remote(s.address, s.size, { signal: options.signal });
        const erased = new Uint8Array(s.size).fill(erasedValueOf(s.region));
        if (phase === 'read' && remote === d.local(expectedSector(image, s, false)!)) {
          knowledge.set(s.address, { matches: true });
          reporter.reach(base + s.size);
          continue;
        }
        if (remote === d.local(erased)) {
          knowledge.set(s.address, { bytes: erased });
          reporter.reach(base + s.size);
          continue;
        }
        if (!needBytes) { reporter.reach(base + s.size); continue; }
      }
      if (!readable) { reporter.reach(base + s.size); continue; }
      const bytes = partial && needBytes && !programmer.checkedReads
        ? await readConsistently(programmer, s.address, s.size, reporter, options.signal)
        : await readChunked(programmer, s.address, s.size, reporter, options.signal);
      knowledge.set(s.address, { bytes });
      reporter.reach(base + s.size);
    }
    reporter.finish();
  };
  await run('read', jobs, 'Checking what the device holds');
  await run('preserve', untouched, 'Reading back bytes the mass erase would lose');
  return knowledge;
}

/** Checks, plans the unlocks, learns what the device holds, and plans the write once; changes nothing. */
export async function prepareWrite(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions, reporter: PhaseReporter): Promise<PreparedWrite> {
  const target = device.target;
  const own = runChecks(image, target, options);
  // A target file may add checks, never remove the ones the reported chip needs.
  const findings = [...own, ...identityFindings(image, identityTarget(programmer.kind, device), own, options)];
  for (const f of findings) if (f.severity !== 'error') reporter.log(f.severity === 'warning' ? 'warn' : 'info', f.message, { check: f.id, hint: f.hint });
  assertChecksPass(findings);
  const unconfigured = unconfiguredOf(device, options);
  placeImage(image, target, { unconfigured });
  throwIfAborted(options.signal, 'write');
  const changes = planChanges(programmer, device, options.changes ?? []);
  const after = deviceAfterUnlocks(device, changes);
  const knowledge = await learn(programmer, device, image, options, changes, reporter);
  const plan = planFlash({
    image, target, knowledge, changes,
    preserve: options.preserve ?? true,
    skipUnchanged: options.skipUnchanged ?? true,
    eraseMode: options.eraseMode,
    chipEraseAvailable: programmer.eraseChip !== undefined,
    unconfigured,
    writeProtectedSectors: after.protection?.writeProtectedSectors,
  });
  if (plan.cost.bytesToRead > 0) {
    // learn() reads every sector whose bytes the plan keeps; a gap here would write wrong "old" bytes.
    throw new FlashwrightError('PLAN_INCOMPLETE', `The plan keeps ${plan.cost.bytesToRead} byte(s) that were not read from the device.`, { hint: 'Pass --no-preserve, or report this as a bug.', context: { bytes: plan.cost.bytesToRead } });
  }
  return { plan, knowledge, findings, device: after };
}

/**
 * A dry run against a connected device: the plan writeImage would execute now (what is
 * unlocked, skipped, erased, preserved, programmed, protected), after the same checks and
 * with the same defaults. Reads, never writes.
 */
export async function planWrite(programmer: Programmer, device: DeviceInfo, image: MemoryImage, options: WriteOptions = {}): Promise<PreparedWrite> {
  const prepared = await prepareWrite(programmer, device, image, options, new PhaseReporter(options.onEvent));
  const refusal = protectionRefusal(programmer.kind, prepared.device, prepared.plan);
  return refusal ? { ...prepared, findings: [...prepared.findings, refusal] } : prepared;
}

/**
 * A plan that erases or programs a device still read-protected once its unlocks have run: the
 * device refuses it (STM32 RDP level 1 refuses erase and Write Memory; a secured Kinetis refuses
 * every flash command but the unlocks), so the plan says a write would be refused.
 */
export function protectionRefusal(kind: string, device: DeviceInfo, plan: FlashPlan): CheckFinding | undefined {
  const protection = device.protection;
  if (!protection?.readProtected) return undefined;
  if (!plan.operations.some((o) => o.kind === 'erase' || o.kind === 'program' || o.kind === 'write-ram')) return undefined;
  return {
    id: 'device.protected', severity: 'error',
    message: `The device is protected — ${protection.description} — so the write's erases and programming would be refused.`,
    hint: `To write it, ${protectionRemedy(kind)}.`,
    context: { protection: protection.description },
  };
}
