/**
 * The one wait every protocol uses: a single pending waiter that is settled by whatever
 * arrives (bytes, reports, packets), by its timeout, by its AbortSignal, or by the link
 * closing — whichever comes first, with every timer and listener removed on settlement.
 * ByteReader (UART), the MCUboot HID transport and the GDB RSP connection all wait here,
 * so a cancelled operation stops at the wait it is in, however long that wait was meant to be.
 */
import { CancelledError } from '../core/errors.js';

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

interface Pending {
  poll: () => boolean;
  reject: (e: Error) => void;
}

/**
 * At most one wait at a time. `wait(poll)` resolves with the first non-undefined value of
 * `poll()`, which is tried at once and again after every `notify()`.
 */
export class Waiter {
  private pending?: Pending | undefined;
  private closedError?: Error | undefined;

  /** True while someone waits. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** The error the link closed with, if it has. */
  get closed(): Error | undefined {
    return this.closedError;
  }

  /**
   * Resolves with poll()'s first value, or rejects with `onTimeout()` after `timeoutMs`,
   * CancelledError when the signal fires, or the close error. A value already available
   * wins over a closed link (bytes received before the close are still read).
   */
  wait<T>(poll: () => T | undefined, options: WaitOptions & { onTimeout: () => Error }): Promise<T> {
    if (this.pending) return Promise.reject(new Error('Waiter: a wait is already pending'));
    const ready = poll();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.closedError) return Promise.reject(this.closedError);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(undefined, signal.reason));
    return new Promise<T>((resolve, reject) => {
      const finish = () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); if (this.pending === pending) this.pending = undefined; };
      const onAbort = () => { finish(); reject(new CancelledError(undefined, signal?.reason)); };
      const timer = setTimeout(() => { finish(); reject(options.onTimeout()); }, options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const pending: Pending = {
        poll: () => {
          const v = poll();
          if (v === undefined) return false;
          finish();
          resolve(v);
          return true;
        },
        reject: (e) => { finish(); reject(e); },
      };
      this.pending = pending;
    });
  }

  /** Something arrived: lets the pending wait look again. */
  notify(): void {
    this.pending?.poll();
  }

  /** The link is gone: the pending wait and every later one fail with `error`. */
  close(error: Error): void {
    this.closedError ??= error;
    this.pending?.reject(this.closedError);
  }
}

/** A queue of received items with one Waiter: what arrives with nobody waiting is kept. */
export class Mailbox<T> {
  private items: T[] = [];
  readonly waiter = new Waiter();

  push(item: T): void {
    this.items.push(item);
    this.waiter.notify();
  }

  /** The first queued item `accept` takes (default: any), waiting for one to arrive. */
  next(options: WaitOptions & { onTimeout: () => Error }, accept: (item: T) => boolean = () => true): Promise<T> {
    return this.waiter.wait(() => {
      const i = this.items.findIndex(accept);
      return i < 0 ? undefined : this.items.splice(i, 1)[0];
    }, options);
  }

  /** Whether a queued item matches (without taking it). */
  has(which: (item: T) => boolean): boolean {
    return this.items.some(which);
  }

  /** Drops queued items (`which` of them, default all); returns how many. */
  discard(which: (item: T) => boolean = () => true): number {
    const before = this.items.length;
    this.items = this.items.filter((x) => !which(x));
    return before - this.items.length;
  }

  close(error: Error): void {
    this.waiter.close(error);
  }

  get closed(): Error | undefined {
    return this.waiter.closed;
  }
}
