/**
 * Kept bytes are never lost: before a sector holding bytes to keep (outside the image, in a
 * partly covered sector, or anywhere a mass erase wipes) is erased, those bytes are saved in
 * a journal the next run finds. The engine only knows this interface; the CLI keeps the
 * journal as a file in the user's cache folder (src/cli/journal.ts).
 */
import type { FlashPlan } from './plan.js';

export interface KeptBytes {
  address: number;
  data: Uint8Array;
}

export interface KeptBytesJournal {
  /** Where the journal lives (a file path), for reports. */
  readonly name: string;
  /** Adds `kept` to the journal (merged with what an earlier interrupted run left there). */
  save(kept: readonly KeptBytes[]): Promise<void>;
  /** The write is verified: the kept bytes are on the device again. */
  clear(): Promise<void>;
}

/** The bytes the plan keeps: its preserve ranges, taken from the program operations that write them back. */
export function keptBytesOf(plan: FlashPlan): KeptBytes[] {
  const programs = plan.operations.flatMap((o) => (o.kind === 'program' ? [o] : []));
  const out: KeptBytes[] = [];
  for (const p of plan.operations) {
    if (p.kind !== 'preserve') continue;
    for (const op of programs) {
      const from = Math.max(p.address, op.address);
      const to = Math.min(p.address + p.size, op.address + op.size);
      if (to > from) out.push({ address: from, data: op.data.slice(from - op.address, to - op.address) });
    }
  }
  return out;
}
