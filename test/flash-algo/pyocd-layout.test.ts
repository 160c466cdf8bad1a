/**
 * Layouts of pyOCD-shaped modules the importer used to refuse (hand-written modules with our
 * own filler words, shaped like the STM32F051, LPC1768 and LPC11xx modules).
 */
import { describe, expect, it } from 'vitest';
import { algorithmRamNeeds } from '../../src/cli/commands/algo.js';
import { layoutAreas, layoutSize, planLayout } from '../../src/protocol/flash-algo/layout.js';
import { importPyocdAlgorithm } from '../../src/protocol/flash-algo/pyocd-import.js';

function module(fields: string, regions: string): string {
  const words = Array.from({ length: 64 }, (_, i) => (i === 0 ? '0xE7FEBE00' : `0x${(0x10101010 * ((i % 15) + 1)).toString(16)}`)).join(', ');
  return `FLASH_ALGO = {\n 'instructions': [${words}],\n 'pc_init': LOAD + 0x21, 'pc_program_page': LOAD + 0x41, 'pc_erase_sector': LOAD + 0x61,\n${fields}\n}\n`
    + `class T(object):\n    memoryMap = MemoryMap(\n        FlashRegion(start=0, length=0x10000, blocksize=0x400, is_boot_memory=True),\n${regions}\n    )\n`;
}

const at = (text: string, load: number) => text.replaceAll('LOAD', `0x${load.toString(16)}`);

describe('pyOCD fixed placements', () => {
  it('takes the stack as the gap above the page buffers below begin_stack (STM32F051 shape)', () => {
    const text = at(module(" 'load_address': LOAD, 'static_base': LOAD + 0x100, 'begin_stack': LOAD + 0x1000, 'begin_data': LOAD + 0x400,\n 'page_buffers': [LOAD + 0x400, LOAD + 0x800], 'page_size': 0x400,",
      '        RamRegion(start=0x20000000, length=0x2000),'), 0x20000000);
    const { algorithm, ram } = importPyocdAlgorithm(text, 'target_F051.py');
    const l = planLayout(algorithm, { ram: ram! });
    expect(l.pageBuffers).toEqual([0x20000400, 0x20000800]);
    expect(l.stackTop).toBe(0x20001000);
    expect(l.stackLimit).toBe(0x20000c00); // the end of the second buffer
    // The runner's helpers go outside that stack, above begin_stack.
    expect(l.breakpoint === 0x20000000 || l.breakpoint >= 0x20001000).toBe(true);
    expect(l.crcRoutine).toBeGreaterThanOrEqual(0x20001000);
  });

  it('keeps page buffers in a second RAM region and counts only what is occupied (LPC1768 shape)', () => {
    const text = at(module(" 'load_address': LOAD, 'static_base': LOAD + 0x200, 'begin_stack': LOAD + 0x1000, 'begin_data': 0x2007C000, 'page_size': 0x1000,",
      '        RamRegion(start=0x10000000, length=0x8000),\n        RamRegion(start=0x2007C000, length=0x8000),'), 0x10000000);
    const { algorithm } = importPyocdAlgorithm(text, 'target_LPC17.py');
    expect(algorithm.ram).toEqual({ start: 0x10000000, size: 0x8000 });
    expect(algorithm.otherRam).toEqual([{ start: 0x2007c000, size: 0x8000 }]);
    const needs = algorithmRamNeeds(algorithm);
    expect(needs.layout.pageBuffers).toEqual([0x2007c000]);
    expect(layoutAreas(needs.layout)).toContainEqual({ start: 0x2007c000, end: 0x2007d000 });
    expect(layoutSize(needs.layout)).toBeLessThan(0x3000);
  });

  it('picks the RAM region that holds load_address, not the first one listed (K32W shape)', () => {
    const text = at(module(" 'load_address': LOAD, 'static_base': LOAD + 0x200, 'begin_stack': LOAD + 0x1400, 'page_buffers': [LOAD + 0x3000, LOAD + 0x4000], 'page_size': 0x200,",
      '        RamRegion(start=0x08000000, length=0x10000),\n        RamRegion(start=0x20000000, length=0x30000),'), 0x20000000);
    const { algorithm } = importPyocdAlgorithm(text, 'target_K32.py');
    expect(algorithm.ram).toEqual({ start: 0x20000000, size: 0x30000 });
    expect(() => planLayout(algorithm, { ram: algorithm.ram! })).not.toThrow();
  });

  it('programs in min_program_length pieces when a page does not fit before the end of RAM (LPC11xx shape)', () => {
    const text = at(module(" 'load_address': LOAD, 'static_base': LOAD + 0x168, 'begin_data': LOAD + 0xA00, 'begin_stack': LOAD + 0x800, 'page_size': 0x1000, 'min_program_length': 1024,",
      '        RamRegion(start=0x10000000, length=0x1000),'), 0x10000000);
    const r = importPyocdAlgorithm(text, 'target_LPC11.py');
    expect(r.algorithm.flash.pageSize).toBe(0x400);
    expect(r.notes.join(' ')).toMatch(/min_program_length pieces of 0x00000400/);
    expect(planLayout(r.algorithm, { ram: r.ram! }).pageBuffers).toEqual([0x10000a00]);
  });

  it('still refuses a page buffer inside the stack it was given', () => {
    const text = at(module(" 'load_address': LOAD, 'static_base': LOAD + 0x100, 'begin_stack': LOAD + 0x1000, 'page_buffers': [LOAD + 0xE00], 'page_size': 0x400,",
      '        RamRegion(start=0x20000000, length=0x2000),'), 0x20000000);
    const { algorithm, ram } = importPyocdAlgorithm(text, 'target_bad.py');
    expect(() => planLayout(algorithm, { ram: ram! })).toThrow(/page buffer 0x20000E00 overlaps the stack/);
  });
});
