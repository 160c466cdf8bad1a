/**
 * ADIv5 DP/MEM-AP and the Cortex-M core over the scripted probe: the wake-up sequence on the
 * wire, power-up, AP discovery, TAR rewritten at every 1 KiB boundary, byte-lane edges, a
 * bus FAULT decoded and recovered from, core registers through DCRSR/DCRDR with S_REGRDY
 * matched by the probe, reset with vector catch, and FPB rev 1 / rev 2 breakpoints.
 */
import { describe, expect, it } from 'vitest';
import { DapSession } from '../../src/protocol/cmsis-dap/session.js';
import { DapTransferError } from '../../src/protocol/cmsis-dap/errors.js';
import { DebugPort } from '../../src/protocol/adi/dp.js';
import { MemAp } from '../../src/protocol/adi/mem-ap.js';
import { CortexM } from '../../src/protocol/adi/cortex-m.js';
import { decodeApIdr, decodeDpidr } from '../../src/protocol/adi/registers.js';
import { FakeProbe, type FakeProbeOptions } from './fake-probe.js';

async function connect(options: FakeProbeOptions = {}) {
  const probe = new FakeProbe(options);
  const dap = new DapSession(probe);
  await dap.readInfo();
  const dp = new DebugPort(dap);
  await dp.connect();
  await dp.powerUp();
  const ap = new MemAp(dp, 0);
  return { probe, dap, dp, ap };
}

describe('ADIv5 debug port', () => {
  it('sends line reset, JTAG-to-SWD (0xE79E), line reset, idle, then reads DPIDR; decodes it', async () => {
    const { probe, dp } = await connect();
    const seqs = probe.sent.filter((p) => p[0] === 0x12).slice(0, 4).map((p) => Array.from(p));
    expect(seqs[0]).toEqual([0x12, 56, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(seqs[1]).toEqual([0x12, 16, 0x9e, 0xe7]);
    expect(seqs[2]![1]).toBe(56);
    expect(seqs[3]).toEqual([0x12, 8, 0x00]);
    expect(dp.dpidr).toMatchObject({ raw: 0x2ba01477, version: 1, designer: 0x23b, partNo: 0xba, revision: 2 });
    expect(dp.wakeUp).toBe('jtag-to-swd');
    expect(decodeDpidr(0x0bc11477).description).toMatch(/DPv1 \(Arm\), part 0xbc/);
  });

  it('a probe that claims atomic commands but answers DAP_ERROR to DAP_ExecuteCommands is driven one command per packet', async () => {
    const { probe, dp } = await connect({ claimAtomic: true });
    expect(probe.sent.filter((p) => p[0] === 0x7f)).toHaveLength(1); // tried once, refused
    expect(probe.sent.filter((p) => p[0] === 0x12).map((p) => p[1])).toEqual([56, 16, 56, 8]);
    expect(dp.dpidr?.raw).toBe(0x2ba01477);
  });

  it('discovers the MEM-AP by IDR and names known APs', async () => {
    const { dp } = await connect();
    const aps = await dp.discoverAps(4);
    expect(aps).toHaveLength(1);
    expect(aps[0]).toMatchObject({ apsel: 0, base: 0xe00ff003, idr: { isMemAp: true, name: 'AHB-AP (AHB3)' } });
    expect(decodeApIdr(0x001c0000).name).toBe('Kinetis MDM-AP');
    expect(decodeApIdr(0x04770021).name).toMatch(/AHB-AP/);
  });

  it('writes SELECT only when the bank changes (cached)', async () => {
    const { probe, dp } = await connect();
    const before = probe.sent.length;
    await dp.readAp(0, 0xfc);
    await dp.readAp(0, 0xf8);
    await dp.readAp(0, 0x00);
    const selects = probe.sent.slice(before).filter((p) => p[0] === 0x05).flatMap((p) => Array.from(p.subarray(3))).filter((x) => x === 0x08);
    expect(selects).toHaveLength(2); // bank 0xF once, bank 0 once
  });
});

describe('MEM-AP', () => {
  it('moves 5000 unaligned bytes across 1 KiB boundaries intact (TAR rewritten at each boundary)', async () => {
    const { ap, probe } = await connect({ cpuid: 0x410cc200 }); // Cortex-M0: 1 KiB auto-increment
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 0xff);
    await ap.write(0x20000003, data);
    expect(await ap.read(0x20000003, 5000)).toEqual(data);
    expect(await ap.read(0x20000402, 3)).toEqual(data.subarray(0x3ff, 0x402));
    expect(probe.maxQueued).toBeGreaterThan(1);
    // Writes use DAP_TransferBlock (14 words per 64-byte packet); reads one DAP_Transfer
    // stream with TAR writes inside, 15 DRW reads per packet (a full 63-byte response).
    const blocks = probe.sent.filter((p) => p[0] === 0x06);
    expect(Math.max(...blocks.map((p) => p[2]! | (p[3]! << 8)))).toBe(14);
    // No packet carries a TAR write alone: each TAR write travels with DRW writes.
    expect(probe.sent.filter((p) => p[0] === 0x05 && p[2] === 1 && p[3] === 0x05)).toHaveLength(0);
    const reads = probe.sent.filter((p) => p[0] === 0x05 && p.length > 20);
    expect(Math.max(...reads.map((p) => Array.from(p.subarray(3)).filter((b) => b === 0x0f).length))).toBe(15);
  });

  it('on a Cortex-M4 (4 KiB auto-increment) writes 16 KiB in near-ideal packets', async () => {
    const { ap, probe } = await connect();
    ap.tarWrap = 0x1000;
    const data = Uint8Array.from({ length: 16384 }, (_, i) => (i * 5) & 0xff);
    const before = probe.sent.length;
    await ap.write(0x20000000, data);
    expect(probe.sent.length - before).toBeLessThanOrEqual(Math.ceil(16384 / 56) + 4);
    expect(await ap.read(0x20000000, 16384)).toEqual(data);
  });

  it('a bus error is a DAP FAULT with STICKYERR decoded, cleared by ABORT so the next access works', async () => {
    const { ap } = await connect();
    const e = await ap.read(0x60000000, 8).catch((x) => x);
    expect(e).toBeInstanceOf(DapTransferError);
    expect(e.code).toBe('DAP_FAULT');
    expect(e.context.sticky).toEqual([expect.stringMatching(/STICKYERR/)]);
    await ap.writeWord(0x20000000, 0x12345678);
    expect(await ap.readWord(0x20000000)).toBe(0x12345678);
  });
});

describe('Cortex-M core over the MEM-AP', () => {
  async function core(options: FakeProbeOptions = {}) {
    const c = await connect(options);
    const m = new CortexM(c.ap, 'fake');
    await m.init();
    return { ...c, m };
  }

  it('halts with DBGKEY, writes and reads core registers through DCRSR/DCRDR as BD1/BD2 (S_REGRDY matched by the probe on BD0)', async () => {
    const { m, probe } = await core();
    const h = await m.halt();
    expect(probe.halted).toBe(true);
    expect(h.reason).toBe('interrupted');
    await m.writeRegisters({ r0: 1, r1: 2, sp: 0x20001000, pc: 0x20000101, xpsr: 0x01000000 });
    // Register writes (and runs) are queued to lead the next transfer; sync() sends them and waits.
    const before = probe.sent.length;
    await m.sync();
    expect(probe.sent.length).toBeGreaterThan(before);
    expect(probe.regs.slice(0, 2)).toEqual([1, 2]);
    expect(probe.regs[13]).toBe(0x20001000);
    expect(await m.readRegister('sp')).toBe(0x20001000);
    expect(await m.readRegister('pc')).toBe(0x20000101);
    expect(m.cpuid).toMatchObject({ core: 'Cortex-M4', architecture: 'ARMv7-M/ARMv8-M' });
    // Registers go through the banked data registers with TAR at DHCSR: a match-mask write
    // (0x20) and value-match reads of BD0 = DHCSR (0x13), no TAR write per register.
    const last = probe.sent.filter((p) => p[0] === 0x05).at(-1)!;
    expect(Array.from(last)).toContain(0x13);
    await m.resume();
    await m.sync();
    expect(probe.halted).toBe(false);
  });

  it('resets and halts at the reset vector through DEMCR.VC_CORERESET and AIRCR.SYSRESETREQ', async () => {
    const { m, probe } = await core();
    await m.reset('halt');
    expect(probe.resets).toBe(1);
    expect(probe.halted).toBe(true);
    expect(probe.demcr & 1).toBe(0); // vector catch removed again
    await m.reset('run');
    expect(probe.halted).toBe(false);
  });

  it('resets through nRESET when asked', async () => {
    const c = await connect();
    const m = new CortexM(c.ap, 'fake', { hardwareReset: true });
    await m.init();
    await m.reset('halt');
    expect(c.probe.resets).toBe(1);
    expect(c.probe.sent.some((p) => p[0] === 0x10 && p[1] === 0 && p[2] === 0x80)).toBe(true);
  });

  it('FPB rev 2 takes any address; rev 1 takes code below 0x20000000 and falls back to BKPT in RAM', async () => {
    const r2 = await core({ fpbRev: 2 });
    await r2.m.setBreakpoint(0x20000100);
    expect(r2.probe.fpComp[0]).toBe(0x20000101);
    await r2.m.clearBreakpoint(0x20000100);
    expect(r2.probe.fpComp[0]).toBe(0);

    const r1 = await core({ fpbRev: 1 });
    await r1.m.setBreakpoint(0x00000402);
    expect(r1.probe.fpComp[0]).toBe(0x80000401); // upper halfword of word 0x400
    await r1.ap.write(0x20000100, Uint8Array.of(0x11, 0x22));
    await r1.m.setBreakpoint(0x20000100);
    expect(Array.from(await r1.ap.read(0x20000100, 2))).toEqual([0x00, 0xbe]);
    await r1.m.clearBreakpoint(0x20000100);
    expect(Array.from(await r1.ap.read(0x20000100, 2))).toEqual([0x11, 0x22]);
  });

  it('reading a register of a running core says it must be halted', async () => {
    const { m, probe } = await core();
    probe.halted = false;
    // The fake always reports S_REGRDY; make it look like a running core by masking it.
    const orig = probe.readWord.bind(probe);
    probe.readWord = (a: number) => (a === 0xe000edf0 ? orig(a) & ~0x10000 : orig(a));
    await expect(m.readRegister('r0')).rejects.toThrow(/S_REGRDY/);
  });
});

describe('ROM table walk', () => {
  it('follows the entries from BASE and names the Cortex-M components by their CoreSight IDs', async () => {
    const { ap, probe } = await connect();
    const { walkRomTable } = await import('../../src/protocol/adi/rom-table.js');
    const idBlock = (base: number, part: number, cls: number) => {
      const words = [0x04, 0, 0, 0, part & 0xff, 0xb0 | (part >> 8), 0x0b, 0, 0x0d, cls << 4, 0x05, 0xb1];
      words.forEach((v, i) => probe.writeWord(base + 0xfd0 + 4 * i, v));
    };
    const rom = 0xe00ff000;
    idBlock(rom, 0x4c4, 1);
    // Entries: SCS at 0xE000E000, DWT at 0xE0001000, an absent one, then the end marker.
    probe.writeWord(rom + 0, (0xfff0f000 | 3) >>> 0);
    probe.writeWord(rom + 4, (0xfff02000 | 3) >>> 0);
    probe.writeWord(rom + 8, 0xfff03002);
    probe.writeWord(rom + 12, 0);
    idBlock(0xe000e000, 0x00c, 0xe);
    idBlock(0xe0001000, 0x002, 0xe);
    const found = await walkRomTable(ap, 0xe00ff003);
    expect(found.map((c) => [c.address, c.name, c.depth])).toEqual([
      [0xe00ff000, 'ROM table (Cortex-M4)', 0], [0xe000e000, 'SCS (Cortex-M4)', 1], [0xe0001000, 'DWT (Cortex-M3/M4)', 1],
    ]);
    expect(await walkRomTable(ap, 0)).toEqual([]);
  });
});
