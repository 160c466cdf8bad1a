/**
 * The proof on real emulation: flashwright --via cmsis-dap through the simulated probe bridged
 * to QEMU's GDB stub, over the CMSIS-DAP TCP framing (--probe tcp:HOST:PORT), so the code
 * really runs on QEMU's Cortex-M: QEMU microbit (nRF51822) programmed with pyOCD's nRF51
 * algorithm imported at test time (its NVMC really erases and programs) and the firmware
 * prints on the UART; a RAM program on mps2-an385 (Cortex-M3) written and started.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { crc32 } from '../../src/core/crc.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { createQemuTarget, type QemuChip, type QemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import { serveDapTcp, type DapTcpServer } from '../../src/sim/node-dap-tcp.js';
import { PYOCD_NRF51, Toolchain } from '../flash-algo/toolchain.js';
import { startQemu, type QemuInstance } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';

const peers = needs('qemu-system-arm', 'arm-none-eabi-gcc', 'python3-pyocd');
const tc = peers.skip ? undefined : new Toolchain();
const running: Array<{ q: QemuInstance; t: QemuTarget; s: DapTcpServer }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) { await r.s.close().catch(() => undefined); await r.t.close().catch(() => undefined); await r.q.stop(); }
});
afterAll(() => tc?.cleanup());

async function probeOnQemu(machine: 'microbit' | 'mps2-an385', chip: QemuChip) {
  const q = await startQemu(machine);
  const t = await createQemuTarget({ chip, open: () => openTcp({ host: '127.0.0.1', port: q.port }) });
  const s = await serveDapTcp(createSimDapProbe({ target: t }), { port: 0 });
  running.push({ q, t, s });
  return { q, t, probe: `tcp:127.0.0.1:${s.port}` };
}

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (x: string) => { out.push(x); }, err: (x: string) => { err.push(x); }, isTty: false }, out, err, text: () => out.join('') + err.join('') };
}

describe.skipIf(peers.skip)(peers.title('--via cmsis-dap on QEMU through the simulated probe'), () => {
  it('programs QEMU microbit with the pyOCD nRF51 algorithm over --probe tcp:, verifies, reads back, and the firmware runs', async () => {
    const { q, probe } = await probeOnQemu('microbit', 'nrf51');
    const app = tc!.app('cmsis-dap pyOCD OK');
    const algo = join(tc!.dir, 'nrf51-pyocd.json');
    const a = captureIo();
    expect(await runCli(['algo', 'import-pyocd', PYOCD_NRF51, '-o', algo], a.io), a.text()).toBe(0);
    const via = ['--via', 'cmsis-dap', '--probe', probe, '--algo', algo, '--target', 'nrf51822'];
    const info = captureIo();
    expect(await runCli(['info', ...via, '--json'], info.io), info.text()).toBe(0);
    expect(info.out.join('')).toMatch(/Cortex-M0/);
    const w = captureIo();
    expect(await runCli(['write', app, ...via], w.io), w.text()).toBe(0);
    expect(w.text()).toContain('CRC-32 computed on the target');
    const back = join(tc!.dir, 'dap-back.bin');
    const r = captureIo();
    expect(await runCli(['read', '0x0', '0x1400', back, ...via], r.io), r.text()).toBe(0);
    const img = elfToImage(parseElf(new Uint8Array(readFileSync(app)), app), app);
    const expected = img.read(0, img.size);
    expect(crc32(new Uint8Array(readFileSync(back)).subarray(0, expected.length))).toBe(crc32(expected));
    const w2 = captureIo();
    expect(await runCli(['write', app, ...via, '--run'], w2.io), w2.text()).toBe(0);
    expect(await q.waitForSerial('cmsis-dap pyOCD OK\n')).toContain('cmsis-dap pyOCD OK\n');
  }, 60000);

  it('writes a RAM program into mps2-an385 without an algorithm and runs it', async () => {
    const { q, probe } = await probeOnQemu('mps2-an385', 'mps2-an385');
    const app = tc!.mps2RamApp('cmsis-dap ram program OK');
    const w = captureIo();
    expect(await runCli(['write', app, '--via', 'cmsis-dap', '--probe', probe, '--run'], w.io), w.text()).toBe(0);
    expect(await q.waitForSerial('cmsis-dap ram program OK\n')).toContain('cmsis-dap ram program OK\n');
  }, 60000);
});
