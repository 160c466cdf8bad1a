/**
 * probe-rs target files (YAML as probe-rs's target-gen writes them: variants with cores,
 * memory_map entries tagged !Nvm / !Ram or written as `Nvm:` maps, flash_algorithms with
 * base64 instructions): read as targets with their algorithms, accepted by --target-file
 * (with --target picking a variant) and by `pack add`, and programmed on QEMU microbit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { crc32 } from '../../src/core/crc.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { parseProbeRsFile, probeRsTarget } from '../../src/pack/probe-rs.js';
import { algorithmToDescriptor } from '../../src/protocol/flash-algo/algorithm.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { startQemu, type QemuInstance } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';

const gcc = needs('arm-none-eabi-gcc');
const qemu = needs('qemu-system-arm', 'arm-none-eabi-gcc');
const tc = gcc.skip ? undefined : new Toolchain();
const dir = mkdtempSync(join(tmpdir(), 'fw-probers-'));
const saved = process.env.FLASHWRIGHT_PACK_DIR;
const qemus: QemuInstance[] = [];
beforeAll(() => { process.env.FLASHWRIGHT_PACK_DIR = join(dir, 'store'); });
afterEach(async () => { for (const q of qemus.splice(0)) await q.stop(); });
afterAll(() => {
  if (saved === undefined) delete process.env.FLASHWRIGHT_PACK_DIR; else process.env.FLASHWRIGHT_PACK_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
  tc?.cleanup();
});

/** A probe-rs file with two variants (256 KiB and 128 KiB), the new tagged memory style in one and the old map style in the other. */
function probeRsYaml(): string {
  const big = { ...algorithmToDescriptor(loadFlm(tc!.flm(['FLM_NAME="probe-rs 256K"']).data, 'big.flm')), name: 'nrf51-256', default: true, cores: ['main'] };
  const small = { ...algorithmToDescriptor(loadFlm(tc!.flm(['FLM_NAME="probe-rs 128K"', 'FLM_SIZE=0x20000']).data, 'small.flm')), name: 'nrf51-128', cores: ['main'] };
  const algos = stringify({ flash_algorithms: [big, small] });
  return `name: nRF51 Series (test)
manufacturer:
  id: 0x44
  cc: 0x2
generated_from_pack: true
variants:
- name: nRF51822_xxAA
  cores:
  - name: main
    type: armv6m
    core_access_options: !Arm
      ap: 0
  memory_map:
  - !Nvm
    range:
      start: 0x0
      end: 0x40000
    is_boot_memory: true
    cores:
    - main
  - !Ram
    range:
      start: 0x20000000
      end: 0x20004000
    cores:
    - main
  flash_algorithms:
  - nrf51-256
- name: nRF51822_xxAC
  cores:
  - name: main
    type: armv6m
  memory_map:
  - Nvm:
      range: {start: 0x0, end: 0x20000}
      is_boot_memory: true
  - Ram:
      range: {start: 0x20000000, end: 0x20008000}
  flash_algorithms:
  - nrf51-128
${algos}`;
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (x: string) => { out.push(x); }, err: (x: string) => { err.push(x); }, isTty: false });
  return { code, out: out.join(''), err: err.join('') };
}

describe.skipIf(gcc.skip)(gcc.title('probe-rs target files'), () => {
  it('turns each variant into a target with its algorithm: Nvm sectors from flash_properties, Ram, the boot memory', () => {
    const file = parseProbeRsFile(probeRsYaml(), 'nrf51.yaml');
    expect(file.variants.map((v) => v.name)).toEqual(['nRF51822_xxAA', 'nRF51822_xxAC']);
    const a = probeRsTarget(file, 'nrf51822_xxaa');
    expect(a.target).toMatchObject({ name: 'nRF51822_xxAA', family: 'nRF51 Series (test)', core: 'armv6m' });
    expect(a.target.regions).toEqual([
      { name: 'nvm0', kind: 'flash', algorithm: 'nrf51-256', start: 0, size: 0x40000, sectors: [{ size: 1024, count: 256 }], pageSize: 1024, erasedValue: 0xff, boot: true },
      { name: 'ram1', kind: 'ram', start: 0x20000000, size: 0x4000 },
    ]);
    expect(a.defaults.map((d) => d.algorithm.name)).toEqual(['nrf51-256']);
    expect(a.debug.ap).toBe(0);
    const c = probeRsTarget(file, 'nRF51822_xxAC');
    expect(c.target.regions.map((r) => [r.kind, r.size])).toEqual([['flash', 0x20000], ['ram', 0x8000]]);
    expect(c.defaults[0]!.algorithm.name).toBe('nrf51-128');
  });

  it('names a variant that names an algorithm the file lacks, and a file that is not a probe-rs target', () => {
    const bad = probeRsYaml().replace('  - nrf51-128\n', '  - nrf51-missing\n');
    expect(() => probeRsTarget(parseProbeRsFile(bad, 'bad.yaml'), 'nRF51822_xxAC')).toThrow(/bad\.yaml variant nRF51822_xxAC names the flash algorithm 'nrf51-missing', which the file does not hold/);
    expect(() => parseProbeRsFile('name: x\n', 'x.yaml')).toThrow(/no `variants` list/);
  });

  it('--target-file takes it as it is (--target picks the variant); pack add installs it for --target', async () => {
    const path = join(dir, 'nRF51_Series.yaml');
    writeFileSync(path, probeRsYaml());
    const two = await cli(['targets', 'show', '--target-file', path]);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/probe-rs target file with 2 variants; name one with --target/);
    const show = await cli(['targets', 'show', 'nRF51822_xxAC', '--target-file', path]);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toMatch(/From:\s+probe-rs target file \(nRF51 Series \(test\)\), device nRF51822_xxAC/);
    expect(show.out).toMatch(/Algo:\s+nrf51-128 0x00000000\+128 KiB/);
    const add = await cli(['pack', 'add', path]);
    expect(add.code, add.err).toBe(0);
    expect(add.out).toContain('Installed probe-rs.nRF51 Series (test) -: 2 devices');
    expect((await cli(['targets', 'show', 'NRF51822_XXAC'])).out).toContain('probe-rs target file');
    expect((await cli(['pack', 'list'])).out).toMatch(/probe-rs\.nRF51 Series \(test\)\s+-\s+2 parts\s+probe-rs/);
    await cli(['pack', 'remove', 'probe-rs.nRF51 Series (test)']);
  });

  it.skipIf(qemu.skip)(qemu.title('programs QEMU microbit through --via gdb with --target-file probe-rs.yaml and no --algo'), async () => {
    const q = await startQemu('microbit');
    qemus.push(q);
    const path = join(dir, 'nrf51-e2e.yaml');
    writeFileSync(path, probeRsYaml());
    const app = tc!.app('probe-rs file OK');
    const via = ['--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target-file', path, '--target', 'nRF51822_xxAA'];
    const w = await cli(['write', app, ...via, '--run']);
    expect(w.code, w.err).toBe(0);
    expect(w.err).toContain('flash algorithm nrf51-256 (nrf51-256) for nvm0');
    const back = join(dir, 'back.bin');
    expect((await cli(['read', '0x0', '0x1400', back, ...via])).code).toBe(0);
    const img = elfToImage(parseElf(new Uint8Array(readFileSync(app)), app), app);
    const want = img.read(0, img.size);
    expect(crc32(new Uint8Array(readFileSync(back)).subarray(0, want.length))).toBe(crc32(want));
    expect(await q.waitForSerial('probe-rs file OK\n')).toContain('probe-rs file OK\n');
  }, 60000);
});
