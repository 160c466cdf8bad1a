/**
 * CMSIS-DAP v1 over HID: each command goes out as one output report (report ID 0, then the
 * command padded with zeros to the report size); each input report is one response, padded
 * by the probe. The report size is the DAP packet size (64 at full speed; 512 on some
 * high-speed probes), learnt from DAP_Info, so it can be raised after the first exchange.
 * Pure: node-hid or WebHID provides the raw device.
 */
import type { PacketDevice } from './types.js';

/** A packet device whose packet size can be set once DAP_Info has reported it. */
export interface AdjustablePacketDevice extends PacketDevice {
  adoptPacketSize(size: number): void;
}

/** `raw` takes reports with their report-ID byte first (as node-hid's write does). */
export function dapOverHid(raw: PacketDevice, reportSize = 64): AdjustablePacketDevice {
  let size = reportSize;
  return {
    get maxPacketSize() { return size; },
    adoptPacketSize(n: number) { size = n; },
    async write(packet: Uint8Array) {
      const report = new Uint8Array(1 + size);
      report.set(packet.subarray(0, size), 1);
      await raw.write(report);
    },
    onPacket: (l) => raw.onPacket(l),
    onClose: (l) => raw.onClose(l),
    close: () => raw.close(),
  };
}
