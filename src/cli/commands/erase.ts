/** `flashwright erase [ADDR LEN] | --all --via NAME`: erase whole sectors, or everything (not reserved areas). */
import { UsageError } from '../../core/errors.js';
import { formatSize, hex, parseNumber } from '../../core/format.js';
import { eraseRange } from '../../flash/engine.js';
import { addDeviceOptions, withDevice, type DeviceOptions } from '../device.js';
import type { CommandModule } from './index.js';

export const eraseCommand: CommandModule = (program, io) => {
  const cmd = program.command('erase [address] [length]').description('Erase the sectors covering ADDRESS..+LENGTH (sector-aligned), or all flash with --all --yes.')
    .option('--all', 'erase all internal flash (mass erase where the way in has one; reserved areas are kept)')
    .option('--allow-secure', 'Kinetis: leave the flash configuration field erased (FSEC=0xFF, secure after reset) instead of writing the unsecure default back');
  addDeviceOptions(cmd);
  cmd.action(async (a: string | undefined, l: string | undefined, opts: DeviceOptions & { all?: boolean; allowSecure?: boolean }) => {
    let range: { address: number; length: number } | 'all';
    if (opts.all) {
      if (a !== undefined) throw new UsageError('Give either --all or an address and length, not both.');
      if (!opts.yes) throw new UsageError('erase --all wipes the whole flash; add --yes to confirm.');
      range = 'all';
    } else {
      if (a === undefined || l === undefined) throw new UsageError('erase needs an ADDRESS and a LENGTH, or --all.', { hint: 'Example: flashwright erase 0x08004000 16K --via sim --target stm32f103xb' });
      const address = parseNumber(a);
      const length = parseNumber(l);
      if (address === undefined || length === undefined) throw new UsageError(`Cannot read '${address === undefined ? a : l}' as a number.`, { hint: 'Use 0x… hex, decimal, or K/M suffixes.' });
      range = { address, length };
    }
    await withDevice(opts, io, async ({ programmer, device, signal, onEvent, changes }) => {
      const s = await eraseRange(programmer, device, range, { signal, onEvent, changes, allowSecure: Boolean(opts.allowSecure) });
      if (!opts.json) for (const c of s.changes) io.out(`done: ${c.description}${c.destroys ? ` — ${c.destroys}` : ''}\n`);
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'erase', ...s }) + '\n');
      else {
        io.out(`erased ${s.chip ? 'all flash (mass erase)' : `${s.sectors} sector(s)`}, ${formatSize(s.bytes)} on ${s.target} (${Math.round(s.elapsedMs)} ms)\n`);
        if (s.unsecureFcfAt !== undefined) io.out(`wrote the unsecure default flash configuration (FSEC=0xFE) at ${hex(s.unsecureFcfAt)}, so the part stays unsecured\n`);
        if (s.keptReserved.length) io.out(`kept ${s.keptReserved.length} sector(s) holding reserved areas: ${s.keptReserved.map((x) => hex(x)).join(', ')}\n`);
      }
    }, 'erase');
  });
};
