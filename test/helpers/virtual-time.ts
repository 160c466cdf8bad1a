/**
 * Runs async work on vitest's fake timers: a timer fires only once everything else has
 * settled (all pending promise jobs run first), so a timeout means "the answer never came",
 * whatever the machine's speed. Tests can then use the real-hardware timeouts: waiting
 * costs no wall time, and a slow machine changes a test's duration, never its strength.
 *
 *   const result = await onVirtualTime(() => writeImage(p, dev, image));
 *
 * Only for in-process links (pipes, simulators): real sockets and child processes do not
 * follow fake time.
 */
import { vi } from 'vitest';

export async function onVirtualTime<T>(work: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'] });
  try {
    let settled = false;
    const p = work();
    p.then(() => { settled = true; }, () => { settled = true; });
    // advanceTimersToNextTimerAsync yields to the real event loop before firing the next
    // timer, so every promise job queued by the simulator and the host runs first.
    while (!settled) await vi.advanceTimersToNextTimerAsync();
    return await p;
  } finally {
    vi.clearAllTimers();
    vi.useRealTimers();
  }
}
