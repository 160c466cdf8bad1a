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
import { EM_ARM, parseElf, SHF_ALLOC, SHF_WRITE, SHT_NOBITS, type ElfFile, type ElfSection } from '../../image/elf.js';
import { validateAlgorithm, type AlgorithmFunction, type FlashAlgorithm } from './algorithm.js';
import { AlgorithmFormatError, AlgorithmRamError } from './errors.js';
import type { SectorStart } from './flash-device.js';
import { planLayout, type AlgoLayout } from './layout.js';
import { regionHolds } from '../../target/geometry.js';
import type { TargetDescription } from '../../target/types.js';

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

/** The section holding StorageInfo: `.dev_info` (any case; ST's CubeIDE scripts write `.Dev_info`), else the one the StorageInfo symbol is in. */
export function storageInfoSection(elf: ElfFile): ElfSection | undefined {
  const named = elf.sections.find((s) => s.name.toLowerCase() === '.dev_info' && s.type !== SHT_NOBITS);
  if (named) return named;
  const sym = elf.symbol('StorageInfo');
  const sec = sym && sym.sectionIndex !== 0 ? elf.sections[sym.sectionIndex] : undefined;
  if (!sym || !sec || sec.type === SHT_NOBITS) return undefined;
  return { ...sec, data: sec.data.subarray(sym.value - sec.address) };
}

/** Reads a parsed .stldr ELF: StorageInfo, entry points, link range, and the problems found. */
export function readStldr(elf: ElfFile): StldrInfo {
  const dev = storageInfoSection(elf);
  if (!dev) throw new StldrFormatError('The ELF has no .dev_info section, so it is not an STM32CubeProgrammer external loader.');
  const storage = parseStorageInfo(dev.data);
  const entries: Record<string, number> = {};
  for (const name of [...STLDR_REQUIRED_ENTRIES, ...STLDR_OPTIONAL_ENTRIES]) {
    const s = elf.symbol(name);
    if (s && s.sectionIndex !== 0) entries[name] = s.value;
  }
  const missing = STLDR_REQUIRED_ENTRIES.filter((n) => entries[n] === undefined);
  const loadable = loadableSections(elf, dev.index);
  const linked = loadable.length
    ? { start: Math.min(...loadable.map((s) => s.address)), end: Math.max(...loadable.map((s) => s.address + s.size)) }
    : { start: 0, end: 0 };
  const problems = [...checkStorageInfo(storage), ...missing.map((n) => `The entry point ${n} is missing (required).`)];
  return { storage, entries, missing, linked, problems };
}

function loadableSections(elf: ElfFile, devInfoIndex: number): ElfSection[] {
  return elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0 && s.index !== devInfoIndex);
}

/** Erase/program timeouts: StorageInfo carries none, so generous ones for serial NOR (a 64 KiB block erase takes up to ~2 s on common parts). */
export const STLDR_TIMEOUTS = { programMs: 5000, eraseSectorMs: 10000 } as const;

const STLDR_FUNCTIONS: Partial<Record<AlgorithmFunction, string>> = { init: 'Init', programPage: 'Write', eraseSector: 'SectorErase', eraseChip: 'MassErase', verify: 'Verify' };

/** StorageInfo's (count, size) pairs as sector-run starts relative to the device start. */
export function storageSectorStarts(info: StorageInfo): SectorStart[] {
  const out: SectorStart[] = [];
  let offset = 0;
  for (const s of info.sectors) {
    if (s.count === 0 || s.size === 0) continue;
    out.push({ offset, size: s.size });
    offset += s.count * s.size;
  }
  return out;
}

/**
 * An external loader as a FlashAlgorithm the runner can run: its loadable sections copied
 * from the lowest linked address (zeros for .bss), placed exactly there (a .stldr is not
 * position independent), the memory from StorageInfo, the 'stldr' calling convention.
 * Refuses what would make the plan lie about the memory: a sector table that does not cover
 * the device, PageSize 0, a missing required entry point.
 */
export function loadStldr(data: Uint8Array, source: string): FlashAlgorithm {
  const elf = parseElf(data, source);
  if (elf.machine !== EM_ARM) throw new AlgorithmFormatError(source, `the ELF is for ${elf.machineName}, not ARM.`, { machine: elf.machine });
  const info = readStldr(elf);
  const s = info.storage;
  if (info.missing.length) {
    throw new AlgorithmFormatError(source, `the external loader lacks ${info.missing.join(' and ')} (STM32CubeProgrammer needs Init, Write and SectorErase).`, { missing: info.missing },
      'Export the missing functions with those exact names (they are found by symbol).');
  }
  const covered = s.sectors.reduce((n, x) => n + x.count * x.size, 0);
  if (covered !== s.size || s.pageSize === 0) {
    const problems = checkStorageInfo(s).filter((p) => /sector table|PageSize is 0/.test(p));
    throw new AlgorithmFormatError(source, `its StorageInfo cannot be used: ${problems.join(' ')}`, { deviceSize: s.size, sectorsCover: covered, pageSize: s.pageSize },
      'Fix the sectors[] table (SectorNum × SectorSize pairs must add up to DeviceSize) and PageSize in the loader\'s Dev_Inf.c, and rebuild it.');
  }
  const dev = storageInfoSection(elf);
  const sections = loadableSections(elf, dev?.index ?? -1);
  const base = info.linked.start;
  const size = info.linked.end - base;
  if (sections.length === 0 || size <= 0) throw new AlgorithmFormatError(source, 'the external loader has no code sections.');
  if (size > 1024 * 1024) throw new AlgorithmFormatError(source, `its sections span ${formatSize(size)} (${hex(base)}–${hex(info.linked.end - 1)}), more than any target RAM; a section is linked far from the others.`);
  const instructions = new Uint8Array(size);
  for (const sec of sections) if (sec.type !== SHT_NOBITS) instructions.set(sec.data.subarray(0, sec.size), sec.address - base);
  const entries: Partial<Record<AlgorithmFunction, number>> = {};
  for (const [fn, sym] of Object.entries(STLDR_FUNCTIONS) as Array<[AlgorithmFunction, string]>) {
    const at = info.entries[sym];
    if (at !== undefined) entries[fn] = (at & ~1) - base;
  }
  const dataSection = sections.filter((x) => (x.flags & SHF_WRITE) !== 0).sort((a, b) => a.address - b.address)[0];
  const algo: FlashAlgorithm = {
    name: s.name || source,
    source,
    description: `STM32CubeProgrammer external loader (${s.deviceTypeName})`,
    convention: 'stldr',
    instructions,
    entries: entries as FlashAlgorithm['entries'],
    readEntry: info.entries.Read === undefined ? undefined : (info.entries.Read & ~1) - base,
    staticBaseOffset: dataSection ? dataSection.address - base : instructions.length,
    loadAddress: base,
    flash: {
      name: s.name, type: s.deviceType, start: s.start, size: s.size, pageSize: s.pageSize, erasedValue: s.eraseValue,
      programTimeoutMs: STLDR_TIMEOUTS.programMs, eraseTimeoutMs: STLDR_TIMEOUTS.eraseSectorMs, sectors: storageSectorStarts(s),
    },
  };
  validateAlgorithm(algo);
  return algo;
}

/** Where an external loader would run on a target, and what is wrong with it. */
export interface StldrPlacement {
  /** The RAM region holding the loader's link range. */
  ram?: { name: string; start: number; size: number } | undefined;
  /** Where the runner puts its stack, helpers and Write's page buffer beside the loader. */
  layout?: AlgoLayout | undefined;
  problems: string[];
}

/**
 * Checks a loader against a target's RAM: the link range must lie in one RAM region (it is
 * not relocated), and above it there must be room for what flashwright adds — the return
 * breakpoint and helpers, a stack, and the buffer Write receives (PageSize bytes).
 */
export function checkStldrPlacement(algo: FlashAlgorithm, target: Pick<TargetDescription, 'name' | 'regions'>, options: { stackSize?: number | undefined } = {}): StldrPlacement {
  const start = algo.loadAddress ?? 0;
  const end = start + algo.instructions.length;
  const rams = target.regions.filter((r) => r.kind === 'ram');
  const range = `${hex(start)}–${hex(end - 1)}`;
  const ram = rams.find((r) => regionHolds(r, start, end - start));
  if (!ram) {
    const partly = rams.find((r) => regionHolds(r, start));
    const list = rams.map((r) => `${r.name} ${hex(r.start)}–${hex(r.start + r.size - 1)}`).join(', ') || 'none described';
    return {
      problems: [partly
        ? `The loader is linked at ${range}, which runs past the end of ${partly.name} (${hex(partly.start + partly.size - 1)}): it is loaded where it is linked, so its end would land outside RAM.`
        : `The loader is linked at ${range}, outside ${target.name}'s RAM (${list}): it is loaded where it is linked, not relocated, so it cannot run there. Relink it into RAM (ST's examples use 0x20000004).`],
    };
  }
  const region = { name: ram.name, start: ram.start, size: ram.size };
  try {
    const layout = planLayout(algo, { ram: region, stackSize: options.stackSize, doubleBuffer: false });
    return { ram: region, layout, problems: [] };
  } catch (e) {
    if (!(e instanceof AlgorithmRamError) && !(e instanceof AlgorithmFormatError)) throw e;
    const free = ram.start + ram.size - end;
    const page = algo.flash.pageSize;
    const problems = page > free
      ? [`PageSize ${formatSize(page)} is more than Write can be given here: its buffer must sit in RAM beside the loader, and ${ram.name} has only ${formatSize(Math.max(0, free))} above the loader (${hex(end)}–${hex(ram.start + ram.size - 1)}). Give a smaller PageSize or link the loader lower.`]
      : [`Above the loader (it ends at ${hex(end - 1)}) ${ram.name} has ${formatSize(Math.max(0, free))}, too little for flashwright's stack, return breakpoint and the ${formatSize(page)} page buffer Write receives: ${e.message}`];
    return { ram: region, problems };
  }
}

