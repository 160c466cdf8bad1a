/**
 * Property: whatever single link fault hits a write (drop, corrupt or duplicate a byte in
 * either direction, a stray 0x00 before an ACK, a reset mid-command), writeImage either
 * leaves exactly the image in flash or fails with FlashInterruptedError whose record
 * (erased / programmed / still to do) matches what the simulated flash really holds (or,
 * when the fault hits the reads before any erase, a typed error with the flash untouched) —
 * never a "success" over wrong contents. A verify mismatch is accepted only where the
 * protocol itself cannot see the fault (AN3155's 8-bit XOR lets a duplicated or dropped data
 * byte through 1 time in 256; a reset mid-frame leaves the rest of the frame to autobaud,
 * where a 0x7F data byte draws an ACK), and only when it names a byte the flash really holds.
 *
 * Each run is classified; the campaign must contain enough runs where the fault fired, and
 * enough that succeeded, or it proves nothing. It runs on virtual time with the
 * real-hardware timeouts, so a slow machine makes it longer, never weaker.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { writeImage } from '../../src/flash/engine.js';
import { FlashwrightError } from '../../src/core/errors.js';
import { FlashInterruptedError, VerifyError } from '../../src/flash/errors.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import type { Stm32LinkFaults } from '../../src/sim/stm32/faults.js';
import { onVirtualTime } from '../helpers/virtual-time.js';
import { pattern, programmer, rig } from './helpers.js';

const RECOVERABLE: Array<keyof Stm32LinkFaults> = ['dropToDevice', 'corruptToDevice', 'duplicateToDevice', 'dropToHost', 'corruptToHost', 'duplicateToHost', 'strayZeroBeforeAck'];
/** A reset is the fault that interrupts a write: one run in three, so the records get tested. */
const KIND = fc.oneof({ arbitrary: fc.constantFrom(...RECOVERABLE), weight: 2 }, { arbitrary: fc.constant<keyof Stm32LinkFaults>('resetAfterBytes'), weight: 1 });
const BLOCK = 0x1000;
const RUNS = 100;

type Range = { address: number; size: number };
const within = (a: number, ranges: readonly Range[]) => ranges.some((r) => a >= r.address && a < r.address + r.size);

/**
 * The record must describe the flash: programmed ranges hold the expected bytes; sectors the
 * record does not call erased (or possibly erased) still hold the old bytes; in erased sectors
 * every byte is either what was meant (when programmed, or part of the failed call's pending
 * range) or erased.
 */
function expectRecordMatchesFlash(e: FlashInterruptedError, base: number, flash: Uint8Array, old: Uint8Array, expected: Uint8Array, pageSize: number): void {
  const p = e.progress;
  for (let i = 0; i < BLOCK; i++) {
    const a = base + i;
    const sector = a - (a % pageSize);
    const erased = p.chipErased || p.erased.includes(sector);
    const maybe = within(a, p.maybeErased ?? []);
    const at = `0x${a.toString(16)} (record ${JSON.stringify({ phase: p.phase, erased: p.erased.map((x) => x.toString(16)), programmed: p.programmed, pending: p.pending })})`;
    if (within(a, p.programmed)) expect(flash[i], `programmed byte at ${at}`).toBe(expected[i]);
    else if (!erased && !maybe) expect(flash[i], `untouched byte at ${at}`).toBe(old[i]);
    else if (within(a, p.pending)) expect([0xff, expected[i]], `pending byte at ${at}`).toContain(flash[i]);
    else if (!maybe) expect(flash[i], `erased byte at ${at}`).toBe(0xff);
    else expect([0xff, old[i]], `possibly erased byte at ${at}`).toContain(flash[i]);
  }
}

/** Faults AN3155's framing cannot always see (see the header): only these may end in a verify mismatch. */
const PROTOCOL_BLIND: Array<keyof Stm32LinkFaults> = ['duplicateToDevice', 'dropToDevice', 'resetAfterBytes'];

/** A verify mismatch must name the first wrong byte of its sector, as the flash holds it. */
function expectVerifyErrorMatchesFlash(e: VerifyError, base: number, flash: Uint8Array, expected: Uint8Array): void {
  const i = e.address - base;
  expect(i >= 0 && i < BLOCK, `verify address 0x${e.address.toString(16)} outside the block`).toBe(true);
  expect(e.actual, String(e)).toBe(flash[i]);
  expect(e.expected, String(e)).toBe(expected[i]);
  const sector = (e.context.sector as Range | undefined) ?? { address: e.address, size: 1 };
  const from = Math.max(0, sector.address - base);
  for (let k = from; k < i; k++) expect(flash[k], `byte 0x${(base + k).toString(16)} before the reported one`).toBe(expected[k]);
}

// The L476 checks reads against Get Checksum by default; the F103 has no checksum, so its
// reads are checked by reading twice (--read-check double).
for (const [chip, readCheck, pageSize] of [['stm32f103xb', 'double', 0x400], ['stm32l476xg', 'auto', 0x800]] as const) {
  describe(`single link faults during a write (${chip}, read check ${readCheck})`, () => {
    it('end in the exact image, or in FlashInterruptedError whose record matches the flash; enough runs fire the fault and enough succeed', async () => {
      const seen = { notFired: 0, firedSucceeded: 0, firedFailed: 0, interrupted: 0, beforeErase: 0, verifyCaught: 0 };
      await fc.assert(fc.asyncProperty(
        KIND, fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 1 << 30 }),
        async (kind, position, page, seed) => {
          const r = rig(chip);
          // Real-hardware timeouts (the session's defaults): on virtual time they cost nothing.
          const p = programmer(r, { session: {}, readCheck });
          const dev = await onVirtualTime(() => p.connect());
          const base = 0x08000000 + page * BLOCK;
          const address = base + 0x100;
          const data = pattern(3000, seed);
          const old = pattern(BLOCK, seed + 1);
          r.sim.flash.program(base, old); // an old firmware: erase needed, bytes around the image preserved
          const expected = old.slice();
          expected.set(data, 0x100);
          const faults: Stm32LinkFaults = { [kind]: position };
          r.sim.faults = faults;
          const outcome = await onVirtualTime(() => writeImage(p, dev, MemoryImage.fromSegments([{ address, data }]))).then(() => undefined, (e: unknown) => e);
          // A fault deletes its counter when it fires.
          const fired = !(kind in r.sim.faults);
          r.sim.faults = {};
          const flash = r.sim.flash.read(base, BLOCK);
          if (outcome === undefined) {
            expect(flash).toEqual(expected);
            if (fired) seen.firedSucceeded++; else seen.notFired++;
            return;
          }
          // Without a fault nothing may fail. With one: an interrupted write whose record matches
          // the flash, or — before anything was erased (reading what to preserve) — a typed
          // link error with the flash untouched. Never a verify mismatch.
          expect(fired, `failed without a fault: ${String(outcome)}`).toBe(true);
          expect(outcome, String(outcome)).toBeInstanceOf(FlashwrightError);
          if (outcome instanceof VerifyError) {
            expect(PROTOCOL_BLIND, String(outcome)).toContain(kind);
            expectVerifyErrorMatchesFlash(outcome, base, flash, expected);
            seen.verifyCaught++;
          } else if (outcome instanceof FlashInterruptedError) {
            expectRecordMatchesFlash(outcome, base, flash, old, expected, pageSize);
            seen.interrupted++;
          } else {
            expect(flash, `${String(outcome)} left the flash changed`).toEqual(old);
            seen.beforeErase++;
          }
          seen.firedFailed++;
        }), { numRuns: RUNS, seed: chip === 'stm32f103xb' ? 4 : 76 });
      // The campaign must exercise the faults and the recoveries, not just pass quietly.
      expect(seen.notFired + seen.firedSucceeded + seen.firedFailed).toBe(RUNS);
      expect(seen.firedSucceeded + seen.firedFailed, JSON.stringify(seen)).toBeGreaterThanOrEqual(RUNS * 0.75);
      expect(seen.firedSucceeded, JSON.stringify(seen)).toBeGreaterThanOrEqual(RUNS * 0.4); // recovered from a fault that fired
      expect(seen.interrupted, JSON.stringify(seen)).toBeGreaterThanOrEqual(RUNS * 0.1); // records checked against the flash
    }, 120_000);
  });
}
