/**
 * The plan is what happens (issue 9 §4), per way in: random images, random device contents,
 * random flags. planWrite's operations equal the ones writeImage then walks, the calls the
 * way in receives are exactly the plan's erases and programmed bytes, and the device ends
 * up holding the image (and the old bytes the plan kept).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planWrite, writeImage } from '../../src/flash/engine.js';
import { makeRig, type RigName } from './rigs.js';
import { actualCalls, expectedCalls, recording } from './calls.js';
import { imageIn, imagePieces, loadOld, oldPieces } from './scenario.js';

const RUNS: Record<RigName, number> = { sim: 80, 'stm32-uart': 12, 'mcuboot-uart': 12, 'mcuboot-hid': 12, 'gdb-fake': 12 };

const scenario = fc.record({
  old: oldPieces,
  image: imagePieces,
  preserve: fc.boolean(),
  skip: fc.constantFrom(undefined, true, false),
  eraseMode: fc.constantFrom('auto' as const, 'sectors' as const),
});

describe.each(Object.keys(RUNS) as RigName[])('plan equals write: %s', (name) => {
  it('for random images, device contents and flags', async () => {
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      const rig = makeRig(name);
      const { start, size } = rig.area;
      loadOld(rig, s.old);
      const before = await rig.read(start, size);
      const { image } = imageIn(rig, s.image);
      const device = await rig.programmer.connect();
      const opts = { allowUnbootable: true, preserve: s.preserve, eraseMode: s.eraseMode, ...(s.skip === undefined ? {} : { skipUnchanged: s.skip }) };
      const { plan } = await planWrite(rig.programmer, device, image, opts);
      const rec = recording(rig.programmer);
      const summary = await writeImage(rec.programmer, device, image, opts);
      expect(summary.plan.operations).toEqual(plan.operations);
      expect(actualCalls(rec.calls)).toEqual(expectedCalls(plan));
      const after = await rig.read(start, size);
      const touched = new Set(plan.sectors.filter((x) => x.action !== 'skip').map((x) => x.address));
      const sector = rig.area.sector;
      for (let i = 0; i < size; i++) {
        const want = image.byteAt(start + i);
        if (want !== undefined) expect(after[i]).toBe(want);
        else if (s.preserve || !touched.has(start + i - (i % sector))) expect(after[i], `kept byte at +0x${i.toString(16)}`).toBe(before[i]);
      }
      await rig.programmer.close();
    }), { numRuns: RUNS[name] });
  }, 120_000);
});
