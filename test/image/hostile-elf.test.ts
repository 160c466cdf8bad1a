/**
 * Hostile ELF files cost linear time and bounded memory (issue 10 §5). Each generator's shape
 * once took 21–79 s or gigabytes; the timeouts below are generous (several times what a
 * linear reader needs on a slow machine) and there is no wall-time assertion.
 */
import { describe, expect, it } from 'vitest';
import { elfToImage, MAX_ELF_NAME, parseElf } from '../../src/image/elf.js';
import { loadImage } from '../../src/image/formats.js';
import { manyHeaders, repeatedLoads, unterminatedNames } from './helpers/hostile-elf.js';

const TIMEOUT = 20_000;

describe('hostile ELF files', () => {
  it('a 1 MiB string table without NUL, 4000 symbols and 4000 sections named at offset 0', () => {
    const elf = parseElf(unterminatedNames(), 'names.elf');
    expect(elf.symbols).toHaveLength(4000);
    expect(elf.symbols[0]!.name).toHaveLength(MAX_ELF_NAME);
    expect(elf.sections[5]!.name).toHaveLength(MAX_ELF_NAME);
    expect(elf.warnings.filter((w) => /without a NUL/.test(w))).toHaveLength(2); // once per table, not per name
  }, TIMEOUT);

  it('2047 PT_LOAD entries mapping the same 2 MiB give one 2 MiB image', () => {
    const file = repeatedLoads();
    const image = elfToImage(parseElf(file, 'loads.elf'), 'loads.elf');
    expect(image.size).toBe(2 << 20);
    expect(image.segments).toHaveLength(1);
  }, TIMEOUT);

  it('segments that map the file over and over at different addresses are refused with a reason', () => {
    const file = repeatedLoads(2047, 2 << 20, true);
    expect(() => elfToImage(parseElf(file, 'mirror.elf'), 'mirror.elf')).toThrow(/map \d+ file bytes, more than twice the file/);
  }, TIMEOUT);

  it('60k program headers × 60k sections', () => {
    const n = 60_000;
    const image = loadImage(manyHeaders(n), { source: 'headers.elf' }).image;
    expect(image.size).toBe(n);
    expect(image.byteAt(0x08000000 + 1234)).toBe(1234 & 0xff);
  }, TIMEOUT);
});
