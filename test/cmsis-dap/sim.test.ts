/**
 * The host stack against the simulated probe (src/sim/cmsis-dap, written separately from the
 * specifications): a strict SWD wire, ADIv5 DP, MEM-AP and emulated Cortex-M debug
 * registers, in process. RAM round trips on each chip, flash through a flash algorithm whose
 * functions a resume handler stands in for, the Kinetis MDM-AP secured state, WAIT storms,
 * and a probe unplugged mid-transfer.
 */
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc.js';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { CmsisDapProgrammer, type CmsisDapProgrammerOptions } from '../../src/programmer/cmsis-dap.js';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { createMemoryTarget, createSimDapProbe, type MemoryChip, type MemoryTargetOptions, type SimDapProbeOptions } from '../../src/sim/cmsis-dap/index.js';

function setup(chip: MemoryChip, t: Partial<MemoryTargetOptions> = {}, probe: Partial<SimDapProbeOptions> = {}, host: Partial<CmsisDapProgrammerOptions> = {}) {
  const target = createMemoryTarget({ chip, ...t });
  const sim = createSimDapProbe({ target, ...probe });
  const p = new CmsisDapProgrammer({ open: async () => sim.device, description: `sim ${chip}`, ...host });
  return { target, sim, p };
}

describe('CMSIS-DAP host against the simulated probe', () => {
  for (const chip of ['nrf51', 'cortex-m4', 'kinetis-k64'] as const) {
    it(`${chip}: connects, names DP/AP/core, and round-trips 10 KiB of RAM pipelined`, async () => {
      const { p, sim, target } = setup(chip);
      const info = await p.connect();
      expect(info.details).toMatchObject({ probeProduct: expect.stringMatching(/^flashwright simulated CMSIS-DAP/), halted: true });
      expect(String(info.details!.core)).toMatch(chip === 'nrf51' ? /Cortex-M0/ : /Cortex-M4/);
      const data = Uint8Array.from({ length: 10 * 1024 + 3 }, (_, i) => (i * 13 + 1) & 0xff);
      await p.writeMemory(0x20000001, data);
      expect(target.core.peek(0x20000001, data.length)).toEqual(data);
      expect(await p.readMemory(0x20000001, data.length)).toEqual(data);
      expect(sim.stats.maxInFlight).toBeGreaterThan(1);
      await p.close();
    });
  }

  it('reaches the JTAG-DP through the probe\'s JTAG port (SWD-to-JTAG, IDCODE, DAP_Transfer over JTAG)', async () => {
    const { p, target, sim } = setup('cortex-m4', {}, {}, { transport: 'jtag' });
    const info = await p.connect();
    expect(info.details).toMatchObject({ transport: 'jtag', wakeUp: 'swd-to-jtag', jtagIdcode: expect.stringMatching(/Arm JTAG-DP/) });
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    await p.writeMemory(0x20000000, data);
    expect(target.core.peek(0x20000000, data.length)).toEqual(data);
    expect(await p.readMemory(0x20000000, data.length)).toEqual(data);
    expect(sim.stats).toBeDefined();
    await p.close();
  });

  it('keeps one packet in flight when asked (bench comparison mode)', async () => {
    const { p, sim } = setup('cortex-m4', {}, {}, { maxInFlight: 1 });
    await p.connect();
    await p.writeMemory(0x20000000, new Uint8Array(4096));
    expect(sim.stats.maxInFlight).toBe(1);
    await p.close();
  });

  it('survives WAIT on every AP access (the probe retries within its bound)', async () => {
    const { p, target } = setup('cortex-m4', { waitsPerApAccess: 3 });
    await p.connect();
    await p.writeMemory(0x20000000, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(target.core.peek(0x20000000, 8)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    await p.close();
  });

  it('a read from unmapped memory is a FAULT with STICKYERR, and the next access works', async () => {
    const { p } = setup('cortex-m4');
    await p.connect();
    await expect(p.readMemory(0x60000000, 16)).rejects.toMatchObject({ code: 'DAP_FAULT' });
    expect((await p.readMemory(0x20000000, 4)).length).toBe(4);
    await p.close();
  });

  it('a probe unplugged mid-transfer fails the call with a link error, not a hang', async () => {
    let n = 0;
    const { p } = setup('cortex-m4', {}, { faults: { onResponse: (i) => (i > 60 && ++n === 1 ? 'unplug' : undefined) } });
    await p.connect().catch(() => undefined);
    await expect(p.writeMemory(0x20000000, new Uint8Array(8192))).rejects.toMatchObject({ code: expect.stringMatching(/DAP_LINK|PROBE_UNPLUGGED/) });
  });

  it('Kinetis secured: connect reports and explains it without changing the chip; the mass erase is a plan change', async () => {
    const { p, target } = setup('kinetis-k64', { secured: true });
    const info = await p.connect();
    expect(info.protection?.readProtected).toBe(true);
    expect(String(info.details!.security)).toMatch(/secured/);
    expect(target.secured).toBe(true);
    expect(target.core.peek(0, 4)).toEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    await expect(p.readMemory(0, 4)).rejects.toMatchObject({ code: 'KINETIS_SECURED' });
    const change = p.describeChange('mass-erase-unsecure', info)!;
    expect(change).toMatchObject({ stage: 'unlock', destroys: 'mass erase through MDM-AP: all flash lost' });
    expect(target.mdm!.stats.massErases).toBe(0);
    await p.applyChange(change);
    expect(target.mdm!.stats.massErases).toBe(1);
    expect(target.secured).toBe(false);
    expect(await p.readMemory(0x400, 16)).toEqual(new Uint8Array(16).fill(0xff));
    await p.close();
  });
});

/** An algorithm whose functions the simulated core's resume handler carries out (the memory model executes no code). */
function emulatedAlgorithm(): FlashAlgorithm {
  return {
    name: 'emulated', source: 'test', instructions: new Uint8Array(0x80),
    entries: { init: 0x00, uninit: 0x10, eraseSector: 0x20, programPage: 0x30 },
    staticBaseOffset: 0x40, stackSize: 0x400, ram: { start: 0x20000000, size: 0x4000 },
    flash: { name: 'nRF51 (emulated)', start: 0, size: 0x40000, pageSize: 1024, erasedValue: 0xff, sectors: [{ size: 1024, offset: 0 }], programTimeoutMs: 500, eraseTimeoutMs: 1000 },
  };
}

describe('flash through the AlgorithmProgrammer on the simulated core', () => {
  it('erases, programs and verifies by on-target CRC-32 (nRF51, ARMv6-M)', async () => {
    const { p, target } = setup('nrf51', {}, {}, { algorithm: emulatedAlgorithm() });
    const calls: string[] = [];
    target.core.onResume = (core) => {
      const l = p.algo!.runner.layout;
      const r = (n: number) => core.regs.get(n) ?? 0;
      const pc = r(15) & ~1;
      const flash = core.regions[0]!;
      let result = 0;
      if (pc === l.loadAddress + 0x00) calls.push('Init');
      else if (pc === l.loadAddress + 0x10) calls.push('UnInit');
      else if (pc === l.loadAddress + 0x20) { calls.push('EraseSector'); flash.bytes.fill(0xff, r(0), r(0) + 1024); }
      else if (pc === p.algo!.runner.eraseLoopAddress && (r(7) & ~1) === l.loadAddress + 0x20) {
        // The runner's erase loop (ERASE_LOOP: EraseSector for r5 sectors of r6 bytes from r4; it
        // really runs on QEMU in test/cmsis-dap/qemu.test.ts), emulated with EraseSector's effect.
        for (; r(5) > 0; core.regs.set(4, r(4) + r(6)), core.regs.set(5, r(5) - 1)) { calls.push('EraseSector'); flash.bytes.fill(0xff, r(4), r(4) + r(6)); }
        core.regs.set(0, 0);
        core.regs.set(15, r(8) & ~1);
        return { halt: 'bkpt' };
      }
      else if (pc === l.loadAddress + 0x30) { calls.push('ProgramPage'); flash.bytes.set(core.peek(r(2), r(1)), r(0)); }
      else if (pc === l.crcRoutine) { calls.push('CRC'); result = crc32(core.peek(r(0), r(1))); }
      else return { halt: 'bkpt' }; // anything else: stop where it is (the runner reports a crash)
      core.regs.set(0, result >>> 0);
      core.regs.set(15, r(14) & ~1);
      return { halt: 'bkpt' };
    };
    target.core.poke(0x1000, new Uint8Array(3072)); // old contents: the three sectors need erasing
    const info = await p.connect();
    expect(info.details).toMatchObject({ algorithm: 'emulated' });
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    const img = MemoryImage.fromSegments([{ address: 0x1000, data }]);
    const summary = await writeImage(p, info, img, { verify: 'digest' });
    expect(summary.sectorsErased).toBe(3);
    expect(target.core.peek(0x1000, data.length)).toEqual(data);
    expect(calls.filter((c) => c === 'EraseSector')).toHaveLength(3);
    expect(calls).toContain('ProgramPage');
    expect(calls).toContain('CRC');
    await p.close();
  });
});
