/**
 * `flashwright pack add FILE.pack|DIR|FILE.pdsc|probe-rs.yaml`, `pack list`, `pack remove NAME`,
 * `pack install VENDOR.NAME[@VERSION]`, `pack update`: the CMSIS-Packs (and probe-rs target
 * files) installed in the user's cache folder, whose parts --target then finds by name.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { formatSize } from '../../core/format.js';
import { installPack, updatePacks, type DownloadOptions } from '../../pack/node-install.js';
import type { AddResult } from '../../pack/node-store.js';
import type { Io } from '../output.js';
import { packStore } from './targets.js';
import { commandGroup } from './groups.js';
import type { CommandModule } from './index.js';

function printAdded(io: Io, r: AddResult, json: boolean): void {
  if (json) { io.out(JSON.stringify(r) + '\n'); return; }
  io.out(`Installed ${r.id} ${r.version}: ${r.devices} devices${r.replaced ? ` (replaces ${r.replaced})` : ''}.\n`);
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
}

/** A download bar on a terminal; a line per file otherwise (never on stdout: --json keeps it clean). */
function progress(io: Io): DownloadOptions['onProgress'] {
  let last = '';
  return (received, total, what) => {
    if (!io.isTty) {
      if (what !== last) { io.err(`download: ${what}\n`); last = what; }
      return;
    }
    const bar = total ? '#'.repeat(Math.round((received / total) * 30)).padEnd(30, '.') : '';
    io.err(`\rdownload ${what} [${bar}] ${formatSize(received)}${total ? ` of ${formatSize(total)}` : ''}${total && received >= total ? '\n' : ''}`);
  };
}

export const packCommand: CommandModule = (program, io) => {
  const group = commandGroup(program, 'pack', 'Install and manage CMSIS-Packs (device family packs) and probe-rs target files.');
  group.command('add <path>').description('Install a .pack, an unpacked pack folder, a .pdsc with its files beside it, or a probe-rs target .yaml.')
    .option('--json', 'machine-readable output')
    .action((path: string, opts: { json?: boolean }) => {
      // A missing input is a usage error (exit 2), as for every command.
      if (!existsSync(path)) throw new UsageError(`${path} does not exist.`, { hint: 'Give the path of a .pack file, an unpacked pack folder, a .pdsc or a probe-rs target .yaml.', context: { path } });
      printAdded(io, packStore().add(path), Boolean(opts.json));
    });
  group.command('list').description('List the installed packs.')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const store = packStore();
      const list = store.list();
      if (opts.json) { io.out(JSON.stringify({ dir: store.dir, packs: list }, null, 2) + '\n'); return; }
      if (!list.length) { io.out(`No packs installed (in ${store.dir}).\n`); return; }
      for (const p of list) io.out(`${p.id.padEnd(36)} ${p.version.padEnd(10)} ${String(p.devices).padStart(5)} parts  ${p.kind}\n`);
      io.out(`(in ${store.dir})\n`);
    });
  group.command('remove <name>').description('Remove an installed pack (Vendor.Name).')
    .action((name: string) => { const r = packStore().remove(name); io.out(`Removed ${r.id} ${r.version}.\n`); });
  group.command('install <spec>').description('Download VENDOR.NAME[@VERSION] from the pack index and install it.')
    .option('--index-url <url>', 'pack index (index.pidx) URL (default: FLASHWRIGHT_PACK_INDEX, else the public Keil index)')
    .option('--json', 'machine-readable output')
    .action(async (spec: string, opts: { indexUrl?: string; json?: boolean }) => {
      printAdded(io, await installPack(packStore(), spec, { indexUrl: opts.indexUrl, onProgress: progress(io) }), Boolean(opts.json));
    });
  group.command('update').description('Install the newest release of every installed pack the index has a newer one of.')
    .option('--index-url <url>', 'pack index (index.pidx) URL')
    .action(async (opts: { indexUrl?: string }) => {
      const results = await updatePacks(packStore(), { indexUrl: opts.indexUrl, onProgress: progress(io) });
      if (!results.length) io.out('No packs installed.\n');
      for (const r of results) io.out(r.to ? `${r.id}: ${r.from} → ${r.to}\n` : `${r.id} ${r.from} is the newest.\n`);
    });
};
