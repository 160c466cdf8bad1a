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
  // Collected, then asserted once: thousands of runs check every byte of the area.
  const wrong: string[] = [];
  const say = (a: number, what: string) => { if (wrong.length < 5) wrong.push(`0x${a.toString(16)}: ${what}`); };
  for (let i = 0; i < area.size; i++) {
    const a = area.start + i;
    const got = after[i]!;
    const old = before[i]!;
    const planned = want.get(a);
    if (inAny(progress.programmed, a)) {
      if (got !== planned) say(a, `programmed, holds ${got}, plan ${planned}`);
      if (inAny(progress.pending, a)) say(a, 'both programmed and pending');
      continue;
    }
    if (planned !== undefined && !inAny(progress.pending, a)) say(a, 'planned but neither programmed nor pending');
    const base = erasedSector(a) ? [erasedValue] : inAny(progress.maybeErased, a) ? [old, erasedValue] : [old];
    // A byte the failed call may have reached: programming moves erased cells to the plan's value.
    const possible = inAny(progress.maybeProgrammed, a) && planned !== undefined ? [...base, planned] : base;
    if (!possible.includes(got)) say(a, `holds ${got}, record allows ${possible.join('/')}`);
  }
  for (const v of progress.verified) {
    const r = plan.verify.find((x) => x.address === v.address)!;
    for (let i = 0; i < v.size; i++) {
      const a = v.address + i;
      if (a >= area.start && a < area.start + area.size && after[a - area.start] !== r.expected[i]) say(a, 'verified but differs');
    }
  }
  expect(wrong, `record ${JSON.stringify({ ...progress, pending: progress.pending.length })}`).toEqual([]);
}
