/**
 * `flashwright sim cmsis-dap [--tcp PORT] [--gdb HOST:PORT | --chip NAME]`: a simulated
 * CMSIS-DAP probe on TCP (the framing of OpenOCD's later cmsis-dap TCP backend) until
 * stopped. `--chip` puts the in-process memory model behind it; `--gdb` bridges to a GDB
 * stub (QEMU), so code really runs. Prints a ready line with the port; on exit, the packets
 * counted and the modelled USB time.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { parseHostPort } from '../../link/node-tcp.js';
import { openTcp } from '../../link/node-tcp.js';
import { createMemoryTarget, MEMORY_CHIPS, type MemoryChip } from '../../sim/cmsis-dap/memory-target.js';
import { createSimDapProbe } from '../../sim/cmsis-dap/probe.js';
import { createQemuTarget, QEMU_CHIPS, type QemuChip } from '../../sim/cmsis-dap/qemu-target.js';
import type { DapTarget } from '../../sim/cmsis-dap/target.js';
import { USB_LINKS, type UsbLinkName } from '../../sim/cmsis-dap/usb-timing.js';
import { DAP_TCP_DEFAULT_PORT, serveDapTcp } from '../../sim/node-dap-tcp.js';
import type { Io } from '../output.js';
import { commandGroup } from './groups.js';
import type { CommandModule } from './index.js';

interface SimDapOptions {
  tcp: string;
  host: string;
  gdb?: string;
  chip?: string;
  link: string;
  packetCount: string;
  packetSize?: string;
  secured?: boolean;
  dormant?: boolean;
  execute?: boolean;
  json?: boolean;
}

function whole(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not '${text}'.`);
  return n;
}

export const simCmsisDapCommand: CommandModule = (program: Command, io: Io) => {
  commandGroup(program, 'sim', 'Simulated devices for testing hosts (flashwright or others)')
    .command('cmsis-dap')
    .description('Run a simulated CMSIS-DAP probe on TCP (OpenOCD cmsis-dap TCP framing) until stopped.')
    .option('--tcp <port>', `TCP port to listen on (0 picks a free one)`, String(DAP_TCP_DEFAULT_PORT))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--gdb <host:port>', 'bridge to a GDB stub (QEMU -gdb tcp::PORT) so code really runs')
    .option('--chip <name>', `in-process target model (${MEMORY_CHIPS.join(', ')}); with --gdb: the chip QEMU emulates (${QEMU_CHIPS.join(', ')})`)
    .option('--link <name>', `modelled USB link (${USB_LINKS.join(', ')})`, 'v1-hid-fs')
    .option('--packet-count <n>', 'packet count the probe reports in DAP_Info', '4')
    .option('--packet-size <bytes>', 'packet size the probe reports (default 64, 512 for v2-bulk-hs)')
    .option('--secured', 'kinetis-k64: start secured (FSEC 0xFF)')
    .option('--dormant', 'in-process chips: the debug port powers up dormant (needs the selection-alert wake-up)')
    .option('--execute', 'in-process chips: the core executes the code the debugger loads (ARMv6-M Thumb; nrf51 with its NVMC, so flash algorithms program flash)')
    .option('--json', 'print the ready line and the exit statistics as JSON')
    .action(async (opts: SimDapOptions) => {
      const port = whole(opts.tcp, '--tcp', 0, 65535);
      if (!USB_LINKS.includes(opts.link as UsbLinkName)) throw new UsageError(`No modelled link '${opts.link}'.`, { hint: `Choose one of: ${USB_LINKS.join(', ')}.` });
      const packetCount = whole(opts.packetCount, '--packet-count', 1, 255);
      const packetSize = opts.packetSize === undefined ? undefined : whole(opts.packetSize, '--packet-size', 64, 1024);
      let target: DapTarget;
      if (opts.gdb) {
        if (opts.execute) throw new UsageError('--execute applies to the in-process chips: behind --gdb, QEMU runs the code itself.', { hint: 'Drop --execute, or drop --gdb and use --chip nrf51 --execute.' });
        if (opts.secured || opts.dormant) throw new UsageError('--secured and --dormant apply to the in-process chips, not to a QEMU bridge.', { hint: 'Drop --gdb to use --chip kinetis-k64 --secured or --dormant.' });
        const hp = parseHostPort(opts.gdb);
        if (!hp) throw new UsageError(`--gdb '${opts.gdb}' is not HOST:PORT.`, { hint: 'For example --gdb 127.0.0.1:1234 (QEMU -gdb tcp::1234).' });
        const chip = (opts.chip ?? 'nrf51') as QemuChip;
        if (!QEMU_CHIPS.includes(chip)) throw new UsageError(`--chip ${opts.chip} cannot be bridged.`, { hint: `With --gdb choose one of: ${QEMU_CHIPS.join(', ')}.` });
        target = await createQemuTarget({ chip, open: () => openTcp(hp), description: opts.gdb });
      } else {
        if (!opts.chip) throw new UsageError('Say what is behind the probe: --chip NAME (in-process model) or --gdb HOST:PORT (a QEMU GDB stub).', { hint: `Chips: ${MEMORY_CHIPS.join(', ')}.` });
        if (!MEMORY_CHIPS.includes(opts.chip as MemoryChip)) throw new UsageError(`No simulated chip '${opts.chip}'.`, { hint: `Choose one of: ${MEMORY_CHIPS.join(', ')}.` });
        if (opts.secured && opts.chip !== 'kinetis-k64') throw new UsageError(`--secured applies to kinetis-k64 only, not ${opts.chip}.`, { hint: 'Only the Kinetis model has an MDM-AP and flash security.' });
        target = createMemoryTarget({ chip: opts.chip as MemoryChip, secured: opts.secured, dormant: opts.dormant, execute: opts.execute });
      }
      const probe = createSimDapProbe({ target, link: opts.link as UsbLinkName, packetCount, packetSize });
      const server = await serveDapTcp(probe, { port, host: opts.host });
      const ready = { type: 'ready', port: server.port, host: server.host, target: target.name, link: opts.link, packetSize: probe.packetSize, packetCount };
      io.out(opts.json ? JSON.stringify(ready) + '\n' : `simulated CMSIS-DAP (${target.name}, ${opts.link}, ${probe.packetSize}-byte packets × ${packetCount}) on ${server.host}:${server.port}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await target.close();
      const s = probe.stats;
      const stats = { type: 'stats', clients: server.stats.clients, packetsOut: s.packetsOut, packetsIn: s.packetsIn, maxInFlight: s.maxInFlight, modeledMs: Number(probe.clock.nowMs.toFixed(3)), commands: s.commands };
      io.out(opts.json ? JSON.stringify(stats) + '\n' : `stopped: ${s.packetsOut} packets in, ${s.packetsIn} out, at most ${s.maxInFlight} in flight, ${stats.modeledMs} ms modelled\n`);
    });
};
