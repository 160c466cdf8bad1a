/**
 * Imports the FLASH_ALGO dict of a pyOCD target module (`pyocd/target/target_*.py`) as
 * data. The dict holds `load_address`, `instructions` (u32 words, little-endian, starting
 * with a BKPT header the functions return to), absolute `pc_*` entry points,
 * `static_base`, `begin_stack`, `begin_data` / `page_buffers`, and in newer modules
 * `page_size`, `flash_start`, `flash_size`, `sector_sizes`. Older modules give the flash
 * geometry in the memory map instead: `FlashRegion(start=…, length=…, blocksize=…)`.
 */
import { hex } from '../../core/format.js';
import { regionHolds } from '../../target/geometry.js';
import type { AlgorithmFunction, FlashAlgorithm } from './algorithm.js';
import { validateAlgorithm } from './algorithm.js';
import { AlgorithmFormatError } from './errors.js';
import type { SectorStart } from './flash-device.js';
import { dictGet, PythonLiteralError, PythonLiteralParser, type PyValue } from './python-literal.js';

export interface PyocdImport {
  algorithm: FlashAlgorithm;
  /** RAM from the module's RamRegion, when it has one. */
  ram?: { start: number; size: number };
  /** What was assumed because the module did not say. */
  notes: string[];
}

/** pyOCD's defaults when a module gives no timeouts (it has none in FLASH_ALGO). */
const DEFAULT_PROGRAM_TIMEOUT_MS = 1000;
const DEFAULT_ERASE_TIMEOUT_MS = 3000;

function int(v: PyValue | undefined, field: string, source: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffn) throw new AlgorithmFormatError(source, `FLASH_ALGO['${field}'] is not a 32-bit integer.`, { field });
  return Number(v);
}

function kw(call: PyValue | undefined, name: string): PyValue | undefined {
  return call && typeof call === 'object' && !Array.isArray(call) && call.kind === 'call' ? call.kwargs[name] : undefined;
}

/** Reads `FLASH_ALGO` (or `dictName`) from pyOCD target module source text. */
export function importPyocdAlgorithm(text: string, source: string, options: { dictName?: string | undefined; name?: string | undefined } = {}): PyocdImport {
  const dictName = options.dictName ?? 'FLASH_ALGO';
  let parser: PythonLiteralParser;
  let algo: PyValue;
  try {
    parser = PythonLiteralParser.fromSource(text);
    const at = parser.assignments(dictName);
    if (at.length === 0) throw new AlgorithmFormatError(source, `no ${dictName} = {…} assignment found.`, {}, 'Pass a pyOCD target module (pyocd/target/target_<part>.py) that contains a FLASH_ALGO dict.');
    algo = parser.parseAt(at[0]!);
  } catch (e) {
    if (e instanceof PythonLiteralError) throw new AlgorithmFormatError(source, `cannot read ${dictName}: ${e.message}.`, { line: e.line });
    throw e;
  }
  if (!algo || typeof algo !== 'object' || Array.isArray(algo) || algo.kind !== 'dict') throw new AlgorithmFormatError(source, `${dictName} is not a dict literal.`);
  const get = (k: string) => dictGet(algo, k);
  const notes: string[] = [];

  const loadAddress = int(get('load_address'), 'load_address', source);
  if (loadAddress === undefined) throw new AlgorithmFormatError(source, `${dictName} has no 'load_address'.`);
  const words = get('instructions');
  if (!Array.isArray(words) || words.length === 0) throw new AlgorithmFormatError(source, `${dictName}['instructions'] is not a list of words.`);
  const instructions = new Uint8Array(words.length * 4);
  const view = new DataView(instructions.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, int(w, `instructions[${i}]`, source) ?? 0, true));

  const entry = (...keys: string[]): number | undefined => {
    for (const k of keys) {
      const v = int(get(k), k, source);
      if (v !== undefined) {
        const off = (v & ~1) - loadAddress;
        if (off < 0 || off >= instructions.length) throw new AlgorithmFormatError(source, `${dictName}['${k}'] = ${hex(v)} lies outside the code loaded at ${hex(loadAddress)}.`, { field: k });
        return off;
      }
    }
    return undefined;
  };
  const programPage = entry('pc_program_page');
  const eraseSector = entry('pc_erase_sector');
  if (programPage === undefined || eraseSector === undefined) throw new AlgorithmFormatError(source, `${dictName} lacks 'pc_program_page' or 'pc_erase_sector'.`);
  const staticBase = int(get('static_base'), 'static_base', source);
  if (staticBase === undefined) throw new AlgorithmFormatError(source, `${dictName} has no 'static_base'.`);

  const pb = get('page_buffers');
  let pageBuffers = Array.isArray(pb) ? pb.map((b, i) => int(b, `page_buffers[${i}]`, source) as number) : undefined;
  const beginData = int(get('begin_data'), 'begin_data', source);
  if (!pageBuffers && beginData !== undefined) pageBuffers = [beginData];

  // Geometry: the dict (newer modules) or the FlashRegion that uses this algorithm.
  const regions = parser.calls('FlashRegion').map((k) => parser.parseAt(k));
  const region = regions.find((r) => { const a = kw(r, 'algo') ?? kw(r, 'flash_algo'); return !!a && typeof a === 'object' && !Array.isArray(a) && a.kind === 'name' && a.name === dictName; })
    ?? regions.find((r) => kw(r, 'is_boot_memory') === true) ?? regions[0];
  const flashStart = int(get('flash_start'), 'flash_start', source) ?? int(kw(region, 'start'), 'FlashRegion start', source);
  const flashSize = int(get('flash_size'), 'flash_size', source) ?? int(kw(region, 'length'), 'FlashRegion length', source);
  if (flashStart === undefined || flashSize === undefined) throw new AlgorithmFormatError(source, 'neither FLASH_ALGO nor a FlashRegion gives the flash start and size.');
  let sectors: SectorStart[];
  const ss = get('sector_sizes');
  if (Array.isArray(ss) && ss.length > 0) {
    sectors = ss.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new AlgorithmFormatError(source, `sector_sizes[${i}] is not a (start, size) pair.`);
      const start = int(pair[0], `sector_sizes[${i}][0]`, source) as number;
      // pyOCD writes sector starts as offsets from flash_start in some modules, absolute in others.
      return { offset: start >= flashStart && flashStart > 0 ? start - flashStart : start, size: int(pair[1], `sector_sizes[${i}][1]`, source) as number };
    });
  } else {
    const block = int(kw(region, 'blocksize') ?? kw(region, 'sector_size'), 'FlashRegion blocksize', source);
    if (block === undefined) throw new AlgorithmFormatError(source, 'neither FLASH_ALGO sector_sizes nor a FlashRegion blocksize gives the sector size.');
    sectors = [{ offset: 0, size: block }];
  }
  const ramRegions = parser.calls('RamRegion').map((k) => parser.parseAt(k))
    .map((c) => ({ start: int(kw(c, 'start'), 'RamRegion start', source), size: int(kw(c, 'length'), 'RamRegion length', source) }))
    .filter((r): r is { start: number; size: number } => r.start !== undefined && r.size !== undefined);
  // The algorithm's RAM is the region holding load_address; the others may hold page buffers (LPC1768's AHB SRAM).
  const ram = ramRegions.find((r) => regionHolds(r, loadAddress)) ?? ramRegions[0];
  const otherRam = ramRegions.filter((r) => r !== ram);
  const beginStack = int(get('begin_stack'), 'begin_stack', source);
  let pageSize = int(get('page_size'), 'page_size', source) ?? int(kw(region, 'page_size'), 'FlashRegion page_size', source);
  const sector = sectors[0]!.size;
  if (pageSize === undefined) { pageSize = sector; notes.push(`page size not given: using the sector size ${hex(pageSize)}`); }
  // A page that does not fit at the first page buffer (before begin_stack or the end of its RAM) is
  // programmed in min_program_length pieces, as the module's own Python code does (LPC11xx).
  const minProgram = int(get('min_program_length'), 'min_program_length', source);
  const b0 = pageBuffers?.[0];
  if (b0 !== undefined && minProgram !== undefined && minProgram < pageSize) {
    const holder = ramRegions.find((r) => regionHolds(r, b0));
    const limit = Math.min(holder ? holder.start + holder.size : Infinity, beginStack !== undefined && beginStack > b0 ? beginStack : Infinity);
    if (b0 + pageSize > limit && b0 + minProgram <= limit) {
      notes.push(`a ${hex(pageSize)}-byte page does not fit at the page buffer ${hex(b0)}: programming in min_program_length pieces of ${hex(minProgram)}`);
      pageSize = minProgram;
    }
  }
  const erased = int(kw(region, 'erased_byte_value'), 'erased_byte_value', source);
  notes.push(`timeouts not given by pyOCD: ${DEFAULT_PROGRAM_TIMEOUT_MS} ms per page, ${DEFAULT_ERASE_TIMEOUT_MS} ms per sector`);

  const name = options.name ?? (/target_([\w-]+)\.py$/.exec(source)?.[1] ?? 'pyocd-algorithm');
  // pyOCD modules start with `BKPT #0` (0xBE00 in the low half-word): the return address.
  const hasBkptHeader = (view.getUint16(0, true) & 0xff00) === 0xbe00;

  const algorithm: FlashAlgorithm = {
    name,
    source,
    description: `Imported from pyOCD ${source.split('/').pop()}`,
    instructions,
    entries: { programPage, eraseSector },
    staticBaseOffset: staticBase - loadAddress,
    loadAddress,
    stackTop: beginStack,
    pageBuffers,
    breakpointOffset: hasBkptHeader ? 0 : undefined,
    flash: {
      name, start: flashStart, size: flashSize, pageSize, erasedValue: erased ?? 0xff,
      programTimeoutMs: DEFAULT_PROGRAM_TIMEOUT_MS, eraseTimeoutMs: DEFAULT_ERASE_TIMEOUT_MS, sectors,
    },
  };
  const optional: Array<[AlgorithmFunction, string[]]> = [['init', ['pc_init']], ['uninit', ['pc_unInit', 'pc_uninit']], ['eraseChip', ['pc_eraseAll', 'pc_erase_all']], ['verify', ['pc_verify']], ['blankCheck', ['pc_blank_check']]];
  for (const [fn, keys] of optional) { const at = entry(...keys); if (at !== undefined) algorithm.entries[fn] = at; }
  if (!hasBkptHeader) notes.push('no BKPT header at load_address: the runner adds its own return breakpoint');
  if (ram) algorithm.ram = ram;
  if (otherRam.length) algorithm.otherRam = otherRam;
  validateAlgorithm(algorithm);
  return ram ? { algorithm, ram, notes } : { algorithm, notes };
}
