import { existsSync, readFileSync } from 'node:fs';
import { checkOutputPath } from './files.js';
import type { PtyExposure } from '../sim/node-pty.js';
import type { SimMemorySnapshot } from '../sim/sim-memory.js';
import { decodeState, encodeState, saveStateFile } from './vias/sim.js';

/** Reads a simulator state file, or undefined when there is none yet. */
export function loadSimState(path: string | undefined): SimMemorySnapshot | undefined {
  // The state is saved when the simulator stops: a path that cannot be written is refused now.
  if (path) checkOutputPath(path, 'the sim state file', '--state');
  return path && existsSync(path) ? decodeState(readFileSync(path, 'utf8'), path) : undefined;
}

/**
 * Serves a simulator on its pseudo-terminal until SIGINT/SIGTERM or until socat goes away,
 * then closes the pty and saves the state file (written beside it and renamed, so a crash
 * never leaves half a file).
 */
export async function serveUntilStopped(pty: PtyExposure, state?: { path?: string | undefined; snapshot: () => SimMemorySnapshot }): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
    void pty.exited.then(stop);
  });
  await pty.close();
  if (state?.path) {
    saveStateFile(state.path, JSON.stringify(encodeState(state.snapshot())) + '\n');
  }
}
