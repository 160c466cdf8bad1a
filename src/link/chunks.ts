/**
 * The one chunked transfer: walks [0, total) in pieces of at most `chunk` bytes, checks the
 * signal before each, and reports the bytes done after each. Every way in moves memory this
 * way (256-byte STM32 blocks, MCUboot packets, GDB packet-sized reads and writes, SDP reports).
 *
 * `fn` may return how many bytes it actually moved (1..length) when the other side decides:
 * a GDB stub answering a read short at a region's end, or a binary write whose escaping fills
 * the packet before `length` bytes. The walk then carries on from there.
 */
import { throwIfAborted } from '../core/errors.js';

export interface ChunkOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((bytesDone: number) => void) | undefined;
  /** For the CancelledError message ("read", "write"). */
  what?: string;
}

export async function forEachChunk(total: number, chunk: number, fn: (offset: number, length: number) => Promise<number | void>, options: ChunkOptions = {}): Promise<void> {
  if (chunk <= 0) throw new RangeError(`chunk size ${chunk} is not positive`);
  for (let off = 0; off < total; ) {
    throwIfAborted(options.signal, options.what);
    const n = Math.min(chunk, total - off);
    const moved = (await fn(off, n)) ?? n;
    // A step that moves nothing (or more than it was given) would loop forever or overrun.
    if (!Number.isInteger(moved) || moved < 1 || moved > n) throw new RangeError(`chunk at ${off} moved ${moved} of at most ${n} bytes`);
    off += moved;
    options.onProgress?.(off);
  }
}
