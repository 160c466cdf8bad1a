/**
 * `flashwright ports`: serial ports to pass as --port. serialport's list needs udev
 * (udevadm) on Linux, which containers often lack; then we scan /dev for the usual tty
 * names and say that this is a guess.
 */
import { readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { listSerialPorts, type SerialPortListing } from '../../link/node-serial.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';

const TTY_NAMES = /^(ttyUSB\d+|ttyACM\d+|ttyAMA\d+|ttyS\d+|ttyTHS\d+|rfcomm\d+|cu\..+|tty\.usb.+)$/;

/** Device nodes under `dir` that look like serial ports (fallback when enumeration fails). */
export function scanDevForTtys(dir = '/dev'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => TTY_NAMES.test(n)).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).map((n) => `${dir}/${n}`);
}

export interface PortList {
  method: 'serialport' | 'dev-scan';
  ports: SerialPortListing[];
  /** Why the scan was used. */
  note?: string;
}

export async function findPorts(list: () => Promise<SerialPortListing[]> = listSerialPorts, scan: () => string[] = scanDevForTtys): Promise<PortList> {
  try {
    const ports = await list();
    if (ports.length) return { method: 'serialport', ports };
    const scanned = scan();
    return scanned.length
      ? { method: 'dev-scan', ports: scanned.map((path) => ({ path })), note: 'the system listed no ports; these /dev entries look like serial ports' }
      : { method: 'serialport', ports: [] };
  } catch (e) {
    return {
      method: 'dev-scan',
      ports: scan().map((path) => ({ path })),
      note: `listing through the system failed (${(e as Error).message.split('\n')[0]}; udevadm is often missing in containers), so /dev was scanned by name`,
    };
  }
}

export const portsCommand: CommandModule = (program: Command, io: Io) => {
  program.command('ports')
    .description('List serial ports (for --port).')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const found = await findPorts();
      if (opts.json) { io.out(JSON.stringify({ type: 'ports', ...found }, null, 2) + '\n'); return; }
      if (found.note) io.err(`note: ${found.note}\n`);
      if (found.ports.length === 0) { io.out('No serial ports found. Plug in the adapter; on Linux check `dmesg` and the dialout group.\n'); return; }
      for (const p of found.ports) {
        const extra = [p.manufacturer, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : undefined, p.serialNumber ? `serial ${p.serialNumber}` : undefined].filter(Boolean);
        io.out(`${p.path}${extra.length ? `  ${extra.join(', ')}` : ''}\n`);
      }
    });
};
