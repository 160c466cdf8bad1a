/**
 * `flashwright sim stm32 --chip stm32f103xb --pty PATH`: a simulated STM32 system
 * bootloader on a pseudo-terminal, for stm32flash, flashwright or any AN3155 host, until
 * stopped (Ctrl-C / SIGTERM). `--state FILE` keeps the flash and option bytes between runs.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import { createPipe, modeledSeconds } from '../../link/pipe.js';
import { exposeOnPty } from '../../sim/node-pty.js';
import { checkOutputPath } from '../files.js';
import { Stm32BootloaderSim } from '../../sim/stm32/bootloader.js';
import { STM32_SIM_PROFILES, findStm32SimProfile, profileTarget } from '../../sim/stm32/profiles.js';
import type { Io } from '../output.js';
import { loadSimState, serveUntilStopped } from '../sim-host.js';
import { commandGroup } from './groups.js';
import type { CommandModule } from './index.js';

interface SimStm32Options {
  chip: string;
  pty: string;
  state?: string;
  readProtected?: boolean;
  json?: boolean;
}

export const simStm32Command: CommandModule = (program: Command, io: Io) => {
  commandGroup(program, 'sim', 'Simulated devices for testing hosts (flashwright or others)')
    .command('stm32')
    .description('Run a simulated STM32 system bootloader (AN3155) on a pseudo-terminal until stopped; connect with 8N1 (ptys drop parity).')
    .requiredOption('--chip <name>', `chip to simulate (${Object.keys(STM32_SIM_PROFILES).join(', ')})`)
    .requiredOption('--pty <path>', 'path of the pseudo-terminal link to create')
    .option('--state <file>', 'JSON file keeping flash and option bytes between runs (loaded at start, saved at exit)')
    .option('--read-protected', 'start with read protection (RDP level 1) on')
    .option('--json', 'print the ready line and the exit statistics as JSON')
    .action(async (opts: SimStm32Options) => {
      const profile = findStm32SimProfile(opts.chip);
      if (!profile) throw new UsageError(`No simulated chip '${opts.chip}'.`, { hint: `Choose one of: ${Object.keys(STM32_SIM_PROFILES).join(', ')}.` });
      const target = profileTarget(profile);
      const pipe = createPipe();
      const sim = new Stm32BootloaderSim(pipe.device, {
        profile, readProtected: opts.readProtected,
        onEvent: (e) => { if (!opts.json) io.err(`sim: ${e}\n`); },
      });
      const saved = loadSimState(opts.state);
      if (saved) sim.restore(saved);
      // Before socat runs: a link path in a missing folder is a usage error, not "install socat".
      checkOutputPath(opts.pty, 'the pty link', '--pty');
      const pty = await exposeOnPty(pipe.host, opts.pty);
      const ready = { type: 'ready', chip: target.name, pid: hex(profile.pid, 3), pty: pty.path, device: pty.devicePath };
      io.out(opts.json ? JSON.stringify(ready) + '\n' : `${target.name} bootloader (PID ${ready.pid}) on ${pty.path} (${pty.devicePath}); use 8N1; Ctrl-C to stop\n`);
      await serveUntilStopped(pty, { path: opts.state, snapshot: () => sim.memory.snapshot() });
      const c = pipe.counters;
      const stats = {
        type: 'stats', bytesToDevice: c.bytesToDevice, bytesToHost: c.bytesToHost, turnarounds: c.turnarounds,
        commands: Object.fromEntries([...sim.commandCounts].map(([k, v]) => [hex(k, 2), v])),
        modeledSeconds115200_8E1_1ms: Number(modeledSeconds(c, 115200, 11, 1).toFixed(3)),
        flashBusyMs: Number(sim.memory.clock.nowMs.toFixed(1)),
      };
      io.out(opts.json ? JSON.stringify(stats) + '\n' : `stopped: ${c.bytesToDevice} bytes in, ${c.bytesToHost} bytes out, ${c.turnarounds} turnarounds\n`);
    });
};
