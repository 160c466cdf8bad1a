/**
 * `--probe VID:PID[:SERIAL] | SERIAL | tcp:HOST[:PORT]`: which CMSIS-DAP probe to use. One
 * probe attached is used without asking; several without --probe is a usage error that
 * lists them; none says why (no USB subsystem at all, or nothing plugged in).
 */
import { FlashwrightError, UsageError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { hex } from '../core/format.js';
import { DAP_TCP_DEFAULT_PORT } from '../link/dap-tcp.js';
import { NO_USB_HINT, NO_USB_MESSAGE, type DapProbeEntry, type DapProbeListing } from '../link/node-usb.js';

export type ProbeSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'usb'; vid: number; pid: number; serial?: string }
  | { kind: 'serial'; serial: string };

export function parseProbeSpec(text: string): ProbeSpec {
  const t = text.trim();
  const tcp = /^tcp:(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/i.exec(t);
  if (tcp) {
    const port = tcp[3] === undefined ? DAP_TCP_DEFAULT_PORT : Number(tcp[3]);
    if (port < 1 || port > 65535) throw new UsageError(`--probe '${text}': port ${port} is out of range.`, { hint: `E.g. --probe tcp:localhost:${DAP_TCP_DEFAULT_PORT}.` });
    return { kind: 'tcp', host: tcp[1] ?? tcp[2] ?? 'localhost', port };
  }
  if (/^tcp:/i.test(t)) throw new UsageError(`--probe '${text}' is not tcp:HOST[:PORT].`, { hint: `E.g. --probe tcp:localhost:${DAP_TCP_DEFAULT_PORT}.` });
  const usb = /^(?:0x)?([0-9a-f]{1,4}):(?:0x)?([0-9a-f]{1,4})(?::(.+))?$/i.exec(t);
  if (usb) {
    const spec: ProbeSpec = { kind: 'usb', vid: parseInt(usb[1]!, 16), pid: parseInt(usb[2]!, 16) };
    if (usb[3]) spec.serial = usb[3];
    return spec;
  }
  if (!t || /[:\s]/.test(t)) throw new UsageError(`--probe '${text}' is not VID:PID[:SERIAL], a serial number, or tcp:HOST[:PORT].`, { hint: 'Run `flashwright probes` to list attached probes.' });
  return { kind: 'serial', serial: t };
}

export function describeProbe(p: DapProbeEntry): string {
  return `${hex(p.vid, 4).slice(2)}:${hex(p.pid, 4).slice(2)}${p.serial ? `:${p.serial}` : ''}  ${p.product ?? 'unnamed'}  (CMSIS-DAP ${p.version}${p.deviceVersion ? `, firmware ${p.deviceVersion}` : ''})`;
}

export class NoProbeError extends FlashwrightError {
  constructor(message: string, hint: string, context: ErrorContext = {}) {
    super('NO_PROBE', message, { hint, context });
  }
}

/** Picks the attached probe `spec` names (or the only one). */
export function chooseProbe(spec: Exclude<ProbeSpec, { kind: 'tcp' }> | undefined, listing: DapProbeListing): DapProbeEntry {
  const all = listing.probes;
  if (listing.noUsb) throw new NoProbeError(NO_USB_MESSAGE, NO_USB_HINT);
  const matches = !spec ? all : all.filter((p) => (spec.kind === 'serial' ? p.serial === spec.serial : p.vid === spec.vid && p.pid === spec.pid && (spec.serial === undefined || p.serial === spec.serial)));
  const list = all.map((p) => `  ${describeProbe(p)}`).join('\n');
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    if (all.length === 0) {
      throw new NoProbeError('No CMSIS-DAP probe is attached.', `Plug in the probe (MCU-Link, LPC-Link2, DAPLink, Picoprobe…)${listing.problems.length ? `; while looking: ${listing.problems.join('; ')}` : ''}, or use --probe tcp:HOST[:PORT].`, { problems: listing.problems });
    }
    throw new UsageError(`No attached CMSIS-DAP probe matches --probe; attached:\n${list}`, { hint: 'Pass --probe VID:PID[:SERIAL] or --probe SERIAL as listed.' });
  }
  throw new UsageError(`${matches.length} CMSIS-DAP probes match; choose one with --probe:\n${matches.map((p) => `  ${describeProbe(p)}`).join('\n')}`, {
    hint: 'Pass --probe VID:PID:SERIAL (or just the serial number) of the one to use.',
  });
}
