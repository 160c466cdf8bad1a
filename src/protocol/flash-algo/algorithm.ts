/**
 * A flash algorithm in memory, whatever file it came from (CMSIS-Pack FLM, a JSON/YAML
 * descriptor, a pyOCD target module), and the JSON/YAML descriptor format.
 *
 * The descriptor follows the shape probe-rs target files and pyOCD FLASH_ALGO dicts use:
 * the code as base64 `instructions`, entry points as offsets from the start of the
 * instructions (`pc_init`, `pc_uninit`, `pc_program_page`, `pc_erase_sector`,
 * `pc_erase_all`, `pc_verify`, `pc_blank_check`; Thumb bit allowed), the static base as
 * `data_section_offset`, an optional fixed `load_address` / `stack_top` / `page_buffers`,
 * and `flash_properties` (address_range, page_size, erased_byte_value,
 * program_page_timeout, erase_sector_timeout, sectors [{size, address}] with addresses
 * relative to the range start), and optionally the target `ram` {start, size}.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { hex, parseNumber } from '../../core/format.js';
import { AlgorithmFormatError } from './errors.js';
import { validateFlashProperties, type FlashProperties } from './flash-device.js';

export type AlgorithmFunction = 'init' | 'uninit' | 'eraseChip' | 'eraseSector' | 'programPage' | 'verify' | 'blankCheck';

/** CMSIS names of the functions, for messages. */
export const FUNCTION_NAMES: Record<AlgorithmFunction, string> = {
  init: 'Init', uninit: 'UnInit', eraseChip: 'EraseChip', eraseSector: 'EraseSector', programPage: 'ProgramPage', verify: 'Verify', blankCheck: 'BlankCheck',
};

/**
 * How an algorithm's functions are called and what they answer:
 *  - 'cmsis' (CMSIS-Pack FLM, descriptors, pyOCD): Init(adr, clk, fnc) per kind of operation
 *    and UnInit(fnc) after it, EraseSector(adr), ProgramPage(adr, sz, buf); 0 = OK.
 *  - 'stldr' (STM32CubeProgrammer external loader, UM2237 and ST's published Loader_Src.c):
 *    Init once (its optional argument gets 0), Write(Address, Size, buffer),
 *    SectorErase(EraseStartAddress, EraseEndAddress) erasing every sector the inclusive range
 *    touches, MassErase(Parallelism = 0); 1 = LOADER_OK, 0 = LOADER_FAIL. No UnInit. Write and
 *    the erases leave the memory-mapped mode Init set up (ST's loaders de-initialise the
 *    QSPI/OSPI there), so the runner calls Init again before the memory is read over the bus.
 */
export type AlgorithmConvention = 'cmsis' | 'stldr';

export interface ConventionRules {
  /** What a function returns on success. */
  ok: number;
  /** Function names, for messages. */
  names: Record<AlgorithmFunction, string>;
  /** "flash algorithm" / "external loader", for messages. */
  what: string;
}

export const CONVENTIONS: Record<AlgorithmConvention, ConventionRules> = {
  cmsis: { ok: 0, names: FUNCTION_NAMES, what: 'flash algorithm' },
  stldr: {
    ok: 1,
    names: { init: 'Init', uninit: 'UnInit', eraseChip: 'MassErase', eraseSector: 'SectorErase', programPage: 'Write', verify: 'Verify', blankCheck: 'BlankCheck' },
    what: 'external loader',
  },
};

export function conventionOf(a: Pick<FlashAlgorithm, 'convention'>): ConventionRules {
  return CONVENTIONS[a.convention ?? 'cmsis'];
}

export interface FlashAlgorithm {
  name: string;
  /** Calling convention (default 'cmsis'). */
  convention?: AlgorithmConvention | undefined;
  /** An external loader's optional Read(Address, Size, Buffer), as an offset into `instructions`. */
  readEntry?: number | undefined;
  /** Where it came from (file name), for messages. */
  source: string;
  description?: string | undefined;
  /** Bytes copied to RAM: code, initialised data and zeroed .bss, contiguous. */
  instructions: Uint8Array;
  /** Entry points as offsets into `instructions` (Thumb bit cleared). */
  entries: Partial<Record<AlgorithmFunction, number>> & { eraseSector: number; programPage: number };
  /** r9 for every call, as an offset into `instructions` (may lie past its end for .bss). */
  staticBaseOffset: number;
  /**
   * Fixed placement (pyOCD dicts are linked for one address). When absent the runner picks
   * the placement in the target's RAM.
   */
  loadAddress?: number | undefined;
  /** Initial SP; with a fixed placement only. */
  stackTop?: number | undefined;
  /** Page buffer addresses (one, or two for double buffering); with a fixed placement only. */
  pageBuffers?: number[] | undefined;
  /** Offset into `instructions` of a BKPT the functions return to (pyOCD's header has one at 0). */
  breakpointOffset?: number | undefined;
  /** Stack size wanted (bytes). */
  stackSize?: number | undefined;
  /** Target RAM the algorithm was made for, when its source says (pyOCD RamRegion). */
  ram?: { start: number; size: number } | undefined;
  /** Other RAM regions the source declares, where a fixed-placement algorithm may keep page buffers. */
  otherRam?: Array<{ start: number; size: number }> | undefined;
  flash: FlashProperties;
}

/** Checks offsets and geometry; throws AlgorithmFormatError. */
export function validateAlgorithm(a: FlashAlgorithm): void {
  validateFlashProperties(a.flash, a.source);
  if (a.instructions.length === 0) throw new AlgorithmFormatError(a.source, 'the algorithm has no code.');
  for (const [fn, off] of Object.entries(a.entries)) {
    if (off === undefined) continue;
    if (!Number.isInteger(off) || off < 0 || off >= a.instructions.length) {
      throw new AlgorithmFormatError(a.source, `the entry point of ${FUNCTION_NAMES[fn as AlgorithmFunction]} (offset ${hex(off >>> 0)}) lies outside the ${a.instructions.length}-byte code.`, { function: fn, offset: off });
    }
  }
  if (a.pageBuffers && a.pageBuffers.length === 0) throw new AlgorithmFormatError(a.source, 'page_buffers is empty.');
}

const FUNCTION_KEYS: Record<AlgorithmFunction, string> = {
  init: 'pc_init', uninit: 'pc_uninit', eraseChip: 'pc_erase_all', eraseSector: 'pc_erase_sector', programPage: 'pc_program_page', verify: 'pc_verify', blankCheck: 'pc_blank_check',
};

function toBase64(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string, source: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(text.replace(/\s+/g, ''));
  } catch {
    throw new AlgorithmFormatError(source, '`instructions` is not valid base64.');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Numbers in descriptors may be JSON numbers or strings like "0x20000000". */
function num(value: unknown, field: string, source: string, required: true): number;
function num(value: unknown, field: string, source: string, required?: boolean): number | undefined;
function num(value: unknown, field: string, source: string, required = false): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw new AlgorithmFormatError(source, `the descriptor lacks \`${field}\`.`, { field });
    return undefined;
  }
  const v = typeof value === 'number' ? value : typeof value === 'string' ? parseNumber(value) : undefined;
  if (v === undefined || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new AlgorithmFormatError(source, `\`${field}\` is not a 32-bit number: ${JSON.stringify(value)}.`, { field });
  return v;
}

/** Reads a JSON or YAML descriptor. */
export function parseAlgorithmDescriptor(text: string, source: string, options: { name?: string | undefined } = {}): FlashAlgorithm {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new AlgorithmFormatError(source, `not valid JSON/YAML (${(e as Error).message.split('\n')[0]}).`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new AlgorithmFormatError(source, 'the descriptor is not a mapping of fields.');
  const d = pickAlgorithm(doc as Record<string, unknown>, source, options.name);
  // probe-rs: 'miniz' means the host compresses page data and the algorithm inflates it; raw pages would program garbage.
  const encoding = d.transfer_encoding ?? d.transferEncoding;
  if (encoding !== undefined && String(encoding).toLowerCase() !== 'raw') {
    throw new AlgorithmFormatError(source, `transfer_encoding '${String(encoding)}' is not supported: the algorithm expects page data encoded that way, and raw pages would be programmed as garbage.`,
      { transferEncoding: String(encoding) }, 'Use a variant of the algorithm with transfer_encoding raw (or none), or the .FLM from the device family pack.');
  }
  if (typeof d.instructions !== 'string') throw new AlgorithmFormatError(source, 'the descriptor lacks `instructions` (base64 code).');
  const fp = d.flash_properties as Record<string, unknown> | undefined;
  if (!fp || typeof fp !== 'object') throw new AlgorithmFormatError(source, 'the descriptor lacks `flash_properties`.');
  const range = fp.address_range as Record<string, unknown> | undefined;
  if (!range || typeof range !== 'object') throw new AlgorithmFormatError(source, 'flash_properties lacks `address_range` {start, end}.');
  const start = num(range.start, 'flash_properties.address_range.start', source, true);
  const end = num(range.end, 'flash_properties.address_range.end', source, true);
  const sectorsRaw = fp.sectors;
  if (!Array.isArray(sectorsRaw)) throw new AlgorithmFormatError(source, 'flash_properties lacks a `sectors` list.');
  const sectors = sectorsRaw.map((s, i) => ({
    size: num((s as Record<string, unknown>)?.size, `flash_properties.sectors[${i}].size`, source, true),
    offset: num((s as Record<string, unknown>)?.address, `flash_properties.sectors[${i}].address`, source, true),
  }));
  const entries: Partial<Record<AlgorithmFunction, number>> = {};
  for (const [fn, key] of Object.entries(FUNCTION_KEYS) as Array<[AlgorithmFunction, string]>) {
    const v = num(d[key], key, source, fn === 'programPage' || fn === 'eraseSector');
    if (v !== undefined) entries[fn] = v & ~1;
  }
  const pageBuffers = Array.isArray(d.page_buffers) ? d.page_buffers.map((b, i) => num(b, `page_buffers[${i}]`, source, true)) : undefined;
  const algo: FlashAlgorithm = {
    name: typeof d.name === 'string' ? d.name : 'unnamed',
    source,
    description: typeof d.description === 'string' ? d.description : undefined,
    instructions: fromBase64(d.instructions, source),
    entries: entries as FlashAlgorithm['entries'],
    staticBaseOffset: num(d.data_section_offset, 'data_section_offset', source, true),
    loadAddress: num(d.load_address, 'load_address', source),
    stackTop: num(d.stack_top, 'stack_top', source),
    pageBuffers,
    breakpointOffset: num(d.breakpoint_offset, 'breakpoint_offset', source),
    stackSize: num(d.stack_size, 'stack_size', source),
    ram: d.ram && typeof d.ram === 'object'
      ? { start: num((d.ram as Record<string, unknown>).start, 'ram.start', source, true), size: num((d.ram as Record<string, unknown>).size, 'ram.size', source, true) }
      : undefined,
    otherRam: Array.isArray(d.other_ram)
      ? d.other_ram.map((r, i) => ({ start: num((r as Record<string, unknown>)?.start, `other_ram[${i}].start`, source, true), size: num((r as Record<string, unknown>)?.size, `other_ram[${i}].size`, source, true) }))
      : undefined,
    flash: {
      name: typeof d.name === 'string' ? d.name : 'unnamed',
      start,
      size: end - start,
      pageSize: num(fp.page_size, 'flash_properties.page_size', source, true),
      erasedValue: num(fp.erased_byte_value, 'flash_properties.erased_byte_value', source) ?? 0xff,
      programTimeoutMs: num(fp.program_page_timeout, 'flash_properties.program_page_timeout', source) ?? 1000,
      eraseTimeoutMs: num(fp.erase_sector_timeout, 'flash_properties.erase_sector_timeout', source) ?? 3000,
      sectors,
    },
  };
  if (end <= start) throw new AlgorithmFormatError(source, `address_range end ${hex(end)} is not above start ${hex(start)}.`);
  validateAlgorithm(algo);
  return algo;
}

/**
 * A probe-rs target file holds `flash_algorithms: [...]`: the entry named `name`, else the
 * only one. A plain descriptor is returned as it is (and must carry `name` when one is asked for).
 */
function pickAlgorithm(d: Record<string, unknown>, source: string, name: string | undefined): Record<string, unknown> {
  const list = d.flash_algorithms;
  if (!Array.isArray(list)) {
    if (name !== undefined && d.name !== name) throw new AlgorithmFormatError(source, `the descriptor is the algorithm '${String(d.name)}', not '${name}'.`, { name }, 'Leave out --algo-name, or give the name the file holds.');
    return d;
  }
  const entries = list.filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && !Array.isArray(e));
  const names = entries.map((e) => String(e.name));
  if (entries.length === 0) throw new AlgorithmFormatError(source, '`flash_algorithms` is empty.');
  if (name !== undefined) {
    const hit = entries.find((e) => e.name === name);
    if (!hit) throw new AlgorithmFormatError(source, `no flash algorithm named '${name}' (it has ${names.map((n) => `'${n}'`).join(', ')}).`, { name, names }, `Pass --algo-name with one of: ${names.join(', ')}.`);
    return hit;
  }
  if (entries.length > 1) {
    throw new AlgorithmFormatError(source, `the file holds ${entries.length} flash algorithms (${names.map((n) => `'${n}'`).join(', ')}), so which one to run is ambiguous.`, { names },
      `Pass --algo-name NAME, e.g. --algo-name ${names[0]}.`);
  }
  const only = entries[0];
  if (!only) throw new AlgorithmFormatError(source, 'the file holds no flash algorithm.', {});
  return only;
}

/** The descriptor object for an algorithm (numbers as hex strings, for people to read). */
export function algorithmToDescriptor(a: FlashAlgorithm): Record<string, unknown> {
  const d: Record<string, unknown> = { name: a.name };
  if (a.description) d.description = a.description;
  d.instructions = toBase64(a.instructions);
  if (a.loadAddress !== undefined) d.load_address = hex(a.loadAddress);
  for (const [fn, key] of Object.entries(FUNCTION_KEYS) as Array<[AlgorithmFunction, string]>) {
    const off = a.entries[fn];
    if (off !== undefined) d[key] = hex(off + 1); // Thumb entry, as probe-rs and pyOCD write it
  }
  d.data_section_offset = hex(a.staticBaseOffset);
  if (a.stackTop !== undefined) d.stack_top = hex(a.stackTop);
  if (a.stackSize !== undefined) d.stack_size = hex(a.stackSize);
  if (a.pageBuffers) d.page_buffers = a.pageBuffers.map((b) => hex(b));
  if (a.breakpointOffset !== undefined) d.breakpoint_offset = hex(a.breakpointOffset);
  if (a.ram) d.ram = { start: hex(a.ram.start), size: hex(a.ram.size) };
  if (a.otherRam?.length) d.other_ram = a.otherRam.map((r) => ({ start: hex(r.start), size: hex(r.size) }));
  d.flash_properties = {
    address_range: { start: hex(a.flash.start), end: hex(a.flash.start + a.flash.size) },
    page_size: hex(a.flash.pageSize),
    erased_byte_value: hex(a.flash.erasedValue, 2),
    program_page_timeout: a.flash.programTimeoutMs,
    erase_sector_timeout: a.flash.eraseTimeoutMs,
    sectors: a.flash.sectors.map((s) => ({ size: hex(s.size), address: hex(s.offset) })),
  };
  return d;
}

/** Serialises a descriptor as JSON (default) or YAML. */
export function formatAlgorithmDescriptor(a: FlashAlgorithm, format: 'json' | 'yaml' = 'json'): string {
  const d = algorithmToDescriptor(a);
  return format === 'yaml' ? stringifyYaml(d) : JSON.stringify(d, null, 2) + '\n';
}
