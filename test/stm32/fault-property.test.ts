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

for (const chip of ['stm32f103xb', 'stm32l476xg']) {
  describe(`single link faults during a write (${chip})`, () => {
    it('end in the exact image or a typed error', async () => {
      await fc.assert(fc.asyncProperty(
        fc.constantFrom(...KINDS), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 1 << 30 }),
        async (kind, position, page, seed) => {
          const r = rig(chip);
          const p = programmer(r, { session: { timeouts: QUICK } });
          const dev = await p.connect();
          const address = 0x08000000 + page * 0x800 + 0x100;
          const data = pattern(3000, seed);
          r.sim.flash.program(0x08000000 + page * 0x800, new Uint8Array(8)); // old bytes: an erase is needed
          r.sim.faults = { [kind]: position };
          let failed: unknown;
          try {
            await writeImage(p, dev, MemoryImage.fromSegments([{ address, data }]));
          } catch (e) {
            failed = e;
          }
          r.sim.faults = {};
          if (failed === undefined) expect(r.sim.flash.read(address, data.length)).toEqual(data);
          else expect(failed).toBeInstanceOf(FlashwrightError);
        }), { numRuns: 40, seed: chip === 'stm32f103xb' ? 4 : 76 });
    }, 60_000);
  });
}
