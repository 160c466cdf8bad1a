/**
 * An exclusive lock beside a state file (`PATH.lock`, holding the owner's pid) so that runs
 * sharing one `--sim-state` file take turns instead of the last writer winning. A lock whose
 * process is gone is taken over; a live one is waited for, then refused.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { delay } from '../core/abort.js';
import { FlashwrightError } from '../core/errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function owner(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes `${path}.lock`, waiting up to `waitMs` for another holder; returns the release function. */
export async function lockStateFile(path: string, options: { signal?: AbortSignal | undefined; waitMs?: number } = {}): Promise<() => void> {
  const lock = `${path}.lock`;
  const waitMs = options.waitMs ?? (Number(process.env.FLASHWRIGHT_SIM_LOCK_WAIT_MS) || 30_000);
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => { if (!released) { released = true; rmSync(lock, { force: true }); } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = owner(lock);
    // A holder that died (or a lock file still being written) cannot release it: take it over.
    if (pid !== undefined && !alive(pid)) { rmSync(lock, { force: true }); continue; }
    if (Date.now() >= until) {
      throw new FlashwrightError('SIM_STATE_LOCKED', `The sim state file ${path} is in use by another flashwright (pid ${pid ?? 'unknown'}).`, {
        hint: `Wait for that run to finish, or delete ${lock} if no flashwright is running.`, context: { path, lock, pid },
      });
    }
    await delay(20, options.signal);
  }
}
