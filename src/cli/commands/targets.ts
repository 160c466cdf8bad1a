import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { formatSize } from '../../core/format.js';
import { describeTarget } from '../../target/describe.js';
import { listTargets, loadTargetFile, requireTarget, UnknownTargetError } from '../../target/lookup.js';
import { stm32PartLines } from '../../target/parts.js';
import type { TargetDescription } from '../../target/types.js';
import type { CommandModule } from './index.js';

/** Resolves --target NAME / --target-file PATH for any command (undefined when neither). */
export function resolveTarget(options: { target?: string; targetFile?: string }): TargetDescription | undefined {
  if (options.target && options.targetFile) throw new UsageError('Give either --target or --target-file, not both.');
  if (options.targetFile) {
    let text: string;
    try {
      text = readFileSync(options.targetFile, 'utf8');
    } catch (e) {
      throw new UsageError(`Cannot read target file ${options.targetFile}.`, { cause: e, hint: 'Check the path.' });
    }
    return loadTargetFile(text, options.targetFile);
  }
  return options.target ? requireKnownTarget(options.target) : undefined;
}

/** A --target NAME (or `targets show NAME`) nobody knows is a bad option value: exit 2, same message and hint. */
function requireKnownTarget(name: string): TargetDescription {
  try {
    return requireTarget(name);
  } catch (e) {
    if (e instanceof UnknownTargetError) throw new UsageError(e.message, { hint: e.hint, context: e.context, cause: e });
    throw e;
  }
}

export const targetsCommand: CommandModule = (program, io) => {
  // Positional options: `targets --json` belongs to the list, `targets show X --json` to show.
  const cmd = program.command('targets').description('List the built-in target descriptions.')
    .enablePositionalOptions()
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const all = listTargets();
      if (opts.json) { io.out(JSON.stringify(all, null, 2) + '\n'); return; }
      for (const t of all) {
        const flash = t.regions.filter((r) => r.kind === 'flash' || r.kind === 'external-nor').map((r) => `${formatSize(r.size)} ${r.kind === 'flash' ? 'flash' : 'ext. NOR'}`).join(' + ');
        io.out(`${t.name.padEnd(14)} ${t.family.padEnd(16)} ${t.core.padEnd(11)} ${flash}\n`);
      }
      io.out('\nSTM32 part numbers resolve by ST\'s ordering scheme (line, pin count, flash-size code: stm32f103c8t6 = F103, 64 KiB):\n');
      for (const l of stm32PartLines()) {
        io.out(`  ${l.family.padEnd(8)} ${l.lines.join('/').padEnd(36)} ${l.sizes.map((s) => `${s.code}=${formatSize(s.flashSize)}`).join(' ')}\n`);
      }
      io.out('Kinetis and i.MX RT part numbers resolve by their prefix (MK64FN1M0VLL12 → MK64FN1M0, MIMXRT1021DAG5A → MIMXRT1021).\n');
    });
  cmd.command('show [name]').description('Print one target description (name, alias or part number; or --target-file).')
    .option('--json', 'machine-readable output (usable as a --target-file)')
    .option('--target-file <path>', 'show a description file after validating it')
    .action((name: string | undefined, opts: { json?: boolean; targetFile?: string }) => {
      if (name !== undefined && opts.targetFile) throw new UsageError('Give either a target name or --target-file, not both.', { hint: 'See `flashwright targets show --help`.' });
      if (name === undefined && !opts.targetFile) throw new UsageError('Name the target to show, or pass --target-file.', { hint: 'Run `flashwright targets` to list the built-in names.' });
      const t = opts.targetFile ? resolveTarget({ targetFile: opts.targetFile }) as TargetDescription : requireKnownTarget(name as string);
      io.out(opts.json ? JSON.stringify(t, null, 2) + '\n' : describeTarget(t).join('\n') + '\n');
    });
};
