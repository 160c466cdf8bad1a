/**
 * The simulated chips of "Try it without hardware" and of the browser tests: each is a
 * simulator from src/sim behind a fake Web Serial port, so the page reaches it through the
 * same adapter (link/web-serial.ts) and programmer code as a real device.
 */
import { createPipe } from '../../link/pipe.js';
import { mcubootChip, McubootHidSim, McubootSimTarget, McubootUartSim } from '../../sim/mcuboot/index.js';
import { FakeHid, type FakeHidDevice } from './hid.js';
import { Stm32BootloaderSim } from '../../sim/stm32/bootloader.js';
import { findStm32SimProfile } from '../../sim/stm32/profiles.js';
import { FakeSerial, type FakeSerialPort } from './serial.js';
import { plugSimulatedProbe, type SimulatedProbe } from './dap.js';
import { FakeUsb, type FakeUsbDevice } from './usb.js';

export type WayIn = 'stm32-uart' | 'mcuboot-uart' | 'mcuboot-hid' | 'cmsis-dap-v1' | 'cmsis-dap-v2';

export interface SimulatedChip {
  id: string;
  label: string;
  way: WayIn;
  port?: FakeSerialPort | undefined;
  hid?: FakeHidDevice | undefined;
  usb?: FakeUsbDevice | undefined;
  /** The built-in target a simulated probe's chip is (the page preselects it). */
  target?: string | undefined;
  /** The simulator, for tests that compare the page's record with the chip's real state. */
  sim: Stm32BootloaderSim | McubootUartSim | McubootHidSim | SimulatedProbe;
}

export const SIMULATED = [
  { id: 'stm32f103xb', label: 'STM32F103 (128 KiB, bootloader v2.2) — STM32 UART', way: 'stm32-uart' },
  { id: 'stm32l476xg', label: 'STM32L476 (1 MiB, with Get Checksum) — STM32 UART', way: 'stm32-uart' },
  { id: 'mk64fn1m0', label: 'Kinetis MK64FN1M0 (MCUboot ROM) — MCUboot UART', way: 'mcuboot-uart' },
  { id: 'mk64fn1m0-hid', label: 'Kinetis MK64FN1M0 (MCUboot ROM) — MCUboot USB-HID', way: 'mcuboot-hid' },
  // In-process debug targets whose core runs the code it is given (fakes/dap.ts).
  { id: 'nrf51-dap-v1', label: 'nRF51822 behind a CMSIS-DAP v1 probe (flash with a pack\'s algorithm, or RAM) — WebHID', way: 'cmsis-dap-v1' },
  { id: 'k64-dap-v2', label: 'Kinetis MK64FN1M0 behind a CMSIS-DAP v2 probe (RAM; its flash controller is not modelled) — WebUSB', way: 'cmsis-dap-v2' },
] as const;

/** The built-in target a simulated chip is, where the page should preselect it. */
export const SIMULATED_TARGETS: Record<string, string> = { 'nrf51-dap-v1': 'nRF51822', 'k64-dap-v2': 'MK64FN1M0' };

const PROBES: Record<string, { chip: 'nrf51' | 'kinetis-k64'; targetName: string }> = {
  'nrf51-dap-v1': { chip: 'nrf51', targetName: 'nRF51822' },
  'k64-dap-v2': { chip: 'kinetis-k64', targetName: 'MK64FN1M0' },
};

/** The MCUboot chip a simulated entry models ('mk64fn1m0-hid' → 'mk64fn1m0'). */
const chipOf = (id: string) => id.replace(/-hid$/, '');

/** A fake navigator.serial with one port per simulated chip (ST's VID 0x0483 for STM32, NXP's 0x1FC9 for Kinetis). */
export function createSimulatedSerial(timeFactor = 1): { serial: FakeSerial; hid: FakeHid; usb: FakeUsb; chips: SimulatedChip[] } {
  const serial = new FakeSerial();
  const hid = new FakeHid();
  const usb = new FakeUsb();
  const chips: SimulatedChip[] = [];
  for (const s of SIMULATED) {
    if (s.way === 'cmsis-dap-v1' || s.way === 'cmsis-dap-v2') {
      const p = PROBES[s.id]!;
      const sim = plugSimulatedProbe({ id: s.id, ...p, version: s.way === 'cmsis-dap-v1' ? 'v1' : 'v2' }, hid, usb);
      chips.push({ id: s.id, label: s.label, way: s.way, hid: sim.hid, usb: sim.usb, target: p.targetName, sim });
      continue;
    }
    if (s.way === 'mcuboot-hid') {
      // NXP's ROM bootloader VID:PID (Kinetis K64 ROM: 0x15A2:0x0073), 64-byte reports 1/2 out, 3/4 in.
      const sim = new McubootHidSim(new McubootSimTarget(mcubootChip(chipOf(s.id))!), 64);
      const device = hid.plug({ vendorId: 0x15a2, productId: 0x0073, productName: 'Kinetis bootloader (simulated)', host: sim.host, outputReportIds: [1, 2], inputReportIds: [3, 4], msPerReport: timeFactor > 0 ? 1 : 0 });
      chips.push({ id: s.id, label: s.label, way: s.way, hid: device, sim });
      continue;
    }
    const pipe = createPipe();
    let sim: Stm32BootloaderSim | McubootUartSim;
    if (s.way === 'stm32-uart') sim = new Stm32BootloaderSim(pipe.device, { profile: findStm32SimProfile(s.id)! });
    else sim = new McubootUartSim(pipe.device, new McubootSimTarget(mcubootChip(s.id)!));
    const port = serial.plug({ label: s.label, usbVendorId: s.way === 'stm32-uart' ? 0x0483 : 0x1fc9, usbProductId: 0x5740, host: pipe.host, timeFactor });
    chips.push({ id: s.id, label: s.label, way: s.way, port, sim });
  }
  return { serial, hid, usb, chips };
}
