/**
 * Dormant wake-up (ADIv5.2 B5.3) from the host's side, against a simulated debug port that
 * powers up dormant and, as the specification says, ignores line resets and the JTAG-to-SWD
 * sequence until the selection alert: the host's first attempt (line reset, 0xE79E, DPIDR)
 * gets no ACK, then it sends line reset + JTAG-to-dormant, ≥ 8 high cycles, the 128-bit
 * selection alert, 4 low cycles and the SWD activation code 0x1A, a line reset, and DPIDR
 * answers. The bit stream on SWDIO is checked, not the packets that carried it.
 */
import { describe, expect, it } from 'vitest';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { DapSession } from '../../src/protocol/cmsis-dap/session.js';
import { DebugPort, DebugPortError } from '../../src/protocol/adi/dp.js';
import { createMemoryTarget, createSimDapProbe, type MemoryChip } from '../../src/sim/cmsis-dap/index.js';

const ALERT = 0x19bc0ea2e3ddafe986852d956209f392n;
const bitsOf = (v: bigint, n: number) => Array.from({ length: n }, (_, i) => Number((v >> BigInt(i)) & 1n)).join('');

/**
 * SWDIO bits of every DAP_SWJ_Sequence sent (LSB first), with '|' where a DAP_Transfer went
 * in between, whether sent alone or inside DAP_ExecuteCommands (the host batches them where
 * the probe has atomic commands, as the simulated one says it has).
 */
function wire(packets: Uint8Array[]): string {
  let s = '';
  // Lengths of the commands connect sends (CMSIS-DAP command formats).
  const fixed: Record<number, number> = { 0x02: 2, 0x11: 5, 0x04: 6, 0x13: 2 };
  const walk = (p: Uint8Array, o: number): number => {
    const id = p[o]!;
    if (id === 0x12) {
      const n = p[o + 1] === 0 ? 256 : p[o + 1]!;
      for (let i = 0; i < n; i++) s += (p[o + 2 + (i >> 3)]! >> (i & 7)) & 1;
      return 2 + Math.ceil(n / 8);
    }
    if (id === 0x05) {
      s += '|';
      let q = o + 3;
      for (let k = 0; k < p[o + 2]!; k++) { const req = p[q]!; q += 1 + (!(req & 2) || req & 0x10 ? 4 : 0); }
      return q - o;
    }
    const len = fixed[id];
    if (len === undefined) throw new Error(`unexpected command 0x${id.toString(16)} in the connect`);
    return len;
  };
  for (const p of packets) {
    if (p[0] === 0x7f) { let o = 2; for (let k = 0; k < p[1]!; k++) o += walk(p, o); continue; }
    if (p[0] === 0x12 || p[0] === 0x05) walk(p, 0);
  }
  return s;
}

/** A probe that says it has no atomic commands: DAP_Info capabilities with bit 4 cleared. */
function withoutAtomic(r: Uint8Array, req: Uint8Array): Uint8Array {
  if (req[0] !== 0x00 || req[1] !== 0xf0) return r;
  const c = r.slice();
  c[2] = c[2]! & ~0x10;
  return c;
}

describe('dormant wake-up', () => {
  for (const [chip, atomic] of [['cortex-m4', true], ['nrf51', true], ['cortex-m4', false]] as Array<[MemoryChip, boolean]>) {
    it(`${chip}, ${atomic ? 'in DAP_ExecuteCommands batches' : 'a probe without atomic commands'}: a debug port that powers up dormant is woken by the selection alert and activation code`, async () => {
      const target = createMemoryTarget({ chip, dormant: true });
      const probe = createSimDapProbe({ target, ...(atomic ? {} : { faults: { onResponse: (_i, r, req) => withoutAtomic(r, req) } }) });
      const sent: Uint8Array[] = [];
      const dap = new DapSession(probe.device, { onWire: (d, p) => { if (d === 'out') sent.push(p.slice()); } });
      await dap.readInfo();
      expect(dap.info?.capabilities.atomicCommands).toBe(atomic);
      const dp = new DebugPort(dap);
      const id = await dp.connect();
      expect(dp.wakeUp).toBe('dormant');
      expect(id.raw).toBe(chip === 'nrf51' ? 0x0bb11477 : 0x2ba01477);
      expect(target.wire.mode).toBe('swd');
      const [first, second, third] = wire(sent).split('|');
      // First attempt: line reset, JTAG-to-SWD (0xE79E), line reset, idle — ignored by the dormant port.
      expect(first).toMatch(new RegExp(`^1{50,}${bitsOf(0xe79en, 16)}1{50,}0{2,}$`));
      // Then: line reset, JTAG-to-dormant (0x33BBBBBA, 31 bits), ≥ 8 high, the alert, 4 low + 0x1A, line reset, idle.
      expect(second).toMatch(new RegExp(`^1{50,}${bitsOf(0x33bbbbban, 31)}1{8,}${bitsOf(ALERT, 128)}0000${bitsOf(0x1an, 8)}1{50,}0{2,}$`));
      expect(third).toBe('');
      // With atomic commands connect's setup, each attempt's sequences and its DPIDR read went in one packet each;
      // without, one packet per command (4 setup + 4 and 7 sequences + 2 DPIDR reads).
      const connectPackets = sent.slice(sent.findIndex((p) => p[0] === 0x02 || p[0] === 0x7f));
      expect(connectPackets.length).toBe(atomic ? 2 : 17);
      await dap.close();
    });
  }

  it('through CmsisDapProgrammer: info names the wake-up, and memory works after it', async () => {
    const target = createMemoryTarget({ chip: 'cortex-m4', dormant: true });
    const probe = createSimDapProbe({ target });
    const p = new CmsisDapProgrammer({ open: async () => probe.device, description: 'sim dormant' });
    const info = await p.connect();
    expect(info.details).toMatchObject({ wakeUp: 'dormant' });
    await p.writeMemory(0x20000000, Uint8Array.of(1, 2, 3, 4, 5));
    expect(await p.readMemory(0x20000000, 5)).toEqual(Uint8Array.of(1, 2, 3, 4, 5));
    await p.close();
  });

  it('a port that answers neither way: a DebugPortError naming both attempts', async () => {
    const target = createMemoryTarget({ chip: 'cortex-m4', dormant: true });
    // Every DPIDR read answered with no ACK (as a port behind a broken SWDIO line would).
    const probe = createSimDapProbe({ target, faults: { onResponse: (_i, r, req) => {
      if (req[0] !== 0x7f) return r;
      // The batch ends with the DPIDR read: its response follows the other commands' two bytes each.
      const at = 2 + 2 * ((req[1] ?? 1) - 1);
      const c = new Uint8Array(r.length);
      c.set(r.subarray(0, at));
      c.set([0x05, 0, 7], at);
      return c;
    } } });
    const dap = new DapSession(probe.device);
    await dap.readInfo();
    const e = await new DebugPort(dap).connect().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DebugPortError);
    expect((e as Error).message).toMatch(/no ACK.*after both the JTAG-to-SWD switch and the dormant wake-up/);
    await dap.close();
  });
});
