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

/** SWDIO bits of every DAP_SWJ_Sequence sent (LSB first), with '|' where a DAP_Transfer went in between. */
function wire(packets: Uint8Array[]): string {
  let s = '';
  for (const p of packets) {
    if (p[0] === 0x05) { s += '|'; continue; }
    if (p[0] !== 0x12) continue;
    const n = p[1] === 0 ? 256 : p[1]!;
    for (let i = 0; i < n; i++) s += (p[2 + (i >> 3)]! >> (i & 7)) & 1;
  }
  return s;
}

describe('dormant wake-up', () => {
  for (const chip of ['cortex-m4', 'nrf51'] as MemoryChip[]) {
    it(`${chip}: a debug port that powers up dormant is woken by the selection alert and activation code`, async () => {
      const target = createMemoryTarget({ chip, dormant: true });
      const probe = createSimDapProbe({ target });
      const sent: Uint8Array[] = [];
      const dap = new DapSession(probe.device, { onWire: (d, p) => { if (d === 'out') sent.push(p.slice()); } });
      await dap.readInfo();
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
    const probe = createSimDapProbe({ target, faults: { onResponse: (_i, r, req) => (req[0] === 0x05 && req[2] === 1 && req[3] === 0x02 ? Uint8Array.of(0x05, 0, 7) : r) } });
    const dap = new DapSession(probe.device);
    await dap.readInfo();
    const e = await new DebugPort(dap).connect().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DebugPortError);
    expect((e as Error).message).toMatch(/no ACK.*after both the JTAG-to-SWD switch and the dormant wake-up/);
    await dap.close();
  });
});
