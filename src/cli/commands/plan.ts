/**
 * `flashwright plan <image> --target NAME [--json]`: the operations a write would run, as a
 * table and a compact memory-map picture (one line per region). With --via it asks the
 * device what it holds first, so skips and preserved bytes are the real ones.
 */
import type { Command } from 'commander';
import { formatSize, hex } from '../../core/format.js';
import { runChecks } from '../../flash/checks/index.js';
import { planWrite, type EraseMode } from '../../flash/engine.js';
import { isFlashLike, regionSectors } from '../../target/geometry.js';
import { isChangeOperation, planFlash, type FlashPlan } from '../../flash/plan.js';
import { UsageError } from '../../core/errors.js';
import type { TargetDescription } from '../../target/types.js';
import { addDeviceOptions, requireTargetOption, withDevice, writeOptionsFrom, type DeviceOptions } from '../device.js';
import { loadImageFile, parseAddressOption, parseImageFormatOption } from '../load-image.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';

export interface ImageOptions extends DeviceOptions {
  format?: string;
  base?: string;
  erase?: string;
}

export function loadImageOption(path: string, options: ImageOptions) {
  return loadImageFile(path, { format: parseImageFormatOption(options.format), base: parseAddressOption(options.base, '--base') });
}

export function eraseModeOption(value: string | undefined): EraseMode {
  const v = value ?? 'auto';
  if (v !== 'auto' && v !== 'sectors' && v !== 'chip') throw new UsageError(`Unknown --erase '${v}'.`, { hint: 'Choose auto, sectors or chip.' });
  return v;
}

/** Adds --format, --base, --erase. */
export function addImageOptions(cmd: Command): Command {
  return cmd.option('--format <format>', 'input format (elf, hex, srec, bin); default: detected')
    .option('--base <address>', 'load address for a raw binary')
    .option('--erase <mode>', 'auto (chip erase when cheaper), sectors or chip', 'auto');
}

const MARKS = { erase: 'E', program: 'P', preserve: 'K', skip: '=', untouched: '.' } as const;
const WIDTH = 64;

/**
 * One line per flash region: each column is one sector (or a group of sectors on big
 * parts) marked E erase+program, P program only, K erase+program keeping old bytes,
 * = skipped (already right), . untouched.
 */
export function renderMemoryMap(plan: FlashPlan, target: TargetDescription): string[] {
  const bySector = new Map(plan.sectors.map((s) => [s.address, s]));
  const preserved = new Set<number>();
  for (const o of plan.operations) if (o.kind === 'preserve') for (const s of plan.sectors) if (o.address >= s.address && o.address < s.address + s.size) preserved.add(s.address);
  const rank = (c: string) => ['.', '=', 'P', 'E', 'K'].indexOf(c);
  const lines: string[] = [];
  for (const r of target.regions.filter(isFlashLike)) {
    const sectors = regionSectors(r);
    const per = Math.ceil(sectors.length / WIDTH);
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
    const scale = per > 1 ? `  (${per} sectors per mark)` : '';
    lines.push(`${r.name.padEnd(12)} ${hex(r.start)} |${row}| ${hex(r.start + r.size - 1)}${scale}`);
  }
  if (plan.cost.chipErase) lines.push('(one mass erase clears every internal flash sector first)');
  lines.push('legend: E erase+program  K erase+program keeping old bytes  P program (already erased)  = skip (identical)  . untouched');
  return lines;
}

export function renderPlanTable(plan: FlashPlan): string[] {
  const lines = ['  #  operation   address     size        region'];
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
  };
}

export function printPlan(io: Io, plan: FlashPlan, target: TargetDescription): void {
  io.out([...renderPlanTable(plan), '', ...renderMemoryMap(plan, target)].join('\n') + '\n');
}

export const planCommand: CommandModule = (program, io) => {
  const cmd = program.command('plan <image>')
    .description('Show what a write would do: erase / preserve / program / skip per sector, as a table and a memory map (--via asks the device what it holds).');
  addImageOptions(cmd);
  addDeviceOptions(cmd, { write: true });
  // The same flags as write, with the same defaults, so the plan is what the write does.
  cmd.option('--skip', 'read sectors first and skip those that already match (default when the device can checksum its flash or reads are fast)')
    .option('--no-skip', 'plan to rewrite sectors that already match');
  cmd.action(async (path: string, opts: ImageOptions & { skip?: boolean }) => {
    const { image, warnings } = loadImageOption(path, opts);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    const base = writeOptionsFrom(opts);
    const eraseMode = eraseModeOption(opts.erase);
    let plan: FlashPlan;
    let target: TargetDescription;
    if (opts.via) {
      const r = await withDevice(opts, io, async ({ programmer, device, signal }) => ({
        target: device.target,
        prepared: await planWrite(programmer, device, image, { ...base, eraseMode, ...(opts.skip === undefined ? {} : { skipUnchanged: opts.skip }), signal }),
      }));
      plan = r.prepared.plan;
      target = r.target;
    } else {
      target = requireTargetOption(opts);
      plan = planFlash({ image, target, preserve: base.preserve, eraseMode, skipUnchanged: opts.skip !== false, chipEraseAvailable: eraseMode === 'chip' });
    }
    // The same checks a write runs; here they only inform (a write would stop on errors).
    const findings = runChecks(image, target, { allowPermanentLock: base.allowPermanentLock, allowSecure: base.allowSecure });
    if (opts.json) io.out(JSON.stringify({ ...planJson(plan), findings }) + '\n');
    else {
      printPlan(io, plan, target);
      for (const f of findings) io.out(`${f.severity === 'error' ? 'a write would be refused' : f.severity}: ${f.message}\n`);
    }
  });
};
