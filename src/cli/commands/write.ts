/** `flashwright write <image> --via NAME`: check → learn → plan → erase → program → verify → summary. */
import { formatSize, hex } from '../../core/format.js';
import { writeImage, type WriteSummary } from '../../flash/engine.js';
import { addDeviceOptions, withDevice, writeOptionsFrom } from '../device.js';
import { withJournal } from '../journal.js';
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
      const { image: toWrite, journal } = await withJournal(image, opts, base.preserve !== false, programmer, device, io);
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
