/** `flashwright write <image> --via NAME`: check → learn → plan → erase → program → verify → summary. */
import { formatSize, hex } from '../../core/format.js';
import { writeImage, type WriteSummary } from '../../flash/engine.js';
import { addDeviceOptions, withDevice, writeOptionsFrom } from '../device.js';
import type { KeptBytes } from '../../flash/journal.js';
import type { DeviceInfo, Programmer } from '../../programmer/types.js';
import { regionAt } from '../../target/geometry.js';
import { deviceKey, FileJournal, withKeptBytes } from '../journal.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';
import { addImageOptions, eraseModeOption, loadImageOption, planJson, renderChangeRows, renderMemoryMap, type ImageOptions } from './plan.js';

export function summaryJson(s: WriteSummary): Record<string, unknown> {
  const { plan, ...rest } = s;
  return { type: 'result', command: 'write', ...rest, plan: planJson(plan) };
}

function printSummary(io: Io, s: WriteSummary): void {
  const lines = [
    `${s.target}: ${s.sectorsWritten} sector(s) written (${s.chipErase ? 'mass erase' : `${s.sectorsErased} erased`}), ${s.sectorsSkipped} skipped (identical), ${s.sectorsPreserved} with old bytes kept (${formatSize(s.bytesPreserved)}); image ${formatSize(s.imageBytes)}`,
    ...s.changes.map((c) => `done: ${c.description}${c.destroys ? ` — ${c.destroys}` : ''}`),
    ...(s.journal ? [`kept bytes were saved in ${s.journal} before the erase (removed now that the write is done)`] : []),
    `sent ${formatSize(s.bytesWritten)}; verify: ${s.verify === 'none' ? 'skipped' : s.bytesVerified === 0 ? 'nothing written to verify' : `${s.verify} over ${formatSize(s.bytesVerified)}, OK`}; ${Math.round(s.elapsedMs)} ms, ${s.kibPerSecond.toFixed(1)} KiB/s${s.ran ? '; application started' : ''}`,
  ];
  io.out(lines.join('\n') + '\n');
}

/**
 * The journal's chunks the device no longer holds: a chunk is restored only where the device
 * now reads erased (or already holds it); anything else means the journal is from another
 * write to that port and is left alone, with a warning.
 */
async function stillMissing(kept: KeptBytes[], programmer: Programmer, device: DeviceInfo, io: Io): Promise<KeptBytes[]> {
  if (!kept.length || device.protection?.readProtected) return [];
  const out: KeptBytes[] = [];
  for (const k of kept) {
    const r = regionAt(device.target, k.address);
    const now = r ? await programmer.readMemory(k.address, k.data.length).catch(() => undefined) : undefined;
    const erased = r?.erasedValue ?? 0xff;
    if (now && now.every((b, i) => b === erased || b === k.data[i])) out.push(k);
    else io.err(`warning: the kept-bytes journal has ${k.data.length} byte(s) at ${hex(k.address)} that the device holds otherwise now; they are not restored.\n`);
  }
  return out;
}

export const writeCommand: CommandModule = (program, io) => {
  const cmd = program.command('write <image>').description('Program an image: pre-flight checks, plan, erase, program, verify (skips sectors that already match).');
  addImageOptions(cmd);
  addDeviceOptions(cmd, { write: true });
  cmd.option('--skip', 'read sectors first and skip those that already match (default when the device can checksum its flash or reads are fast)')
    .option('--no-skip', 'rewrite sectors even when they already match')
    .option('--run', 'start the application afterwards');
  cmd.action(async (path: string, opts: ImageOptions & { skip?: boolean; run?: boolean }) => {
    const loaded = loadImageOption(path, opts, 'write');
    const { image, warnings } = loaded;
    // First line: where a raw binary goes (the target's boot flash unless --base).
    if (loaded.placement && !opts.json) io.err(`note: ${loaded.placement.text}\n`);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    const base = writeOptionsFrom(opts);
    const eraseMode = eraseModeOption(opts.erase);
    await withDevice(opts, io, async ({ programmer, device, signal, onEvent, changes }) => {
      // Bytes an interrupted write kept (saved before their sectors were erased) go back now.
      const journal = base.preserve === false ? undefined : new FileJournal(deviceKey(opts), device.target.name);
      const pending = journal ? await stillMissing(journal.load(), programmer, device, io) : [];
      const { image: toWrite, restored } = pending.length ? withKeptBytes(image, pending, `kept bytes (${journal!.name})`) : { image, restored: 0 };
      if (restored) io.err(`note: restoring ${restored} byte(s) kept by an interrupted write, from ${journal!.name}\n`);
      const summary = await writeImage(programmer, device, toWrite, {
        ...base, eraseMode, skipUnchanged: opts.skip, run: opts.run ?? false, signal, changes, ...(journal ? { journal } : {}),
        onEvent: (e) => {
          onEvent(e);
          if (e.type === 'plan' && !opts.json) io.err([...renderChangeRows(e.plan), ...renderMemoryMap(e.plan, device.target, { columns: io.columns, legend: false })].join('\n') + '\n');
        },
      });
      if (opts.json) io.out(JSON.stringify(summaryJson(summary)) + '\n');
      else printSummary(io, summary);
      if (summary.sectorsWritten === 0 && summary.plan.cost.bytesToWriteRam === 0 && !opts.json) {
        // The image's own span: the plan lists no sectors when every one was skipped.
        io.out(`nothing to do: every sector from ${hex(image.start ?? 0)} to ${hex((image.end ?? 1) - 1)} already holds the image.\n`);
      }
    }, 'write');
  });
};
