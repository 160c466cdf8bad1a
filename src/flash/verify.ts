/** Verifying ranges against expected bytes: by device checksum when the way in has one, else by reading back. */
import { throwIfAborted } from '../core/errors.js';
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

/**
 * Verifies one range; throws VerifyError naming the first differing address, the expected
 * and the read byte, and the sector. A digest mismatch is located by reading back, when the
 * device allows it.
 */
export async function verifyRange(programmer: Programmer, range: VerifyRange, method: VerifyMethod, signal?: AbortSignal, reporter?: PhaseReporter): Promise<void> {
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
      actual = await programmer.readMemory(address, expected.length, { signal });
    } catch (cause) {
      throw new VerifyError(address, undefined, undefined, { sector: range.sector, method: 'digest', digest: { name: d.name, expected: want, actual: got, address, length: expected.length }, cause });
    }
    const i = firstDifference(expected, actual);
    throw new VerifyError(address + Math.max(i, 0), i < 0 ? undefined : expected[i], i < 0 ? undefined : actual[i],
      { sector: range.sector, method: 'digest', digest: { name: d.name, expected: want, actual: got, address, length: expected.length } });
  }
  const actual = new Uint8Array(expected.length);
  for (let off = 0; off < expected.length; off += READ_CHUNK) {
    throwIfAborted(signal, 'verify');
    const n = Math.min(READ_CHUNK, expected.length - off);
    const part = await programmer.readMemory(address + off, n, { signal });
    actual.set(part.subarray(0, n), off);
    reporter?.reach(base + off + n);
  }
  const i = firstDifference(expected, actual);
  if (i >= 0) throw new VerifyError(address + i, expected[i], actual[i], { sector: range.sector, method: 'readback' });
}
