/**
 * The contract's properties on the QEMU way in (issue 9 §3, §4, §8): GdbProgrammer with our
 * nRF51 NVMC flash algorithm against QEMU's micro:bit, one fresh QEMU per run (older contents
 * go in through its loader at start; the device is read back through its monitor, not the
 * stub under test). QEMU is slow, so fewer runs than in-process — but stratified, each run
 * classified, and each class with a minimum count, so the few runs cover what they must:
 *  - plan equals write: erased flash, an older build kept (preserve), an older build replaced
 *    (no preserve), the same image again (skips) — 5 runs each;
 *  - the resume record: Ctrl-C during the erase and during the program phase — 12 runs each;
 *    the record is checked byte for byte against QEMU's flash, then --skip resumes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWrite, verifyImage, writeImage } from '../../src/flash/engine.js';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import type { FlashPlan } from '../../src/flash/plan.js';
import type { Phase } from '../../src/programmer/events.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { actualCalls, expectedCalls, recording } from './calls.js';
import { QEMU_PEERS, qemuRig } from './qemu-rig.js';
import { checkRecord } from './record.js';
import type { Rig } from './rigs.js';
import { imageIn, imagePieces, oldPieces, loadOld, type Piece } from './scenario.js';

const OPTS = { allowUnbootable: true } as const;
let toolchain: Toolchain | undefined;
let flm: { path: string; data: Uint8Array } | undefined;

beforeAll(() => {
  if (QEMU_PEERS.skip) return;
  toolchain = new Toolchain();
  flm = toolchain.flm();
});
afterAll(() => toolchain?.cleanup());

/** Runs `body` on a fresh QEMU rig whose flash area first holds `old`; QEMU is stopped afterwards. */
async function withQemu<T>(old: readonly Piece[] | ((rig: Rig) => void), body: (rig: Rig) => Promise<T>): Promise<T> {
  const rig = qemuRig(flm);
  try {
    if (typeof old === 'function') old(rig);
    else loadOld(rig, old);
    return await body(rig);
  } finally {
    await rig.dispose?.();
  }
}

type PlanClass = 'erase' | 'preserve' | 'skip' | 'program-only';

/** What kind of plan a run made. */
function classify(plan: FlashPlan): PlanClass[] {
  const has = (k: string) => plan.operations.some((o) => o.kind === k);
  const out: PlanClass[] = [];
  if (has('erase')) out.push('erase');
  if (has('preserve')) out.push('preserve');
  if (has('skip')) out.push('skip');
  if (!has('erase') && has('program')) out.push('program-only');
  return out;
}

const STRATA: ReadonlyArray<{ name: string; old: 'erased' | 'random' | 'image'; preserve: boolean; want: Partial<Record<PlanClass, number>>; never?: PlanClass[] }> = [
  { name: 'erased flash', old: 'erased', preserve: true, want: { 'program-only': 5 }, never: ['erase', 'skip'] },
  { name: 'an older build, its bytes kept', old: 'random', preserve: true, want: { erase: 5, preserve: 3 } },
  { name: 'an older build, replaced', old: 'random', preserve: false, want: { erase: 5 }, never: ['preserve'] },
  { name: 'the same image again', old: 'image', preserve: true, want: { skip: 5 }, never: ['erase', 'program-only'] },
];

describe.skipIf(QEMU_PEERS.skip)(QEMU_PEERS.title('plan equals write on QEMU (20 runs, 4 classified strata)'), () => {
  for (const stratum of STRATA) {
    it(`${stratum.name}: the calls QEMU receives are the plan's, and the flash ends as planned`, async () => {
      const counts: Record<PlanClass, number> = { erase: 0, preserve: 0, skip: 0, 'program-only': 0 };
      // Older contents over the whole area, so the image always meets them.
      const scenario = fc.record({ image: imagePieces, old: fc.uint8Array({ minLength: 0x4000, maxLength: 0x4000 }), eraseMode: fc.constantFrom('auto' as const, 'sectors' as const) });
      await fc.assert(fc.asyncProperty(scenario, async (s) => {
        await withQemu((rig) => {
          const { image } = imageIn(rig, s.image);
          // One loader piece over the whole area (QEMU refuses overlapping loader regions).
          const area = stratum.old === 'random' ? s.old.slice() : new Uint8Array(rig.area.size).fill(rig.area.erased);
          if (stratum.old === 'image') for (const seg of image.segments) area.set(seg.data, seg.address - rig.area.start);
          rig.load(rig.area.start, area);
        }, async (rig) => {
          const { start, size, sector } = rig.area;
          const { image } = imageIn(rig, s.image);
          const before = await rig.read(start, size);
          const device = await rig.programmer.connect();
          const opts = { ...OPTS, preserve: stratum.preserve, eraseMode: s.eraseMode };
          const { plan } = await planWrite(rig.programmer, device, image, opts);
          const rec = recording(rig.programmer);
          const summary = await writeImage(rec.programmer, device, image, opts);
          expect(summary.plan.operations).toEqual(plan.operations);
          expect(actualCalls(rec.calls)).toEqual(expectedCalls(plan));
          const classes = classify(plan);
          for (const c of classes) counts[c]++;
          for (const c of stratum.never ?? []) expect(classes, `a ${stratum.name} plan has no ${c}`).not.toContain(c);
          const after = await rig.read(start, size);
          const touched = new Set(plan.sectors.filter((x) => x.action !== 'skip').map((x) => x.address));
          for (let i = 0; i < size; i++) {
            const want = image.byteAt(start + i);
            if (want !== undefined) expect(after[i]).toBe(want);
            else if (stratum.preserve || !touched.has(start + i - (i % sector))) expect(after[i], `kept byte at +0x${i.toString(16)}`).toBe(before[i]);
          }
          await rig.programmer.close();
        });
      }), { numRuns: 5 });
      for (const [c, n] of Object.entries(stratum.want)) expect(counts[c as PlanClass], `${c} in ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(n);
    }, 300_000);
  }
});

type Outcome = 'interrupted' | 'untouched' | 'completed';

describe.skipIf(QEMU_PEERS.skip)(QEMU_PEERS.title('resume record on QEMU (24 runs: Ctrl-C in the erase and in the program phase)'), () => {
  const strata: ReadonlyArray<{ phase: Phase; events: number; min: Partial<Record<Outcome, number>> }> = [
    // Erase: Ctrl-C at the phase's start stops before any sector is erased (untouched), at its first progress after one (interrupted).
    { phase: 'erase', events: 2, min: { interrupted: 2, untouched: 1 } },
    { phase: 'program', events: 2, min: { interrupted: 9 } },
  ];
  for (const { phase, events, min } of strata) {
    it(`Ctrl-C at a random ${phase} event: the record matches QEMU's flash, and --skip resumes to a verified image`, async () => {
      const counts: Record<Outcome, number> = { interrupted: 0, untouched: 0, completed: 0 };
      const scenario = fc.record({ old: oldPieces, image: imagePieces, preserve: fc.boolean(), eraseMode: fc.constantFrom('auto' as const, 'sectors' as const), at: fc.integer({ min: 1, max: events }) });
      await fc.assert(fc.asyncProperty(scenario, async (s) => {
        // An older build under every image so the write must erase: the erase phase has events.
        await withQemu((rig) => {
          const area = Uint8Array.from({ length: rig.area.size }, (_, i) => (i * 13 + 5) & 0xff);
          for (const o of s.old) { const at = o.offset % area.length; area.set(o.data.subarray(0, area.length - at), at); }
          rig.load(rig.area.start, area); // one loader piece: QEMU refuses overlapping ones
        }, async (rig) => {
          const { start, size } = rig.area;
          const { image, segments } = imageIn(rig, s.image);
          const device = await rig.programmer.connect();
          const before = await rig.read(start, size);
          const opts = { ...OPTS, preserve: s.preserve, eraseMode: s.eraseMode };
          const controller = new AbortController();
          let plan: FlashPlan | undefined;
          let seen = 0;
          const err = await writeImage(rig.programmer, device, image, {
            ...opts, signal: controller.signal,
            onEvent: (e) => {
              if (e.type === 'plan') plan = e.plan;
              if ((e.type === 'start' || e.type === 'progress') && e.phase === phase && ++seen === s.at) controller.abort(new Error('Ctrl-C'));
            },
          }).then(() => undefined, (e: unknown) => e);
          const after = await rig.read(start, size);
          if (err === undefined) counts.completed++;
          else if (err instanceof FlashInterruptedError) {
            counts.interrupted++;
            checkRecord(plan!, device.target, err.progress, rig.area, before, after);
          } else {
            counts.untouched++;
            expect(after, String(err)).toEqual(before); // cancelled before anything changed
          }
          // The same session goes on (QEMU's stub takes one debugger at a time), as the contract's cancel test does.
          await writeImage(rig.programmer, device, image, { ...opts, skipUnchanged: true });
          await verifyImage(rig.programmer, device, image);
          for (const sg of segments) expect(await rig.read(sg.address, sg.data.length)).toEqual(sg.data);
          await rig.programmer.close();
        });
      }), { numRuns: 12 });
      console.log(`qemu resume, Ctrl-C in ${phase}: ${JSON.stringify(counts)}`); // the classification, beside the minimums
      for (const [c, n] of Object.entries(min)) expect(counts[c as Outcome], `${c} in ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(n);
    }, 600_000);
  }
});
