/**
 * `flashwright sim mcuboot --chip MK64FN1M0 --pty PATH`: a simulated MCUboot bootloader
 * (Kinetis ROM-style KBOOT, or the i.MX RT flashloader) on a pseudo-terminal until stopped.
 * `--state FILE` keeps flash (and FlexSPI NOR) between runs.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import { createPipe, modeledSeconds } from '../../link/pipe.js';
import { MCUBOOT_SIM_CHIPS, mcubootChip } from '../../sim/mcuboot/chips.js';
import { McubootSimTarget } from '../../sim/mcuboot/target.js';
import { McubootUartSim } from '../../sim/mcuboot/uart.js';
import { exposeOnPty } from '../../sim/node-pty.js';
import { checkOutputPath } from '../files.js';
import type { Io } from '../output.js';
import { loadSimState, serveUntilStopped } from '../sim-host.js';
import { commandGroup } from './groups.js';
import type { CommandModule } from './index.js';

interface SimMcubootOptions {
  chip: string;
  pty: string;
  state?: string;
  maxPacket?: string;
  blank?: boolean;
  staleCache?: boolean;
  flashResident?: string;
  json?: boolean;
}

export const simMcubootCommand: CommandModule = (program: Command, io: Io) => {
  commandGroup(program, 'sim', 'Simulated devices for testing hosts (flashwright or others)')
    .command('mcuboot')
    .description('Run a simulated NXP MCUboot bootloader (UART, 8N1) on a pseudo-terminal until stopped.')
    .requiredOption('--chip <name>', `chip to simulate (${MCUBOOT_SIM_CHIPS.join(', ')})`)
    .requiredOption('--pty <path>', 'path of the pseudo-terminal link to create')
    .option('--state <file>', 'JSON file keeping flash contents between runs (loaded at start, saved at exit)')
    .option('--max-packet <bytes>', 'MaxPacketSize the device reports (Kinetis 32, i.MX RT flashloader 512)')
    .option('--blank', 'Kinetis: start with fully erased flash (FSEC = 0xFF, so the chip is secure)')
    .option('--flash-resident <bytes>', 'Kinetis: model a flash-resident bootloader in the first BYTES of flash (reported in ReservedRegions)')
    .option('--stale-cache', 'fault: after an erase the bootloader keeps reading the old flash contents (a flash cache / prefetch buffer not invalidated) until a reset, so writing there fails with status 10203')
    .option('--json', 'print the ready line and the exit statistics as JSON')
    .action(async (opts: SimMcubootOptions) => {
      const chip = mcubootChip(opts.chip);
      if (!chip) throw new UsageError(`No simulated MCUboot chip '${opts.chip}'.`, { hint: `Choose one of: ${MCUBOOT_SIM_CHIPS.join(', ')}.` });
      const maxPacketSize = opts.maxPacket === undefined ? undefined : parseNumber(opts.maxPacket);
      if (opts.maxPacket !== undefined && (maxPacketSize === undefined || maxPacketSize < 32 || maxPacketSize > chip.maxBuffer)) {
        throw new UsageError(`--max-packet ${opts.maxPacket} is outside 32…${chip.maxBuffer}.`, { hint: 'The simulated bootloader buffers at most 4096 bytes per packet.' });
      }
      const flashResidentBytes = opts.flashResident === undefined ? undefined : parseNumber(opts.flashResident);
      if (opts.flashResident !== undefined && !flashResidentBytes) throw new UsageError(`--flash-resident '${opts.flashResident}' is not a size.`, { hint: 'For example 48K.' });
      const flash = chip.target.regions.find((r) => r.kind === 'flash');
      if (flashResidentBytes !== undefined && !flash) {
        throw new UsageError(`--flash-resident needs internal flash, and ${chip.target.name} has none (its bootloader is in ROM; the flashloader runs from RAM).`, { hint: 'Use --flash-resident with a Kinetis chip, e.g. --chip MK64FN1M0.' });
      }
      if (flashResidentBytes !== undefined && flash && flashResidentBytes >= flash.size) {
        throw new UsageError(`--flash-resident ${opts.flashResident} does not leave any of the ${chip.target.name} flash for an application.`, { hint: 'For example 48K.' });
      }
      const target = new McubootSimTarget(chip, { maxPacketSize, blank: opts.blank, flashResidentBytes });
      target.staleCache.enabled = Boolean(opts.staleCache);
      const saved = loadSimState(opts.state);
      if (saved) {
        target.memory.restore(saved);
        target.reset();
      }
      const pipe = createPipe();
      const sim = new McubootUartSim(pipe.device, target);
      // Before socat runs: a link path in a missing folder is a usage error, not "install socat".
      checkOutputPath(opts.pty, 'the pty link', '--pty');
      const pty = await exposeOnPty(pipe.host, opts.pty);
      const ready = { type: 'ready', chip: chip.target.name, maxPacketSize: target.maxPacketSize, pty: pty.path, device: pty.devicePath };
      io.out(opts.json ? JSON.stringify(ready) + '\n' : `${chip.target.name} MCUboot (MaxPacketSize ${target.maxPacketSize}) on ${pty.path} (${pty.devicePath}); 8N1; Ctrl-C to stop\n`);
      await serveUntilStopped(pty, { path: opts.state, snapshot: () => target.memory.snapshot() });
      const c = pipe.counters;
      const stats = {
        type: 'stats', bytesToDevice: c.bytesToDevice, bytesToHost: c.bytesToHost, turnarounds: c.turnarounds, ...sim.counters,
        modeledSeconds57600_8N1_1ms: Number(modeledSeconds(c, 57600, 10, 1).toFixed(3)),
      };
      io.out(opts.json ? JSON.stringify(stats) + '\n' : `stopped: ${c.bytesToDevice} bytes in, ${c.bytesToHost} bytes out, ${c.turnarounds} turnarounds, ${sim.counters.resets} resets\n`);
    });
};
