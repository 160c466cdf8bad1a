/**
 * GetProperty tags and how to read their values (MCUBOOTRM "GetProperty" / "Properties").
 */
import { hex } from '../../core/format.js';
import { CommandTag, commandName } from './commands.js';

export const PropertyTag = {
  CurrentVersion: 0x01,
  AvailablePeripherals: 0x02,
  FlashStartAddress: 0x03,
  FlashSize: 0x04,
  FlashSectorSize: 0x05,
  FlashBlockCount: 0x06,
  AvailableCommands: 0x07,
  CrcCheckStatus: 0x08,
  LastError: 0x09,
  VerifyWrites: 0x0a,
  MaxPacketSize: 0x0b,
  ReservedRegions: 0x0c,
  RamStartAddress: 0x0e,
  RamSize: 0x0f,
  SystemDeviceIdent: 0x10,
  FlashSecurityState: 0x11,
  UniqueDeviceIdent: 0x12,
  TargetVersion: 0x18,
  ExternalMemoryAttributes: 0x19,
  FlashPageSize: 0x1b,
} as const;

const NAMES = new Map<number, string>(Object.entries(PropertyTag).map(([k, v]) => [v, k]));

export function propertyName(tag: number): string {
  return NAMES.get(tag) ?? `property 0x${tag.toString(16).padStart(2, '0')}`;
}

/** A version word: [31:24] name letter, [23:16] major, [15:8] minor, [7:0] bugfix → "K3.0.0". */
export function formatVersion(word: number): string {
  const name = (word >>> 24) & 0xff;
  const letter = name >= 0x20 && name < 0x7f ? String.fromCharCode(name) : '';
  return `${letter}${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}.${word & 0xff}`;
}

export function encodeVersion(letter: string, major: number, minor: number, bugfix: number): number {
  return ((letter.charCodeAt(0) << 24) | (major << 16) | (minor << 8) | bugfix) >>> 0;
}

/** AvailablePeripherals bits (MCUBOOTRM). */
export const PERIPHERAL_BITS = ['UART', 'I2C', 'SPI', 'CAN', 'USB-HID', 'USB-CDC', 'USB-DFU', 'USB-MSC'] as const;

export function decodePeripherals(mask: number): string[] {
  return PERIPHERAL_BITS.filter((_, i) => (mask >>> i) & 1);
}

/** AvailableCommands: bit (tag − 1) set when command `tag` is available. */
export function decodeAvailableCommands(mask: number): string[] {
  const out: string[] = [];
  for (const tag of Object.values(CommandTag)) if ((mask >>> (tag - 1)) & 1) out.push(commandName(tag));
  return out;
}

export function encodeAvailableCommands(tags: Iterable<number>): number {
  let m = 0;
  for (const t of tags) m |= 1 << (t - 1);
  return m >>> 0;
}

export function commandAvailable(mask: number, tag: number): boolean {
  return ((mask >>> (tag - 1)) & 1) === 1;
}

/** One reserved region: `end` is inclusive, as the device reports it. */
export interface ReservedRegion {
  start: number;
  end: number;
}

/** ReservedRegions: (start, end) pairs; all-zero pairs are unused slots. */
export function decodeReservedRegions(values: readonly number[]): ReservedRegion[] {
  const out: ReservedRegion[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) {
    const start = values[i]! >>> 0;
    const end = values[i + 1]! >>> 0;
    if (start === 0 && end === 0) continue;
    out.push({ start, end });
  }
  return out;
}

/** FlashSecurityState: 0 = unsecure; any other value = secure (MCUBOOTRM). */
export function isSecure(state: number): boolean {
  return state !== 0;
}

/** ExternalMemoryAttributes values: flags, start, size in KiB, page, sector, block size. */
export interface ExternalMemoryAttributes {
  startAddress?: number | undefined;
  sizeBytes?: number;
  pageSize?: number | undefined;
  sectorSize?: number | undefined;
  blockSize?: number | undefined;
}

export function decodeExternalMemoryAttributes(values: readonly number[]): ExternalMemoryAttributes {
  const [flags = 0, start, sizeKiB, page, sector, block] = values;
  const out: ExternalMemoryAttributes = {};
  if (flags & 1) out.startAddress = start;
  if (flags & 2 && sizeKiB !== undefined) out.sizeBytes = sizeKiB * 1024;
  if (flags & 4) out.pageSize = page;
  if (flags & 8) out.sectorSize = sector;
  if (flags & 16) out.blockSize = block;
  return out;
}

export function encodeExternalMemoryAttributes(a: Record<keyof ExternalMemoryAttributes, number>): number[] {
  return [0x1f, a.startAddress, a.sizeBytes / 1024, a.pageSize, a.sectorSize, a.blockSize];
}

/** A property value as text for `info`. */
export function formatProperty(tag: number, values: readonly number[]): string {
  const first = values[0];
  if (first === undefined) return 'no value';
  switch (tag) {
    case PropertyTag.CurrentVersion:
    case PropertyTag.TargetVersion:
      return formatVersion(first);
    case PropertyTag.AvailablePeripherals:
      return decodePeripherals(first).join(', ');
    case PropertyTag.AvailableCommands:
      return decodeAvailableCommands(first).join(', ');
    case PropertyTag.ReservedRegions:
      return decodeReservedRegions(values).map((r) => `${hex(r.start)}–${hex(r.end)}`).join(', ') || 'none';
    case PropertyTag.FlashSecurityState:
      return isSecure(first) ? 'secure' : 'unsecure';
    case PropertyTag.FlashSize:
    case PropertyTag.FlashSectorSize:
    case PropertyTag.RamSize:
    case PropertyTag.MaxPacketSize:
    case PropertyTag.FlashPageSize:
    case PropertyTag.FlashBlockCount:
      return String(first);
    default:
      return values.map((v) => hex(v)).join(' ');
  }
}
