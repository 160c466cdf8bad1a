/**
 * The one chunked transfer: walks [0, total) in pieces of at most `chunk` bytes, checks the
 * signal before each, and reports the bytes done after each. Every way in moves memory this
 * way (256-byte STM32 blocks, MCUboot packets, GDB packet-sized reads and writes).
 */
import { throwIfAborted } from '../core/errors.js';

export interface ChunkOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((bytesDone: number) => void) | undefined;
  /** For the CancelledError message ("read", "write"). */
  what?: string;
}

export async function forEachChunk(total: number, chunk: number, fn: (offset: number, length: number) => Promise<void>, options: ChunkOptions = {}): Promise<void> {
  if (chunk <= 0) throw new RangeError(`chunk size ${chunk} is not positive`);
  for (let off = 0; off < total; off += chunk) {
    throwIfAborted(options.signal, options.what);
    const n = Math.min(chunk, total - off);
    await fn(off, n);
    options.onProgress?.(off + n);
  }
}
