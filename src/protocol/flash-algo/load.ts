/**
 * Reads a flash algorithm from any of the accepted files, by content: an ELF with a
 * StorageInfo (.dev_info) is an STM32CubeProgrammer external loader, another ELF is a
 * CMSIS-Pack FLM, a Python module with FLASH_ALGO is a pyOCD target, anything else is
 * read as a JSON/YAML descriptor.
 */
import { isElf, parseElf } from '../../image/elf.js';
import { parseAlgorithmDescriptor, type FlashAlgorithm } from './algorithm.js';
import { loadFlm } from './flm.js';
import { importPyocdAlgorithm } from './pyocd-import.js';
import { loadStldr, storageInfoSection } from './stldr.js';

export type AlgorithmFileKind = 'flm' | 'stldr' | 'pyocd' | 'descriptor';

export function detectAlgorithmFile(data: Uint8Array): AlgorithmFileKind {
  if (isElf(data)) {
    let elf;
    try {
      elf = parseElf(data, 'algorithm');
    } catch {
      return 'flm'; // the FLM loader reports what is wrong with it
    }
    return !elf.symbol('FlashDevice') && storageInfoSection(elf) ? 'stldr' : 'flm';
  }
  const head = new TextDecoder().decode(data.subarray(0, 65536));
  if (/^\s*FLASH_ALGO\s*=\s*\{/m.test(head)) return 'pyocd';
  return 'descriptor';
}

/** `name` picks one entry of a file with several algorithms (a probe-rs target file's flash_algorithms). */
export function loadAlgorithm(data: Uint8Array, source: string, options: { name?: string | undefined } = {}): FlashAlgorithm {
  switch (detectAlgorithmFile(data)) {
    case 'flm': return loadFlm(data, source);
    case 'stldr': return loadStldr(data, source);
    case 'pyocd': return importPyocdAlgorithm(new TextDecoder().decode(data), source).algorithm;
    default: return parseAlgorithmDescriptor(new TextDecoder().decode(data), source, options);
  }
}
