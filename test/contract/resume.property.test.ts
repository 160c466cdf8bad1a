/**
 * The resume record is true (issue 9 §8): after any interruption — a reset after a random
 * number of programmed bytes, a failing program or erase call, Ctrl-C (abort) at a random
 * point — the record's erased / maybe-erased / programmed / maybe-programmed / verified /
 * pending ranges match the simulated device byte for byte, and the same write with --skip
 * then finishes to a verified image. 1,000+ runs across the ways in, in-process, virtual time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyImage, writeImage } from '../../src/flash/engine.js';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import type { FlashPlan } from '../../src/flash/plan.js';
import { checkRecord } from './record.js';
import { makeRig } from './rigs.js';
import { imageIn, imagePieces, loadOld, oldPieces } from './scenario.js';

// 1,010 runs in all; the serial ways in are slower per run (real protocol timing over the pipe).
const RUNS: Record<'sim' | 'stm32-uart' | 'mcuboot-uart' | 'mcuboot-hid', number> = { sim: 900, 'stm32-uart': 20, 'mcuboot-uart': 50, 'mcuboot-hid': 40 };

const fault = fc.oneof(
  fc.record({ kind: fc.constant('reset' as const), n: fc.nat({ max: 0x3000 }) }),
  fc.record({ kind: fc.constant('fail-program' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('fail-erase' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('abort' as const), n: fc.integer({ min: 1, max: 40 }) }),
);
const scenario = fc.record({
  old: oldPieces,
  image: imagePieces,
  preserve: fc.boolean(),
  eraseMode: fc.constantFrom('auto' as const, 'sectors' as const),
  fault,
});

describe.each(Object.keys(RUNS) as Array<keyof typeof RUNS>)('resume record: %s', (name) => {
  it('matches the device after any interruption, and --skip resumes to a verified image', async () => {
    const counts = { interrupted: 0, clean: 0 };
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      const rig = makeRig(name);
      const { start, size } = rig.area;
      loadOld(rig, s.old);
      const { image, segments: segs } = imageIn(rig, s.image);
      const device = await rig.programmer.connect();
      const before = await rig.read(start, size);
      const opts = { allowUnbootable: true, preserve: s.preserve, eraseMode: s.eraseMode };
      const controller = new AbortController();
      // A reset unplugs the simulated HID device for good: there the faults are calls failing and Ctrl-C.
      if (s.fault.kind === 'reset' && name !== 'mcuboot-hid') rig.faults?.({ resetAfterBytes: s.fault.n });
      if (s.fault.kind === 'fail-program') rig.faults?.({ failProgramCall: s.fault.n });
      if (s.fault.kind === 'fail-erase') rig.faults?.({ failEraseCall: s.fault.n });
      let plan: FlashPlan | undefined;
      let events = 0;
      const err = await writeImage(rig.programmer, device, image, {
        ...opts, signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'plan') plan = e.plan;
          if (s.fault.kind === 'abort' && plan && (e.type === 'progress' || e.type === 'start') && ++events === s.fault.n) controller.abort(new Error('Ctrl-C'));
        },
      }).then(() => undefined, (e: unknown) => e);
      rig.faults?.({});
      const after = await rig.read(start, size);
      if (err === undefined) counts.clean++;
      else if (err instanceof FlashInterruptedError) {
        counts.interrupted++;
        checkRecord(plan!, device.target, err.progress, rig.area, before, after);
      } else {
        // Refused or cancelled before anything changed: the device is as it was.
        expect(after, String(err)).toEqual(before);
      }
      // The device may have reset: connect again, as the user's next command would.
      const again = await rig.programmer.connect();
      await writeImage(rig.programmer, again, image, { ...opts, skipUnchanged: true });
      await verifyImage(rig.programmer, again, image);
      for (const sg of segs) expect(await rig.read(sg.address, sg.data.length)).toEqual(sg.data);
      await rig.programmer.close();
    }), { numRuns: RUNS[name] });
    // Enough runs must really be interrupted to mean something; with a few dozen runs per serial way in that count varies too much to bound.
    if (RUNS[name] >= 100) expect(counts.interrupted, JSON.stringify(counts)).toBeGreaterThan(RUNS[name] / 8);
  }, 300_000);
});
