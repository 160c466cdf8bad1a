/**
 * Finding and opening CMSIS-DAP probes in Node: v2 probes through the `usb` package's
 * WebUSB class (bulk interface named "CMSIS-DAP"), v1 probes through node-hid (HID devices
 * whose product string contains "CMSIS-DAP", as the specification asks probes to name
 * themselves). On a machine with no USB subsystem, the listing says so instead of failing.
 */
import { existsSync } from 'node:fs';
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { hex } from '../core/format.js';
import { dapOverHid } from './dap-hid.js';
import { openHidDevice } from './node-hid.js';
import type { PacketDevice } from './types.js';
import { findDapBulkInterface, openDapBulk, type WebUsbDevice } from './webusb-dap.js';

export interface DapProbeEntry {
  version: 'v1' | 'v2';
  vid: number;
  pid: number;
  serial?: string;
  product?: string;
  manufacturer?: string;
  /** bcdDevice as major.minor (v2), for the listing. */
  deviceVersion?: string;
  /** How to open it. */
  open(): Promise<PacketDevice>;
}

export interface DapProbeListing {
  probes: DapProbeEntry[];
  /** True when the machine has no USB subsystem at all. */
  noUsb: boolean;
  /** Things that went wrong while looking (one line each). */
  problems: string[];
}

/** Linux udev rules that give a user access to a probe. */
export function udevRule(vid: number, kind: 'usb' | 'hidraw'): string {
  const v = vid.toString(16).padStart(4, '0');
  return kind === 'usb'
    ? `SUBSYSTEM=="usb", ATTR{idVendor}=="${v}", MODE="0660", TAG+="uaccess"`
    : `KERNEL=="hidraw*", ATTRS{idVendor}=="${v}", MODE="0660", TAG+="uaccess"`;
}

export class ProbeAccessError extends FlashwrightError {
  constructor(message: string, hint: string, context: ErrorContext, cause?: unknown) {
    super('PROBE_ACCESS', message, { hint, context, cause });
  }
}

function isPermission(e: unknown): boolean {
  const m = e instanceof Error ? `${e.message} ${(e as { code?: string }).code ?? ''}` : String(e);
  return /LIBUSB_ERROR_ACCESS|EACCES|permission denied|cannot open device/i.test(m);
}

/** Wraps an open failure, naming the udev rule on Linux when it is a permission problem. */
export function openFailure(what: string, vid: number, kind: 'usb' | 'hidraw', e: unknown): FlashwrightError {
  if (isPermission(e) && process.platform === 'linux') {
    return new ProbeAccessError(`Permission denied opening ${what}.`,
      `Add a udev rule such as '${udevRule(vid, kind)}' to /etc/udev/rules.d/50-cmsis-dap.rules, then run 'sudo udevadm control --reload && sudo udevadm trigger' and replug the probe.`,
      { vid: hex(vid, 4) }, e);
  }
  return new ProbeAccessError(`Cannot open ${what}${e instanceof Error ? ` (${e.message})` : ''}.`, 'Unplug and replug the probe; close other debuggers using it.', { vid: hex(vid, 4) }, e);
}

export const NO_USB_MESSAGE = 'No USB here: this machine has no USB subsystem (/sys/bus/usb is missing), so no probe can be attached.';
export const NO_USB_HINT = 'Reach a network probe with --probe tcp:HOST[:PORT], or a simulated one started with `flashwright sim cmsis-dap --tcp PORT`.';

/** Lists attached CMSIS-DAP probes (v2 first: it is the faster interface of a dual probe). */
export async function listDapProbes(): Promise<DapProbeListing> {
  const problems: string[] = [];
  const probes: DapProbeEntry[] = [];
  const noUsb = process.platform === 'linux' && !existsSync('/sys/bus/usb');
  if (!noUsb) {
    try {
      const { WebUSB } = await import('usb');
      const webusb = new WebUSB({ allowAllDevices: true });
      for (const d of (await webusb.getDevices()) as unknown as WebUsbDevice[]) {
        const found = findDapBulkInterface(d);
        if (!found) continue;
        const e: DapProbeEntry = {
          version: 'v2', vid: d.vendorId, pid: d.productId,
          open: async () => {
            try { return await openDapBulk(d, found); } catch (err) { throw openFailure(`the CMSIS-DAP v2 probe ${hex(d.vendorId, 4)}:${hex(d.productId, 4)}`, d.vendorId, 'usb', err); }
          },
        };
        if (d.serialNumber) e.serial = d.serialNumber;
        if (d.productName) e.product = d.productName;
        if (d.manufacturerName) e.manufacturer = d.manufacturerName;
        if (d.deviceVersionMajor !== undefined) e.deviceVersion = `${d.deviceVersionMajor}.${d.deviceVersionMinor ?? 0}`;
        probes.push(e);
      }
    } catch (e) {
      problems.push(`USB bulk probes could not be listed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  try {
    const HID = (await import('node-hid')).default as unknown as typeof import('node-hid');
    for (const h of await HID.devicesAsync()) {
      if (!/CMSIS-DAP/i.test(h.product ?? '')) continue;
      // A probe with both interfaces is listed once, by its v2 interface.
      if (probes.some((p) => p.vid === h.vendorId && p.pid === h.productId && p.serial === h.serialNumber)) continue;
      const path = h.path;
      const e: DapProbeEntry = {
        version: 'v1', vid: h.vendorId, pid: h.productId,
        open: async () => {
          try {
            const raw = await openHidDevice({ vid: h.vendorId, pid: h.productId, ...(path ? { path } : {}), maxReportSize: 65 });
            return dapOverHid(raw, 64);
          } catch (err) {
            throw openFailure(`the CMSIS-DAP v1 probe ${hex(h.vendorId, 4)}:${hex(h.productId, 4)}`, h.vendorId, 'hidraw', err instanceof FlashwrightError && err.cause ? err.cause : err);
          }
        },
      };
      if (h.serialNumber) e.serial = h.serialNumber;
      if (h.product) e.product = h.product;
      if (h.manufacturer) e.manufacturer = h.manufacturer;
      if (h.release !== undefined) e.deviceVersion = `${h.release >> 8}.${(h.release & 0xff).toString(16).padStart(2, '0')}`;
      probes.push(e);
    }
  } catch (e) {
    problems.push(`HID probes could not be listed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { probes, noUsb: noUsb && probes.length === 0, problems };
}
