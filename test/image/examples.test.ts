import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../src/image/formats.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../examples');
const load = (name: string) => loadImage(new Uint8Array(readFileSync(join(EXAMPLES, name))), { source: name });

describe('examples/blinky-stm32f103', () => {
  it('ELF and HEX hold the same 2–6 KiB image with a valid STM32F103xB vector table', () => {
    const elf = load('blinky-stm32f103.elf');
    const hex = load('blinky-stm32f103.hex');
    expect(elf.format).toBe('elf');
    expect(hex.format).toBe('hex');
    expect(elf.warnings).toEqual([]);
    expect(hex.warnings).toEqual([]);
    expect(hex.image.segments.map((s) => [s.address, Array.from(s.data)])).toEqual(elf.image.segments.map((s) => [s.address, Array.from(s.data)]));
    const img = elf.image;
    expect(img.start).toBe(0x08000000);
    expect(img.size).toBeGreaterThanOrEqual(2048);
    expect(img.size).toBeLessThanOrEqual(6144);
    expect(img.end!).toBeLessThanOrEqual(0x08000000 + 128 * 1024);
    const v = new DataView(img.read(0x08000000, 8).buffer);
    expect(v.getUint32(0, true)).toBe(0x20005000);
    const reset = v.getUint32(4, true);
    expect(reset & 1).toBe(1);
    expect(img.covers(reset & ~1, 2)).toBe(true);
    expect(hex.image.entryPoint).toBe(reset);
    // .data is stored in flash (LMA) but runs from RAM (VMA).
    expect(elf.elf!.section('.data')!.address).toBe(0x20000000);
    expect(img.intersects(0x20000000, 0x20005000)).toBe(false);
  });
});
