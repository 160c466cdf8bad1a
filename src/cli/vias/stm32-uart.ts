/**
 * `--via stm32-uart`: the STM32 ROM bootloader over a serial port (AN3155).
 * `flashwright write app.elf --via stm32-uart --port /dev/ttyUSB0 [--baud 115200]
 *  [--parity even|none] [--entry PRESET|STEPS] [--exit …] [--unprotect] [--protect]`.
 */
import { UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import { LINE_PRESETS, parseLineSequence } from '../../link/line-sequence.js';
import { openSerialPort, type Parity } from '../../link/node-serial.js';
import { Stm32UartProgrammer } from '../../programmer/stm32-uart.js';
import { defineVia } from '../via.js';

const PARITIES: readonly Parity[] = ['even', 'none', 'odd'];

/** Parses --baud; the ROM measures any rate from about 1200 to 115200 (higher on newer parts). */
export function parseBaud(text: unknown): number {
  if (text === undefined) return 115200;
  const n = parseNumber(String(text));
  if (n === undefined || n < 300 || n > 4_000_000) throw new UsageError(`--baud '${String(text)}' is not a baud rate.`, { hint: 'Use a number such as 57600 or 115200.' });
  return n;
}

export function parseParity(text: unknown): Parity {
  const p = String(text ?? 'even').toLowerCase() as Parity;
  if (!PARITIES.includes(p)) throw new UsageError(`--parity '${String(text)}' is not one of ${PARITIES.join(', ')}.`, { hint: 'The STM32 bootloader uses even parity; use none on a pseudo-terminal.' });
  return p;
}

defineVia({
  name: 'stm32-uart',
  description: 'STM32 system-memory bootloader over a serial port (AN3155)',
  options: [
    { flags: '--port <path>', description: 'serial port (`flashwright ports` lists them)' },
    { flags: '--baud <rate>', description: 'baud rate (default 115200)' },
    { flags: '--parity <even|none|odd>', description: 'parity (default even = 8E1; none on a pseudo-terminal)' },
    { flags: '--entry <sequence>', description: `DTR/RTS/BREAK steps or preset before connecting (presets: ${Object.keys(LINE_PRESETS).join(', ')})` },
    { flags: '--exit <sequence>', description: 'DTR/RTS/BREAK steps or preset after the work (e.g. to reset into the application)' },
    { flags: '--unprotect', description: 'write: first remove read protection if set — this MASS-ERASES the whole flash (shown in the plan)' },
    { flags: '--write-unprotect', description: 'write: first remove write protection from all sectors if any is set (the chip resets)' },
    { flags: '--read-check <mode>', description: 'check read data: auto (device CRC where available), crc, double (read twice) or none' },
    { flags: '--protect', description: 'write: enable read protection (RDP level 1) after the verify (write and plan only)' },
  ],
  // Unlocks and protections are plan operations the engine runs in a write, never on connect.
  changes: (options) => [
    ...(options.unprotect ? ['read-unprotect' as const] : []),
    ...(options.writeUnprotect ? ['write-unprotect' as const] : []),
    ...(options.protect ? ['read-protect' as const] : []),
  ],
  async create(options, context) {
    const port = options.port as string | undefined;
    if (!port) throw new UsageError('--via stm32-uart needs --port PATH.', { hint: 'Run `flashwright ports` to list serial ports.' });
    const baud = parseBaud(options.baud);
    const parity = parseParity(options.parity);
    const entryText = options.entry as string | undefined;
    const exitText = (options.exit as string | undefined) ?? (entryText && LINE_PRESETS[entryText.toLowerCase()] ? entryText : undefined);
    const entry = entryText ? parseLineSequence(entryText, 'entry') : [];
    const exit = exitText ? parseLineSequence(exitText, 'exit') : [];
    const readCheck = String(options.readCheck ?? 'auto');
    if (!['auto', 'crc', 'double', 'none'].includes(readCheck)) {
      throw new UsageError(`--read-check '${readCheck}' is not one of auto, crc, double, none.`, {
        hint: 'auto (the default) checks reads with the device CRC where the bootloader has Get Checksum; double reads twice and compares; none trusts the line.',
      });
    }
    const stream = await openSerialPort({ path: port, baudRate: baud, parity });
    const programmer = new Stm32UartProgrammer({
      stream,
      target: context.target,
      entry,
      exit,
      readCheck: readCheck as 'auto' | 'crc' | 'double' | 'none',
      session: { port, baud, parity },
    });
    return programmer;
  },
});
