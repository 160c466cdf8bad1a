import { readInputFile } from '../files.js';
import { UsageError } from '../../core/errors.js';
import { formatSize, hex } from '../../core/format.js';
import type { PackTarget } from '../../pack/device-target.js';
import { defaultPackDir, PackStore } from '../../pack/node-store.js';
import { isProbeRsTargetFile, parseProbeRsFile, probeRsTarget } from '../../pack/probe-rs.js';
import { describeTarget } from '../../target/describe.js';
import { listTargets, loadTargetFile, requireTarget, UnknownTargetError } from '../../target/lookup.js';
import { stm32PartLines } from '../../target/parts.js';
import type { TargetDescription } from '../../target/types.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';

/** A target the command line named, with the pack device it came from (its algorithms) when it came from one. */
export interface ResolvedTarget {
  target: TargetDescription;
  pack?: PackTarget | undefined;
}

let store: PackStore | undefined;
/** The installed packs (FLASHWRIGHT_PACK_DIR or the user's cache folder); one per process. */
export function packStore(): PackStore {
  if (!store || store.dir !== defaultPackDir()) store = new PackStore();
  return store;
}

function readTargetFile(path: string): string {
  return readInputFile(path, 'the target file', 'Check the path given to --target-file (a JSON or YAML description; `flashwright targets show NAME --json` prints one to start from).').toString('utf8');
}

/** A probe-rs target file: the variant --target names, or its only one. */
function probeRsFromFile(text: string, path: string, variant: string | undefined): ResolvedTarget {
  const file = parseProbeRsFile(text, path);
  const names = file.variants.map((v) => v.name);
  if (variant === undefined && names.length !== 1) {
    throw new UsageError(`${path} is a probe-rs target file with ${names.length} variants; name one with --target.`, { hint: `E.g. --target ${names[0] ?? 'NAME'} --target-file ${path} (variants: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}).` });
  }
  const pack = probeRsTarget(file, variant ?? names[0]!);
  return { target: pack.target, pack };
}

/**
 * Resolves --target NAME / --target-file PATH: a file (flashwright's own format or a probe-rs
 * target file), else the installed packs (newest version of the pack holding the part), else
 * the built-in descriptions.
 */
export function resolveTargetFull(options: { target?: string | undefined; targetFile?: string | undefined }): ResolvedTarget | undefined {
  if (options.targetFile) {
    const text = readTargetFile(options.targetFile);
    if (isProbeRsTargetFile(text)) return probeRsFromFile(text, options.targetFile, options.target);
    if (options.target) throw new UsageError('Give either --target or --target-file, not both.', { hint: '--target picks a variant only of a probe-rs target file.' });
    return { target: loadTargetFile(text, options.targetFile) };
  }
  if (!options.target) return undefined;
  const pack = packStore().findTarget(options.target);
  if (pack) return { target: pack.target, pack };
  return { target: requireKnownTarget(options.target) };
}

/** Resolves --target NAME / --target-file PATH for any command (undefined when neither). */
export function resolveTarget(options: { target?: string | undefined; targetFile?: string | undefined }): TargetDescription | undefined {
  return resolveTargetFull(options)?.target;
}

/** A --target NAME (or `targets show NAME`) nobody knows is a bad option value: exit 2, same message and hint. */
function requireKnownTarget(name: string): TargetDescription {
  try {
    return requireTarget(name);
  } catch (e) {
    if (e instanceof UnknownTargetError) {
      // The nearest names among the installed packs' parts come first.
      const near = [...packStore().getCatalog().near(name), ...(e.context.near as string[] | undefined ?? [])].slice(0, 4);
      const hint = near.length ? `Did you mean ${near.join(', ')}? \`flashwright targets\` lists all.` : e.hint;
      const message = packStore().list().length ? e.message.replace('No built-in target', 'No installed pack or built-in target') : e.message;
      throw new UsageError(message, { hint, context: e.context, cause: e });
    }
    throw e;
  }
}

/** What `targets show` adds for a part from a pack: where it came from and which algorithm programs what. */
export function describePackTarget(p: PackTarget): string[] {
  const lines = [`From:    ${p.pack.vendor === 'probe-rs' ? `probe-rs target file (${p.pack.name})` : `pack ${p.pack.vendor}.${p.pack.name} ${p.pack.version}`}, device ${p.device}${p.pname ? `, core ${p.pname}` : ''}`];
  if (p.debug.ap !== undefined || p.debug.dp !== undefined) lines.push(`Debug:   access port ${p.debug.ap ?? 0}, debug port ${p.debug.dp ?? 0}`);
  for (const a of p.algorithms) {
    lines.push(`Algo:    ${a.ref.path.replace(/\\/g, '/')} ${hex(a.ref.start)}+${formatSize(a.ref.size)}${a.ref.default ? ' (default)' : ''}${a.ref.ramStart !== undefined ? ` RAM ${hex(a.ref.ramStart)}+${formatSize(a.ref.ramSize ?? 0)}` : ''} — ${a.algorithm.name}`);
  }
  for (const r of p.unrunnable) lines.push(`Algo:    ${r.path.replace(/\\/g, '/')} ${hex(r.start)}+${formatSize(r.size)} — ${r.style} style, which flashwright does not run`);
  for (const w of p.warnings) lines.push(`Warning: ${w}`);
  return lines;
}

export const targetsCommand: CommandModule = (program, io) => {
  // Positional options: `targets --json` belongs to the list, `targets show X --json` to show.
  const cmd = program.command('targets').description('List the built-in target descriptions (and, with --pack, the parts of an installed pack).')
    .enablePositionalOptions()
    .option('--json', 'machine-readable output')
    .option('--pack <name>', 'list the parts of an installed pack (Vendor.Name, as `flashwright pack list` shows)')
    .action((opts: { json?: boolean; pack?: string }) => {
      if (opts.pack !== undefined) { listPackParts(io, opts.pack, Boolean(opts.json)); return; }
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
      const packs = packStore().list();
      if (packs.length) {
        io.out(`\nInstalled packs (their parts come before the built-ins; \`flashwright targets --pack NAME\` lists them):\n`);
        for (const p of packs) io.out(`  ${p.id.padEnd(36)} ${p.version.padEnd(10)} ${p.devices} parts\n`);
      }
    });
  cmd.command('show [name]').description('Print one target description (name, alias or part number; or --target-file).')
    .option('--json', 'machine-readable output (usable as a --target-file)')
    .option('--target-file <path>', 'show a description file after validating it')
    .action((name: string | undefined, opts: { json?: boolean; targetFile?: string }) => {
      if (name === undefined && !opts.targetFile) throw new UsageError('Name the target to show, or pass --target-file.', { hint: 'Run `flashwright targets` to list the built-in names.' });
      const r = resolveTargetFull(opts.targetFile ? { targetFile: opts.targetFile, target: name } : { target: name }) as ResolvedTarget;
      if (opts.json) { io.out(JSON.stringify(r.target, null, 2) + '\n'); return; }
      const from = r.pack ? describePackTarget(r.pack) : [`From:    ${opts.targetFile ? `file ${opts.targetFile}` : 'built-in description'}`];
      io.out([...describeTarget(r.target), ...from].join('\n') + '\n');
    });
};

function listPackParts(io: Io, pack: string, json: boolean): void {
  const installed = packStore().list();
  const hit = installed.find((p) => p.id.toLowerCase() === pack.toLowerCase());
  if (!hit) throw new UsageError(`No installed pack is called '${pack}'.`, { hint: installed.length ? `Installed: ${installed.map((p) => p.id).join(', ')}.` : 'Install one with `flashwright pack add FILE.pack` or `flashwright pack install VENDOR.NAME`.' });
  const entries = packStore().getCatalog().entries.filter((e) => e.file === hit.file);
  if (json) { io.out(JSON.stringify(entries, null, 2) + '\n'); return; }
  io.out(`${hit.id} ${hit.version} (${hit.file}): ${entries.length} parts\n`);
  for (const e of entries) io.out(`  ${e.name.padEnd(28)} ${e.family.padEnd(28)} ${e.core}\n`);
}
