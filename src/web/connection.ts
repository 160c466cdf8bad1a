/**
 * Opens the chosen way in over a Web Serial port (a real one from navigator.serial, or a
 * simulated chip's fake port) with the same programmer classes the CLI uses.
 */
import { UsageError } from '../core/errors.js';
import { LINE_PRESETS, parseLineSequence } from '../link/line-sequence.js';
import { openWebSerial, type WebSerial, type WebSerialPort } from '../link/web-serial.js';
import { openWebHid, type WebHid, type WebHidDevice } from '../link/web-hid.js';
import { dapHidDescription, dapUsbInterface, openWebHidDap, openWebUsbDap, requestDapHidDevice, requestDapUsbDevice, type WebUsb } from '../link/web-dap.js';
import type { WebUsbDevice } from '../link/webusb-dap.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { CmsisDapProgrammer } from '../programmer/cmsis-dap.js';
import { HidTransport } from '../protocol/mcuboot/hid.js';
import { UartTransport } from '../protocol/mcuboot/transport.js';
import { McubootProgrammer } from '../programmer/mcuboot.js';
import { Stm32UartProgrammer } from '../programmer/stm32-uart.js';
import type { Programmer } from '../programmer/types.js';
import type { PacketDevice } from '../link/types.js';
import type { TargetDescription } from '../target/types.js';
import type { WayIn } from './fakes/devices.js';

export interface ConnectionChoice {
  way: WayIn;
  baud: number;
  /** A LINE_PRESETS name, or '' for none. */
  entry: string;
  target?: TargetDescription | undefined;
  /** A flash algorithm for the target's boot flash (from a pack opened in the page). */
  algorithm?: FlashAlgorithm | undefined;
  /** The access port the pack names for the core. */
  accessPort?: number | undefined;
}

/** navigator.serial when the browser has it (Chromium-based browsers on a secure origin). */
export function browserSerial(): WebSerial | undefined {
  return (navigator as Navigator & { serial?: WebSerial }).serial;
}

/** The device a way in talks through: a serial port, or a HID device (with navigator.hid for its disconnect events). */
export type WebLink = { kind: 'serial'; port: WebSerialPort } | { kind: 'hid'; device: WebHidDevice; hid?: EventTarget | undefined } | { kind: 'usb'; device: WebUsbDevice };

export function browserUsb(): WebUsb | undefined {
  return (navigator as Navigator & { usb?: WebUsb }).usb;
}

/** Asks the browser for the device the way in needs (its chooser). */
export async function requestLink(way: WayIn): Promise<WebLink> {
  if (way === 'cmsis-dap-v2') return { kind: 'usb', device: (await requestDapUsbDevice(browserUsb())).device };
  if (way === 'cmsis-dap-v1') return { kind: 'hid', device: (await requestDapHidDevice(browserHid())).device, hid: browserHid() };
  if (way === 'mcuboot-hid') return { kind: 'hid', device: await requestHidDevice(browserHid()), hid: browserHid() };
  return { kind: 'serial', port: await requestSerialPort(browserSerial()) };
}

export function browserHid(): WebHid | undefined {
  return (navigator as Navigator & { hid?: WebHid }).hid;
}

/** Asks the browser for an MCUboot HID device (NXP's VIDs: 0x15A2 Freescale ROMs, 0x1FC9 NXP). */
export async function requestHidDevice(hid: WebHid | undefined): Promise<WebHidDevice> {
  if (!hid) {
    throw new UsageError('This browser has no WebHID (navigator.hid).', {
      hint: 'Use Chrome, Edge or another Chromium browser on https:// or http://localhost (`flashwright web`), or pick a simulated chip.',
    });
  }
  const [device] = await hid.requestDevice({ filters: [{ vendorId: 0x15a2 }, { vendorId: 0x1fc9 }] });
  if (!device) throw new UsageError('No HID device was chosen.', { hint: 'Pick the board in the browser\'s list; it shows only NXP bootloader devices.' });
  return device;
}

/** Asks the browser for a port (its chooser), or says why it cannot. */
export async function requestSerialPort(serial: WebSerial | undefined): Promise<WebSerialPort> {
  if (!serial) {
    throw new UsageError('This browser has no Web Serial (navigator.serial).', {
      hint: 'Use Chrome, Edge or another Chromium browser on https:// or http://localhost (`flashwright web`), or pick a simulated chip to try it without hardware.',
    });
  }
  return serial.requestPort({});
}

export async function openProgrammer(link: WebLink, choice: ConnectionChoice): Promise<Programmer> {
  if (choice.way === 'cmsis-dap-v1' || choice.way === 'cmsis-dap-v2') return dapProgrammer(link, choice);
  if (choice.way === 'mcuboot-hid') {
    if (link.kind !== 'hid') throw new UsageError('MCUboot over USB-HID needs a HID device.', { hint: 'Choose a HID device (or the simulated HID chip), or the UART way in.' });
    const device = await openWebHid(link.device, link.hid);
    return new McubootProgrammer({ transport: new HidTransport(device, { padReports: device.reportLengthKnown }), target: choice.target });
  }
  if (link.kind !== 'serial') throw new UsageError(`${choice.way} needs a serial port.`, { hint: 'Choose a serial device, or the HID way in.' });
  const port = link.port;
  if (choice.way === 'stm32-uart') {
    const stream = await openWebSerial(port, { baudRate: choice.baud, parity: 'even' });
    const preset = choice.entry ? LINE_PRESETS[choice.entry] : undefined;
    return new Stm32UartProgrammer({
      stream,
      target: choice.target,
      entry: preset ? parseLineSequence(preset.entry, 'entry') : [],
      exit: preset ? parseLineSequence(preset.exit, 'exit') : [],
      session: { port: 'Web Serial', baud: choice.baud, parity: 'even' },
    });
  }
  const stream = await openWebSerial(port, { baudRate: choice.baud, parity: 'none' });
  return new McubootProgrammer({ transport: new UartTransport(stream), target: choice.target });
}

/** The CLI's CMSIS-DAP programmer over the page's link: v1 through WebHID reports, v2 through WebUSB bulk. */
function dapProgrammer(link: WebLink, choice: ConnectionChoice): Programmer {
  let open: () => Promise<PacketDevice>;
  let description: string;
  if (choice.way === 'cmsis-dap-v2') {
    if (link.kind !== 'usb') throw new UsageError('CMSIS-DAP v2 needs a WebUSB device.', { hint: 'Choose the probe (or the simulated v2 probe), or the v1 (WebHID) way in for an older probe.' });
    const { found, description: d } = dapUsbInterface(link.device);
    open = () => openWebUsbDap(link.device, found);
    description = d;
  } else {
    if (link.kind !== 'hid') throw new UsageError('CMSIS-DAP v1 needs a WebHID device.', { hint: 'Choose the probe (or the simulated v1 probe), or the v2 (WebUSB) way in.' });
    description = dapHidDescription(link.device);
    open = () => openWebHidDap(link.device, link.hid);
  }
  return new CmsisDapProgrammer({
    open, description,
    ...(choice.target ? { target: choice.target } : {}),
    ...(choice.algorithm ? { algorithm: choice.algorithm } : {}),
    ...(choice.accessPort !== undefined ? { accessPort: choice.accessPort } : {}),
  });
}
