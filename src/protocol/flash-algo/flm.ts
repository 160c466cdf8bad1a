/**
 * Loads a CMSIS-Pack flash algorithm (.FLM): an ELF whose allocated sections (PrgCode,
 * PrgData, and its zero-initialised part) form one position-independent blob linked at
 * 0, a `FlashDevice` symbol describing the flash, and the functions Init, UnInit,
 * EraseChip, EraseSector, ProgramPage, Verify, BlankCheck (CMSIS-Pack "Flash Programming"
 * documentation; facts in PROTOCOL-FACTS.md).
 */
import { EM_ARM, isElf, parseElf, SHF_ALLOC, SHF_WRITE, SHT_NOBITS, type ElfFile } from '../../image/elf.js';
import type { AlgorithmFunction, FlashAlgorithm } from './algorithm.js';
import { validateAlgorithm } from './algorithm.js';
import { AlgorithmFormatError } from './errors.js';
import { FLASH_DEVICE_HEADER_SIZE, parseFlashDevice } from './flash-device.js';

const FUNCTION_SYMBOLS: Record<AlgorithmFunction, string> = {
  init: 'Init', uninit: 'UnInit', eraseChip: 'EraseChip', eraseSector: 'EraseSector', programPage: 'ProgramPage', verify: 'Verify', blankCheck: 'BlankCheck',
};

/** Most sector lists are short; FlashDevice allows up to 512 pairs (SECTOR_NUM in FlashOS.h). */
const MAX_SECTOR_PAIRS = 512;

export function loadFlm(data: Uint8Array, source: string): FlashAlgorithm {
  if (!isElf(data)) throw new AlgorithmFormatError(source, 'not an ELF file (an .FLM is an ELF with PrgCode/PrgData sections).');
  const elf = parseElf(data, source);
  if (elf.machine !== EM_ARM) throw new AlgorithmFormatError(source, `the ELF is for ${elf.machineName}, not ARM.`, { machine: elf.machine });
  const flashDevice = readFlashDevice(elf, source);

  // The blob: every allocated section except the descriptor, from the lowest address up.
  const blobSections = elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0 && s.name !== 'DevDscr' && !containsSymbol(s, elf, 'FlashDevice'));
  if (blobSections.length === 0) throw new AlgorithmFormatError(source, 'no PrgCode/PrgData sections.');
  const base = Math.min(...blobSections.map((s) => s.address));
  const end = Math.max(...blobSections.map((s) => s.address + s.size));
  if (end - base > 1024 * 1024) throw new AlgorithmFormatError(source, `the code and data span ${end - base} bytes, more than any target RAM.`);
  const instructions = new Uint8Array(end - base);
  for (const s of blobSections) if (s.type !== SHT_NOBITS) instructions.set(s.data.subarray(0, s.size), s.address - base);

  const entries: Partial<Record<AlgorithmFunction, number>> = {};
  for (const [fn, sym] of Object.entries(FUNCTION_SYMBOLS) as Array<[AlgorithmFunction, string]>) {
    const s = elf.symbol(sym);
    if (s && s.sectionIndex !== 0) entries[fn] = (s.value & ~1) - base;
  }
  if (entries.eraseSector === undefined || entries.programPage === undefined) {
    const missing = ['EraseSector', 'ProgramPage'].filter((n) => !elf.symbol(n));
    throw new AlgorithmFormatError(source, `the algorithm lacks ${missing.join(' and ')}.`, { missing });
  }
  // Static base: start of the writable data (PrgData), where RWPI code expects r9 to point.
  const dataSection = blobSections.filter((s) => (s.flags & SHF_WRITE) !== 0).sort((a, b) => a.address - b.address)[0];
  const algo: FlashAlgorithm = {
    name: flashDevice.name || source,
    source,
    instructions,
    entries: entries as FlashAlgorithm['entries'],
    staticBaseOffset: dataSection ? dataSection.address - base : instructions.length,
    flash: flashDevice,
  };
  validateAlgorithm(algo);
  return algo;
}

function containsSymbol(section: { index: number }, elf: ElfFile, name: string): boolean {
  const s = elf.symbol(name);
  return !!s && s.sectionIndex === section.index;
}

function readFlashDevice(elf: ElfFile, source: string) {
  const sym = elf.symbol('FlashDevice');
  if (!sym || sym.sectionIndex === 0) throw new AlgorithmFormatError(source, 'no FlashDevice symbol: this ELF is not a CMSIS flash algorithm.');
  const section = elf.sections[sym.sectionIndex];
  if (!section || section.type === SHT_NOBITS) throw new AlgorithmFormatError(source, 'the FlashDevice symbol is not in a section with contents.');
  const offset = sym.value - section.address;
  const available = section.size - offset;
  const length = Math.min(available, FLASH_DEVICE_HEADER_SIZE + 8 * MAX_SECTOR_PAIRS);
  if (offset < 0 || length < FLASH_DEVICE_HEADER_SIZE) throw new AlgorithmFormatError(source, 'the FlashDevice symbol lies outside its section.');
  return parseFlashDevice(section.data.subarray(offset, offset + length), source);
}
