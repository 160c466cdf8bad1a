/**
 * `flashwright reset --via NAME [--halt]`: resets the chip and lets it run (or keeps the core
 * halted at the reset vector, where the way in can). Changes no memory.
 */
import { UsageError } from '../../core/errors.js';
import type { Programmer } from '../../programmer/types.js';
import { addDeviceOptions, withDevice, type DeviceOptions } from '../device.js';
import type { CommandModule } from './index.js';

/** Ways in that can reset with a choice of run or halt (debug-level ones). */
interface Resettable {
  reset(mode: 'halt' | 'run', context?: { signal?: AbortSignal }): Promise<void>;
}

function resettable(p: Programmer): p is Programmer & Resettable {
  return typeof (p as Partial<Resettable>).reset === 'function';
}

export const resetCommand: CommandModule = (program, io) => {
  const cmd = program.command('reset').description('Reset the chip and let it run (or --halt at the reset vector).')
    .option('--halt', 'keep the core halted at the reset vector (debug-level ways in: cmsis-dap)');
  addDeviceOptions(cmd);
  cmd.action(async (opts: DeviceOptions & { halt?: boolean }) => {
    await withDevice(opts, io, async ({ programmer, signal }) => {
      if (resettable(programmer)) await programmer.reset(opts.halt ? 'halt' : 'run', { signal });
      else if (!opts.halt && programmer.run) await programmer.run(undefined, { signal });
      else throw new UsageError(`--via ${opts.via} cannot ${opts.halt ? 'reset and halt the core' : 'reset the chip'}.`, { hint: opts.halt ? 'Use a debug-level way in (--via cmsis-dap).' : 'Reset the board by hand.' });
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'reset', halted: Boolean(opts.halt) }) + '\n');
      else io.out(opts.halt ? 'reset; the core is halted at the reset vector\n' : 'reset; the chip is running\n');
    }, 'reset');
  });
};
