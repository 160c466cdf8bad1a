/**
 * CMSIS-DAP v2 over USB bulk, written against the WebUSB API so the same code serves the
 * browser's `navigator.usb` and Node through the `usb` package's WebUSB class. The probe's
 * CMSIS-DAP interface is the vendor interface whose string contains "CMSIS-DAP" (CMSIS-DAP
 * v2.1, "USB interface": bulk OUT for commands, bulk IN for responses, an optional second
 * bulk IN for SWO, ignored here).
 */
import { FlashwrightError } from '../core/errors.js';
import type { PacketDevice } from './types.js';

/** The slice of the WebUSB API used here (structural, so no DOM typings are needed). */
export interface WebUsbEndpoint { endpointNumber: number; direction: 'in' | 'out'; type: 'bulk' | 'interrupt' | 'isochronous'; packetSize: number }
export interface WebUsbAlternate { interfaceClass: number; interfaceName?: string | null; endpoints: WebUsbEndpoint[] }
export interface WebUsbInterface { interfaceNumber: number; alternate: WebUsbAlternate; alternates?: WebUsbAlternate[] }
export interface WebUsbDevice {
  vendorId: number;
  productId: number;
  serialNumber?: string | null | undefined;
  productName?: string | null | undefined;
  manufacturerName?: string | null | undefined;
  deviceVersionMajor?: number;
  deviceVersionMinor?: number;
  configuration?: { interfaces: WebUsbInterface[] } | null;
  configurations?: Array<{ configurationValue: number; interfaces: WebUsbInterface[] }>;
  opened?: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  transferOut(endpoint: number, data: Uint8Array): Promise<{ status?: string }>;
  transferIn(endpoint: number, length: number): Promise<{ status?: string; data?: DataView | null }>;
}

/** Where the CMSIS-DAP v2 interface and its endpoints are, if the device has one. */
export interface DapBulkInterface {
  interfaceNumber: number;
  out: number;
  in: number;
  packetSize: number;
  name: string;
}

export function findDapBulkInterface(device: WebUsbDevice): DapBulkInterface | undefined {
  const interfaces = device.configuration?.interfaces ?? device.configurations?.[0]?.interfaces ?? [];
  for (const i of interfaces) {
    for (const alt of [i.alternate, ...(i.alternates ?? [])]) {
      if (!alt || !/CMSIS-DAP/i.test(alt.interfaceName ?? '')) continue;
      const out = alt.endpoints.find((e) => e.type === 'bulk' && e.direction === 'out');
      const inp = alt.endpoints.find((e) => e.type === 'bulk' && e.direction === 'in');
      if (out && inp) return { interfaceNumber: i.interfaceNumber, out: out.endpointNumber, in: inp.endpointNumber, packetSize: out.packetSize, name: alt.interfaceName ?? '' };
    }
  }
  return undefined;
}

export class UsbTransferError extends FlashwrightError {
  constructor(message: string, cause?: unknown) {
    super('USB_TRANSFER', message, { hint: 'The probe stopped answering on USB: unplug and replug it.', cause });
  }
}

/** Opens the CMSIS-DAP v2 interface of a WebUSB device as a PacketDevice. */
export async function openDapBulk(device: WebUsbDevice, found: DapBulkInterface): Promise<PacketDevice> {
  await device.open();
  if (!device.configuration && device.configurations?.[0]) await device.selectConfiguration(device.configurations[0].configurationValue);
  await device.claimInterface(found.interfaceNumber);
  let onPacket: ((p: Uint8Array) => void) | undefined;
  let onClose: ((e?: Error) => void) | undefined;
  let closed = false;
  const fail = (e?: Error) => { if (!closed) { closed = true; onClose?.(e); } };
  // One read always pending: a response is read as soon as the probe has it.
  const readLoop = async () => {
    while (!closed) {
      try {
        const r = await device.transferIn(found.in, 0x10000);
        if (closed) return;
        if (r.status && r.status !== 'ok') { fail(new UsbTransferError(`Bulk IN transfer ended with status '${r.status}'.`)); return; }
        if (r.data && r.data.byteLength) onPacket?.(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength).slice());
      } catch (e) {
        fail(new UsbTransferError('Bulk IN transfer failed.', e));
        return;
      }
    }
  };
  void readLoop();
  return {
    maxPacketSize: 0x8000,
    async write(packet: Uint8Array) {
      const r = await device.transferOut(found.out, packet);
      if (r.status && r.status !== 'ok') throw new UsbTransferError(`Bulk OUT transfer ended with status '${r.status}'.`);
    },
    onPacket: (l) => { onPacket = l; },
    onClose: (l) => { onClose = l; },
    async close() {
      closed = true;
      await device.releaseInterface(found.interfaceNumber).catch(() => undefined);
      await device.close().catch(() => undefined);
    },
  };
}
