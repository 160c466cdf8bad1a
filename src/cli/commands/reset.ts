/**
 * `flashwright reset --via NAME [--halt]`: resets the chip and lets it run (or keeps the core
 * halted at the reset vector, where the way in can). Changes no memory. Every way in that can
 * reset does: MCUboot Reset, STM32 the --exit DTR/RTS sequence or Go to the reset handler,
 * GDB monitor reset, CMSIS-DAP SYSRESETREQ/nRESET, the simulator. A reset also clears a
 * bootloader's stale view of flash (MCUboot 10203 right after an erase).
 */
import { UsageError } from '../../core/errors.js';
import { addDeviceOptions, withDevice, type DeviceOptions } from '../device.js';
import type { CommandModule } from './index.js';

export const resetCommand: CommandModule = (program, io) => {
  const cmd = program.command('reset').description('Reset the chip and let it run (or --halt at the reset vector); changes no memory.')
    .option('--halt', 'keep the core halted at the reset vector (debug-level ways in: gdb, cmsis-dap)');
  addDeviceOptions(cmd);
  cmd.action(async (opts: DeviceOptions & { halt?: boolean }) => {
    await withDevice(opts, io, async ({ programmer, signal }) => {
      let how: string | void = undefined;
      if (programmer.reset) how = await programmer.reset(opts.halt ? 'halt' : 'run', { signal });
      else if (!opts.halt && programmer.run) await programmer.run(undefined, { signal });
      else throw new UsageError(`--via ${opts.via} cannot ${opts.halt ? 'reset and halt the core' : 'reset the chip'}.`, { hint: opts.halt ? 'Use a debug-level way in (--via gdb or cmsis-dap).' : 'Reset the board by hand.' });
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'reset', halted: Boolean(opts.halt), ...(how ? { method: how } : {}) }) + '\n');
      else io.out(`${opts.halt ? 'reset; the core is halted at the reset vector' : 'reset; the chip is running'}${how ? ` (${how})` : ''}\n`);
    }, 'reset');
  });
};
