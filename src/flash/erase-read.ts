/** Reading a memory range and erasing sectors (or the whole chip) through any Programmer. */
import { throwIfAborted } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import type { DeviceChangeKind, DeviceInfo, Programmer } from '../programmer/types.js';
import { changeReport, ChangeUnsupportedError, deviceAfterUnlocks, planChanges, type ChangeReport } from './changes.js';
import type { TargetDescription } from '../target/types.js';
import { PlanRefusedError } from './errors.js';
import type { EventSink } from './events.js';
import { describeRegion, isFlashLike, nearestRegions, overlaps, regionAt, regionSectors, sectorAt, type FlashSector } from '../target/geometry.js';
import { now, PhaseReporter } from './progress.js';
import { readChunked } from './verify.js';
import { DEFAULT_UNSECURE_FCF, FCF_OFFSET } from './checks/kinetis-fcf.js';

/**
 * An erase that takes the Kinetis flash configuration field leaves FSEC = 0xFF, a part
 * secured at the next reset. Unless the caller allows that, the unsecure default field
 * (FSEC = 0xFE) is programmed back at once and the summary says so.
 */
async function keepKinetisUnsecure(programmer: Programmer, target: TargetDescription, erased: ReadonlyArray<{ address: number; size: number }>, options: EraseOptions, reporter: PhaseReporter): Promise<number | undefined> {
  if (!target.features?.kinetisFlashConfig || options.allowSecure) return undefined;
  const flash = target.regions.find((r) => r.kind === 'flash');
  if (!flash) return undefined;
  const at = flash.start + FCF_OFFSET;
  if (!erased.some((s) => at >= s.address && at < s.address + s.size)) return undefined;
  throwIfAborted(options.signal, 'erase');
  await programmer.programFlash(at, Uint8Array.from(DEFAULT_UNSECURE_FCF), { signal: options.signal });
  reporter.log('warn', `The erase took the flash configuration field at ${hex(at)}: wrote the unsecure default back (FSEC=0xFE) so the part is not secured at the next reset; --allow-secure leaves it erased.`, { address: at });
  return at;
}

export interface ReadOptions {
  signal?: AbortSignal;
  onEvent?: EventSink;
}

export interface EraseOptions {
  signal?: AbortSignal;
  onEvent?: EventSink;
  /** Kinetis: leave an erased flash configuration field (FSEC = 0xFF, secure after reset). */
  allowSecure?: boolean;
  /** Unlocks to run first (a read-protected chip refuses erases); protections are refused here. */
  changes?: readonly DeviceChangeKind[];
}

/** What `readMemoryRange` reports in its 'done' event. */
export interface ReadSummary {
  target: string;
  address: number;
  length: number;
  elapsedMs: number;
}

export interface EraseSummary {
  target: string;
  chip: boolean;
  sectors: number;
  bytes: number;
  /** Sectors left alone because a reserved area (bootloader) lies in them. */
  keptReserved: number[];
  /** Kinetis: the address where the unsecure default flash configuration was written back after the erase. */
  unsecureFcfAt?: number;
  /** Unlocks that ran first. */
  changes: ChangeReport[];
  elapsedMs: number;
}

function unmapped(target: TargetDescription, address: number, length: number, what: string): PlanRefusedError {
  const near = nearestRegions(target.regions, address);
  return new PlanRefusedError('PLAN_OUTSIDE_MEMORY', `Cannot ${what} ${hex(address)}–${hex(address + length - 1)}: ${target.name} describes no memory at ${hex(address)} (nearest: ${near.map(describeRegion).join('; ') || 'none'}).`,
    { hint: 'Check the address, or describe the memory in a --target-file.', context: { address, length, target: target.name } });
}

/** Reads [address, address+length) in chunks with progress; the range must be described memory. */
export async function readMemoryRange(programmer: Programmer, device: DeviceInfo, address: number, length: number, options: ReadOptions = {}): Promise<Uint8Array> {
  const target = device.target;
  let at = address;
  while (at < address + length) {
    const r = regionAt(target, at);
    if (!r) throw unmapped(target, at, address + length - at, 'read');
    at = r.start + r.size;
  }
  const reporter = new PhaseReporter(options.onEvent);
  const t0 = now();
  reporter.start('read', length, `Reading ${formatSize(length)} from ${hex(address)}`);
  const data = await readChunked(programmer, address, length, reporter, options.signal);
  reporter.finish();
  const summary: ReadSummary = { target: target.name, address, length, elapsedMs: now() - t0 };
  reporter.emit({ type: 'done', summary });
  return data;
}

function overlapsReserved(target: TargetDescription, s: { address: number; size: number }): boolean {
  return (target.reserved ?? []).some((r) => overlaps(r, s.address, s.size));
}

/** The sectors exactly covering [address, address+length); refuses unaligned, non-flash and reserved ranges. */
export function sectorsForErase(target: TargetDescription, address: number, length: number): FlashSector[] {
  const out: FlashSector[] = [];
  let at = address;
  while (at < address + length) {
    const r = regionAt(target, at);
    if (!r) throw unmapped(target, at, address + length - at, 'erase');
    if (!isFlashLike(r)) {
      throw new PlanRefusedError('PLAN_READ_ONLY', `Cannot erase ${hex(at)}: it is in ${r.kind} region ${describeRegion(r)}, which has no sectors.`,
        { hint: 'Only flash regions can be erased.', context: { address: at, region: r.name } });
    }
    const s = sectorAt(r, at)!;
    if (s.address !== at) {
      throw new PlanRefusedError('PLAN_UNALIGNED', `The erase range starts at ${hex(at)}, inside the sector ${hex(s.address)}–${hex(s.address + s.size - 1)} of ${r.name}.`,
        { hint: `Erase whole sectors: start at ${hex(s.address)} or ${hex(s.address + s.size)}.`, context: { address: at, sector: s.address, size: s.size } });
    }
    if (s.address + s.size > address + length) {
      throw new PlanRefusedError('PLAN_UNALIGNED', `The erase range ends at ${hex(address + length - 1)}, inside the sector ${hex(s.address)}–${hex(s.address + s.size - 1)} of ${r.name}.`,
        { hint: `Erase whole sectors: use length ${hex(s.address + s.size - address, 1)} or ${hex(s.address - address, 1)}.`, context: { address: at, sector: s.address, size: s.size } });
    }
    if (overlapsReserved(target, s)) {
      const res = target.reserved!.find((x) => overlaps(x, s.address, s.size))!;
      throw new PlanRefusedError('PLAN_RESERVED', `Erasing sector ${hex(s.address)} would wipe part of the ${res.owner} at ${hex(res.start)}–${hex(res.start + res.size - 1)}.`,
        { hint: 'Leave the reserved area out of the erase range.', context: { sector: s.address, owner: res.owner } });
    }
    out.push(s);
    at = s.address + s.size;
  }
  return out;
}

/** Erases a sector-aligned range, or 'all' (a mass erase where possible, never a reserved area). */
export async function eraseRange(programmer: Programmer, connected: DeviceInfo, range: { address: number; length: number } | 'all', options: EraseOptions = {}): Promise<EraseSummary> {
  const t0 = now();
  const target = connected.target;
  const reporter = new PhaseReporter(options.onEvent);
  const changes = planChanges(programmer, connected, options.changes ?? []);
  if (changes.some((c) => c.stage !== 'unlock')) throw new ChangeUnsupportedError(changes.find((c) => c.stage !== 'unlock')!.kind, programmer);
  for (const c of changes) {
    reporter.start('unlock', (c.erases ?? []).reduce((n, e) => n + e.size, 0), c.description);
    throwIfAborted(options.signal, 'erase');
    await programmer.applyChange!(c, { signal: options.signal, emit: reporter.emit, onProgress: reporter.tracker() });
    reporter.finish();
  }
  const ran = changes.map(changeReport);
  const device = deviceAfterUnlocks(connected, changes);
  const wp = new Set(device.protection?.writeProtectedSectors ?? []);
  let sectors: FlashSector[];
  let keptReserved: number[] = [];
  if (range === 'all') {
    // Internal flash; external NOR too (on parts like i.MX RT it is the only flash). Never option bytes.
    const flash = target.regions.filter((r) => r.kind === 'flash');
    const external = target.regions.filter((r) => r.kind === 'external-nor');
    const all = [...flash, ...external].flatMap((r) => regionSectors(r));
    keptReserved = all.filter((s) => overlapsReserved(target, s)).map((s) => s.address);
    if (programmer.eraseChip && flash.length > 0 && external.length === 0 && keptReserved.length === 0 && !all.some((s) => wp.has(s.address))) {
      const bytes = flash.reduce((n, r) => n + r.size, 0);
      reporter.start('erase', bytes, 'Mass erase');
      throwIfAborted(options.signal, 'erase');
      await programmer.eraseChip({ signal: options.signal });
      reporter.advance(bytes);
      reporter.finish();
      const unsecureFcfAt = await keepKinetisUnsecure(programmer, target, flash.map((r) => ({ address: r.start, size: r.size })), options, reporter);
      const summary: EraseSummary = { target: target.name, chip: true, sectors: all.length, bytes, keptReserved, changes: ran, ...(unsecureFcfAt !== undefined ? { unsecureFcfAt } : {}), elapsedMs: now() - t0 };
      reporter.emit({ type: 'done', summary });
      return summary;
    }
    sectors = all.filter((s) => !overlapsReserved(target, s));
    if (keptReserved.length) reporter.log('info', `Keeping ${keptReserved.length} sector(s) with a reserved area: ${keptReserved.map((a) => hex(a)).join(', ')}.`);
  } else {
    if (range.length <= 0) throw new PlanRefusedError('PLAN_UNALIGNED', `Nothing to erase: the length ${range.length} is not positive.`, { context: { ...range } });
    sectors = sectorsForErase(target, range.address, range.length);
  }
  const blocked = sectors.find((s) => wp.has(s.address));
  if (blocked) {
    throw new PlanRefusedError('PLAN_WRITE_PROTECTED', `Sector ${hex(blocked.address)} of ${blocked.region.name} is write-protected.`,
      { hint: 'Remove the write protection first (option bytes / FPROT).', context: { sector: blocked.address } });
  }
  const bytes = sectors.reduce((n, s) => n + s.size, 0);
  reporter.start('erase', bytes, `Erasing ${sectors.length} sector(s)`);
  for (let i = 0; i < sectors.length; i += 8) {
    throwIfAborted(options.signal, 'erase');
    const batch = sectors.slice(i, i + 8).map((s) => ({ address: s.address, size: s.size }));
    const base = reporter.position;
    await programmer.eraseSectors(batch, { signal: options.signal, onProgress: reporter.tracker() });
    reporter.reach(base + batch.reduce((n, b) => n + b.size, 0));
  }
  reporter.finish();
  const unsecureFcfAt = await keepKinetisUnsecure(programmer, target, sectors, options, reporter);
  const summary: EraseSummary = { target: target.name, chip: false, sectors: sectors.length, bytes, keptReserved, changes: ran, ...(unsecureFcfAt !== undefined ? { unsecureFcfAt } : {}), elapsedMs: now() - t0 };
  reporter.emit({ type: 'done', summary });
  return summary;
}
