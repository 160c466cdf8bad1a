/**
 * WebHID (navigator.hid) as a PacketDevice: numbered reports with the report ID as the first
 * byte in both directions, as node-hid gives them, so MCUboot's HidTransport (and the
 * CMSIS-DAP v1 framing in dap-hid.ts) run unchanged in a browser. Structural types: the DOM
 * lib has no WebHID.
 *
 * WebHID facts used (WICG WebHID API): sendReport(reportId, data) takes the bytes after the
 * ID; 'inputreport' events carry reportId and a DataView of the rest; the device's
 * collections list its output reports with items whose reportSize × reportCount give the
 * length; navigator.hid fires 'disconnect' with the device when it goes away.
 */
import { FlashwrightError } from '../core/errors.js';
import type { PacketDevice } from './types.js';

export interface WebHidReportItem { reportSize?: number; reportCount?: number }
export interface WebHidReportInfo { reportId?: number; items?: WebHidReportItem[] }
export interface WebHidCollection { usagePage?: number; usage?: number; outputReports?: WebHidReportInfo[]; inputReports?: WebHidReportInfo[] }
export interface WebHidInputReportEvent extends Event { reportId: number; data: DataView }

export interface WebHidDevice extends EventTarget {
  readonly opened: boolean;
  readonly vendorId: number;
  readonly productId: number;
  readonly productName: string;
  readonly collections: WebHidCollection[];
  open(): Promise<void>;
  close(): Promise<void>;
  sendReport(reportId: number, data: Uint8Array): Promise<void>;
}

export interface WebHid extends EventTarget {
  requestDevice(options: { filters: Array<{ vendorId?: number; productId?: number; usagePage?: number; usage?: number }> }): Promise<WebHidDevice[]>;
  getDevices(): Promise<WebHidDevice[]>;
}

export class WebHidError extends FlashwrightError {
  constructor(message: string, cause?: unknown) {
    super('HID_OPEN', message, { hint: 'Check the USB cable, that the chip is in its bootloader and that no other tab has the device open.', cause });
  }
}

/** The longest output report the descriptor declares, report ID byte included. */
export function longestOutputReport(device: WebHidDevice): number | undefined {
  let best: number | undefined;
  for (const c of device.collections) {
    for (const r of c.outputReports ?? []) {
      const bits = (r.items ?? []).reduce((n, i) => n + (i.reportSize ?? 0) * (i.reportCount ?? 0), 0);
      const bytes = Math.ceil(bits / 8) + (r.reportId ? 1 : 0);
      if (bits > 0 && (best === undefined || bytes > best)) best = bytes;
    }
  }
  return best;
}

/** A PacketDevice with the report length known from the descriptor (pad reports to it). */
export interface WebHidPacketDevice extends PacketDevice { readonly reportLengthKnown: boolean }

export async function openWebHid(device: WebHidDevice, hid?: EventTarget, fallbackReportSize = 1025): Promise<WebHidPacketDevice> {
  try {
    if (!device.opened) await device.open();
  } catch (e) {
    throw new WebHidError(`Cannot open the HID device ${device.productName || ''}: ${(e as Error).message ?? String(e)}.`, e);
  }
  const longest = longestOutputReport(device);
  let listener: ((p: Uint8Array) => void) | undefined;
  let closeListener: ((e?: Error) => void) | undefined;
  let gone: Error | undefined;
  const onReport = (ev: Event): void => {
    const { reportId, data } = ev as WebHidInputReportEvent;
    const packet = new Uint8Array(1 + data.byteLength);
    packet[0] = reportId;
    packet.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 1);
    listener?.(packet);
  };
  const onDisconnect = (ev: Event): void => {
    if ((ev as Event & { device?: unknown }).device !== device || gone) return;
    gone = new WebHidError('The USB HID device was disconnected (unplugged, or it reset).');
    closeListener?.(gone);
  };
  device.addEventListener('inputreport', onReport);
  hid?.addEventListener('disconnect', onDisconnect);
  return {
    maxPacketSize: longest ?? fallbackReportSize,
    reportLengthKnown: longest !== undefined,
    async write(packet: Uint8Array) {
      if (gone) throw gone;
      if (packet.length < 1) throw new WebHidError('A HID report needs its report ID byte.');
      try {
        await device.sendReport(packet[0]!, packet.slice(1));
      } catch (e) {
        throw gone ?? new WebHidError(`Cannot send a HID report: ${(e as Error).message ?? String(e)}.`, e);
      }
    },
    onPacket(l) { listener = l; },
    onClose(l) { closeListener = l; },
    async close() {
      device.removeEventListener('inputreport', onReport);
      hid?.removeEventListener('disconnect', onDisconnect);
      if (!gone && device.opened) { try { await device.close(); } catch { /* already gone */ } }
    },
  };
}
