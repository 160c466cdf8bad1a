/**
 * Simulated CMSIS-DAP probes for the page: the in-process probe and memory target of
 * src/sim/cmsis-dap behind a fake WebHID device (v1: unnumbered 64-byte reports, product
 * string naming CMSIS-DAP) or a fake WebUSB device (v2: a vendor-class interface named
 * "CMSIS-DAP v2" with a bulk OUT and a bulk IN endpoint), so the page reaches them through
 * link/web-dap.ts and the CmsisDapProgrammer as it would reach a real probe.
 *
 * The target's core executes the code the debugger loads (sim/cmsis-dap/thumb.ts) and the
 * nRF51 has its NVMC flash controller, so with a flash algorithm (a CMSIS-Pack opened in the
 * page) its flash is really erased and programmed; without one, flash is read-only and images
 * go to RAM, as behind `flashwright sim cmsis-dap --chip`. The K64's flash controller (FTFE) is
 * not modelled: RAM only.
 */
import type { PacketDevice } from '../../link/types.js';
import { createMemoryTarget, createSimDapProbe, type MemoryChip, type MemoryTarget, type SimDapProbe } from '../../sim/cmsis-dap/index.js';
import type { FakeHid, FakeHidDevice } from './hid.js';
import type { FakeUsb, FakeUsbDevice } from './usb.js';

export interface SimulatedProbe {
  id: string;
  chip: MemoryChip;
  /** The built-in target the chip is (its memory map matches the model's). */
  targetName: string;
  version: 'v1' | 'v2';
  probe: SimDapProbe;
  target: MemoryTarget;
  hid?: FakeHidDevice | undefined;
  usb?: FakeUsbDevice | undefined;
}

/** Arm's DAPLink VID:PID (0x0D28:0x0204): what an on-board CMSIS-DAP probe usually shows. */
const DAPLINK = { vendorId: 0x0d28, productId: 0x0204 };

/** The simulator speaks raw DAP packets; a HID host speaks reports with the report ID first (0 = unnumbered). */
function withReportId(device: PacketDevice): PacketDevice {
  return {
    maxPacketSize: device.maxPacketSize + 1,
    async write(report) {
      if (report[0] !== 0) throw new Error(`CMSIS-DAP v1 uses unnumbered reports; report ID ${report[0]} sent.`);
      await device.write(report.subarray(1));
    },
    onPacket: (l) => device.onPacket((p) => { const r = new Uint8Array(1 + p.length); r.set(p, 1); l(r); }),
    onClose: (l) => device.onClose(l),
    close: () => device.close(),
  };
}

export function plugSimulatedProbe(spec: { id: string; chip: MemoryChip; targetName: string; version: 'v1' | 'v2' }, hid: FakeHid, usb: FakeUsb): SimulatedProbe {
  // The core executes what the debugger loads (ARMv6-M interpreter); the nRF51's NVMC is modelled, so a pack's algorithm programs its flash.
  const target = createMemoryTarget({ chip: spec.chip, execute: true });
  const probe = createSimDapProbe({ target, link: spec.version === 'v1' ? 'v1-hid-fs' : 'v2-bulk-fs', packetCount: 4 });
  const productName = `flashwright simulated CMSIS-DAP (${spec.targetName})`;
  const out: SimulatedProbe = { ...spec, probe, target };
  if (spec.version === 'v1') {
    out.hid = hid.plug({ ...DAPLINK, productName, host: withReportId(probe.device), outputReportIds: [0], inputReportIds: [0], msPerReport: 1 });
  } else {
    out.usb = usb.plug({
      ...DAPLINK, productName, manufacturerName: 'flashwright', serialNumber: `SIM-${spec.id}`, deviceVersion: [2, 1], deviceClass: 0xef,
      interfaces: [
        // Interface 0: the CMSIS-DAP v2 bulk interface (EP1 OUT, EP2 IN; 64-byte full-speed packets).
        { interfaceClass: 0xff, interfaceName: 'CMSIS-DAP v2', function: probe.device, endpoints: [
          { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 64 }, { endpointNumber: 2, direction: 'in', type: 'bulk', packetSize: 64 }] },
        // Interface 1: a CDC data interface as on DAPLink boards (the virtual COM port), not CMSIS-DAP.
        { interfaceClass: 0x0a, interfaceName: 'mbed Serial Port', endpoints: [
          { endpointNumber: 3, direction: 'out', type: 'bulk', packetSize: 64 }, { endpointNumber: 4, direction: 'in', type: 'bulk', packetSize: 64 }] },
      ],
    });
  }
  return out;
}
