/**
 * Opens the chosen way in over a Web Serial port (a real one from navigator.serial, or a
 * simulated chip's fake port) with the same programmer classes the CLI uses.
 */
import { UsageError } from '../core/errors.js';
import { LINE_PRESETS, parseLineSequence } from '../link/line-sequence.js';
import { openWebSerial, type WebSerial, type WebSerialPort } from '../link/web-serial.js';
import { UartTransport } from '../protocol/mcuboot/transport.js';
import { McubootProgrammer } from '../programmer/mcuboot.js';
import { Stm32UartProgrammer } from '../programmer/stm32-uart.js';
import type { Programmer } from '../programmer/types.js';
import type { TargetDescription } from '../target/types.js';
import type { WayIn } from './fakes/devices.js';

export interface ConnectionChoice {
  way: WayIn;
  baud: number;
  /** A LINE_PRESETS name, or '' for none. */
  entry: string;
  target?: TargetDescription | undefined;
}

/** navigator.serial when the browser has it (Chromium-based browsers on a secure origin). */
export function browserSerial(): WebSerial | undefined {
  return (navigator as Navigator & { serial?: WebSerial }).serial;
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

export async function openProgrammer(port: WebSerialPort, choice: ConnectionChoice): Promise<Programmer> {
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
