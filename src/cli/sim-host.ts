import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { PtyExposure } from '../sim/node-pty.js';
import type { SimMemorySnapshot } from '../sim/sim-memory.js';
import { decodeState, encodeState } from './vias/sim.js';

/** Reads a simulator state file, or undefined when there is none yet. */
export function loadSimState(path: string | undefined): SimMemorySnapshot | undefined {
  return path && existsSync(path) ? decodeState(readFileSync(path, 'utf8'), path) : undefined;
}

/**
 * Serves a simulator on its pseudo-terminal until SIGINT/SIGTERM or until socat goes away,
 * then closes the pty and saves the state file (written beside it and renamed, so a crash
 * never leaves half a file).
 */
export async function serveUntilStopped(pty: PtyExposure, state?: { path?: string; snapshot: () => SimMemorySnapshot }): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void pty.exited.then(stop);
  });
  await pty.close();
  if (state?.path) {
    const tmp = `${state.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(encodeState(state.snapshot())) + '\n');
    renameSync(tmp, state.path);
  }
}
