/**
 * `--via sim` behaves as the chip: i.MX RT FlexSPI NOR is not configured after power-up, so
 * the seeds' "No flash configured at 0x60000000" is reproducible in the simulator; it works
 * once configured by --flexspi-option or by the configuration block a target file names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-sim-strict-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(args: string[]) {
  const out: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { out.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, text: out.join('') };
}

function app(): string {
  const path = join(dir, 'app.bin');
  writeFileSync(path, new Uint8Array(0x400).fill(0x5a));
  return path;
}

describe('--via sim --target mimxrt1021', () => {
  it('refuses FlexSPI NOR until it is configured, naming the address and how to configure it', async () => {
    const state = join(dir, 'rt.json');
    const r = await run(['write', app(), '--base', '0x60002000', '--via', 'sim', '--target', 'mimxrt1021', '--sim-state', state]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/No flash is configured at 0x60002000/);
    expect(r.text).toMatch(/--flexspi-option 0xC0000007/);
  });

  it('writes once --flexspi-option configures it; the next run must configure again', async () => {
    const state = join(dir, 'rt2.json');
    const ok = await run(['write', app(), '--base', '0x60002000', '--via', 'sim', '--target', 'mimxrt1021', '--sim-state', state, '--flexspi-option', '0xC0000007']);
    expect(ok.code, ok.text).toBe(0);
    const again = await run(['verify', app(), '--base', '0x60002000', '--via', 'sim', '--target', 'mimxrt1021', '--sim-state', state]);
    expect(again.code).not.toBe(0);
    expect(again.text).toMatch(/not configured|No flash is configured/);
  });

  it('a target file that names the configuration block configures it', async () => {
    const file = join(dir, 'board.yaml');
    writeFileSync(file, [
      'extends: mimxrt1021',
      'name: MIMXRT1021',
      'regions:',
      '  - { name: flexspi, kind: external-nor, start: 0x60000000, size: 8M, sectors: [{ size: 4K, count: 2048 }], pageSize: 256,',
      '      needsConfiguration: true, configuration: { flexspiOption: ["0xC0000007"] } }',
    ].join('\n'));
    const r = await run(['write', app(), '--base', '0x60002000', '--via', 'sim', '--target-file', file, '--sim-state', join(dir, 'rt3.json')]);
    expect(r.code, r.text).toBe(0);
  });
});

describe('--target by part number', () => {
  it('write --target stm32f103c8 --via sim programs the 64 KiB part and refuses what lies beyond it', async () => {
    const d = new Uint8Array(0x800).fill(0x22);
    new DataView(d.buffer).setUint32(0, 0x20004000, true);
    new DataView(d.buffer).setUint32(4, 0x08000101, true);
    const fw = join(dir, 'bp.bin');
    writeFileSync(fw, d);
    const ok = await run(['write', fw, '--base', '0x08000000', '--via', 'sim', '--target', 'stm32f103c8', '--sim-state', join(dir, 'bp.json')]);
    expect(ok.code, ok.text).toBe(0);
    expect(ok.text).toMatch(/STM32F103C8: 2 sector\(s\) written/);
    const far = await run(['write', fw, '--base', '0x08010000', '--via', 'sim', '--target', 'stm32f103c8t6', '--sim-state', join(dir, 'bp.json')]);
    expect(far.code).toBe(1);
    expect(far.text).toMatch(/0x08010000/);
  });
});
