/**
 * `flashwright probes`: attached CMSIS-DAP probes (VID:PID, serial, product, v1/v2, firmware),
 * for --probe. On a machine without a USB subsystem it says so plainly.
 */
import type { Command } from 'commander';
import { hex } from '../../core/format.js';
import { listDapProbes, NO_USB_HINT, NO_USB_MESSAGE } from '../../link/node-usb.js';
import type { Io } from '../output.js';
import { describeProbe } from '../probe-select.js';
import type { CommandModule } from './index.js';

export const probesCommand: CommandModule = (program: Command, io: Io) => {
  program.command('probes')
    .description('List attached CMSIS-DAP debug probes (for --via cmsis-dap --probe).')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const found = await listDapProbes();
      if (opts.json) {
        const probes = found.probes.map((p) => ({ vid: hex(p.vid, 4), pid: hex(p.pid, 4), serial: p.serial ?? null, product: p.product ?? null, manufacturer: p.manufacturer ?? null, version: p.version, firmware: p.deviceVersion ?? null }));
        io.out(JSON.stringify({ type: 'probes', noUsb: found.noUsb, probes, problems: found.problems }, null, 2) + '\n');
        return;
      }
      if (found.noUsb) { io.out(`${NO_USB_MESSAGE}\n${NO_USB_HINT}\n`); return; }
      for (const p of found.problems) io.err(`note: ${p}\n`);
      if (found.probes.length === 0) { io.out('No CMSIS-DAP probe found. Plug one in; on Linux, a probe listed by `lsusb` but not here may need a udev rule.\n'); return; }
      for (const p of found.probes) io.out(`${describeProbe(p)}\n`);
    });
};
