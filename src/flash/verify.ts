/** Verifying ranges against expected bytes: by device checksum when the way in has one, else by reading back. */
import { FlashwrightError, throwIfAborted } from '../core/errors.js';
import { hex, hexByte } from '../core/format.js';
import type { Programmer } from '../programmer/types.js';
import { VerifyError } from './errors.js';
import type { VerifyRange } from './plan.js';
import type { PhaseReporter } from './progress.js';

export type VerifyMethod = 'readback' | 'digest';

export type { VerifyRange } from './plan.js';

/** Chunk size for read-back, so progress moves and cancellation is checked. */
export const READ_CHUNK = 0x4000;

/** Reads [address, address+length) in chunks, reporting progress to `reporter`. */
export async function readChunked(programmer: Programmer, address: number, length: number, reporter: PhaseReporter | undefined, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const base = reporter?.position ?? 0;
  for (let off = 0; off < length; off += READ_CHUNK) {
    throwIfAborted(signal, 'read');
    const n = Math.min(READ_CHUNK, length - off);
    const track = reporter?.tracker();
    const part = await programmer.readMemory(address + off, n, { signal, onProgress: track });
    out.set(part.subarray(0, n), off);
    reporter?.reach(base + off + n);
  }
  return out;
}

function firstDifference(expected: Uint8Array, actual: Uint8Array): number {
  for (let i = 0; i < expected.length; i++) if (expected[i] !== actual[i]) return i;
  return -1;
}

/** Whether the digest can check this range (its alignment rules). */
export function digestFits(programmer: Programmer, address: number, length: number): boolean {
  const d = programmer.digest;
  return d !== undefined && address % d.alignment === 0 && length % d.alignment === 0 && length > 0;
}

/** What a verify needs to know about the memory beyond the bytes: its erased value, to tell "not there" from "different". */
export interface VerifyContext {
  /** Value of an erased byte in the range's region (0xFF on most NOR). */
  erasedValue?: number;
}

/** How many more reads a mismatch gets over a link without checksums before the chip is blamed. */
const REREADS = 2;

/**
 * Verifies one range; throws VerifyError naming the first differing address, the expected
 * and the read byte, and the sector. A digest mismatch is located by reading back, when the
 * device allows it. Over a link whose reads are not integrity-checked, a mismatching chunk is
 * read again before the chip is blamed: one garbled reply must not fail a write whose flash
 * is exact, and reads that keep changing blame the link, not the flash.
 */
export async function verifyRange(programmer: Programmer, range: VerifyRange, method: VerifyMethod, signal?: AbortSignal, reporter?: PhaseReporter, context: VerifyContext = {}): Promise<void> {
  throwIfAborted(signal, 'verify');
  const { address, expected } = range;
  const base = reporter?.position ?? 0;
  if (method === 'digest' && digestFits(programmer, address, expected.length)) {
    const d = programmer.digest!;
    const want = d.local(expected);
    const got = await d.remote(address, expected.length, { signal });
    reporter?.reach(base + expected.length);
    if (got === want) return;
    let actual: Uint8Array;
    try {
      actual = await readSettled(programmer, address, expected, signal, reporter);
    } catch (cause) {
      if (cause instanceof FlashwrightError && cause.code === 'VERIFY_READS_UNSTABLE') throw cause;
      throw new VerifyError(address, undefined, undefined, { sector: range.sector, method: 'digest', digest: { name: d.name, expected: want, actual: got, address, length: expected.length }, cause });
    }
    const i = firstDifference(expected, actual);
    if (i < 0) {
      // The bytes read back are right: ask the device once more before believing its checksum.
      if ((await d.remote(address, expected.length, { signal })) === want) {
        reporter?.log('warn', `The ${d.name} of ${hex(address)}+${hex(expected.length, 1)} differed once but the bytes read back match, and a second checksum agrees: the first answer was garbled on the link.`, { address });
        return;
      }
    }
    throw mismatch(address + Math.max(i, 0), i < 0 ? undefined : expected[i], i < 0 ? undefined : actual[i], range, 'digest', context,
      { name: d.name, expected: want, actual: got, address, length: expected.length }, i < 0 ? undefined : programmer.explainMismatch?.(address, expected, actual));
  }
  for (let off = 0; off < expected.length; off += READ_CHUNK) {
    throwIfAborted(signal, 'verify');
    const n = Math.min(READ_CHUNK, expected.length - off);
    const want = expected.subarray(off, off + n);
    let part = (await programmer.readMemory(address + off, n, { signal })).subarray(0, n);
    if (firstDifference(want, part) >= 0 && !programmer.checkedReads) part = await readSettled(programmer, address + off, want, signal, reporter, part);
    reporter?.reach(base + off + n);
    const i = firstDifference(want, part);
    if (i >= 0) throw mismatch(address + off + i, want[i]!, part[i]!, range, 'readback', context, undefined, programmer.explainMismatch?.(address + off, want, part));
  }
}

/**
 * Reads `expected.length` bytes at `address` until two reads agree (or one matches what was
 * expected), at most REREADS more times. Reads that never agree throw VERIFY_READS_UNSTABLE:
 * the link garbles data, so nothing can be said about the flash.
 */
async function readSettled(programmer: Programmer, address: number, expected: Uint8Array, signal: AbortSignal | undefined, reporter: PhaseReporter | undefined, first?: Uint8Array): Promise<Uint8Array> {
  let previous = first ?? (await programmer.readMemory(address, expected.length, { signal })).subarray(0, expected.length);
  if (programmer.checkedReads) return previous;
  for (let attempt = 0; attempt < REREADS; attempt++) {
    throwIfAborted(signal, 'verify');
    const again = (await programmer.readMemory(address, expected.length, { signal })).subarray(0, expected.length);
    if (firstDifference(expected, again) < 0) {
      const at = firstDifference(expected, previous);
      reporter?.log('warn', `A read of ${hex(address + at)} gave ${hexByte(previous[at]!)} but a re-read gives the expected ${hexByte(expected[at]!)}: the first reply was garbled on the link; the flash is right.`, { address: address + at });
      return again;
    }
    if (firstDifference(previous, again) < 0) return again; // two reads agree: the flash holds this
    previous = again;
  }
  throw new FlashwrightError('VERIFY_READS_UNSTABLE', `Reads of ${hex(address)}+${hex(expected.length, 1)} keep giving different bytes, so whether the flash holds the image cannot be told.`, {
    hint: 'The link corrupts data (no checksums on this way in): lower the baud rate, shorten or replace the cable, check the ground, then verify again.',
    context: { address, length: expected.length, reads: REREADS + 1 },
  });
}

/** A VerifyError whose hint says what the read value means: erased (the data is not there) or different. */
function mismatch(at: number, expected: number | undefined, actual: number | undefined, range: VerifyRange, method: VerifyMethod, context: VerifyContext,
  digest?: { name: string; expected: number; actual: number; address: number; length: number }, explained?: string): VerifyError {
  const erased = context.erasedValue ?? 0xff;
  // The way in's own reading of the pattern (an external loader's Write) comes first.
  const hint = explained ?? (actual !== undefined && actual === erased && expected !== erased
    ? `${hex(at)} reads ${hexByte(actual)}, the erased value: the data is not there — it was never written, or something erased it afterwards (an erase of that sector, a mass erase, a reset during programming). Write the image again; if it is missing again, check what else erases that sector.`
    : undefined);
  return new VerifyError(at, expected, actual, { sector: range.sector, method, ...(digest ? { digest } : {}), ...(hint ? { hint } : {}) });
}
