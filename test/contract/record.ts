/**
 * Checks a resume record (WriteProgress) against what the simulated device really holds:
 * every byte the record calls programmed holds the plan's byte; every other byte is the
 * erased value where the record says its sector was erased, the old byte where nothing
 * touched it, and one of the possible values where the record says "maybe"; verified
 * ranges hold the verify's bytes; programmed and pending together cover the plan.
 */
import { expect } from 'vitest';
import type { WriteProgress } from '../../src/flash/errors.js';
import type { FlashPlan } from '../../src/flash/plan.js';
import { regionSectors } from '../../src/target/geometry.js';
import type { TargetDescription } from '../../src/target/types.js';

type R = { address: number; size: number };
const inAny = (rs: readonly R[] | undefined, a: number) => (rs ?? []).some((r) => a >= r.address && a < r.address + r.size);

export function checkRecord(plan: FlashPlan, target: TargetDescription, progress: WriteProgress, area: { start: number; size: number }, before: Uint8Array, after: Uint8Array): void {
  const want = new Map<number, number>();
  for (const o of plan.operations) if (o.kind === 'program') o.data.forEach((b, i) => want.set(o.address + i, b));
  const flash = target.regions.find((r) => r.kind === 'flash')!;
  const erasedValue = flash.erasedValue ?? 0xff;
  const sectorOf = (a: number) => regionSectors(flash).find((s) => a >= s.address && a < s.address + s.size)!;
  const erasedSector = (a: number) => progress.chipErased || progress.erased.includes(sectorOf(a).address);
  for (let i = 0; i < area.size; i++) {
    const a = area.start + i;
    const got = after[i];
    const old = before[i];
    const at = `0x${a.toString(16)} (record ${JSON.stringify({ ...progress, pending: progress.pending.length })})`;
    if (inAny(progress.programmed, a)) {
      expect(got, `programmed byte at ${at}`).toBe(want.get(a));
      expect(inAny(progress.pending, a), `programmed and pending at ${at}`).toBe(false);
      continue;
    }
    if (want.has(a)) expect(inAny(progress.pending, a), `planned byte neither programmed nor pending at ${at}`).toBe(true);
    const base = erasedSector(a) ? [erasedValue] : inAny(progress.maybeErased, a) ? [old, erasedValue] : [old];
    // A byte the failed call may have reached: programming moves erased cells to the plan's value.
    const possible = inAny(progress.maybeProgrammed, a) && want.has(a) ? [...base, want.get(a)!] : base;
    expect(possible, `byte at ${at}: ${got}`).toContain(got);
  }
  for (const v of progress.verified) {
    const r = plan.verify.find((x) => x.address === v.address)!;
    for (let i = 0; i < v.size; i++) {
      const a = v.address + i;
      if (a >= area.start && a < area.start + area.size) expect(after[a - area.start], `verified byte at 0x${a.toString(16)}`).toBe(r.expected[i]);
    }
  }
}
