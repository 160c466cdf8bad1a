/**
 * MEM-AP packed transfers (ADIv5.2 C2.2.7, CSW.AddrInc 0b10) and unaligned edges against the
 * simulated probe: support found by writing CSW and reading it back (the simulated AHB-AP
 * packs on cortex-m4 and kinetis-k64, not on nrf51), narrow (8/16-bit) access widths moved
 * four bytes per DRW transfer where it packs, one at a time where it does not, and unaligned
 * heads and tails as halfword/byte accesses on their lanes with one TAR write each.
 */
import { describe, expect, it } from 'vitest';
import { DapSession } from '../../src/protocol/cmsis-dap/session.js';
import { DebugPort } from '../../src/protocol/adi/dp.js';
import { MemAp } from '../../src/protocol/adi/mem-ap.js';
import { createMemoryTarget, createSimDapProbe, type MemoryChip } from '../../src/sim/cmsis-dap/index.js';

async function connect(chip: MemoryChip) {
  const target = createMemoryTarget({ chip });
  const probe = createSimDapProbe({ target, link: 'v2-bulk-hs', packetSize: 512 });
  const dap = new DapSession(probe.device);
  await dap.readInfo();
  const dp = new DebugPort(dap);
  await dp.connect();
  await dp.powerUp();
  const ap = new MemAp(dp, 0);
  await ap.init();
  /** AP accesses (CSW, TAR, DRW…) the target's DP saw while `fn` ran. */
  const apAccesses = () => target.dp.stats.apReads + target.dp.stats.apWrites;
  const transfers = async (fn: () => Promise<unknown>) => { const t0 = apAccesses(); await fn(); return apAccesses() - t0; };
  return { target, probe, dap, ap, transfers };
}

const RAM = 0x20000000;
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);

describe('MEM-AP packed transfers and unaligned edges', () => {
  it('finds packed support by CSW write and read-back: cortex-m4 and kinetis-k64 pack, nrf51 does not', async () => {
    for (const [chip, packed] of [['cortex-m4', true], ['kinetis-k64', true], ['nrf51', false]] as const) {
      const { ap, dap } = await connect(chip);
      expect(ap.packed, chip).toBe(packed);
      await dap.close();
    }
  });

  for (const chip of ['cortex-m4', 'nrf51'] as const) {
    for (const width of [1, 2] as const) {
      it(`${chip}: ${width * 8}-bit accesses write and read 256 bytes (${chip === 'nrf51' ? 'one access per transfer' : 'packed: four bytes per DRW transfer'}), unaligned too`, async () => {
        const { target, ap, dap, transfers } = await connect(chip);
        target.core.poke(RAM, new Uint8Array(0x200).fill(0xee));
        const data = bytes(256, width);
        const n = await transfers(() => ap.write(RAM + 0x10, data, { accessWidth: width }));
        expect(target.core.peek(RAM + 0x10, 256)).toEqual(data);
        expect(await ap.read(RAM + 0x10, 256, { accessWidth: width })).toEqual(data);
        // 64 DRW words packed (+ CSW, TAR); unpacked one DRW access per byte or halfword (+ CSW, TAR).
        if (chip === 'cortex-m4') expect(n).toBe(64 + 2);
        else expect(n).toBe(256 / width + 2);
        const odd = bytes(23, 9);
        await ap.write(RAM + 0x141, odd, { accessWidth: width });
        expect(target.core.peek(RAM + 0x140, 25)).toEqual(Uint8Array.from([0xee, ...odd, 0xee]));
        expect(await ap.read(RAM + 0x141, 23, { accessWidth: width })).toEqual(odd);
        await dap.close();
      });
    }

    it(`${chip}: unaligned heads and tails go as halfword/byte accesses on their lanes with one TAR write per edge`, async () => {
      const { target, ap, dap, transfers } = await connect(chip);
      target.core.poke(RAM, new Uint8Array(64).fill(0x5a));
      // 0x…01–0x…03 head (byte, halfword), words, 0x…24–0x…26 tail (halfword, byte).
      const data = bytes(0x26, 3);
      const n = await transfers(() => ap.write(RAM + 1, data));
      expect(target.core.peek(RAM, 0x28)).toEqual(Uint8Array.from([0x5a, ...data, 0x5a]));
      // head: CSW8 TAR DRW CSW16 DRW; tail (CSW still 16-bit): TAR DRW CSW8 DRW; words: CSW32 TAR 8 DRW.
      expect(n).toBe(5 + 4 + 10);
      expect(await ap.read(RAM + 1, data.length)).toEqual(data);
      for (const [a, len] of [[2, 2], [3, 1], [1, 2], [6, 1], [5, 3]] as const) {
        const piece = bytes(len, a);
        await ap.write(RAM + 0x30 + a, piece);
        expect(await ap.read(RAM + 0x30 + a, len)).toEqual(piece);
        expect(target.core.peek(RAM + 0x30 + a, len)).toEqual(piece);
      }
      await dap.close();
    });
  }
});
