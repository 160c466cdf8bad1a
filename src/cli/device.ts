/**
 * What every device command shares: the common options (--via, --target, --target-file,
 * --json, --no-preserve, --verify, --allow-*, --yes, and each way in's own options),
 * opening and connecting the way in, closing it on every path, Ctrl-C → AbortSignal, and
 * `showDeviceInfo` for `info --via`.
 */
import type { Command } from 'commander';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { UsageError } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import type { WriteOptions } from '../flash/engine.js';
import type { EventSink } from '../flash/events.js';
import { regionSectors } from '../target/geometry.js';
import type { DeviceChangeKind, DeviceInfo, Programmer } from '../programmer/types.js';
import type { TargetDescription } from '../target/types.js';
import type { PackTarget } from '../pack/device-target.js';
import { resolveTarget, resolveTargetFull, type ResolvedTarget } from './commands/targets.js';
import type { Io } from './output.js';
import { createProgressSink } from './progress.js';
import { addViaOptions, allVias, getVia, refuseForeignOptions } from './via.js';
import './vias/index.js';

export interface DeviceOptions {
  via?: string;
  target?: string;
  targetFile?: string;
  json?: boolean;
  /** Commander turns --no-preserve into preserve: false. */
  preserve?: boolean;
  verify?: string;
  allowPermanentLock?: boolean;
  allowSecure?: boolean;
  allowUnbootable?: boolean;
  yes?: boolean;
  [option: string]: unknown;
}

export interface DeviceSession {
  programmer: Programmer;
  device: DeviceInfo;
  signal: AbortSignal;
  onEvent: EventSink;
  /** Unlocks and protections the way in's flags ask for; only a write (or erase: unlocks) runs them. */
  changes: DeviceChangeKind[];
}

/**
 * What a command does with the device: 'write' runs unlocks and protections as plan
 * operations, 'plan' shows them, 'erase' runs unlocks only; 'look' (info, read, verify)
 * never runs any and changes nothing.
 */
export type DeviceUse = 'write' | 'plan' | 'erase' | 'look' | 'info' | 'reset';

/** Refuses --protect where nothing is written; notes that unlock flags do nothing here. */
function checkChanges(changes: readonly DeviceChangeKind[], use: DeviceUse, io: Io, json: boolean): DeviceChangeKind[] {
  if (use !== 'write' && use !== 'plan' && changes.includes('read-protect')) {
    throw new UsageError('--protect is only accepted by write (and plan, which shows it): nothing is written here to protect.', {
      hint: 'Protect as part of the write that programs the chip: flashwright write IMAGE … --protect.',
    });
  }
  if (use === 'write' || use === 'plan' || use === 'erase') return [...changes];
  if (changes.length && !json) io.err(`note: ${changes.join(', ')} run only as part of a write; this command changes nothing on the device.\n`);
  return [];
}

/** The commands whose --json output is ONE document on stdout (not a stream of event lines). */
const DOCUMENT_USES: ReadonlySet<DeviceUse> = new Set(['plan', 'info', 'reset']);

/**
 * Where a command's events go. Streaming commands (write, erase, read, verify) print them —
 * the connect phase first — as event lines before the result with --json, or as progress on
 * stderr. A command that prints one JSON document (plan, info, reset --json) keeps stdout for
 * that document: its warnings and notes go to stderr as JSON lines, its phases nowhere.
 */
export function eventSinkFor(use: DeviceUse, io: Io, json: boolean): EventSink {
  if (!json || !DOCUMENT_USES.has(use)) return createProgressSink(io, { json });
  const toStderr = createProgressSink({ ...io, out: io.err }, { json: true });
  return (e) => { if (e.type === 'log') toStderr(e); };
}

/** Adds --via, --target, --target-file, --json and every way in's options. */
export function addDeviceOptions(cmd: Command, extra: { write?: boolean } = {}): Command {
  cmd.option('--via <name>', `way into the device (${allVias().map((v) => v.name).join(', ') || 'none registered'})`)
    .option('--target <name>', 'target name (see `flashwright targets`)')
    .option('--target-file <path>', 'target description file (JSON or YAML)')
    .option('--json', 'machine-readable output: JSON event lines, then a result line');
  if (extra.write) {
    cmd.option('--no-preserve', 'erase whole sectors without keeping bytes outside the image')
      .option('--verify <method>', 'auto, readback, digest or none', 'auto')
      .option('--allow-permanent-lock', 'allow an image that locks the chip for good (Kinetis FSEC, STM32 RDP 2); needs --yes')
      .option('--allow-secure', 'allow an image that secures a Kinetis part (FSEC SEC != 10)')
      .option('--allow-unbootable', 'write an image that covers the boot address although the chip would not boot it (reset vector, stack pointer, boot header)');
  }
  cmd.option('--yes', 'confirm a destructive or irreversible operation');
  return addViaOptions(cmd);
}

const VERIFY_CHOICES = ['auto', 'readback', 'digest', 'none'] as const;

/** The engine options the common flags select. */
export function writeOptionsFrom(options: DeviceOptions): WriteOptions {
  const verify = (options.verify ?? 'auto') as WriteOptions['verify'];
  if (!VERIFY_CHOICES.includes(verify as (typeof VERIFY_CHOICES)[number])) {
    throw new UsageError(`Unknown --verify '${String(options.verify)}'.`, { hint: `Choose one of: ${VERIFY_CHOICES.join(', ')}.` });
  }
  if (options.allowPermanentLock && !options.yes) {
    throw new UsageError('--allow-permanent-lock can make the chip unusable for good, so it needs --yes as well.', { hint: 'Add --yes if that is really what you want.' });
  }
  return {
    preserve: options.preserve ?? true,
    verify,
    allowPermanentLock: options.allowPermanentLock ?? false,
    allowSecure: options.allowSecure ?? false,
    allowUnbootable: options.allowUnbootable ?? false,
  };
}

/** The target named on the command line (required by commands without a device). */
export function requireTargetOption(options: DeviceOptions): TargetDescription {
  const t = resolveTarget(options);
  if (!t) throw new UsageError('This command needs --target NAME or --target-file PATH.', { hint: 'List the built-in targets with `flashwright targets`.' });
  return t;
}

/**
 * Opens the way in, connects, runs `fn`, and always closes. Ctrl-C aborts the signal so
 * the engine stops between operations and reports how far it got.
 */
export async function withDevice<T>(options: DeviceOptions, io: Io, fn: (session: DeviceSession) => Promise<T>, use: DeviceUse = 'look'): Promise<T> {
  if (!options.via) throw new UsageError('This command needs --via NAME to reach a device.', { hint: `Choose one of: ${allVias().map((v) => v.name).join(', ')}.` });
  const via = getVia(options.via);
  refuseForeignOptions(via, options as Record<string, unknown>);
  const changes = checkChanges(via.changes?.(options) ?? [], use, io, Boolean(options.json));
  const resolved = resolveTargetFull(options);
  const target = resolved?.target;
  const packAlgorithms = options.algo ? undefined : choosePackAlgorithms(resolved, io, Boolean(options.json));
  const controller = new AbortController();
  const release = abortOnSignals(controller, io.signals ?? process);
  let programmer: Programmer | undefined;
  try {
    programmer = await via.create(options, { io, target, packAlgorithms, packAccessPort: resolved?.pack?.debug.ap, signal: controller.signal });
    const onEvent = eventSinkFor(use, io, Boolean(options.json));
    const device = await programmer.connect({ signal: controller.signal, emit: onEvent });
    // No --target: the device's own identity and size are used, and said.
    if (!target && !options.json && use !== 'info' && use !== 'reset') io.err(`note: ${describeIdentity(device)}\n`);
    try {
      return await fn({ programmer, device, signal: controller.signal, onEvent, changes });
    } catch (e) {
      // A --json failure record carries the device's context just before its error line, so
      // doctor reads the chip, its IDs and protection back (issue 11 §1). Only on failure: a
      // success stream keeps its shape (first line an event, last the result); info prints the
      // device as its document, plan embeds it in the plan document.
      if (options.json && use !== 'info' && use !== 'plan') io.out(JSON.stringify(deviceLineJson(device, options.via)) + '\n');
      throw e;
    }
  } finally {
    release();
    await programmer?.close();
  }
}

/**
 * The pack's default algorithm for each flash region (each algorithm once, in address
 * order), said on stderr with the pack's warnings (debug sequences flashwright does not run,
 * regions no runnable algorithm covers).
 */
function choosePackAlgorithms(resolved: ResolvedTarget | undefined, io: Io, json: boolean): FlashAlgorithm[] | undefined {
  const pack = resolved?.pack;
  if (!pack) return undefined;
  const flash = resolved.target.regions.filter((r) => r.kind === 'flash');
  const holds = (a: FlashAlgorithm, r: { start: number; size: number }) => a.flash.start <= r.start && r.start + r.size <= a.flash.start + a.flash.size;
  const picks: Array<{ pick: PackTarget['defaults'][number]; regions: string[] }> = [];
  for (const r of flash) {
    const pick = pack.defaults.find((a) => holds(a.algorithm, r));
    if (!pick) continue;
    const seen = picks.find((p) => p.pick === pick);
    if (seen) seen.regions.push(r.name); else picks.push({ pick, regions: [r.name] });
  }
  if (!json) {
    const from = pack.pack.vendor === 'probe-rs' ? `probe-rs file ${pack.pack.name}` : `pack ${pack.pack.vendor}.${pack.pack.name} ${pack.pack.version}`;
    const which = picks.map((p) => `${p.pick.ref.path.replace(/\\/g, '/')} (${p.pick.algorithm.name}) for ${p.regions.join(', ')}`);
    io.err(`note: ${resolved.target.name} from ${from}${which.length ? `; flash algorithm${which.length > 1 ? 's' : ''} ${which.join(', ')}` : ''}\n`);
    for (const w of pack.warnings) io.err(`warning: ${w}\n`);
  }
  return picks.length ? picks.map((p) => p.pick.algorithm) : undefined;
}

/** The signals that end a run with the same true report as Ctrl-C: a terminal closed (HUP), a kill or a service stop (TERM). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Turns SIGINT, SIGTERM and SIGHUP into an abort: the engine stops between operations and
 * reports how far it got (FlashInterruptedError), and close() still runs. Returns the undo.
 */
export function abortOnSignals(controller: AbortController, target: SignalSource): () => void {
  const handlers = STOP_SIGNALS.map((sig) => {
    const handler = () => controller.abort(new Error(sig === 'SIGINT' ? 'interrupted (Ctrl-C)' : `interrupted (${sig})`));
    target.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => { for (const [sig, handler] of handlers) target.removeListener(sig, handler); };
}

/** Where signals come from: the process, or an emitter in tests. */
export interface SignalSource {
  on(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/** "the device identifies itself as STM32F103xB (pid=0x410, …); flash 128 KiB at 0x08000000". */
export function describeIdentity(device: DeviceInfo): string {
  const ids = Object.entries(device.ids).map(([k, v]) => `${k}=${typeof v === 'number' ? hex(v, 1) : v}`).join(', ');
  const flash = device.target.regions.filter((r) => r.kind === 'flash' || r.kind === 'external-nor').map((r) => `${r.name} ${formatSize(r.size)} at ${hex(r.start)}`);
  return `no --target given: the device identifies itself as ${device.target.name}${ids ? ` (${ids})` : ''}${flash.length ? `; ${flash.join(', ')}` : ''}.`;
}

/** The DeviceInfo as a plain JSON object. */
export function deviceInfoJson(device: DeviceInfo): Record<string, unknown> {
  return { type: 'device', target: device.target.name, ids: device.ids, protection: device.protection ?? null, regions: device.target.regions, details: device.details ?? {} };
}

/**
 * The one `{"type":"device"}` line of a --json stream: way in, target name, IDs, protection,
 * the memory map in brief (name, kind, start, size) and the way in's details (bootloader version…).
 */
export function deviceLineJson(device: DeviceInfo, via: string | undefined): Record<string, unknown> {
  return {
    type: 'device', ...(via ? { via } : {}), target: device.target.name, ids: device.ids, protection: device.protection ?? null,
    regions: device.target.regions.map((r) => ({ name: r.name, kind: r.kind, start: r.start, size: r.size })),
    ...(device.unconfiguredRegions?.length ? { unconfiguredRegions: device.unconfiguredRegions } : {}),
    details: device.details ?? {},
  };
}

/** `info --via NAME`: identifiers, protection, memory map and details of a connected device. */
export async function showDeviceInfo(options: DeviceOptions, io: Io): Promise<void> {
  await withDevice(options, io, async ({ device }) => {
    if (options.json) {
      io.out(JSON.stringify(deviceInfoJson(device), null, 2) + '\n');
      return;
    }
    const lines = [`target:     ${device.target.name} (${device.target.vendor} ${device.target.family}, ${device.target.core})`];
    lines.push(`ids:        ${Object.entries(device.ids).map(([k, v]) => `${k}=${typeof v === 'number' ? hex(v, 1) : v}`).join(', ') || 'none'}`);
    if (device.protection) {
      lines.push(`protection: ${device.protection.description}${device.protection.readProtected ? ' (read-protected)' : ''}`);
      if (device.protection.writeProtectedSectors?.length) lines.push(`            write-protected sectors: ${device.protection.writeProtectedSectors.map((a) => hex(a)).join(', ')}`);
    }
    lines.push('memory:');
    for (const r of device.target.regions) {
      const sectors = r.sectors ? `, ${regionSectors(r).length} sectors` : '';
      lines.push(`  ${r.name.padEnd(14)} ${r.kind.padEnd(13)} ${hex(r.start)}–${hex(r.start + r.size - 1)}  ${formatSize(r.size).padStart(9)}${sectors}${r.note ? `  ${r.note}` : ''}`);
    }
    for (const a of device.target.reserved ?? []) lines.push(`  reserved       ${a.owner}: ${hex(a.start)}–${hex(a.start + a.size - 1)}`);
    const details = Object.entries(device.details ?? {});
    if (details.length) {
      lines.push('details:');
      for (const [k, v] of details) lines.push(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
    io.out(lines.join('\n') + '\n');
  }, 'info');
}
