import { CancelledError, FlashwrightError, TimeoutError } from '../core/errors.js';
import type { ByteStream } from './types.js';

/** The link closed while a protocol was waiting for bytes. */
export class LinkClosedError extends FlashwrightError {
  constructor(cause?: unknown) {
    super('LINK_CLOSED', 'The connection closed while waiting for the device.', {
      hint: 'Check the cable and that no other program holds the port; the device may have reset.', cause,
    });
  }
}

export interface ReadOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** What is being waited for, for the timeout message ("ACK to Write Memory"). */
  what?: string | undefined;
}

interface Waiter {
  n: number;
  resolve: (data: Uint8Array) => void;
  reject: (e: Error) => void;
}

/**
 * Buffers a ByteStream's incoming bytes so protocol code can say "give me exactly n bytes
 * within t ms" and never juggle chunks. One reader per stream; one pending read at a time.
 */
export class ByteReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private waiter?: Waiter | undefined;
  private closed?: Error | undefined;

  constructor(private readonly stream: ByteStream) {
    stream.onData((chunk) => this.push(chunk));
    stream.onClose((err) => {
      this.closed = new LinkClosedError(err);
      this.waiter?.reject(this.closed);
      this.waiter = undefined;
    });
  }

  /** Bytes received and not yet read. */
  get available(): number {
    return this.buffered;
  }

  write(data: Uint8Array): Promise<void> {
    return this.stream.write(data);
  }

  /** Drops everything received so far (stale bytes before a new command). */
  discard(): Uint8Array {
    return this.take(this.buffered);
  }

  /** Reads exactly `n` bytes or rejects with TimeoutError / CancelledError / LinkClosedError. */
  readExact(n: number, options: ReadOptions): Promise<Uint8Array> {
    if (this.waiter) return Promise.reject(new Error('ByteReader: a read is already pending'));
    if (this.buffered >= n) return Promise.resolve(this.take(n));
    if (this.closed) return Promise.reject(this.closed);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(undefined, signal.reason));
    return new Promise<Uint8Array>((resolve, reject) => {
      const finish = () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); this.waiter = undefined; };
      const onAbort = () => { finish(); reject(new CancelledError(undefined, signal?.reason)); };
      const timer = setTimeout(() => {
        const got = this.buffered;
        finish();
        reject(new TimeoutError(`No answer from the device within ${options.timeoutMs} ms${options.what ? ` (waiting for ${options.what})` : ''}.`, {
          hint: 'Check the wiring, baud rate and that the device is in the expected mode.',
          context: { expectedBytes: n, receivedBytes: got, timeoutMs: options.timeoutMs, what: options.what },
        }));
      }, options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        n,
        resolve: (d) => { finish(); resolve(d); },
        reject: (e) => { finish(); reject(e); },
      };
    });
  }

  /** Reads one byte. */
  async readByte(options: ReadOptions): Promise<number> {
    return (await this.readExact(1, options))[0]!;
  }

  private push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const w = this.waiter;
    if (w && this.buffered >= w.n) w.resolve(this.take(w.n));
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
