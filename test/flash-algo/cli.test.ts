import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { parseAlgorithmDescriptor } from '../../src/protocol/flash-algo/algorithm.js';
import { Toolchain } from './toolchain.js';
import { needs } from '../helpers/peers.js';

const gcc = needs('arm-none-eabi-gcc');

const tc = gcc.skip ? undefined : new Toolchain();
const dir = mkdtempSync(join(tmpdir(), 'fw-algo-cli-'));
afterAll(() => { tc?.cleanup(); rmSync(dir, { recursive: true, force: true }); });

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, text: () => out.join(''), errText: () => err.join('') };
}

const MODULE = `FLASH_ALGO = { 'load_address' : 0x20000000,
  'instructions' : [0xE7FEBE00, 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666, 0x77777777, 0x88888888, 0x99999999],
  'pc_init' : 0x20000021, 'pc_program_page' : 0x20000025, 'pc_erase_sector' : 0x20000021,
  'static_base' : 0x20000028, 'begin_stack' : 0x20000800, 'page_buffers' : [0x20001000, 0x20001400],
}
memoryMap = MemoryMap(FlashRegion(start=0x8000000, length=0x20000, blocksize=0x400, is_boot_memory=True), RamRegion(start=0x20000000, length=0x2000))
`;

describe('flashwright algo', () => {
  it('import-pyocd writes a descriptor that algo info reads back', async () => {
    const mod = join(dir, 'target_TEST123.py');
    writeFileSync(mod, MODULE);
    const out = join(dir, 'test.yaml');
    const a = io();
    expect(await runCli(['algo', 'import-pyocd', mod, '-o', out], a.io)).toBe(0);
    expect(a.errText()).toContain(`wrote ${out}: 'TEST123'`);
    const algo = parseAlgorithmDescriptor(readFileSync(out, 'utf8'), out);
    expect(algo).toMatchObject({ name: 'TEST123', loadAddress: 0x20000000, ram: { start: 0x20000000, size: 0x2000 } });
    const b = io();
    expect(await runCli(['algo', 'info', out], b.io)).toBe(0);
    expect(b.text()).toContain('flash:       0x08000000–0x0801FFFF, 128 KiB, page 1 KiB, erased 0xFF');
    expect(b.text()).toContain('ProgramPage  0x20000024');
    expect(b.text()).toContain('target RAM:  0x20000000, 8 KiB');
    // The sum of the parts and the occupied span are separate figures (the buffers sit above begin_stack).
    expect(b.text()).toMatch(/RAM needed: {2}40 B code\+data \+ [\d.]+ (B|KiB) stack \+ 1 KiB page buffer = [\d.]+ KiB\n/);
    expect(b.text()).toMatch(/RAM used: {4}0x20000000–0x2000147F \(5.1 KiB occupied with one page buffer, 6.1 KiB with two \(double buffering\)\)/);
    expect(a.errText()).not.toContain('warning');
  });

  it('import-pyocd warns when the module\'s placement cannot work in its RAM', async () => {
    const mod = join(dir, 'target_SMALL.py');
    writeFileSync(mod, MODULE.replace('length=0x2000)', 'length=0x1000)'));
    const a = io();
    expect(await runCli(['algo', 'import-pyocd', mod, '-o', join(dir, 'small.json')], a.io)).toBe(0);
    expect(a.errText()).toMatch(/warning: the algorithm cannot be placed in the RAM the module declares: The flash algorithm needs/);
  });

  it.skipIf(gcc.skip)(gcc.title("info shows an FLM's FlashDevice, entries and RAM needs"), async () => {
    const flm = tc!.flm();
    const a = io();
    expect(await runCli(['algo', 'info', flm.path, '--json'], a.io)).toBe(0);
    const d = JSON.parse(a.text());
    expect(d).toMatchObject({ kind: 'flm', device: { name: 'nRF51xxx 256 KiB NVMC (flashwright test)', pageSize: 1024, eraseTimeoutMs: 3000 }, sectors: [{ start: 0, size: 1024, count: 256 }] });
    expect(Object.keys(d.entries)).toEqual(['Init', 'UnInit', 'EraseChip', 'EraseSector', 'ProgramPage', 'Verify']);
    expect(d.ram.totalDoubleBuffer).toBe(d.ram.totalSingleBuffer + 1024);
  });

  it('fails clearly on a file that is not an algorithm', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"name": "x"}');
    const a = io();
    expect(await runCli(['algo', 'info', bad], a.io)).toBe(1);
    expect(a.errText()).toContain('lacks `instructions`');
  });
});
