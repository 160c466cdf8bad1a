import { CancelledError } from './errors.js';

/**
 * Waits `ms` milliseconds, rejecting with CancelledError when the signal fires.
 * Never throws from a timer: rejection goes through the returned promise.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new CancelledError(undefined, signal.reason)); return; }
    const onAbort = () => { clearTimeout(timer); reject(new CancelledError(undefined, signal?.reason)); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
