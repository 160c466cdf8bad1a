/**
 * End to end: a part from the test pack (its default FLM compiled here from our own C) is
 * programmed without --algo on QEMU's micro:bit, (a) through QEMU's GDB stub (--via gdb) and
 * (b) through the simulated CMSIS-DAP probe bridged to QEMU (--via cmsis-dap --probe tcp:).
 * The pack's non-default algorithm fails every ProgramPage, so picking it would show; the
 * firmware's UART line proves what was programmed runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { createQemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import { serveDapTcp } from '../../src/sim/node-dap-tcp.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { startQemu } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';
import { packQemuRig } from './qemu-rig.js';
import { buildFlms, buildPack } from './fixture.js';

const peers = needs('qemu-system-arm', 'arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const { dir, qemus, bridges, cli } = packQemuRig('fw-packqemu-', () => tc?.cleanup());

async function installPack(): Promise<void> {
  const file = join(dir, 'test.pack');
  writeFileSync(file, buildPack(buildFlms(tc!)));
  const r = await cli(['pack', 'add', file]);
  expect(r.code, r.text).toBe(0);
}

function expectedCrc(app: string): { crc: number; length: number } {
  const img = elfToImage(parseElf(new Uint8Array(readFileSync(app)), app), app);
  const bytes = img.read(0, img.size);
  return { crc: crc32(bytes), length: bytes.length };
}

describe.skipIf(peers.skip)(peers.title('a pack part programmed on QEMU microbit without --algo'), () => {
  /** Writes the app (the note names the pack's algorithm), reads it back by CRC, then writes with --run and waits for its line. */
  async function writeReadBackRun(q: { waitForSerial(text: string): Promise<string> }, app: string, via: string[], name: string, note: string, line: string): Promise<void> {
    const w = await cli(['write', app, ...via]);
    expect(w.code, w.text).toBe(0);
    expect(w.text).toContain(note);
    const back = join(dir, `back-${name}.bin`);
    const r = await cli(['read', '0x0', '0x1400', back, ...via]);
    expect(r.code, r.text).toBe(0);
    const want = expectedCrc(app);
    expect(crc32(new Uint8Array(readFileSync(back)).subarray(0, want.length))).toBe(want.crc);
    const run = await cli(['write', app, ...via, '--run']);
    expect(run.code, run.text).toBe(0);
    expect(await q.waitForSerial(line)).toContain(line);
  }

  it('--via gdb: the pack\'s default FLM programs, verifies, reads back, and the firmware runs', async () => {
    await installPack();
    const q = await startQemu('microbit');
    qemus.push(q);
    const app = tc!.app('pack via gdb OK');
    const via = ['--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nrf51822-qfaa-r'];
    await writeReadBackRun(q, app, via, 'gdb', 'note: nRF51822-QFAA-R from pack Flashwright.TestNRF51_DFP 1.2.0; flash algorithm Flash/nRF51822_xxAA.FLM (nRF51 256K (pack default)) for flash', 'pack via gdb OK\n');
  }, 60000);

  it('--via cmsis-dap on the simulated probe bridged to QEMU: the same pack part, no --algo', async () => {
    await installPack();
    const q = await startQemu('microbit');
    qemus.push(q);
    const t = await createQemuTarget({ chip: 'nrf51', open: () => openTcp({ host: '127.0.0.1', port: q.port }) });
    const s = await serveDapTcp(createSimDapProbe({ target: t }), { port: 0 });
    bridges.push({ t, s });
    const app = tc!.app('pack via cmsis-dap OK');
    const via = ['--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${s.port}`, '--target', 'NRF51822_XXAA'];
    await writeReadBackRun(q, app, via, 'dap', 'flash algorithm Flash/nRF51822_xxAA.FLM (nRF51 256K (pack default))', 'pack via cmsis-dap OK\n');
  }, 90000);

  it('--algo still wins over the pack: the pack\'s broken non-default algorithm given explicitly fails ProgramPage', async () => {
    await installPack();
    const q = await startQemu('microbit');
    qemus.push(q);
    const broken = join(dir, 'broken.flm');
    writeFileSync(broken, buildFlms(tc!)['Flash/NRF51_BROKEN.FLM']!);
    const w = await cli(['write', tc!.app('never'), '--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nrf51822-qfaa-r', '--algo', broken]);
    expect(w.code).toBe(1);
    expect(w.text).toMatch(/ProgramPage\(0x00000000.*returned 1/);
  }, 60000);
});
