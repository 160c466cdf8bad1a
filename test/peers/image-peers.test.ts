/**
 * flashwright's image readers and writers against real peers: firmware compiled here with
 * arm-none-eabi-gcc, converted by arm-none-eabi-objcopy and srec_cat (srecord), compared by
 * parsed content and by srec_cmp. Skips (with the reason) only when a peer is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { encodeImage, loadImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { buildMultiFirmware } from '../image/helpers/build-firmware.js';
import { needs } from '../helpers/peers.js';

const peers = needs('arm-none-eabi-gcc', 'arm-none-eabi-objcopy', 'srec_cat', 'srec_cmp', 'srec_info');

const content = (img: MemoryImage) => img.segments.map((s) => [s.address.toString(16), Buffer.from(s.data).toString('hex')]);

describe.skipIf(peers.skip)(peers.title('image formats against objcopy and srecord'), () => {
  let fw: ReturnType<typeof buildMultiFirmware>;
  let ours: MemoryImage;
  const path = (name: string) => join(fw.dir, name);
  const objcopy = (...args: string[]) => execFileSync('arm-none-eabi-objcopy', args, { stdio: 'pipe' });
  const srecCat = (...args: string[]) => execFileSync('srec_cat', args, { stdio: 'pipe' });
  /** srec_cmp exits 0 when both inputs hold the same data; its output says where they differ. */
  const srecCmp = (...args: string[]) => {
    const r = spawnSync('srec_cmp', args, { encoding: 'utf8' });
    return { same: r.status === 0, output: r.stdout + r.stderr };
  };
  const load = (name: string, base?: number) => loadImage(new Uint8Array(readFileSync(path(name))), { source: name, base });

  beforeAll(() => {
    fw = buildMultiFirmware();
    ours = elfToImage(parseElf(fw.elf, 'multi.elf'), 'multi.elf');
  });
  afterAll(() => fw?.cleanup());

  it('the firmware has what the test needs: .data with LMA ≠ VMA, .bss, external sections, padding in a segment', () => {
    const elf = parseElf(fw.elf, 'multi.elf');
    expect(elf.section('.data')!.address).toBe(0x20000000);
    expect(elf.section('.bss')!.size).toBeGreaterThan(0);
    // .rodata is ALIGN(256): the flash segment has padding between .text and .rodata that no
    // section covers, which objcopy and srec_cat leave out (so must we).
    const text = elf.section('.text')!;
    expect(elf.section('.rodata')!.address).toBeGreaterThan(text.address + text.size);
    expect(elf.programHeaders.filter((p) => p.type === 1 && p.paddr === 0x08000000)[0]!.filesz).toBeGreaterThan(elf.section('.rodata')!.address - 0x08000000);
    expect(ours.segments.map((s) => s.address)).toEqual([0x08000000, 0x08000100, 0x60000000, 0x90000000]);
  });

  it('ELF → HEX/SREC agrees with objcopy (parsed content and srec_cmp)', () => {
    objcopy('-O', 'ihex', fw.elfPath, path('ref.hex'));
    objcopy('-O', 'srec', fw.elfPath, path('ref.srec'));
    writeFileSync(path('ours.hex'), encodeImage(ours, 'hex'));
    writeFileSync(path('ours.srec'), encodeImage(ours, 'srec'));
    const refHex = load('ref.hex');
    expect(content(refHex.image)).toEqual(content(ours));
    expect(refHex.image.entryPoint).toBe(ours.entryPoint);
    expect(content(load('ref.srec').image)).toEqual(content(ours));
    const a = srecCmp(path('ours.hex'), '-intel', path('ref.hex'), '-intel');
    expect(a.output).toBe('');
    expect(a.same).toBe(true);
    expect(srecCmp(path('ours.srec'), '-motorola', path('ref.srec'), '-motorola').same).toBe(true);
    // srec_cmp must be able to fail, or the comparisons above prove nothing.
    const flipped = ours.segments.map((seg) => ({ address: seg.address, data: seg.data.slice() }));
    flipped[1]!.data[5]! ^= 0x01;
    const tampered = MemoryImage.fromSegments(flipped, ours.entryPoint);
    writeFileSync(path('tampered.hex'), encodeImage(tampered, 'hex'));
    expect(srecCmp(path('tampered.hex'), '-intel', path('ref.hex'), '-intel').same).toBe(false);
  });

  it('ELF → HEX/SREC agrees with srec_cat (which reads objcopy output) in every output flavour', () => {
    srecCat(path('ref.hex'), '-intel', '-o', path('sc.hex'), '-intel');
    srecCat(path('ref.hex'), '-intel', '-o', path('sc16.hex'), '-intel', '-output_block_size=16');
    srecCat(path('ref.hex'), '-intel', '-o', path('sc.srec'), '-motorola');
    for (const f of ['sc.hex', 'sc16.hex', 'sc.srec']) {
      const l = load(f);
      expect(content(l.image), f).toEqual(content(ours));
      expect(l.image.entryPoint, f).toBe(ours.entryPoint);
    }
  });

  it('ELF → BIN agrees with objcopy -O binary for the flash region', () => {
    objcopy('-O', 'binary', '--gap-fill', '0xff', '-j', '.isr_vector', '-j', '.text', '-j', '.rodata', '-j', '.data', fw.elfPath, path('ref-flash.bin'));
    const flash = ours.slice(0x08000000, 0x08020000);
    writeFileSync(path('ours-flash.bin'), encodeImage(flash, 'bin'));
    expect(Buffer.compare(readFileSync(path('ours-flash.bin')), readFileSync(path('ref-flash.bin')))).toBe(0);
    // The binary holds the padding before .rodata as 0xFF fill; objcopy's HEX leaves it out.
    const end = `0x${flash.end!.toString(16)}`;
    expect(srecCmp(path('ours-flash.bin'), '-binary', '-offset', '0x08000000', path('ref.hex'), '-intel', '-crop', '0x08000000', '0x08020000', '-fill', '0xFF', '0x08000000', end).same).toBe(true);
  });

  it('every file flashwright writes is read identically by srec_cat', () => {
    const check = (file: string, format: string[], expected: MemoryImage) => {
      srecCat(path(file), ...format, '-o', path(`${file}.sc.hex`), '-intel');
      const back = load(`${file}.sc.hex`).image;
      expect(content(back), file).toEqual(content(expected));
    };
    for (const rs of [16, 32]) {
      writeFileSync(path(`o${rs}.hex`), encodeImage(ours, 'hex', { recordSize: rs, crlf: rs === 16 }));
      writeFileSync(path(`o${rs}.srec`), encodeImage(ours, 'srec', { recordSize: rs, header: 'flashwright test' }));
      check(`o${rs}.hex`, ['-intel'], ours);
      check(`o${rs}.srec`, ['-motorola'], ours);
    }
    const small = ours.slice(0x08000000, 0x08010000).shift(-0x08000000 + 0x1000); // S1 range
    writeFileSync(path('small.srec'), encodeImage(small, 'srec'));
    expect(readFileSync(path('small.srec'), 'latin1').split('\n')[1]!.slice(0, 2)).toBe('S1');
    check('small.srec', ['-motorola'], small);
    const mid = ours.slice(0x08000000, 0x08010000).shift(-0x08000000 + 0x00100000); // S2 range
    writeFileSync(path('mid.srec'), encodeImage(mid, 'srec'));
    expect(readFileSync(path('mid.srec'), 'latin1').split('\n')[1]!.slice(0, 2)).toBe('S2');
    check('mid.srec', ['-motorola'], mid);
    writeFileSync(path('flash.bin'), encodeImage(ours.slice(0x08000000, 0x08020000), 'bin'));
    check('flash.bin', ['-binary', '-offset', '0x08000000'], ours.slice(0x08000000, 0x08020000).filled(0xff));
    // srec_info sees the same execution start address and data ranges.
    const info = execFileSync('srec_info', [path('o16.hex'), '-intel'], { encoding: 'utf8' });
    expect(info).toContain(`Execution Start Address: ${ours.entryPoint!.toString(16).toUpperCase().padStart(8, '0')}`);
    expect(info).toMatch(/60000000 - 6000012B/);
  });
  it('srec_cat reads back the binary the CLI streams out (convert x.hex y.bin, gaps filled over several chunks)', async () => {
    // Flash contents plus the QSPI data moved 3 MiB up: the gap is streamed as 1 MiB fill blocks.
    const spread = ours.slice(0x08000000, 0x08020000).merge(ours.slice(0x60000000, 0x60100000).shift(0x08300000 - 0x60000000));
    writeFileSync(path('spread.hex'), encodeImage(spread, 'hex'));
    let err = '';
    const code = await runCli(['convert', path('spread.hex'), path('spread.bin')], { out: () => {}, err: (t) => { err += t; }, isTty: false });
    expect(code, err).toBe(0);
    expect(readFileSync(path('spread.bin')).length).toBe(spread.end! - spread.start!);
    const end = `0x${spread.end!.toString(16)}`;
    const cmp = srecCmp(path('spread.bin'), '-binary', '-offset', '0x08000000', path('spread.hex'), '-intel', '-fill', '0xFF', '0x08000000', end);
    expect(cmp.output).toBe('');
    expect(cmp.same).toBe(true);
  });

  it('srec_info reads the start address from the S7, S8 and S9 records flashwright writes, and none when there is none', () => {
    const flash = ours.slice(0x08000000, 0x08010000);
    const cases: [string, MemoryImage, string][] = [
      ['s7.srec', flash, 'S7'],
      ['s8.srec', MemoryImage.fromSegments([{ address: 0x00100000, data: flash.segments[0]!.data }], 0x00100101), 'S8'],
      ['s9.srec', MemoryImage.fromSegments([{ address: 0x1000, data: flash.segments[0]!.data.subarray(0, 64) }], 0x1041), 'S9'],
    ];
    for (const [name, img, type] of cases) {
      writeFileSync(path(name), encodeImage(img, 'srec'));
      const lines = readFileSync(path(name), 'latin1').trimEnd().split('\n');
      expect(lines[lines.length - 1]!.slice(0, 2), name).toBe(type);
      const info = execFileSync('srec_info', [path(name), '-motorola'], { encoding: 'utf8' });
      expect(info, name).toContain(`Execution Start Address: ${img.entryPoint!.toString(16).toUpperCase().padStart(8, '0')}`);
    }
    const none = MemoryImage.fromSegments([{ address: 0x08000000, data: flash.segments[0]!.data }]);
    writeFileSync(path('none.srec'), encodeImage(none, 'srec'));
    const info = spawnSync('srec_info', [path('none.srec'), '-motorola'], { encoding: 'utf8' });
    expect(info.stdout).not.toContain('Execution Start Address');
    srecCat(path('none.srec'), '-motorola', '-o', path('none.hex'), '-intel');
    expect(readFileSync(path('none.hex'), 'latin1')).not.toMatch(/^:04000005/m);
  });
});
