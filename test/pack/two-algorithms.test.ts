/**
 * End to end, one session, two flash algorithms: a test-built pack whose part has two flash
 * regions, each with its own default algorithm (FLMs compiled here from our own C): the
 * micro:bit's NVMC flash (nrf51-nvmc.c) and a RAM-backed "NOR" at 0x20002000 (ram-nor.c,
 * which keeps NOR's rules: no 0 -> 1 without an erase, nothing outside its range). The pack
 * also lists an IAR-style default for the NOR region (flashwright must prefer the runnable
 * Keil-style one) and a `$S` path. One image spanning both regions is planned (the plan names
 * each region's algorithm), written, checked against QEMU's own memory, written again (every
 * sector skipped by each algorithm's on-target CRC) and run — through QEMU's GDB stub (--via
 * gdb) and through the simulated CMSIS-DAP probe bridged to QEMU (--via cmsis-dap). Data
 * where no algorithm serves (UICR) is refused before anything is written.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { createQemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import { serveDapTcp } from '../../src/sim/node-dap-tcp.js';
import { FIXTURES, Toolchain } from '../flash-algo/toolchain.js';
import { startQemu } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';
import { packQemuRig } from './qemu-rig.js';
import { buildPack } from './fixture.js';

const peers = needs('qemu-system-arm', 'arm-none-eabi-gcc', 'arm-none-eabi-objcopy', 'srec_cat');
const tc = peers.skip ? undefined : new Toolchain();
const { dir, qemus, bridges, cli } = packQemuRig('fw-pack2algo-', () => tc?.cleanup());

const NOR = 0x20002000;
const NOR_SIZE = 0x2000;

const PDSC = `<?xml version="1.0" encoding="UTF-8"?>
<package schemaVersion="1.7.7"><vendor>Flashwright</vendor><name>TwoAlgo_DFP</name>
  <releases><release version="1.0.0">First</release></releases>
  <devices>
    <family Dfamily="nRF51 Series" Dvendor="Nordic Semiconductor:54">
      <processor Dcore="Cortex-M0" Dclock="16000000"/>
      <memory name="SRAM" access="rwx" start="0x20000000" size="0x2000" default="1"/>
      <device Dname="nRF51822_EXTNOR">
        <memory name="Flash" access="rx" start="0x00000000" size="0x40000" startup="1" default="1"/>
        <memory name="ExtNOR" access="rx" start="0x20002000" size="0x2000"/>
        <memory name="UICR" access="r" start="0x10001000" size="0x100"/>
        <algorithm name="Flash\\nrf51_nvmc.FLM" start="0x00000000" size="0x40000" RAMstart="0x20000000" RAMsize="0x2000" default="1"/>
        <algorithm name="Flash\\ext_nor_iar.out" start="0x20002000" size="0x2000" default="1" style="IAR"/>
        <algorithm name="$S\\Flash\\ext_nor.FLM" start="0x20002000" size="0x2000" RAMstart="0x20000000" RAMsize="0x2000" default="0" style="Keil"/>
      </device>
    </family>
  </devices>
</package>
`;

async function installPack(): Promise<void> {
  const file = join(dir, 'twoalgo.pack');
  writeFileSync(file, buildPack({
    'Flash/nrf51_nvmc.FLM': tc!.flm(['FLM_NAME="nRF51 NVMC (pack)"']).data,
    'Flash/ext_nor.FLM': tc!.flm(['FLM_NAME="ext NOR (pack)"', `NOR_BASE=0x${NOR.toString(16)}u`, `NOR_SIZE=0x${NOR_SIZE.toString(16)}u`], 'ram-nor.c').data,
    // What an IAR flash loader is to flashwright: not an FLM. Loading it would fail; it must not be loaded.
    'Flash/ext_nor_iar.out': new TextEncoder().encode('IAR flash loader'),
  }, PDSC).slice());
  const r = await cli(['pack', 'add', file]);
  expect(r.code, r.text).toBe(0);
}

/** The app ELF as HEX plus 5 KiB of pattern for the NOR region (srec_cat joins them), and what each region must hold. */
function combinedImage(message: string, extra: Array<{ address: number; data: Uint8Array }> = []): { path: string; app: Uint8Array; nor: Uint8Array } {
  // Linked for this part's RAM (8 KiB below the NOR region), so its stack pointer is in RAM.
  const ld = join(dir, 'app-8k.ld');
  writeFileSync(ld, readFileSync(join(FIXTURES, 'app.ld'), 'utf8').replace('RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 16K', 'RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 8K'));
  const elf = tc!.app(message, 1024, ld);
  const hex = join(dir, `app-${qemus.length}-${Date.now()}.hex`);
  execFileSync('arm-none-eabi-objcopy', ['-O', 'ihex', elf, hex]);
  const nor = Uint8Array.from({ length: 0x1400 }, (_, i) => (i * 37 + message.length) & 0xff);
  const parts = [hex, '-intel'];
  for (const [i, piece] of [{ address: NOR, data: nor }, ...extra].entries()) {
    const bin = join(dir, `piece-${i}-${Date.now()}.bin`);
    writeFileSync(bin, piece.data);
    parts.push(bin, '-binary', '-offset', `0x${piece.address.toString(16)}`);
  }
  const out = join(dir, `combined-${Date.now()}.hex`);
  execFileSync('srec_cat', [...parts, '-o', out, '-intel']);
  const img = elfToImage(parseElf(new Uint8Array(readFileSync(elf)), elf), elf);
  return { path: out, app: img.read(0, img.size), nor };
}

describe.skipIf(peers.skip)(peers.title('one image over two flash regions, each with its pack default algorithm, in one session'), () => {
  it('--via gdb on QEMU microbit: plan names both algorithms, write, QEMU holds both, a second write skips all, the firmware runs', async () => {
    await installPack();
    const shown = await cli(['targets', 'show', 'nrf51822_extnor']);
    expect(shown.code, shown.text).toBe(0);
    expect(shown.out).toMatch(/Flash\/ext_nor_iar\.out 0x20002000\+8 KiB — IAR style, which flashwright does not run/);
    const q = await startQemu('microbit', { monitor: true });
    qemus.push(q);
    const via = ['--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nRF51822_EXTNOR'];
    const img = combinedImage('two algorithms via gdb');

    const plan = await cli(['plan', img.path, ...via, '--json']);
    expect(plan.code, plan.text).toBe(0);
    const doc = JSON.parse(plan.out.split('\n').find((l) => l.startsWith('{"type":"plan"'))!) as { algorithms: unknown; operations: Array<{ kind: string; region?: string }> };
    expect(doc.algorithms).toEqual([{ region: 'flash', algorithm: 'nRF51 NVMC (pack)' }, { region: 'extnor', algorithm: 'ext NOR (pack)' }]);
    // QEMU's RAM starts zeroed: the NOR region must be erased by its own algorithm before it is programmed.
    expect(doc.operations.filter((o) => o.region === 'extnor').map((o) => o.kind)).toEqual(expect.arrayContaining(['erase', 'program']));

    const w = await cli(['write', img.path, ...via]);
    expect(w.code, w.text).toBe(0);
    expect(w.text).toContain('flash algorithms Flash/nrf51_nvmc.FLM (nRF51 NVMC (pack)) for flash, Flash/ext_nor.FLM (ext NOR (pack)) for extnor');
    expect(w.text).toContain("algorithm: extnor by 'ext NOR (pack)'");
    // The truth from QEMU itself, not through flashwright's reads.
    expect(await q.physical(0, img.app.length)).toEqual(img.app);
    expect(await q.physical(NOR, img.nor.length)).toEqual(img.nor);

    const again = await cli(['write', img.path, ...via]);
    expect(again.code, again.text).toBe(0);
    expect(again.text).toMatch(/0 sector\(s\) written \(0 erased\), \d+ skipped \(identical\)/);

    const run = await cli(['write', img.path, ...via, '--run']);
    expect(run.code, run.text).toBe(0);
    expect(await q.waitForSerial('two algorithms via gdb\n')).toContain('two algorithms via gdb\n');
  }, 120000);

  it('--via gdb: data where no algorithm serves (UICR) is refused before anything is written', async () => {
    await installPack();
    const q = await startQemu('microbit', { monitor: true });
    qemus.push(q);
    const before = { nor: await q.physical(NOR, 0x100), flash: await q.physical(0, 0x100) };
    const img = combinedImage('never', [{ address: 0x10001000, data: new Uint8Array(8).fill(0x5a) }]);
    const w = await cli(['write', img.path, '--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nRF51822_EXTNOR']);
    expect(w.code).toBe(1);
    expect(w.text).toMatch(/Image data at 0x10001000.*lands in read-only .*uicr/);
    expect(await q.physical(NOR, 0x100)).toEqual(before.nor);
    expect(await q.physical(0, 0x100)).toEqual(before.flash);
  }, 60000);

  it('without a pack: --algo twice, one placed with FILE@ADDRESS, programs both regions of the built-in nRF51822; overlapping algorithms are refused', async () => {
    const q = await startQemu('microbit', { monitor: true });
    qemus.push(q);
    const nvmc = join(dir, 'nvmc.flm');
    writeFileSync(nvmc, tc!.flm(['FLM_NAME="nRF51 NVMC"']).data);
    // A loader whose FlashDevice says address 0 (as relative external-flash loaders do): it must be placed.
    const loader = join(dir, 'nor-at-0.flm');
    writeFileSync(loader, tc!.flm(['FLM_NAME="NOR loader"', 'NOR_BASE=0u', `NOR_SIZE=0x${NOR_SIZE.toString(16)}u`], 'ram-nor.c').data);
    const via = ['--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nrf51822'];
    const img = combinedImage('two --algo via gdb');
    const clash = await cli(['write', img.path, ...via, '--algo', nvmc, '--algo', loader]);
    expect(clash.code, clash.text).toBe(2);
    expect(clash.text).toMatch(/'nRF51 NVMC' \(0x00000000–0x0003FFFF\) and 'NOR loader' \(0x00000000–0x00001FFF\) cover the same flash/);
    const w = await cli(['write', img.path, ...via, '--algo', nvmc, '--algo', `${loader}@0x${NOR.toString(16)}`]);
    expect(w.code, w.text).toBe(0);
    expect(w.text).toContain("algorithm: flash-20002000 by 'NOR loader'");
    expect(await q.physical(0, img.app.length)).toEqual(img.app);
    expect(await q.physical(NOR, img.nor.length)).toEqual(img.nor);
  }, 90000);

  it('--via cmsis-dap on the simulated probe bridged to QEMU: the same image, both algorithms, no --algo', async () => {
    await installPack();
    const q = await startQemu('microbit', { monitor: true });
    qemus.push(q);
    const t = await createQemuTarget({ chip: 'nrf51', open: () => openTcp({ host: '127.0.0.1', port: q.port }) });
    const s = await serveDapTcp(createSimDapProbe({ target: t }), { port: 0 });
    bridges.push({ t, s });
    const via = ['--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${s.port}`, '--target', 'NRF51822_EXTNOR'];
    const img = combinedImage('two algorithms via cmsis-dap');
    const w = await cli(['write', img.path, ...via]);
    expect(w.code, w.text).toBe(0);
    expect(w.text).toContain('for flash, Flash/ext_nor.FLM (ext NOR (pack)) for extnor');
    const back = join(dir, 'nor-back.bin');
    const r = await cli(['read', `0x${NOR.toString(16)}`, `0x${img.nor.length.toString(16)}`, back, ...via]);
    expect(r.code, r.text).toBe(0);
    expect(new Uint8Array(readFileSync(back))).toEqual(img.nor);
    expect(await q.physical(0, img.app.length)).toEqual(img.app);
    expect(await q.physical(NOR, img.nor.length)).toEqual(img.nor);
    const run = await cli(['write', img.path, ...via, '--run']);
    expect(run.code, run.text).toBe(0);
    expect(await q.waitForSerial('two algorithms via cmsis-dap\n')).toContain('two algorithms via cmsis-dap\n');
  }, 150000);
});
