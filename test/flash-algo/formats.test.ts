import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { algorithmToDescriptor, formatAlgorithmDescriptor, parseAlgorithmDescriptor } from '../../src/protocol/flash-algo/algorithm.js';
import { AlgorithmFormatError } from '../../src/protocol/flash-algo/errors.js';
import { listSectors, parseFlashDevice, sectorRuns } from '../../src/protocol/flash-algo/flash-device.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { detectAlgorithmFile, loadAlgorithm } from '../../src/protocol/flash-algo/load.js';
import { importPyocdAlgorithm } from '../../src/protocol/flash-algo/pyocd-import.js';
import { PYOCD_NRF51, Toolchain } from './toolchain.js';
import { needs } from '../helpers/peers.js';

const gcc = needs('arm-none-eabi-gcc');
const pyocd = needs('python3-pyocd');

/** A FlashDevice struct laid out as FlashOS.h does. */
function flashDevice(sectors: Array<[number, number]>, end = true): Uint8Array {
  const b = new Uint8Array(160 + 8 * (sectors.length + 1));
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x0101, true);
  b.set(new TextEncoder().encode('STM32F4xx 1 MiB Flash'), 2);
  v.setUint16(130, 1, true);
  v.setUint32(132, 0x08000000, true);
  v.setUint32(136, 0x100000, true);
  v.setUint32(140, 0x400, true);
  b[148] = 0xff;
  v.setUint32(152, 400, true);
  v.setUint32(156, 6000, true);
  sectors.forEach(([size, addr], i) => { v.setUint32(160 + i * 8, size, true); v.setUint32(164 + i * 8, addr, true); });
  if (end) { v.setUint32(160 + sectors.length * 8, 0xffffffff, true); v.setUint32(164 + sectors.length * 8, 0xffffffff, true); }
  return b;
}

describe('FlashDevice', () => {
  it('parses fields and non-uniform sector runs (STM32F4 style: 4×16K, 64K, 7×128K)', () => {
    const d = parseFlashDevice(flashDevice([[0x4000, 0], [0x10000, 0x10000], [0x20000, 0x20000]]), 'f4.flm');
    expect(d).toMatchObject({ name: 'STM32F4xx 1 MiB Flash', version: 0x0101, type: 1, start: 0x08000000, size: 0x100000, pageSize: 0x400, erasedValue: 0xff, programTimeoutMs: 400, eraseTimeoutMs: 6000 });
    expect(sectorRuns(d)).toEqual([{ size: 0x4000, count: 4 }, { size: 0x10000, count: 1 }, { size: 0x20000, count: 7 }]);
    expect(listSectors(d).length).toBe(12);
    expect(listSectors(d)[4]).toEqual({ address: 0x08010000, size: 0x10000 });
    expect(listSectors(d)[5]).toEqual({ address: 0x08020000, size: 0x20000 });
  });

  it('rejects a missing end marker, a list not starting at 0 and descending runs', () => {
    expect(() => parseFlashDevice(flashDevice([[0x400, 0]], false), 'x.flm')).toThrow(/no 0xFFFFFFFF end marker/);
    expect(() => parseFlashDevice(flashDevice([[0x400, 0x100]]), 'x.flm')).toThrow(/first sector starts at offset 0x100/);
    expect(() => parseFlashDevice(flashDevice([[0x400, 0], [0x800, 0x800], [0x400, 0x400]]), 'x.flm')).toThrow(/ascending/);
    expect(() => parseFlashDevice(new Uint8Array(100), 'x.flm')).toThrow(AlgorithmFormatError);
  });
});

const tc = gcc.skip ? undefined : new Toolchain();
afterAll(() => tc?.cleanup());

describe.skipIf(gcc.skip)(gcc.title('FLM built from our C source'), () => {
  it('finds the functions, the static base and FlashDevice', () => {
    const flm = tc!.flm();
    const a = loadFlm(flm.data, flm.path);
    const sym = tc!.symbols(flm.path);
    expect(a.entries).toEqual({ init: sym.Init, uninit: sym.UnInit, eraseChip: sym.EraseChip, eraseSector: sym.EraseSector, programPage: sym.ProgramPage, verify: sym.Verify });
    expect(a.staticBaseOffset).toBe(sym.state_storage);
    expect(a.instructions.length).toBe(sym.state_storage! + 8);
    expect(a.flash).toMatchObject({ name: 'nRF51xxx 256 KiB NVMC (flashwright test)', start: 0, size: 0x40000, pageSize: 1024, erasedValue: 0xff, programTimeoutMs: 100, eraseTimeoutMs: 3000 });
    expect(detectAlgorithmFile(flm.data)).toBe('flm');
  });

  it('round-trips through a JSON and a YAML descriptor', () => {
    const flm = tc!.flm();
    const a = loadFlm(flm.data, flm.path);
    for (const format of ['json', 'yaml'] as const) {
      const text = formatAlgorithmDescriptor(a, format);
      const b = parseAlgorithmDescriptor(text, `algo.${format}`);
      expect(b.entries).toEqual(a.entries);
      expect(b.instructions).toEqual(a.instructions);
      const { start, size, pageSize, erasedValue, programTimeoutMs, eraseTimeoutMs, sectors } = a.flash;
      expect(b.flash).toMatchObject({ start, size, pageSize, erasedValue, programTimeoutMs, eraseTimeoutMs, sectors });
      expect(loadAlgorithm(new TextEncoder().encode(text), 'x').staticBaseOffset).toBe(a.staticBaseOffset);
    }
  });

  it('rejects an ELF that is not a flash algorithm', () => {
    const app = tc!.app('x');
    expect(() => loadFlm(new Uint8Array(readFileSync(app)), app)).toThrow(/no FlashDevice symbol/);
    expect(() => loadFlm(new Uint8Array(8), 'zero.flm')).toThrow(/not an ELF/);
  });
});

describe('JSON/YAML descriptor errors', () => {
  const base = () => ({ name: 'x', instructions: 'AAAAAAAAAAA=', pc_program_page: '0x1', pc_erase_sector: 3, data_section_offset: 4, flash_properties: { address_range: { start: 0, end: '0x1000' }, page_size: 256, sectors: [{ size: '0x400', address: 0 }] } });
  it('accepts the minimal shape', () => {
    const a = parseAlgorithmDescriptor(JSON.stringify(base()), 'a.json');
    expect(a.entries).toEqual({ programPage: 0, eraseSector: 2 });
    expect(a.flash).toMatchObject({ start: 0, size: 0x1000, erasedValue: 0xff, programTimeoutMs: 1000, eraseTimeoutMs: 3000 });
    expect(algorithmToDescriptor(a).pc_program_page).toBe('0x00000001');
  });
  it.each([
    [(d: Record<string, unknown>) => { delete d.instructions; }, /lacks `instructions`/],
    [(d: Record<string, unknown>) => { d.instructions = '!!!'; }, /not valid base64/],
    [(d: Record<string, unknown>) => { d.pc_program_page = '0x100'; }, /ProgramPage \(offset 0x00000100\) lies outside the 8-byte code/],
    [(d: Record<string, unknown>) => { d.pc_erase_sector = 'soon'; }, /`pc_erase_sector` is not a 32-bit number/],
    [(d: Record<string, unknown>) => { delete d.flash_properties; }, /lacks `flash_properties`/],
    [(d: Record<string, unknown>) => { (d.flash_properties as Record<string, unknown>).sectors = []; }, /sector list is empty/],
  ])('rejects a broken descriptor (%#)', (mutate, message) => {
    const d = base() as Record<string, unknown>;
    mutate(d);
    expect(() => parseAlgorithmDescriptor(JSON.stringify(d), 'a.json')).toThrow(message);
  });
  it('rejects text that is not JSON/YAML', () => {
    expect(() => parseAlgorithmDescriptor('{ name: [', 'a.yaml')).toThrow(/not valid JSON\/YAML/);
  });
});

describe('pyOCD FLASH_ALGO importer', () => {
  const MODULE = `
# A hand-written module in the shape of pyOCD's target files.
from ..flash.flash import Flash
RESET = 0x40000544  # not needed by the importer
FLASH_ALGO = { 'load_address' : 0x20000000,
    'instructions' : [
        0xE7FEBE00, 0x11111111, 0x22222222, 0x33333333,  # BKPT; B . — then filler words
        0x44444444, 0x55555555, 0x66666666, 0x77777777,
        0x88888888, 0x99999999, 0xAAAAAAAA, 0xBBBBBBBB,
    ],
    'pc_init'          : 0x20000021,
    'pc_unInit': 0x20000025,
    'pc_program_page'  : 0x20000000 + 0x00000029,
    'pc_erase_sector'  : 0x2000002D,
    'static_base' : 0x20000000 + 0x00000020 + 0x00000010,
    'begin_stack' : 0x20000800,
    'begin_data' : 0x20000000 + 0x00000A00,
    'page_size' : 0x00000200,
    'analyzer_supported' : False,
    'min_program_length' : 8,
    'sector_sizes': ((0x0, 0x800), (0x10000, 0x1000),),
    'flash_start': 0, 'flash_size': 0x20000,
}
HALT_TIMEOUT = 2.0
class K(object):
    memoryMap = MemoryMap(
        FlashRegion(start=0, length=0x20000, blocksize=0x800, is_boot_memory=True, algo=FLASH_ALGO),
        RamRegion(start=0x1fff0000, length=0x8000),
    )
    def __init__(self):
        self.x = "string with # and 'quotes' \\n"
`;
  it('reads the dict as data, with expressions, tuples and comments', () => {
    const r = importPyocdAlgorithm(MODULE, 'target_K.py');
    const a = r.algorithm;
    expect(a.name).toBe('K');
    expect(a.loadAddress).toBe(0x20000000);
    expect(a.instructions.length).toBe(48);
    expect(a.instructions.subarray(0, 4)).toEqual(Uint8Array.from([0x00, 0xbe, 0xfe, 0xe7]));
    expect(a.entries).toEqual({ init: 0x20, uninit: 0x24, programPage: 0x28, eraseSector: 0x2c });
    expect(a.staticBaseOffset).toBe(0x30);
    expect(a.breakpointOffset).toBe(0);
    expect(a.stackTop).toBe(0x20000800);
    expect(a.pageBuffers).toEqual([0x20000a00]);
    expect(a.flash).toMatchObject({ start: 0, size: 0x20000, pageSize: 0x200, sectors: [{ offset: 0, size: 0x800 }, { offset: 0x10000, size: 0x1000 }] });
    expect(r.ram).toEqual({ start: 0x1fff0000, size: 0x8000 });
    expect(r.notes.join(' ')).toMatch(/timeouts not given/);
  });

  it('names the line of a literal it cannot read, and a missing dict', () => {
    expect(() => importPyocdAlgorithm("FLASH_ALGO = { 'load_address': 0x20000000,\n 'instructions': [1, 2 3] }", 't.py')).toThrow(/line 2/);
    expect(() => importPyocdAlgorithm('X = 1\n', 't.py')).toThrow(/no FLASH_ALGO/);
    expect(() => importPyocdAlgorithm("FLASH_ALGO = { 'load_address': 0x20000000, 'instructions': [1], 'pc_program_page': 0x30000001, 'pc_erase_sector': 0x20000001, 'static_base': 0x20000000 }", 't.py')).toThrow(/pc_program_page'\] = 0x30000001 lies outside/);
  });

  it.skipIf(pyocd.skip)(pyocd.title('imports the nRF51822 algorithm shipped with python3-pyocd'), () => {
    const r = importPyocdAlgorithm(readFileSync(PYOCD_NRF51, 'utf8'), PYOCD_NRF51);
    expect(r.algorithm).toMatchObject({ name: 'nRF51822_xxAA', loadAddress: 0x20000000, staticBaseOffset: 0x170, stackTop: 0x20001000, pageBuffers: [0x20002000, 0x20002400], breakpointOffset: 0 });
    expect(r.algorithm.entries).toMatchObject({ init: 0x20, eraseChip: 0x28, eraseSector: 0x48, programPage: 0x70 });
    expect(r.algorithm.flash).toMatchObject({ start: 0, size: 0x40000, pageSize: 0x400 });
    expect(r.ram).toEqual({ start: 0x20000000, size: 0x4000 });
    expect(detectAlgorithmFile(readFileSync(PYOCD_NRF51))).toBe('pyocd');
  });
});
