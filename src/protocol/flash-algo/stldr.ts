/**
 * STM32CubeProgrammer external loaders (.stldr): the StorageInfo table of section `.dev_info`
 * and the entry points. Facts from ST UM2237 ("External loader") and ST's published loader
 * sources (Dev_Inf.h/.c): StorageInfo = DeviceName char[100], DeviceType u16, DeviceStartAddress
 * u32, DeviceSize u32, PageSize u32, EraseValue u8, then up to 10 (SectorNum u32, SectorSize u32)
 * pairs ended by a (0, 0) pair; natural alignment, so the u32 fields start at 104 and the sector
 * pairs at 120 (the 200-byte .dev_info of ST's loaders). Entry points return 1 (LOADER_OK) on
 * success and 0 on failure — the opposite of an FLM's 0 = OK. A .stldr is linked at a fixed RAM
 * address and loaded there, not relocated.
 */
import { FlashwrightError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { formatSize, hex } from '../../core/format.js';
import type { ElfFile } from '../../image/elf.js';

export const STORAGE_INFO = { nameLength: 100, deviceType: 100, start: 104, size: 108, pageSize: 112, eraseValue: 116, sectors: 120, maxSectors: 10 } as const;

/** Device types of Dev_Inf.h. */
export const STLDR_DEVICE_TYPES: Readonly<Record<number, string>> = {
  1: 'MCU flash', 2: 'NAND flash', 3: 'NOR flash', 4: 'SRAM', 5: 'PSRAM', 6: 'PC card', 7: 'SPI flash', 8: 'I2C flash', 9: 'SDRAM', 10: 'I2C EEPROM',
};

export const STLDR_REQUIRED_ENTRIES = ['Init', 'Write', 'SectorErase'] as const;
export const STLDR_OPTIONAL_ENTRIES = ['MassErase', 'Read', 'Verify', 'CheckSum'] as const;
export const LOADER_OK = 1;
export const LOADER_FAIL = 0;

export interface StorageInfo {
  name: string;
  deviceType: number;
  deviceTypeName: string;
  start: number;
  size: number;
  pageSize: number;
  eraseValue: number;
  sectors: Array<{ count: number; size: number }>;
}

export class StldrFormatError extends FlashwrightError {
  constructor(message: string, context: ErrorContext = {}) {
    super('STLDR_FORMAT', message, { hint: 'Give an STM32CubeProgrammer external loader (.stldr, an ELF with a .dev_info section).', context });
  }
}

export function parseStorageInfo(bytes: Uint8Array): StorageInfo {
  if (bytes.length < STORAGE_INFO.sectors + 8) throw new StldrFormatError(`.dev_info is ${bytes.length} bytes; a StorageInfo needs at least ${STORAGE_INFO.sectors + 8}.`, { size: bytes.length });
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nameBytes = bytes.subarray(0, STORAGE_INFO.nameLength);
  const nul = nameBytes.indexOf(0);
  const name = new TextDecoder('latin1').decode(nameBytes.subarray(0, nul < 0 ? nameBytes.length : nul));
  const deviceType = v.getUint16(STORAGE_INFO.deviceType, true);
  const sectors: StorageInfo['sectors'] = [];
  for (let i = 0; i < STORAGE_INFO.maxSectors; i++) {
    const at = STORAGE_INFO.sectors + 8 * i;
    if (at + 8 > bytes.length) break;
    const count = v.getUint32(at, true);
    const size = v.getUint32(at + 4, true);
    if (count === 0 && size === 0) break;
    sectors.push({ count, size });
  }
  return {
    name, deviceType, deviceTypeName: STLDR_DEVICE_TYPES[deviceType] ?? `unknown (${deviceType})`,
    start: v.getUint32(STORAGE_INFO.start, true), size: v.getUint32(STORAGE_INFO.size, true), pageSize: v.getUint32(STORAGE_INFO.pageSize, true),
    eraseValue: v.getUint8(STORAGE_INFO.eraseValue), sectors,
  };
}

/** The mistakes that break loaders, each as a sentence (empty when none found). */
export function checkStorageInfo(info: StorageInfo): string[] {
  const problems: string[] = [];
  const covered = info.sectors.reduce((n, s) => n + s.count * s.size, 0);
  if (info.sectors.length === 0) problems.push('The sector table is empty: no erase unit is described.');
  else if (covered !== info.size) problems.push(`The sector table covers ${formatSize(covered)} (${hex(covered)}) but the device size is ${formatSize(info.size)} (${hex(info.size)}).`);
  if (info.pageSize === 0) problems.push('PageSize is 0: Write would be called with no data.');
  else if (info.sectors.some((s) => s.size % info.pageSize !== 0)) problems.push(`PageSize ${hex(info.pageSize)} does not divide every sector size, so a page write would cross a sector.`);
  if (info.eraseValue !== 0xff && info.eraseValue !== 0x00) problems.push(`EraseValue ${hex(info.eraseValue, 2)} is unusual (NOR reads 0xFF when erased).`);
  return problems;
}

export interface StldrInfo {
  storage: StorageInfo;
  entries: Record<string, number>;
  missing: string[];
  /** Lowest and highest address the loader's loadable sections occupy (it runs where linked). */
  linked: { start: number; end: number };
  problems: string[];
}

/** Reads a parsed .stldr ELF: StorageInfo, entry points, link range, and the problems found. */
export function readStldr(elf: ElfFile): StldrInfo {
  const dev = elf.section('.dev_info');
  if (!dev) throw new StldrFormatError('The ELF has no .dev_info section, so it is not an STM32CubeProgrammer external loader.');
  const storage = parseStorageInfo(dev.data);
  const entries: Record<string, number> = {};
  for (const name of [...STLDR_REQUIRED_ENTRIES, ...STLDR_OPTIONAL_ENTRIES]) {
    const s = elf.symbol(name);
    if (s && s.sectionIndex !== 0) entries[name] = s.value;
  }
  const missing = STLDR_REQUIRED_ENTRIES.filter((n) => entries[n] === undefined);
  const loadable = elf.sections.filter((s) => (s.flags & 0x2) !== 0 && s.size > 0 && s.name !== '.dev_info');
  const linked = loadable.length
    ? { start: Math.min(...loadable.map((s) => s.address)), end: Math.max(...loadable.map((s) => s.address + s.size)) }
    : { start: 0, end: 0 };
  const problems = [...checkStorageInfo(storage), ...missing.map((n) => `The entry point ${n} is missing (required).`)];
  return { storage, entries, missing, linked, problems };
}
