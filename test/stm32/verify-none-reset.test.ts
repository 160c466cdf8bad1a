/**
 * Issue 10 §5: `--verify none` cannot end in silent corruption over a faulty link. A reset in
 * the middle of a Write Memory frame leaves the rest of the frame to the fresh bootloader's
 * autobaud: a 0x7F among the data draws its ACK, which looked like the write's ACK. The
 * session must see the re-initialised bootloader and fail; then a write without verify either
 * holds exactly the image or fails.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { onVirtualTime } from '../helpers/virtual-time.js';
import { pattern, programmer, rig } from './helpers.js';

describe('--verify none and a reset mid-frame', () => {
  it('never reports success over flash that does not hold the image', async () => {
    const seen = { silentOk: 0, failed: 0, notFired: 0 };
    await fc.assert(fc.asyncProperty(fc.integer({ min: 200, max: 6000 }), fc.integer({ min: 1, max: 1 << 30 }), async (position, seed) => {
      const r = rig('stm32f103xb');
      const p = programmer(r, { session: {} });
      const dev = await onVirtualTime(() => p.connect());
      // Data rich in 0x7F, as real firmware often is (and as the autobaud needs to fire).
      const data = pattern(0x1800, seed).map((b, i) => (i % 7 === 0 ? 0x7f : b));
      const image = MemoryImage.fromSegments([{ address: 0x08000000, data }]);
      r.sim.faults = { resetAfterBytes: position };
      const outcome = await onVirtualTime(() => writeImage(p, dev, image, { verify: 'none', allowUnbootable: true, skipUnchanged: false, preserve: false })).then(() => undefined, (e: unknown) => e);
      const fired = !('resetAfterBytes' in r.sim.faults);
      r.sim.faults = {};
      if (!fired) { seen.notFired++; return; }
      if (outcome === undefined) {
        expect(r.sim.flash.read(0x08000000, data.length), 'a write reported success').toEqual(data);
        seen.silentOk++;
      } else seen.failed++;
    }), { numRuns: 60, seed: 10 });
    expect(seen.failed).toBeGreaterThan(20);
  }, 120_000);
});
