/**
 * The simulated chips of "Try it without hardware" and of the browser tests: each is a
 * simulator from src/sim behind a fake Web Serial port, so the page reaches it through the
 * same adapter (link/web-serial.ts) and programmer code as a real device.
 */
import { createPipe } from '../../link/pipe.js';
import { mcubootChip, McubootSimTarget, McubootUartSim } from '../../sim/mcuboot/index.js';
import { Stm32BootloaderSim } from '../../sim/stm32/bootloader.js';
import { findStm32SimProfile } from '../../sim/stm32/profiles.js';
import { FakeSerial, type FakeSerialPort } from './serial.js';

export type WayIn = 'stm32-uart' | 'mcuboot-uart';

export interface SimulatedChip {
  id: string;
  label: string;
  way: WayIn;
  port: FakeSerialPort;
  /** The simulator, for tests that compare the page's record with the chip's real state. */
  sim: Stm32BootloaderSim | McubootUartSim;
}

export const SIMULATED = [
  { id: 'stm32f103xb', label: 'STM32F103 (128 KiB, bootloader v2.2) — STM32 UART', way: 'stm32-uart' },
  { id: 'stm32l476xg', label: 'STM32L476 (1 MiB, with Get Checksum) — STM32 UART', way: 'stm32-uart' },
  { id: 'mk64fn1m0', label: 'Kinetis MK64FN1M0 (MCUboot ROM) — MCUboot UART', way: 'mcuboot-uart' },
] as const;

/** A fake navigator.serial with one port per simulated chip (ST's VID 0x0483 for STM32, NXP's 0x1FC9 for Kinetis). */
export function createSimulatedSerial(timeFactor = 1): { serial: FakeSerial; chips: SimulatedChip[] } {
  const serial = new FakeSerial();
  const chips: SimulatedChip[] = [];
  for (const s of SIMULATED) {
    const pipe = createPipe();
    let sim: Stm32BootloaderSim | McubootUartSim;
    if (s.way === 'stm32-uart') sim = new Stm32BootloaderSim(pipe.device, { profile: findStm32SimProfile(s.id)! });
    else sim = new McubootUartSim(pipe.device, new McubootSimTarget(mcubootChip(s.id)!));
    const port = serial.plug({ label: s.label, usbVendorId: s.way === 'stm32-uart' ? 0x0483 : 0x1fc9, usbProductId: 0x5740, host: pipe.host, timeFactor });
    chips.push({ id: s.id, label: s.label, way: s.way, port, sim });
  }
  return { serial, chips };
}
