/**
 * `--via mcuboot` (UART: `--port PATH [--baud 57600]`) and `--via mcuboot-hid`
 * (`[--vid 0x15a2 --pid 0x0073] [--hid-path P]`): NXP MCUboot / KBOOT bootloaders and the
 * i.MX RT flashloader. Shared: `--unsecure`, `--backdoor-key HEX16`, `--flexspi-option W[,W…]`,
 * `--max-packet N`.
 */
import { UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import { FlexspiOptionError, parseFlexspiOption } from '../../imxrt/flexspi-option.js';
import { openHidDevice } from '../../link/node-hid.js';
import { openSerialPort } from '../../link/node-serial.js';
import { McubootProgrammer } from '../../programmer/mcuboot.js';
import { FLASHLOADER_PID, FLASHLOADER_VID, HidTransport } from '../../protocol/mcuboot/hid.js';
import { UartTransport } from '../../protocol/mcuboot/transport.js';
import type { DeviceChangeKind } from '../../programmer/types.js';
import { defineVia, type ViaContext, type ViaOption } from '../via.js';

/** `0102030405060708` (the bytes as they sit at 0x400–0x407) → 8 bytes. */
export function parseBackdoorKey(text: unknown): Uint8Array | undefined {
  if (text === undefined) return undefined;
  const clean = String(text).replace(/^0x/i, '').replace(/[\s:_-]/g, '');
  if (!/^[0-9a-f]{16}$/i.test(clean)) {
    throw new UsageError(`--backdoor-key '${String(text)}' is not 16 hex digits.`, { hint: 'Give the 8 key bytes in the order they sit at 0x400–0x407, e.g. --backdoor-key 0102030405060708.' });
  }
  return Uint8Array.from(clean.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** `0xC0000007` or `0xC1000007,0x20000000` → option words (option0 checked). */
export function parseFlexspiOptionArg(text: unknown, option = '--flexspi-option'): number[] | undefined {
  if (text === undefined) return undefined;
  const words = String(text).split(/[\s,]+/).filter(Boolean).map((w) => parseNumber(w));
  if (words.length === 0 || words.some((w) => w === undefined || w > 0xffffffff)) {
    throw new UsageError(`${option} '${String(text)}' is not a list of 32-bit words.`, { hint: 'QuadSPI NOR at 133 MHz: --flexspi-option 0xC0000007.' });
  }
  try {
    parseFlexspiOption(words[0]!);
  } catch (e) {
    // A bad option value is a usage error (exit 2), with the reason the word was refused.
    if (e instanceof FlexspiOptionError) throw new UsageError(`${option}: ${e.message}`, { hint: e.hint, context: e.context, cause: e });
    throw e;
  }
  const extra = (words[0]! >>> 24) & 0xf;
  if (words.length !== extra + 1) {
    throw new UsageError(`Option word ${String(text).split(/[\s,]+/)[0]} announces ${extra} extra word(s) but ${words.length - 1} were given.`, { hint: 'Give option0 and exactly the extra words its size field [27:24] announces.' });
  }
  return words as number[];
}

function parseId(text: unknown, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = parseNumber(String(text));
  if (n === undefined || n > 0xffff) throw new UsageError(`${name} '${String(text)}' is not a 16-bit USB ID.`, { hint: `For example ${name} 0x${fallback.toString(16).padStart(4, '0')}.` });
  return n;
}

function parseMaxPacket(text: unknown): number | undefined {
  if (text === undefined) return undefined;
  const n = parseNumber(String(text));
  if (n === undefined || n < 32 || n > 65535) throw new UsageError(`--max-packet '${String(text)}' must be 32…65535.`, { hint: 'Leave it out to use the MaxPacketSize the device reports.' });
  return n;
}

const SHARED: ViaOption[] = [
  { flags: '--unsecure', description: 'write: if the chip is secure, first unsecure it with FlashEraseAllUnsecure — this MASS-ERASES all flash (shown in the plan)' },
  { flags: '--backdoor-key <hex16>', description: 'write: first unlock a secure Kinetis with its backdoor key (bytes as at 0x400–0x407)' },
  { flags: '--flexspi-option <words>', description: 'i.MX RT: configure FlexSPI NOR first (FillMemory + ConfigureMemory 9), e.g. 0xC0000007' },
  { flags: '--max-packet <bytes>', description: 'cap the data packet size below what the device reports' },
];

/** --unsecure and --backdoor-key: unlocks a write runs as plan operations (never on connect). */
function changes(options: Record<string, unknown>): DeviceChangeKind[] {
  return [...(options.backdoorKey !== undefined ? ['backdoor-unlock' as const] : []), ...(options.unsecure ? ['mass-erase-unsecure' as const] : [])];
}

function common(options: Record<string, unknown>, context: ViaContext) {
  return {
    backdoorKey: parseBackdoorKey(options.backdoorKey),
    // Without --flexspi-option, the configuration block a target file names for the region.
    flexspiOption: parseFlexspiOptionArg(options.flexspiOption) ?? context.target?.regions.find((r) => r.configuration?.flexspiOption)?.configuration?.flexspiOption,
    maxPacketSize: parseMaxPacket(options.maxPacket),
  };
}

defineVia({
  name: 'mcuboot',
  description: 'NXP MCUboot/KBOOT bootloader or i.MX RT flashloader over a serial port (8N1)',
  options: [
    { flags: '--port <path>', description: 'serial port (`flashwright ports` lists them)' },
    { flags: '--baud <rate>', description: 'baud rate (default 115200 for STM32, 57600 for MCUboot)' },
    ...SHARED,
  ],
  changes,
  async create(options, context) {
    const port = options.port as string | undefined;
    if (!port) throw new UsageError('--via mcuboot needs --port PATH.', { hint: 'Run `flashwright ports` to list serial ports, or use --via mcuboot-hid for USB.' });
    const baud = options.baud === undefined ? 57600 : parseNumber(String(options.baud));
    if (baud === undefined || baud < 300 || baud > 4_000_000) throw new UsageError(`--baud '${String(options.baud)}' is not a baud rate.`, { hint: 'MCUboot autobauds; 57600 and 115200 are common.' });
    const c = common(options, context);
    const stream = await openSerialPort({ path: port, baudRate: baud, parity: 'none' });
    return new McubootProgrammer({ transport: new UartTransport(stream), target: context.target, ...c });
  },
});

defineVia({
  name: 'mcuboot-hid',
  description: 'NXP MCUboot/KBOOT bootloader or i.MX RT flashloader over USB HID',
  options: [
    { flags: '--vid <id>', description: `USB vendor ID (default 0x${FLASHLOADER_VID.toString(16)})` },
    { flags: '--pid <id>', description: `USB product ID (default 0x${FLASHLOADER_PID.toString(16).padStart(4, '0')})` },
    { flags: '--hid-path <path>', description: 'hidapi device path, when several match' },
    ...SHARED,
  ],
  changes,
  async create(options, context) {
    const c = common(options, context);
    const device = await openHidDevice({ vid: parseId(options.vid, '--vid', FLASHLOADER_VID), pid: parseId(options.pid, '--pid', FLASHLOADER_PID), path: options.hidPath as string | undefined });
    // MCUboot HID reports are fixed-size: pad every output report to the length the device's
    // descriptor declares (when it can be read; hidapi on Windows pads by itself).
    return new McubootProgrammer({ transport: new HidTransport(device, { padReports: device.reportLengthKnown }), target: context.target, ...c });
  },
});
