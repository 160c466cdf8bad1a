/**
 * The simulated probe bridged to QEMU's GDB stub (microbit: nRF51822, Cortex-M0): the DP
 * and AP models in front, QEMU's memory and core behind. Driven by the tests' own small
 * host; OpenOCD drives the same bridge in openocd.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openTcp } from '../../src/link/node-tcp.js';
import { createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { createQemuTarget, type QemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import { startQemu, type QemuInstance } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';
import { TestHost } from './host.js';

const qemu = needs('qemu-system-arm');

const running: Array<{ q: QemuInstance; t: QemuTarget }> = [];
afterEach(async () => { for (const r of running.splice(0)) { await r.t.close().catch(() => undefined); await r.q.stop(); } });

async function bridge() {
  const q = await startQemu('microbit');
  const t = await createQemuTarget({ chip: 'nrf51', open: () => openTcp({ host: '127.0.0.1', port: q.port }) });
  running.push({ q, t });
  const probe = createSimDapProbe({ target: t });
  return { q, t, probe, host: new TestHost(probe.device) };
}

describe.skipIf(qemu.skip)(qemu.title('CMSIS-DAP probe bridged to QEMU microbit'), () => {
  it('reads FICR and writes RAM through the MEM-AP; runs, halts and reads registers through the debug registers', async () => {
    const { host, t } = await bridge();
    expect(await host.attach()).toBe(0x0bb11477);
    expect(await host.readWord(0x10000010)).toBe(1024); // FICR CODEPAGESIZE, from QEMU's model
    await host.writeWord(0x20000100, 0x12345678);
    await host.writeWord(0x20000104, 0x9abcdef0);
    expect(await host.readWord(0x20000104)).toBe(0x9abcdef0);
    expect(await host.readWord(0x20000100)).toBe(0x12345678);
    // A tiny program: `b .` at 0x20000200; PC there, run, halt, the PC is still there.
    await host.writeWord(0x20000200, 0xe7fee7fe);
    await host.writeWord(0xe000edf0, 0xa05f0003);
    await host.writeWord(0xe000edf8, 0x20000200);
    await host.writeWord(0xe000edf4, 0x1000f);
    await host.writeWord(0xe000edf8, 0x01000000);
    await host.writeWord(0xe000edf4, 0x10010);
    await host.writeWord(0xe000edf0, 0xa05f0001);
    expect((await host.readWord(0xe000edf0)) & 0x20000).toBe(0);
    // Memory access while it runs (the bridge stops QEMU around it, the host does not see it).
    expect(await host.readWord(0x20000100)).toBe(0x12345678);
    expect((await host.readWord(0xe000edf0)) & 0x20000).toBe(0);
    await host.writeWord(0xe000edf0, 0xa05f0003);
    expect((await host.readWord(0xe000edf0)) & 0x20000).toBe(0x20000);
    await host.writeWord(0xe000edf4, 15);
    expect(await host.readWord(0xe000edf8)).toBe(0x20000200);
    expect(t.core.counters.transparentHalts).toBeGreaterThan(0);
  });

  it('a BKPT instruction the host loaded halts the core as on silicon (DFSR.BKPT), not a HardFault', async () => {
    const { host } = await bridge();
    await host.attach();
    // movs r0, #42 ; bkpt #0 ; b .
    await host.writeWord(0x20000300, 0xbe00202a);
    await host.writeWord(0x20000304, 0xe7fee7fe);
    await host.writeWord(0xe000edf0, 0xa05f0003);
    await host.writeWord(0xe000edf8, 0x20000300); await host.writeWord(0xe000edf4, 0x1000f);
    await host.writeWord(0xe000edf8, 0x01000000); await host.writeWord(0xe000edf4, 0x10010);
    await host.writeWord(0xe000ed30, 0x1f); // clear DFSR
    await host.writeWord(0xe000edf0, 0xa05f0001);
    let dhcsr = 0;
    for (let i = 0; i < 50 && !(dhcsr & 0x20000); i++) dhcsr = await host.readWord(0xe000edf0);
    expect(dhcsr & 0x20000).toBe(0x20000);
    expect((await host.readWord(0xe000ed30)) & 0x2).toBe(0x2);
    await host.writeWord(0xe000edf4, 15);
    expect(await host.readWord(0xe000edf8)).toBe(0x20000302);
    await host.writeWord(0xe000edf4, 0);
    expect(await host.readWord(0xe000edf8)).toBe(42);
  });

  it('a write to the NVMC (MMIO) is made by the core, so QEMU\'s flash controller really erases a page', async () => {
    const { host } = await bridge();
    await host.attach();
    await host.writeWord(0xe000edf0, 0xa05f0003);
    expect(await host.readWord(0x400)).toBe(0); // QEMU's microbit flash reads 0 before the first erase
    await host.writeWord(0x4001e504, 2); // CONFIG = EEN
    await host.writeWord(0x4001e508, 0x400); // ERASEPAGE
    expect(await host.readWord(0x4001e400)).toBe(1); // READY
    await host.writeWord(0x4001e504, 1); // WEN
    await host.writeWord(0x404, 0x11223344); // a debugger write to flash goes through the NVMC too
    await host.writeWord(0x4001e504, 0);
    expect(await host.readWord(0x400)).toBe(0xffffffff);
    expect(await host.readWord(0x404)).toBe(0x11223344);
    await host.writeWord(0x408, 0x55555555); // WEN clear: ignored, as the NVMC does
    expect(await host.readWord(0x408)).toBe(0xffffffff);
  });
});
