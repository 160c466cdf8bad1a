/**
 * `flashwright plan <image> --target NAME [--json]`: the operations a write would run, as a
 * table and a compact memory-map picture (one line per region). With --via it asks the
 * device what it holds first, so skips and preserved bytes are the real ones.
 */
import type { Command } from 'commander';
import { formatSize, hex } from '../../core/format.js';
import { runChecks, type CheckFinding } from '../../flash/checks/index.js';
import { planWrite, type EraseMode } from '../../flash/engine.js';
import { isFlashLike, regionSectors } from '../../target/geometry.js';
import { isChangeOperation, planFlash, type ChangeOperation, type FlashPlan } from '../../flash/plan.js';
import { FlashwrightError, UsageError } from '../../core/errors.js';
import type { TargetDescription } from '../../target/types.js';
import { addDeviceOptions, deviceLineJson, requireTargetOption, withDevice, writeOptionsFrom, type DeviceOptions } from '../device.js';
import { withJournal } from '../journal.js';
import type { LoadedImage } from '../../image/formats.js';
import { loadDeviceImage } from '../image-input.js';
import { EXIT_FAILED } from '../exit.js';
import { resolveTarget } from './targets.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';

export interface ImageOptions extends DeviceOptions {
  format?: string;
  base?: string;
  erase?: string;
  allowIncomplete?: boolean;
}

/**
 * The image of a device command: the target named on the command line places a raw binary
 * (its boot flash) — with --via, before the device is asked anything.
 */
export function loadImageOption(path: string, options: ImageOptions, what: string): LoadedImage {
  return loadDeviceImage(path, options, resolveTarget(options), what);
}

export function eraseModeOption(value: string | undefined): EraseMode {
  const v = value ?? 'auto';
  if (v !== 'auto' && v !== 'sectors' && v !== 'chip') throw new UsageError(`Unknown --erase '${v}'.`, { hint: 'Choose auto, sectors or chip.' });
  return v;
}

/** Adds --format, --base, --erase, --allow-incomplete. */
export function addImageOptions(cmd: Command): Command {
  return cmd.option('--format <format>', 'input format (elf, hex, srec, bin); default: detected')
    .option('--base <address>', 'load address for a raw binary (default: the target\'s boot flash)')
    .option('--allow-incomplete', 'accept a HEX or S-record file without its end record')
    .option('--erase <mode>', 'auto (chip erase when cheaper), sectors or chip', 'auto');
}

const MARKS = { erase: 'E', program: 'P', preserve: 'K', skip: '=', untouched: '.' } as const;
/** Marks per region line at most; fewer when the terminal is narrower. */
const WIDTH = 64;
const LEGEND = ['E erase+program', 'K erase+program keeping old bytes', 'P program (already erased)', '= skip (identical)', '. untouched'];

/** Splits `items` into lines of at most `width` characters (first line prefixed). */
function wrapItems(prefix: string, items: string[], width: number): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const item of items) {
    const sep = line === prefix ? '' : '  ';
    if (line !== prefix && line.length + sep.length + item.length > width) {
      lines.push(line);
      line = (prefix.length + item.length <= width ? ' '.repeat(prefix.length) : '') + item;
    } else line += sep + item;
  }
  lines.push(line);
  return lines;
}

/** Word-wraps `text` to lines of at most `width` characters. */
function wrapWords(text: string, width: number): string[] {
  if (!Number.isFinite(width)) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * One line per flash region: each column is one sector (or a group of sectors on big
 * parts) marked E erase+program, P program only, K erase+program keeping old bytes,
 * = skipped (already right), . untouched. With `columns` (a terminal), every line fits in
 * columns − 1 characters, so nothing wraps.
 */
export function renderMemoryMap(plan: FlashPlan, target: TargetDescription, options: { columns?: number | undefined; legend?: boolean | undefined } = {}): string[] {
  const { columns, legend = true } = options;
  const bySector = new Map(plan.sectors.map((s) => [s.address, s]));
  const preserved = new Set<number>();
  for (const o of plan.operations) if (o.kind === 'preserve') for (const s of plan.sectors) if (o.address >= s.address && o.address < s.address + s.size) preserved.add(s.address);
  const rank = (c: string) => ['.', '=', 'P', 'E', 'K'].indexOf(c);
  const limit = columns ? Math.max(columns - 1, 20) : Infinity;
  const regions = target.regions.filter(isFlashLike);
  const nameWidth = Math.min(12, Math.max(...regions.map((r) => r.name.length), 4));
  const lines: string[] = [];
  for (const r of regions) {
    const sectors = regionSectors(r);
    // name start |marks| end: 2 × 10 for the addresses, 4 for the bars and spaces.
    const withEnd = nameWidth + 1 + 10 + 2 + 2 + 10;
    const showEnd = limit - withEnd >= 16;
    const room = Math.max(4, Math.min(WIDTH, limit - (showEnd ? withEnd : nameWidth + 1 + 10 + 2 + 1)));
    const per = Math.ceil(sectors.length / room);
    let row = '';
    for (let i = 0; i < sectors.length; i += per) {
      let mark: string = MARKS.untouched;
      for (const s of sectors.slice(i, i + per)) {
        const p = bySector.get(s.address);
        const m = !p ? MARKS.untouched : p.action === 'skip' ? MARKS.skip : preserved.has(s.address) ? MARKS.preserve : p.action === 'program' ? MARKS.program : MARKS.erase;
        if (rank(m) > rank(mark)) mark = m;
      }
      row += mark;
    }
    const line = `${r.name.slice(0, nameWidth).padEnd(nameWidth)} ${hex(r.start)} |${row}|${showEnd ? ` ${hex(r.start + r.size - 1)}` : ''}`;
    const scale = per > 1 ? `(${per} sectors per mark)` : '';
    if (!scale) lines.push(line);
    else if (line.length + 2 + scale.length <= limit) lines.push(`${line}  ${scale}`);
    else lines.push(line, `${' '.repeat(nameWidth + 1)}${scale}`);
  }
  // Which flash algorithm erases and programs each region (a way in may switch between several in one session).
  for (const a of plan.algorithms ?? []) lines.push(...wrapWords(`algorithm: ${a.region} by '${a.algorithm}'`, limit));
  if (plan.cost.chipErase) {
    lines.push(...wrapWords([plan.preserve
      ? '(one mass erase clears every internal flash sector first; the bytes outside the image are read back before it and programmed again: K)'
      : '(one mass erase clears every internal flash sector first: everything else in internal flash, outside the image, is lost)'].join(''), limit));
  }
  if (legend) lines.push(...(Number.isFinite(limit) ? wrapItems('legend: ', LEGEND, limit) : [`legend: ${LEGEND.join('  ')}`]));
  return lines;
}

/** One unlock/protect row: what it does and what it destroys. */
function changeRow(n: string, o: ChangeOperation): string {
  return `${n}  ${o.kind.padEnd(10)}  ${o.change.description}${o.change.destroys ? ` — ${o.change.destroys}` : ''}`;
}

/** The plan's unlock and protect rows (a write prints them with the memory map, before running them). */
export function renderChangeRows(plan: FlashPlan): string[] {
  return plan.operations.flatMap((o, i) => (isChangeOperation(o) ? [changeRow(String(i + 1).padStart(3), o)] : []));
}

/** Consecutive operations of one kind in one region, each starting where the last ended. */
interface OperationRun { kind: string; address: number; end: number; count: number; region: string; change?: string }

/** Groups runs of identical operations (32 sector erases in a row → one row). */
export function operationRuns(plan: FlashPlan): OperationRun[] {
  const runs: OperationRun[] = [];
  for (const o of plan.operations) {
    if (isChangeOperation(o)) {
      runs.push({ kind: o.kind, address: 0, end: 0, count: 1, region: '', change: `${o.change.description}${o.change.destroys ? ` — ${o.change.destroys}` : ''}` });
      continue;
    }
    const kind = o.kind === 'erase' && o.chip ? 'chip-erase' : o.kind;
    const last = runs[runs.length - 1];
    if (last && last.kind === kind && last.region === o.region && last.end === o.address && kind !== 'chip-erase') {
      last.end = o.address + o.size;
      last.count++;
    } else runs.push({ kind, address: o.address, end: o.address + o.size, count: 1, region: o.region });
  }
  return runs;
}

const UNIT: Record<string, [string, string]> = {
  erase: ['sector', 'sectors'], skip: ['sector', 'sectors'], program: ['range', 'ranges'], preserve: ['range', 'ranges'], 'write-ram': ['range', 'ranges'],
};

/**
 * The plan as a table: one row per run of identical operations ("erase 0x08000000–0x0801FFFF,
 * 32 sectors"), or one row per operation with `verbose`.
 */
export function renderPlanTable(plan: FlashPlan, options: { verbose?: boolean | undefined } = {}): string[] {
  const lines: string[] = [];
  if (options.verbose) {
    lines.push('  #  operation   address     size        region');
    plan.operations.forEach((o, i) => {
      const n = String(i + 1).padStart(3);
      if (isChangeOperation(o)) {
        // What it does, and what it destroys, on the operation's own line.
        lines.push(`${n}  ${o.kind.padEnd(10)}  ${o.change.description}${o.change.destroys ? ` — ${o.change.destroys}` : ''}`);
        return;
      }
      const what = o.kind === 'erase' && o.chip ? 'chip-erase' : o.kind;
      lines.push(`${n}  ${what.padEnd(10)}  ${hex(o.address)}  ${formatSize(o.size).padEnd(10)}  ${o.region}`);
    });
  } else {
    lines.push('  #  operation   range                    size        region');
    operationRuns(plan).forEach((r, i) => {
      if (r.change !== undefined) { lines.push(`${String(i + 1).padStart(3)}  ${r.kind.padEnd(10)}  ${r.change}`); return; }
      const unit = UNIT[r.kind] ?? ['operation', 'operations'];
      const count = r.count > 1 ? `, ${r.count} ${unit[1]}` : '';
      lines.push(`${String(i + 1).padStart(3)}  ${r.kind.padEnd(10)}  ${`${hex(r.address)}–${hex(r.end - 1)}`.padEnd(23)}  ${formatSize(r.end - r.address).padEnd(10)}  ${r.region}${count}`);
    });
  }
  const c = plan.cost;
  lines.push(`cost: ${c.chipErase ? 'mass erase, ' : ''}${c.sectorErases} sector erase(s), ${formatSize(c.bytesToProgram)} to program, ${formatSize(c.bytesToRead)} to read back, ${formatSize(c.bytesToWriteRam)} to RAM`);
  return lines;
}

/** One operation in JSON: kind, address and size (the bytes it carries are left out); unlocks and protections with what they destroy. */
function operationJson(o: FlashPlan['operations'][number]): Record<string, unknown> {
  if (isChangeOperation(o)) {
    const { kind, description, destroys, erases } = o.change;
    return { kind: o.kind, change: kind, description, ...(destroys ? { destroys } : {}), ...(erases ? { erases } : {}) };
  }
  if (o.kind === 'program' || o.kind === 'write-ram') {
    const { data: _data, ...rest } = o;
    return rest;
  }
  return { ...o };
}

/** The plan in JSON: operations in execution order with kind, address and size. */
export function planJson(plan: FlashPlan): Record<string, unknown> {
  return {
    type: 'plan', target: plan.target, preserve: plan.preserve, cost: plan.cost, operations: plan.operations.map(operationJson), sectors: plan.sectors,
    verify: plan.verify.map((r) => ({ address: r.address, size: r.expected.length })),
    ...(plan.algorithms ? { algorithms: plan.algorithms } : {}),
  };
}

export function printPlan(io: Io, plan: FlashPlan, target: TargetDescription, options: { verbose?: boolean | undefined } = {}): void {
  io.out([...renderPlanTable(plan, options), '', ...renderMemoryMap(plan, target, { columns: io.columns })].join('\n') + '\n');
}

export const planCommand: CommandModule = (program, io, setExit) => {
  const cmd = program.command('plan <image>')
    .description('Show what a write would do: erase / preserve / program / skip per sector, as a table and a memory map (--via asks the device what it holds).');
  addImageOptions(cmd);
  addDeviceOptions(cmd, { write: true });
  // The same flags as write, with the same defaults, so the plan is what the write does.
  cmd.option('--skip', 'read sectors first and skip those that already match (default when the device can checksum its flash or reads are fast)')
    .option('--no-skip', 'plan to rewrite sectors that already match')
    .option('--verbose', 'one row per sector instead of one per run of identical operations');
  cmd.action(async (path: string, opts: ImageOptions & { skip?: boolean; verbose?: boolean }) => {
    if (!opts.via) requireTargetOption(opts); // before the image: the usage error names what is missing
    const loaded = loadImageOption(path, opts, 'plan');
    const { image, warnings } = loaded;
    for (const w of warnings) io.err(`warning: ${w}\n`);
    const base = writeOptionsFrom(opts);
    const eraseMode = eraseModeOption(opts.erase);
    let plan: FlashPlan;
    let target: TargetDescription;
    let connected: Record<string, unknown> | undefined;
    // Findings only the device can show: its protection, the brick checks of the chip it reports.
    let deviceFindings: CheckFinding[] = [];
    if (opts.via) {
      const r = await withDevice(opts, io, async ({ programmer, device, signal, changes }) => ({
        target: device.target,
        device: deviceLineJson(device, opts.via),
        // As write does: bytes an interrupted write kept are planned back (a plan never clears the journal).
        prepared: await planWrite(programmer, device, (await withJournal(image, opts, base.preserve !== false, programmer, device, io)).image, { ...base, eraseMode, ...(opts.skip === undefined ? {} : { skipUnchanged: opts.skip }), signal, changes }).catch((e: unknown) => {
          // A refusal is what the plan shows: the checks below print it (exit 1).
          if (e instanceof FlashwrightError && e.code === 'CHECK_REFUSED') {
            deviceFindings.push({ id: String(e.context.check ?? 'check.refused'), severity: 'error', message: e.message, hint: e.hint });
            return undefined;
          }
          throw e;
        }),
      }), 'plan');
      target = r.target;
      connected = r.device;
      deviceFindings = [...deviceFindings, ...(r.prepared?.findings ?? [])];
      plan = r.prepared?.plan ?? planFlash({ image, target, preserve: base.preserve, eraseMode, skipUnchanged: false, chipEraseAvailable: eraseMode === 'chip' });
    } else {
      target = requireTargetOption(opts);
      plan = planFlash({ image, target, preserve: base.preserve, eraseMode, skipUnchanged: opts.skip !== false, chipEraseAvailable: eraseMode === 'chip' });
    }
    // The same checks a write runs; a write would stop on errors, so the plan exits 1 then.
    const own = runChecks(image, target, base);
    const findings = [...own, ...deviceFindings.filter((f) => !own.some((o) => o.id === f.id || o.message === f.message))];
    const refused = findings.some((f) => f.severity === 'error');
    if (opts.json) io.out(JSON.stringify({ ...planJson(plan), ...(loaded.placement ? { placement: loaded.placement } : {}), findings, refused, ...(connected ? { device: connected } : {}) }) + '\n');
    else {
      // First line: where a raw binary goes, so nobody learns it from the memory map.
      if (loaded.placement) io.out(`${loaded.placement.text}\n`);
      printPlan(io, plan, target, { verbose: opts.verbose });
      for (const f of findings) io.out(`${f.severity === 'error' ? 'a write would be refused' : f.severity}: ${f.message}\n`);
      if (refused) io.out(`plan: a write of ${path} to ${target.name} would be refused (see above).\n`);
    }
    if (refused) setExit(EXIT_FAILED);
  });
};
