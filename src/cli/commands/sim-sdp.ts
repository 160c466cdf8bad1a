/**
 * `flashwright sim sdp --pty PATH [--chip MIMXRT1021] [--hab closed]`: the simulated i.MX RT boot
 * ROM in serial-download mode (UART form) on a pseudo-terminal until stopped; after a good
 * JUMP_ADDRESS the same wire speaks MCUboot (the simulated flashloader).
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { createPipe } from '../../link/pipe.js';
import { exposeOnPty } from '../../sim/node-pty.js';
import { checkOutputPath } from '../files.js';
import { SdpUartSim } from '../../sim/sdp/uart.js';
import { mcubootChip } from '../../sim/mcuboot/chips.js';
import type { Io } from '../output.js';
import { serveUntilStopped } from '../sim-host.js';
import { commandGroup } from './groups.js';
import type { CommandModule } from './index.js';

export const simSdpCommand: CommandModule = (program: Command, io: Io) => {
  commandGroup(program, 'sim', 'Simulated devices for testing hosts (flashwright or others)')
    .command('sdp')
    .description('Run a simulated i.MX RT boot ROM in serial-download mode (SDP over UART) on a pseudo-terminal until stopped; a good JUMP_ADDRESS starts the simulated MCUboot flashloader.')
    .requiredOption('--pty <path>', 'path of the pseudo-terminal link to create')
    .option('--chip <name>', 'MIMXRT1021 or MIMXRT1062', 'MIMXRT1021')
    .option('--hab <mode>', 'open (default) or closed (secure boot fused: no unsigned image runs)', 'open')
    .option('--json', 'print the ready line as JSON')
    .action(async (opts: { pty: string; chip: string; hab: string; json?: boolean }) => {
      const chip = mcubootChip(opts.chip);
      if (!chip || chip.flavour !== 'imxrt-flashloader') throw new UsageError(`No simulated i.MX RT ROM '${opts.chip}'.`, { hint: 'Choose MIMXRT1021 or MIMXRT1062.' });
      if (opts.hab !== 'open' && opts.hab !== 'closed') throw new UsageError(`--hab '${opts.hab}' must be open or closed.`, { hint: 'closed models a secure-boot fused part.' });
      const pipe = createPipe();
      const sim = new SdpUartSim(pipe.device, { chip: chip.target.name, hab: opts.hab });
      // Before socat runs: a link path in a missing folder is a usage error, not "install socat".
      checkOutputPath(opts.pty, 'the pty link', '--pty');
      const pty = await exposeOnPty(pipe.host, opts.pty);
      const ready = { type: 'ready', chip: chip.target.name, hab: opts.hab, pty: pty.path, device: pty.devicePath };
      io.out(opts.json ? JSON.stringify(ready) + '\n' : `${chip.target.name} boot ROM (serial downloader, HAB ${opts.hab}) on ${pty.path} (${pty.devicePath}); Ctrl-C to stop\n`);
      await serveUntilStopped(pty);
      io.out(opts.json ? JSON.stringify({ type: 'stats', commands: sim.rom.log.length, flashloaderStarted: Boolean(sim.flashloader) }) + '\n'
        : `stopped: ${sim.rom.log.length} SDP commands${sim.flashloader ? '; the flashloader was started' : ''}\n`);
    });
};
