import { afterAll, describe, expect, it } from 'vitest';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { zipSync } from 'fflate';
import { filesFromZip, PROGRAMMING_FILES } from '../../src/pack/files.js';
import { checkPack, openPack, packTarget } from '../../src/pack/pack.js';
import { parsePdsc } from '../../src/pack/pdsc.js';
import { buildFlms, buildPack, PDSC } from './fixture.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
afterAll(() => tc?.cleanup());

describe('the .pdsc reader', () => {
  it('reads the package, every device and variant, with inheritance through family, subFamily, device and variant', () => {
    const p = parsePdsc(PDSC, 'test.pdsc');
    expect(p).toMatchObject({ vendor: 'Flashwright', name: 'TestNRF51_DFP', version: '1.2.0', description: 'Test pack for flashwright & its tests' });
    expect(p.devices.map((d) => d.name)).toEqual(['nRF51822_xxAA', 'nRF51822-QFAA-R', 'nRF51822_xxAC', 'nRF51DUAL']);
    const variant = p.devices[1]!;
    expect(variant).toMatchObject({ variantOf: 'nRF51822_xxAA', vendor: 'Nordic Semiconductor', family: 'nRF51 Series', subFamily: 'nRF51822' });
    // Family RAM (id style), device flash (name style); subFamily + device algorithms; $D is the device name, not the variant's.
    expect(variant.memories.map((m) => [m.name, m.access, m.start, m.size])).toEqual([['IRAM1', 'rwx', 0x20000000, 0x4000], ['Flash', 'rx', 0, 0x40000], ['UICR', 'r', 0x10001000, 0x100]]);
    expect(variant.algorithms.map((a) => [a.path, a.default])).toEqual([['Flash\\nrf51_broken.FLM', false], ['Flash\\nRF51822_xxAA.FLM', true]]);
    expect(variant.debug).toEqual([{ ap: 0, dp: 0, svd: 'SVD\\nrf51.svd' }]);
    // The device's IRAM1 replaces the family's; its processor refines the family's clock only.
    const ac = p.devices[2]!;
    expect(ac.memories.find((m) => m.name === 'IRAM1')?.size).toBe(0x8000);
    expect(ac.processors).toEqual([{ core: 'Cortex-M0', fpu: 'NO_FPU', endian: 'Little-endian', clock: 32000000 }]);
    const dual = p.devices[3]!;
    expect(dual.processors.map((x) => [x.pname, x.core])).toEqual([[undefined, 'Cortex-M0'], ['cm0a', 'Cortex-M0'], ['cm0b', 'Cortex-M0+']]);
    expect(dual.sequences).toEqual(['ResetSystem', 'MyHelper']);
  });

  it('names line and column of malformed XML', () => {
    const bad = PDSC.replace('<name>TestNRF51_DFP</name>', '<name>TestNRF51_DFP</nme>');
    const line = bad.split('\n').findIndex((l) => l.includes('</nme>')) + 1;
    expect(() => parsePdsc(bad, 'bad.pdsc')).toThrow(new RegExp(`bad\\.pdsc is not well-formed XML at line ${line}, column \\d+`));
  });

  it('a lower level\'s memory of the same name extends the inherited one attribute by attribute', () => {
    // nRF51822_xxAC's IRAM1 written without a size keeps the family's size (pdsc memory: "the parent one is extended/overwritten").
    const p = parsePdsc(PDSC.replace('size="0x8000" init', 'init'), 'x.pdsc');
    expect(p.devices[2]!.memories.find((m) => m.name === 'IRAM1')).toMatchObject({ start: 0x20000000, size: 0x4000, access: 'rwx' });
  });

  it('names a missing attribute and a non-number', () => {
    expect(() => parsePdsc(PDSC.replace('start="0x10001000" size="0x100"', 'start="0x10001000"'), 'x.pdsc')).toThrow(/<memory> without its size attribute/);
    expect(() => parsePdsc(PDSC.replace('size="0x8000"', 'size="lots"'), 'x.pdsc')).toThrow(/size="lots">, which is not a number/);
  });
});

describe.skipIf(peers.skip)(peers.title('CMSIS-Pack devices become target descriptions with their FLMs'), () => {
  const flms = tc ? buildFlms(tc) : {};

  it('takes sectors, page size and erased value from the default FLM, and marks memory no algorithm covers', () => {
    const pack = openPack(filesFromZip(buildPack(flms), 'test.pack'));
    const t = packTarget(pack, 'nrf51822-qfaa-r');
    expect(t.target).toMatchObject({ name: 'nRF51822-QFAA-R', vendor: 'Nordic Semiconductor', family: 'nRF51 Series / nRF51822', core: 'Cortex-M0' });
    expect(t.target.source).toBe('CMSIS-Pack Flashwright.TestNRF51_DFP 1.2.0 (variant of nRF51822_xxAA nRF51822-QFAA-R)');
    expect(t.target.regions).toEqual([
      { name: 'iram1', kind: 'ram', start: 0x20000000, size: 0x4000 },
      { name: 'flash', kind: 'flash', start: 0, size: 0x40000, sectors: [{ size: 1024, count: 256 }], pageSize: 1024, erasedValue: 0xff, algorithm: 'nRF51 256K (pack default)', note: 'algorithm Flash/nRF51822_xxAA.FLM', boot: true },
      { name: 'uicr', kind: 'rom', start: 0x10001000, size: 0x100, note: 'no flash algorithm in the pack covers it' },
    ]);
    expect(t.defaults.map((a) => a.algorithm.name)).toEqual(['nRF51 256K (pack default)']);
    expect(t.algorithms.map((a) => a.ref.default)).toEqual([true, false]);
    expect(t.defaults[0]!.algorithm.ram).toEqual({ start: 0x20000000, size: 0x4000 });
    expect(t.warnings.join('\n')).toMatch(/uicr 0x10001000.*no flash algorithm of the pack covers it/);
  });

  it('gives each core of a multi-core part its own memory, algorithm, RAM and access port', () => {
    const pack = openPack(filesFromZip(buildPack(flms), 'test.pack'));
    const a = packTarget(pack, 'NRF51DUAL');
    const b = packTarget(pack, 'nrf51dual:CM0B');
    expect(a.target.name).toBe('nRF51DUAL:cm0a');
    expect(a.target.regions.map((r) => r.name)).toEqual(['iram1', 'flasha']);
    expect(a.debug.ap).toBe(0);
    expect(b.target).toMatchObject({ name: 'nRF51DUAL:cm0b', core: 'Cortex-M0+' });
    // The family's RAM overlaps core B's own: the core's own memory wins.
    expect(b.target.regions.map((r) => [r.name, r.size])).toEqual([['flashb', 0x20000], ['ramb', 0x2000]]);
    expect(b.defaults[0]!.algorithm).toMatchObject({ name: 'nRF51 128K', ram: { start: 0x20002000, size: 0x2000 } });
    expect(b.debug.ap).toBe(1);
    expect(b.unsupportedSequences).toEqual(['ResetSystem']);
    expect(b.warnings.join('\n')).toMatch(/overrides the debug sequence ResetSystem, which flashwright does not run/);
  });

  it('names a missing FLM, and checkPack finds it for every device that needs it', () => {
    const pack = openPack(filesFromZip(buildPack(flms, PDSC, ['Flash/nrf51_128.flm']), 'test.pack'));
    expect(() => packTarget(pack, 'nRF51822_xxAC')).toThrow(/Flashwright\.TestNRF51_DFP: the flash algorithm \.\/Flash\/nrf51_128\.flm that device nRF51822_xxAC names is not in the pack/);
    const { errors } = checkPack(pack);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/device nRF51822_xxAC names/), expect.stringMatching(/device nRF51DUAL names/)]);
  });

  it('refuses a damaged download by the zip CRC', () => {
    const zip = buildPack(flms);
    // Flip a byte inside the first member's data (after its local header: 30 bytes + name + extra).
    const v = new DataView(zip.buffer, zip.byteOffset);
    const dataStart = 30 + v.getUint16(26, true) + v.getUint16(28, true);
    const bad = zip.slice();
    bad[dataStart + 20] = bad[dataStart + 20]! ^ 0x55;
    expect(() => filesFromZip(bad, 'bad.pack')).toThrow(/bad\.pack is (damaged|a damaged zip)/);
  });

  it('opens only the .pdsc and the FLMs of a pack when asked (SVDs and docs stay compressed), also inside a top folder', () => {
    const zip = zipSync({ 'Top/x.pdsc': new Uint8Array([60]), 'Top/Flash/A.FLM': new Uint8Array([1]), 'Top/SVD/big.svd': new Uint8Array(1000), 'Top/Doc/readme.txt': new Uint8Array(5) });
    expect(filesFromZip(zip, 'z.pack').list().sort()).toEqual(['Doc/readme.txt', 'Flash/A.FLM', 'SVD/big.svd', 'x.pdsc']);
    expect(filesFromZip(zip, 'z.pack', { only: PROGRAMMING_FILES }).list().sort()).toEqual(['Flash/A.FLM', 'x.pdsc']);
  });
});
