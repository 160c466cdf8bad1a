/**
 * CMSIS-DAP probes from a web page: v1 over WebHID, v2 over WebUSB (the bulk interface is
 * opened by webusb-dap.ts, shared with Node's `usb` package). Asking the browser for a
 * device, and telling a CMSIS-DAP probe from other devices it may offer.
 *
 * Facts used (Arm CMSIS-DAP v2.1, "USB interface"): a v1 probe is a HID device whose product
 * string contains "CMSIS-DAP", exchanging one command per output report and one response per
 * input report, without report IDs (report ID 0 in WebHID); a v2 probe has a vendor-class
 * (0xFF) interface whose string contains "CMSIS-DAP", bulk OUT for commands, bulk IN for
 * responses. WebHID/WebUSB (WICG): requestDevice needs filters.
 */
import { UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { PacketDevice } from './types.js';
import { longestOutputReport, openWebHid, type WebHid, type WebHidDevice } from './web-hid.js';
import { findDapBulkInterface, openDapBulk, type DapBulkInterface, type WebUsbDevice } from './webusb-dap.js';

/** navigator.usb's slice used here. */
export interface WebUsb extends EventTarget {
  requestDevice(options: { filters: Array<{ vendorId?: number; productId?: number; classCode?: number }> }): Promise<WebUsbDevice>;
  getDevices(): Promise<WebUsbDevice[]>;
}

/** v2 probes: the vendor-specific interface class the specification requires. */
export const DAP_V2_USB_FILTERS = [{ classCode: 0xff }];
/** v1 probes: HID with a vendor-defined usage page (0xFF00–0xFFFF), as CMSIS-DAP firmware declares. */
export const DAP_V1_HID_FILTERS = [{ usagePage: 0xff00 }];

const NO_API = (api: string, prop: string) => new UsageError(`This browser has no ${api} (navigator.${prop}).`, {
  hint: 'Use Chrome, Edge or another Chromium browser on https:// or http://localhost (`flashwright web`), or pick the simulated probe.',
});

const describeUsb = (d: WebUsbDevice) => `${d.productName || 'USB device'} (${hex(d.vendorId, 4)}:${hex(d.productId, 4)}${d.serialNumber ? `, serial ${d.serialNumber}` : ''})`;

/** Asks the browser for a CMSIS-DAP v2 probe and finds its bulk interface. */
export async function requestDapUsbDevice(usb: WebUsb | undefined): Promise<{ device: WebUsbDevice; found: DapBulkInterface; description: string }> {
  if (!usb) throw NO_API('WebUSB', 'usb');
  const device = await usb.requestDevice({ filters: DAP_V2_USB_FILTERS });
  return { device, ...dapUsbInterface(device) };
}

/** The CMSIS-DAP v2 interface of a chosen device, or why it has none. */
export function dapUsbInterface(device: WebUsbDevice): { found: DapBulkInterface; description: string } {
  const found = findDapBulkInterface(device);
  if (!found) {
    throw new UsageError(`${describeUsb(device)} has no CMSIS-DAP v2 interface (no interface named "CMSIS-DAP" with bulk IN and OUT endpoints).`, {
      hint: 'Pick the probe, not the board\'s other USB functions; an older probe firmware may offer only CMSIS-DAP v1: choose "CMSIS-DAP v1 (WebHID)".',
    });
  }
  return { found, description: `${describeUsb(device)}, interface ${found.interfaceNumber} "${found.name}"` };
}

export async function openWebUsbDap(device: WebUsbDevice, found: DapBulkInterface): Promise<PacketDevice> {
  return openDapBulk(device, found);
}

/** Asks the browser for a CMSIS-DAP v1 (HID) probe. */
export async function requestDapHidDevice(hid: WebHid | undefined): Promise<{ device: WebHidDevice; description: string }> {
  if (!hid) throw NO_API('WebHID', 'hid');
  const [device] = await hid.requestDevice({ filters: DAP_V1_HID_FILTERS });
  if (!device) throw new UsageError('No HID device was chosen.', { hint: 'Pick the probe in the browser\'s list (its name contains "CMSIS-DAP").' });
  return { device, description: dapHidDescription(device) };
}

export function dapHidDescription(device: WebHidDevice): string {
  const what = `${device.productName || 'HID device'} (${hex(device.vendorId, 4)}:${hex(device.productId, 4)})`;
  if (!/CMSIS-DAP/i.test(device.productName ?? '')) {
    throw new UsageError(`${what} is not a CMSIS-DAP v1 probe: its product name does not contain "CMSIS-DAP".`, {
      hint: 'Choose the probe in the browser\'s list; for an NXP ROM bootloader choose the MCUboot USB-HID way in.',
    });
  }
  return what;
}

/**
 * CMSIS-DAP v1 over WebHID: each command is one output report (ID 0) of the report length the
 * descriptor declares, zero-padded; each input report is one response (its padding is ignored
 * by the session, which parses by content).
 */
export async function openWebHidDap(device: WebHidDevice, hid?: EventTarget): Promise<PacketDevice> {
  const size = longestOutputReport(device) ?? 64;
  const raw = await openWebHid(device, hid, size + 1);
  return {
    maxPacketSize: size,
    async write(packet: Uint8Array) {
      if (packet.length > size) throw new UsageError(`A ${packet.length}-byte CMSIS-DAP command does not fit the probe's ${size}-byte HID report.`);
      const report = new Uint8Array(1 + size);
      report.set(packet, 1);
      await raw.write(report);
    },
    onPacket: (l) => raw.onPacket((p) => l(p.subarray(1))),
    onClose: (l) => raw.onClose(l),
    close: () => raw.close(),
  };
}
