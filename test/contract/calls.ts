/** The changing calls a way in receives, recorded through a Proxy, and the same shape derived from a plan. */
import type { FlashPlan } from '../../src/flash/plan.js';
import type { Programmer } from '../../src/programmer/types.js';

/** Every call the engine makes to the way in, in order (erase, program, RAM, unlock/protect). */
export type Call = { op: 'erase'; addresses: number[] } | { op: 'erase-chip' } | { op: 'program'; address: number; data: Uint8Array } | { op: 'change'; kind: string };

/** Records the changing calls made through `p`, without altering them. */
export function recording(p: Programmer): { programmer: Programmer; calls: Call[] } {
  const calls: Call[] = [];
  const programmer = new Proxy(p, {
    get(t, key) {
      const v = Reflect.get(t, key, t) as unknown;
      if (typeof v !== 'function') return v;
      const f = v as (...args: unknown[]) => unknown;
      if (key === 'eraseSectors') return (s: Array<{ address: number }>, o: unknown) => { calls.push({ op: 'erase', addresses: s.map((x) => x.address) }); return f.call(t, s, o); };
      if (key === 'eraseChip') return (o: unknown) => { calls.push({ op: 'erase-chip' }); return f.call(t, o); };
      if (key === 'programFlash') return (a: number, d: Uint8Array, o: unknown) => { calls.push({ op: 'program', address: a, data: d.slice() }); return f.call(t, a, d, o); };
      if (key === 'applyChange') return (c: { kind: string }, o: unknown) => { calls.push({ op: 'change', kind: c.kind }); return f.call(t, c, o); };
      return f.bind(t);
    },
  });
  return { programmer, calls };
}

/** What the plan says the write will ask of the way in: sector erases, a mass erase, the bytes to program per address. */
export function expectedCalls(plan: FlashPlan): { erased: number[]; chip: boolean; bytes: Map<number, number>; changes: string[] } {
  const bytes = new Map<number, number>();
  for (const o of plan.operations) if (o.kind === 'program') o.data.forEach((b, i) => bytes.set(o.address + i, b));
  return {
    erased: plan.operations.flatMap((o) => (o.kind === 'erase' && !o.chip ? [o.address] : [])),
    chip: plan.operations.some((o) => o.kind === 'erase' && o.chip === true),
    bytes,
    changes: plan.operations.flatMap((o) => (o.kind === 'unlock' || o.kind === 'protect' ? [o.change.kind] : [])),
  };
}

/** The call log reduced to the same shape. */
export function actualCalls(calls: Call[]): ReturnType<typeof expectedCalls> {
  const bytes = new Map<number, number>();
  for (const c of calls) if (c.op === 'program') c.data.forEach((b, i) => bytes.set(c.address + i, b));
  return {
    erased: calls.flatMap((c) => (c.op === 'erase' ? c.addresses : [])),
    chip: calls.some((c) => c.op === 'erase-chip'),
    bytes,
    changes: calls.flatMap((c) => (c.op === 'change' ? [c.kind] : [])),
  };
}

