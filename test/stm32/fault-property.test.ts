/**
 * Property: whatever single link fault hits a write (drop, corrupt or duplicate a byte in
 * either direction, a stray 0x00 before an ACK, a reset mid-command), writeImage either
 * leaves exactly the image in flash or fails with a typed FlashwrightError — never a
 * "success" over wrong contents.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { FlashwrightError } from '../../src/core/errors.js';
import type { Stm32LinkFaults } from '../../src/sim/stm32/faults.js';
import { pattern, programmer, rig } from './helpers.js';

const KINDS: Array<keyof Stm32LinkFaults> = ['dropToDevice', 'corruptToDevice', 'duplicateToDevice', 'dropToHost', 'corruptToHost', 'duplicateToHost', 'strayZeroBeforeAck', 'resetAfterBytes'];
const QUICK = { ackMs: 40, initMs: 40, writeMs: 40, erasePageMs: 40, massEraseMs: 80, resyncQuietMs: 4 };

// The L476 checks reads against Get Checksum by default; the F103 has no checksum, so its
// reads are checked by reading twice (--read-check double).
for (const [chip, readCheck] of [['stm32f103xb', 'double'], ['stm32l476xg', 'auto']] as const) {
  describe(`single link faults during a write (${chip}, read check ${readCheck})`, () => {
    it('end in the exact image (and the preserved bytes around it) or a typed error', async () => {
      await fc.assert(fc.asyncProperty(
        fc.constantFrom(...KINDS), fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 1 << 30 }),
        async (kind, position, page, seed) => {
          const r = rig(chip);
          const p = programmer(r, { session: { timeouts: QUICK }, readCheck });
          const dev = await p.connect();
          const base = 0x08000000 + page * 0x1000;
          const address = base + 0x100;
          const data = pattern(3000, seed);
          const old = pattern(0x1000, seed + 1);
          r.sim.flash.program(base, old); // an old firmware: erase needed, bytes around the image preserved
          const expected = old.slice();
          expected.set(data, 0x100);
          r.sim.faults = { [kind]: position };
          let failed: unknown;
          try {
            await writeImage(p, dev, MemoryImage.fromSegments([{ address, data }]));
          } catch (e) {
            failed = e;
          }
          r.sim.faults = {};
          if (failed === undefined) expect(r.sim.flash.read(base, 0x1000)).toEqual(expected);
          else expect(failed).toBeInstanceOf(FlashwrightError);
        }), { numRuns: 40, seed: chip === 'stm32f103xb' ? 4 : 76 });
    }, 60_000);
  });
}
