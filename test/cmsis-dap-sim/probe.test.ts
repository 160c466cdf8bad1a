/**
 * The simulated CMSIS-DAP probe against a tiny host written from the CMSIS-DAP v2.1
 * command layouts: DAP_Info, connect and the SWD switch, posted AP reads, TransferBlock,
 * TAR wrap, sticky errors and ABORT, WAIT retries, value match, timestamps, queued
 * commands, core halt and registers, the Kinetis MDM-AP, fault injection and USB timing.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryTarget, createSimDapProbe, type MemoryChip, type SimDapProbeOptions } from '../../src/sim/cmsis-dap/index.js';
import {
  ABORT_W, CSW_R, CSW_W, CTRL_R, DPIDR_R, DRW_R, DRW_W, IDR_BANK, RDBUFF_R, SELECT_W, TAR_R, TAR_W, TestHost, le16, le32, rd32,
} from './host.js';

function setup(chip: MemoryChip = 'nrf51', extra: Partial<SimDapProbeOptions> = {}, targetExtra: Record<string, unknown> = {}) {
  const target = createMemoryTarget({ chip, ...targetExtra });
  const probe = createSimDapProbe({ target, ...extra });
  return { target, probe, host: new TestHost(probe.device) };
}

const infoString = (r: Uint8Array) => new TextDecoder().decode(r.subarray(2, 2 + r[1]! - 1));

describe('simulated CMSIS-DAP probe', () => {
  it('answers DAP_Info with NUL-terminated strings, packet size and count, in padded 64-byte HID reports', async () => {
    const { host } = setup('nrf51', { packetCount: 3 });
    const vendor = await host.send([0x00, 0x01]);
    expect(vendor.length).toBe(64);
    expect(infoString(vendor)).toBe('flashwright');
    expect(vendor[1 + vendor[1]!]).toBe(0);
    expect(Array.from((await host.send([0x00, 0xff])).subarray(0, 4))).toEqual([0x00, 2, 64, 0]);
    expect(Array.from((await host.send([0x00, 0xfe])).subarray(0, 3))).toEqual([0x00, 1, 3]);
    const caps = await host.send([0x00, 0xf0]);
    expect(caps[1]).toBe(1);
    expect(caps[2]! & 0x13).toBe(0x13); // SWD, JTAG, atomic commands
    expect(Array.from((await host.send([0x00, 0x42])).subarray(0, 2))).toEqual([0x00, 0]);
    expect((await host.send([0x55]))[0]).toBe(0xff); // not a command
  });

  it('v2 bulk responses are exactly as long as the response', async () => {
    const { host } = setup('nrf51', { version: 'v2' });
    expect(Array.from(await host.send([0x00, 0xff]))).toEqual([0x00, 2, 64, 0]);
  });

  it('refuses a packet larger than the packet size', async () => {
    const { probe } = setup();
    await expect(probe.device.write(new Uint8Array(65))).rejects.toThrow(/does not fit/);
  });

  it('needs the SWD switch and a DPIDR read before the DP answers anything else', async () => {
    const { host } = setup('cortex-m4');
    expect(Array.from((await host.send([0x02, 0x01])).subarray(0, 2))).toEqual([0x02, 0x01]);
    // Still in JTAG (SWJ-DP): nothing drives the line, so the ACK reads 0b111.
    expect((await host.transfer([{ req: DPIDR_R }])).ack).toBe(7);
    await host.swdSwitch();
    expect((await host.transfer([{ req: CTRL_R }])).ack).toBe(7); // lockout: DPIDR first
    await host.swdSwitch();
    const id = await host.transfer([{ req: DPIDR_R }]);
    expect(id).toEqual({ count: 1, ack: 1, words: [0x2ba01477] });
    expect((await host.transfer([{ req: CTRL_R }])).ack).toBe(1);
  });

  it('acknowledges power-up a transaction after the request, and faults AP accesses before it', async () => {
    const { host } = setup();
    await host.send([0x02, 0x01]);
    await host.swdSwitch();
    await host.transfer([{ req: DPIDR_R }]);
    const early = await host.transfer([{ req: CSW_R }]);
    expect(early.ack).toBe(4);
    expect((await host.transfer([{ req: CTRL_R }])).words[0]! & 0x20).toBe(0x20); // STICKYERR
    const r = await host.transfer([{ req: ABORT_W, data: 0x04 }, { req: 0x04, data: 0x50000000 }, { req: CTRL_R }, { req: CTRL_R }]);
    expect(r.ack).toBe(1);
    expect(r.words[0]! >>> 28).toBe(0x5); // requested, not yet acknowledged
    expect(r.words[1]! >>> 28).toBe(0xf); // both acks
  });

  it('returns each AP read its own data although reads are posted on the wire', async () => {
    const { host, target } = setup();
    await host.attach();
    target.core.poke(0x20000000, Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
    const r = await host.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: 0x20000000 }, { req: DRW_R }, { req: DRW_R }, { req: TAR_R }, { req: DRW_R }]);
    expect(r).toEqual({ count: 6, ack: 1, words: [1, 2, 0x20000008, 3] });
    // IDR in bank 0xF, then BASE.
    const idr = await host.transfer([{ req: SELECT_W, data: IDR_BANK }, { req: 0x0f }, { req: 0x0b }, { req: SELECT_W, data: 0 }]);
    expect(idr.words).toEqual([0x04770021, 0xf0000003]);
    expect((await host.transfer([{ req: RDBUFF_R }])).ack).toBe(1);
  });

  it('TransferBlock writes and reads RAM; auto-increment wraps inside 1 KiB', async () => {
    const { host, target } = setup();
    await host.attach();
    await host.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: 0x200003f8 }]);
    const words = [0x11111111, 0x22222222, 0x33333333, 0x44444444];
    const w = await host.send([0x06, 0, ...le16(4), DRW_W, ...words.flatMap(le32)]);
    expect(Array.from(w.subarray(0, 4))).toEqual([0x06, 4, 0, 1]);
    // The last two words went to 0x20000000 and 0x20000004 (TAR[9:0] wrapped), not 0x20000400.
    expect(target.core.word(0x200003f8)).toBe(0x11111111);
    expect(target.core.word(0x20000000)).toBe(0x33333333);
    expect(target.core.word(0x20000400)).toBe(0);
    await host.transfer([{ req: TAR_W, data: 0x200003f8 }]);
    const r = await host.send([0x06, 0, ...le16(4), DRW_R]);
    expect(Array.from(r.subarray(0, 4))).toEqual([0x06, 4, 0, 1]);
    expect([0, 1, 2, 3].map((i) => rd32(r, 4 + 4 * i))).toEqual(words);
  });

  it('Cortex-M4\'s AHB-AP increments across 1 KiB and wraps at 4 KiB', async () => {
    const { host, target } = setup('cortex-m4');
    await host.attach();
    await host.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: 0x200003fc }, { req: DRW_W, data: 1 }, { req: DRW_W, data: 2 }]);
    expect(target.core.word(0x20000400)).toBe(2);
    await host.transfer([{ req: TAR_W, data: 0x20000ffc }, { req: DRW_W, data: 3 }, { req: DRW_W, data: 4 }]);
    expect(target.core.word(0x20000000)).toBe(4);
    expect(target.core.word(0x20001000)).toBe(0);
  });

  it('byte accesses use their byte lane', async () => {
    const { host, target } = setup();
    await host.attach();
    await host.transfer([{ req: CSW_W, data: 0x23000010 }, { req: TAR_W, data: 0x20000102 }, { req: DRW_W, data: 0x00ab0000 }]);
    expect(target.core.peek(0x20000100, 4)).toEqual(Uint8Array.from([0, 0, 0xab, 0]));
    const r = await host.transfer([{ req: TAR_W, data: 0x20000102 }, { req: DRW_R }]);
    expect(r.words[0]).toBe(0x00ab0000);
  });

  it('a bus error sets STICKYERR: the next AP access faults until ABORT clears it', async () => {
    const { host } = setup();
    await host.attach();
    const bad = await host.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: 0x30000000 }, { req: DRW_W, data: 1 }]);
    expect(bad).toMatchObject({ count: 3, ack: 4 }); // the write was accepted; RDBUFF check faults
    expect((await host.transfer([{ req: DRW_R }])).ack).toBe(4);
    const ctrl = await host.transfer([{ req: CTRL_R }]);
    expect(ctrl.words[0]! & 0x20).toBe(0x20);
    expect((await host.send([0x08, 0, ...le32(0x04)]))[1]).toBe(0); // DAP_WriteABORT STKERRCLR
    expect((await host.readWord(0x20000000))).toBe(0);
  });

  it('retries WAIT up to the configured count', async () => {
    const { host } = setup('nrf51', {}, { waitsPerApAccess: 3 });
    await host.attach();
    expect(await host.readWord(0x20000000)).toBe(0);
    await host.send([0x04, 0, ...le16(1), ...le16(0)]); // 1 WAIT retry
    const r = await host.transfer([{ req: TAR_W, data: 0x20000000 }, { req: DRW_R }]);
    expect(r.ack).toBe(2);
  });

  it('reads with value match until the mask matches, and reports a mismatch', async () => {
    const { host, target } = setup();
    await host.attach();
    await host.send([0x04, 0, ...le16(100), ...le16(5)]);
    target.core.poke(0x20000010, Uint8Array.from([0x34, 0x12, 0, 0]));
    const ok = await host.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: 0x20000010 }, { req: 0x20, data: 0x0000ff00 }, { req: 0x1f, data: 0x1200 }]);
    expect(ok).toMatchObject({ count: 4, ack: 1 });
    const miss = await host.transfer([{ req: 0x1f, data: 0x3400 }]);
    expect(miss.ack).toBe(0x11);
  });

  it('puts a timestamp before the data of a transfer that asks for one', async () => {
    const { host } = setup();
    await host.attach();
    const r = await host.transfer([{ req: DPIDR_R | 0x80 }, { req: DPIDR_R }]);
    expect(r.count).toBe(2);
    expect(r.words[1]).toBe(0x0bb11477);
    expect(r.words[2]).toBe(0x0bb11477);
  });

  it('halts the core, reads and writes registers through DCRSR/DCRDR, steps and resumes', async () => {
    const { host, target } = setup();
    await host.attach();
    await host.writeWord(0xe000edf0, 0xa05f0003);
    expect(target.core.halted).toBe(true);
    expect((await host.readWord(0xe000edf0)) & 0x30000).toBe(0x30000); // S_HALT, S_REGRDY
    await host.writeWord(0xe000edf8, 0x20000100);
    await host.writeWord(0xe000edf4, 0x1000f); // write PC
    expect(target.core.regs.get(15)).toBe(0x20000100);
    await host.writeWord(0xe000edf4, 15);
    expect(await host.readWord(0xe000edf8)).toBe(0x20000100);
    await host.writeWord(0xe000edf0, 0xa05f0005); // step
    expect(target.core.regs.get(15)).toBe(0x20000102);
    expect(target.core.halted).toBe(true);
    await host.writeWord(0xe000edf0, 0x12340001); // wrong key: ignored
    expect(target.core.halted).toBe(true);
    await host.writeWord(0xe000edf0, 0xa05f0001);
    expect(target.core.halted).toBe(false);
    expect((await host.readWord(0xe000edf0)) & 0x20000).toBe(0);
    // DCRSR while running never completes: S_REGRDY stays clear.
    await host.writeWord(0xe000edf4, 15);
    expect((await host.readWord(0xe000edf0)) & 0x10000).toBe(0);
  });

  it('resets through AIRCR with vector catch and reports S_RESET_ST once', async () => {
    const { host, target } = setup();
    target.core.poke(0, Uint8Array.from([...le32(0x20004000), ...le32(0x000000c1)]));
    await host.attach();
    await host.writeWord(0xe000edf0, 0xa05f0003);
    await host.writeWord(0xe000edfc, 0x01000001);
    await host.writeWord(0xe000ed0c, 0x05fa0004);
    const d1 = await host.readWord(0xe000edf0);
    expect(d1 & (1 << 25)).not.toBe(0);
    expect(d1 & (1 << 17)).not.toBe(0);
    expect((await host.readWord(0xe000edf0)) & (1 << 25)).toBe(0);
    expect(target.core.regs.get(15)).toBe(0xc0);
    expect((await host.readWord(0xe000ed30)) & 0x8).toBe(0x8); // DFSR.VCATCH
  });

  it('FPB comparators become breakpoints (rev 1 REPLACE selects the halfword)', async () => {
    const { host, target } = setup();
    await host.attach();
    expect((await host.readWord(0xe0002000)) >>> 28).toBe(0);
    await host.writeWord(0xe0002000, 3);
    await host.writeWord(0xe0002008, 0x80000000 | 0x100 | 1);
    expect(target.core.breakpoints).toEqual([0x102]);
  });

  it('holds responses to queued packets until a packet that is not queued arrives', async () => {
    const { host } = setup();
    await host.attach();
    let firstArrived = false;
    const first = host.send([0x7e, 1, 0x09, ...le16(10)]).then((r) => { firstArrived = true; return r; });
    await new Promise((r) => setTimeout(r, 20));
    expect(firstArrived).toBe(false);
    const second = host.send([0x00, 0xfe]);
    expect(Array.from((await first).subarray(0, 4))).toEqual([0x7f, 1, 0x09, 0]);
    expect((await second)[0]).toBe(0x00);
    const ex = await host.send([0x7f, 2, 0x00, 0xfe, 0x09, 0, 0]);
    expect(Array.from(ex.subarray(0, 7))).toEqual([0x7f, 2, 0x00, 1, 4, 0x09, 0]);
  });

  it('Kinetis: a secured part refuses AP 0, reports security in MDM-AP and unsecures by mass erase until reset', async () => {
    const { host, target } = setup('kinetis-k64', {}, { secured: true });
    target.core.poke(0x1000, Uint8Array.from([1, 2, 3, 4]));
    await host.attach();
    const csw = await host.transfer([{ req: CSW_R }]);
    expect(csw.words[0]! & 0x40).toBe(0); // DeviceEn
    expect((await host.transfer([{ req: TAR_W, data: 0 }, { req: DRW_R }])).ack).toBe(4);
    await host.send([0x08, 0, ...le32(0x1e)]);
    const mdm = await host.transfer([{ req: SELECT_W, data: 0x010000f0 }, { req: 0x0f }, { req: SELECT_W, data: 0x01000000 }, { req: 0x03 }]);
    expect(mdm.words[0]).toBe(0x001c0000);
    expect(mdm.words[1]! & 0x24).toBe(0x24); // secure, mass erase enabled
    await host.transfer([{ req: 0x05, data: 1 }]);
    let status = 0;
    for (let i = 0; i < 10; i++) {
      const c = await host.transfer([{ req: 0x07 }, { req: 0x03 }]);
      status = c.words[1]!;
      if ((c.words[0]! & 1) === 0) break;
    }
    expect(status & 0x4).toBe(0);
    expect(target.secured).toBe(false);
    expect(target.core.peek(0x1000, 4)).toEqual(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
    expect(target.mdm!.stats.massErases).toBe(1);
    await host.transfer([{ req: SELECT_W, data: 0 }]);
    expect(await host.readWord(0x1000)).toBe(0xffffffff);
    // A system reset keeps the mass erase's unsecure state; only a power-on reloads FSEC from the erased flash.
    await host.writeWord(0xe000ed0c, 0x05fa0004);
    expect(target.secured).toBe(false);
    target.powerOn();
    expect(target.secured).toBe(true);
  });

  it('Kinetis secured: MDM-AP Control takes the reset request (AN4835 recovery) but not Debug Request', async () => {
    const { host, target } = setup('kinetis-k64', {}, { secured: true });
    await host.attach();
    await host.transfer([{ req: SELECT_W, data: 0x01000000 }, { req: 0x05, data: 0x0c }]); // debug request + system reset request
    expect(target.core.inReset).toBe(true);
    const r = await host.transfer([{ req: 0x07 }, { req: 0x03 }]);
    expect(r.words[0]).toBe(0x08);
    expect(r.words[1]! & 0x08).toBe(0); // Status: System Reset 0 = held in reset
    await host.transfer([{ req: 0x05, data: 0 }]);
    expect(target.core.inReset).toBe(false);
  });

  it('Kinetis with mass erase disabled ignores the request', async () => {
    const { host, target } = setup('kinetis-k64', {}, { massEraseDisabled: true });
    await host.attach();
    await host.transfer([{ req: SELECT_W, data: 0x01000000 }, { req: 0x05, data: 1 }, { req: 0x07 }, { req: 0x07 }, { req: 0x07 }, { req: 0x07 }, { req: 0x07 }]);
    expect(target.mdm!.stats.massErases).toBe(0);
    expect(target.secured).toBe(true);
  });

  it('JTAG: reads the JTAG-DP IDCODE and transfers through DPACC/APACC scans', async () => {
    const { host } = setup('cortex-m4');
    expect(Array.from((await host.send([0x02, 0x02])).subarray(0, 2))).toEqual([0x02, 0x02]);
    // Test-Logic-Reset then Run-Test/Idle: JTAG_Sequence with TMS high for 6 cycles, then low for 1.
    expect(Array.from((await host.send([0x14, 2, 0x46, 0x00, 0x01, 0x00])).subarray(0, 2))).toEqual([0x14, 0]);
    expect(Array.from((await host.send([0x15, 1, 4])).subarray(0, 2))).toEqual([0x15, 0]);
    const id = await host.send([0x16, 0]);
    expect(Array.from(id.subarray(0, 2))).toEqual([0x16, 0]);
    expect(rd32(id, 2)).toBe(0x4ba00477);
    const r = await host.transfer([{ req: 0x04, data: 0x50000000 }, { req: CTRL_R }, { req: CTRL_R }, { req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: 0x20000040 }, { req: DRW_W, data: 0xcafef00d }, { req: TAR_W, data: 0x20000040 }, { req: DRW_R }]);
    expect(r.ack).toBe(1);
    expect(r.words[1]! >>> 28).toBe(0xf);
    expect(r.words[2]).toBe(0xcafef00d);
  });

  it('SWD_Sequence clocks a DPIDR read bit by bit: request 0xA5 out, turnaround + ACK + data + parity in', async () => {
    const { host } = setup();
    await host.send([0x02, 0x01]);
    await host.swdSwitch();
    // Out 8 bits (0xA5); in 1 turnaround + 3 ACK + 32 data + 1 parity = 37 bits; in 1 turnaround; out 8 idle bits.
    const r = await host.send([0x1d, 4, 8, 0xa5, 0x80 | 37, 0x80 | 1, 8, 0x00]);
    expect(Array.from(r.subarray(0, 2))).toEqual([0x1d, 0]);
    let bits = 0n;
    for (let i = 0; i < 5; i++) bits |= BigInt(r[2 + i]!) << BigInt(8 * i);
    expect(Number((bits >> 1n) & 7n)).toBe(1); // ACK OK
    expect(Number((bits >> 4n) & 0xffffffffn) >>> 0).toBe(0x0bb11477);
    expect(Number((bits >> 36n) & 1n)).toBe(1); // even parity: 0x0BB11477 has 15 ones
    expect((await host.transfer([{ req: CTRL_R }])).ack).toBe(1); // the wire is still in step
  });

  it('SWD_Configure sets the probe\'s turnaround: matching the target\'s DLCR works, a mismatch loses the ACK', async () => {
    const { host } = setup();
    await host.attach();
    await host.transfer([{ req: SELECT_W, data: 1 }, { req: 0x04, data: 0x100 }]); // DLCR.TURNROUND = 2 cycles
    expect((await host.transfer([{ req: DPIDR_R }])).ack).not.toBe(1);
    await host.send([0x13, 0x01]); // SWD_Configure: turnaround 2
    await host.swdSwitch();
    expect((await host.transfer([{ req: DPIDR_R }])).words[0]).toBe(0x0bb11477);
  });

  it('SWJ_Pins drives nRESET: releasing it resets the core, halting it at the reset vector when vector catch is set', async () => {
    const { host, target } = setup();
    target.core.poke(0, Uint8Array.from([...le32(0x20004000), ...le32(0x00000101)]));
    await host.attach();
    await host.writeWord(0xe000edf0, 0xa05f0001);
    await host.writeWord(0xe000edfc, 0x00000001);
    const low = await host.send([0x10, 0x00, 0x80, ...le32(0)]);
    expect(low[1]! & 0x80).toBe(0);
    expect(target.core.inReset).toBe(true);
    const high = await host.send([0x10, 0x80, 0x80, ...le32(0)]);
    expect(high[1]! & 0x80).toBe(0x80);
    expect(target.core.inReset).toBe(false);
    expect(target.core.halted).toBe(true);
    expect(target.core.regs.get(15)).toBe(0x100);
    expect(target.core.counters.resets).toBeGreaterThan(1);
  });

  it('DAP_Delay adds its time to the modelled clock', async () => {
    const { host, probe } = setup();
    await host.send([0x00, 0xfe]);
    const t0 = probe.clock.nowMs;
    await host.send([0x09, ...le16(50_000)]);
    expect(probe.clock.nowMs - t0).toBeGreaterThanOrEqual(50);
  });

  it('a debug port that powers up dormant answers nothing until the host sends the selection alert (the project\'s host falls back to it)', async () => {
    const { probe, target } = setup('cortex-m4', {}, { dormant: true });
    expect(target.wire.mode).toBe('dormant');
    const { CmsisDapProgrammer } = await import('../../src/programmer/cmsis-dap.js');
    const p = new CmsisDapProgrammer({ open: async () => probe.device, description: 'sim dormant' });
    const info = await p.connect();
    expect(info.details).toMatchObject({ wakeUp: 'dormant' });
    expect(target.wire.mode).toBe('swd');
    await p.close();
  });

  it('DAP_TransferAbort has no response and the probe carries on', async () => {
    const { host } = setup();
    await host.attach();
    await host.device.write(Uint8Array.of(0x07));
    expect(Array.from((await host.send([0x00, 0xfe])).subarray(0, 3))).toEqual([0x00, 1, 4]);
  });

  it('fault injection: a dropped response never arrives, a corrupted one arrives changed, unplugging closes the device', async () => {
    const seen: number[] = [];
    const { host, probe } = setup('nrf51', {
      faults: {
        onResponse: (i, r) => {
          seen.push(i);
          if (i === 1) return 'drop';
          if (i === 2) { const c = r.slice(); c[2] = 0x99; return c; }
          if (i === 4) return 'unplug';
          return undefined;
        },
      },
    });
    await host.send([0x00, 0xfe]);
    await expect(host.send([0x00, 0xfe], 100)).rejects.toThrow(/no response/);
    expect((await host.send([0x00, 0xfe]))[2]).toBe(0x99);
    await host.send([0x00, 0xfe]);
    await expect(host.send([0x00, 0xfe], 100)).rejects.toThrow(/no response/);
    expect(host.closed).toBeInstanceOf(Error);
    await expect(probe.device.write(Uint8Array.of(0))).rejects.toThrow(/disconnected/);
    expect(probe.stats).toMatchObject({ dropped: 1, corrupted: 1 });
  });
});

describe('modelled USB time', () => {
  async function run(link: 'v1-hid-fs' | 'v2-bulk-fs' | 'v2-bulk-hs', inFlight: number, n = 40) {
    const { host, probe } = setup('nrf51', { link, packetCount: 4 });
    const pending: Promise<Uint8Array>[] = [];
    for (let i = 0; i < n; i++) {
      pending.push(host.send([0x00, 0xfe]));
      if (pending.length >= inFlight) await pending.shift();
    }
    await Promise.all(pending);
    return probe;
  }

  it('HID full speed: one in flight costs two frames per command, four in flight one frame', async () => {
    const serial = await run('v1-hid-fs', 1);
    expect(serial.clock.nowMs).toBeGreaterThan(79);
    expect(serial.clock.nowMs).toBeLessThan(82);
    const piped = await run('v1-hid-fs', 4);
    expect(piped.clock.nowMs).toBeGreaterThan(40);
    expect(piped.clock.nowMs).toBeLessThan(43);
    expect(piped.stats.maxInFlight).toBe(4);
    expect(piped.stats.packetsOut).toBe(40);
  });

  it('bulk full speed fits several packets in a frame; high speed uses 125 µs micro-frames', async () => {
    const fs = await run('v2-bulk-fs', 4);
    expect(fs.clock.nowMs).toBeLessThan(15);
    const hs = await run('v2-bulk-hs', 1);
    // One command per micro-frame: its round trip (wire + processing) fits inside one.
    expect(hs.clock.nowMs).toBeGreaterThan(40 * 0.125 * 0.9);
    expect(hs.clock.nowMs).toBeLessThan(40 * 0.125 * 1.1);
  });
});
