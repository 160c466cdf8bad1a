import { FlashwrightError, TimeoutError } from '../core/errors.js';
import type { ByteStream } from './types.js';
import { Waiter } from './waiter.js';

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

/**
 * Buffers a ByteStream's incoming bytes so protocol code can say "give me exactly n bytes
 * within t ms" and never juggle chunks. One reader per stream; one pending read at a time.
 */
export class ByteReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly waiter = new Waiter();

  constructor(private readonly stream: ByteStream) {
    stream.onData((chunk) => this.push(chunk));
    stream.onClose((err) => this.waiter.close(new LinkClosedError(err)));
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
    if (this.waiter.busy) return Promise.reject(new Error('ByteReader: a read is already pending'));
    return this.waiter.wait(() => (this.buffered >= n ? this.take(n) : undefined), {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onTimeout: () => new TimeoutError(`No answer from the device within ${options.timeoutMs} ms${options.what ? ` (waiting for ${options.what})` : ''}.`, {
        hint: 'Check the wiring, baud rate and that the device is in the expected mode.',
        context: { expectedBytes: n, receivedBytes: this.buffered, timeoutMs: options.timeoutMs, what: options.what },
      }),
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
    this.waiter.notify();
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
