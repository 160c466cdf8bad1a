/**
 * Issue 10 §5: after an interrupted session the next connect recovers a bootloader left in the
 * middle of a command, instead of blaming the wiring — without the recovery bytes completing
 * that command (a run of 0x7F would be a valid Write Memory of 128 × 0x7F).
 */
import { describe, expect, it } from 'vitest';
import { encodeAddress, encodeCommand } from '../../src/protocol/stm32-uart/commands.js';
import { programmer, rig } from './helpers.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('connect after an interrupted session', () => {
  for (const [what, tail] of [
    ['right after the Write Memory address was acknowledged', []],
    ['after the Write Memory byte count', [0x0f]],
    ['after part of the data', [0x0f, 1, 2, 3, 4, 5]],
    ['right after the Extended Erase command', null],
    ['in the middle of an address', 'addr'],
  ] as const) {
    it(`recovers a bootloader left ${what}, and nothing is written or erased`, async () => {
      const r = rig('stm32f103xb');
      const host = r.pipe.host;
      await host.write(new Uint8Array([0x7f])); // the earlier session's autobaud
      await settle();
      if (tail === null) await host.write(encodeCommand(0x44));
      else if (tail === 'addr') { await host.write(encodeCommand(0x31)); await settle(); await host.write(encodeAddress(0x08000400).subarray(0, 2)); }
      else {
        await host.write(encodeCommand(0x31));
        await settle();
        await host.write(encodeAddress(0x08000400));
        await settle();
        if (tail.length) await host.write(new Uint8Array(tail));
      }
      await settle();
      const before = r.sim.memory.read(0x08000000, 0x20000);
      const p = programmer(r);
      const dev = await p.connect();
      expect(dev.ids.pid).toBe(0x410);
      expect(r.sim.memory.read(0x08000000, 0x20000)).toEqual(before);
      // The line works: a read and a write go through.
      await p.programFlash(0x08000800, new Uint8Array(256).fill(0x42));
      expect(await p.readMemory(0x08000800, 4)).toEqual(new Uint8Array(4).fill(0x42));
      await p.close();
    });
  }
});
