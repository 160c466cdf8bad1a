/** Concurrent use of one --sim-state file is serialised by a lock, never last-writer-wins (issue 10 §5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { decodeState } from '../../src/cli/vias/sim.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-sim-lock-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(args: string[]) {
  const out: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { out.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, text: out.join('') };
}

/** One 1 KiB block per writer, each in its own sector of an F103 (no vector table: --base above 0x08000000). */
function block(i: number): string {
  const path = join(dir, `b${i}.bin`);
  writeFileSync(path, new Uint8Array(0x400).fill(0x10 + i));
  return path;
}

describe('--sim-state lock', () => {
  it('parallel writes in one process all land in the state file', async () => {
    const state = join(dir, 'shared.json');
    const n = 8;
    const results = await Promise.all(Array.from({ length: n }, (_, i) =>
      run(['write', block(i), '--base', `0x${(0x08004000 + i * 0x400).toString(16)}`, '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', state])));
    for (const r of results) expect(r.code, r.text).toBe(0);
    const snap = decodeState(readFileSync(state, 'utf8'), state);
    const flash = snap.regions.find((r) => r.region === 'flash')!;
    for (let i = 0; i < n; i++) {
      const at = 0x08004000 + i * 0x400;
      const chunk = flash.chunks.find((c) => c.address === at);
      expect(chunk?.data, `block ${i}`).toEqual(new Uint8Array(0x400).fill(0x10 + i));
    }
    expect(existsSync(`${state}.lock`)).toBe(false);
  });

  it('a lock left by a process that died is taken over; one held by a live process makes the run wait, then refuse', async () => {
    const state = join(dir, 'stale.json');
    // A pid that is not running (a child that has exited).
    const child = spawn(process.execPath, ['-e', '0']);
    const dead = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    writeFileSync(`${state}.lock`, `${dead}\n`);
    const ok = await run(['write', block(0), '--base', '0x08004000', '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', state]);
    expect(ok.code, ok.text).toBe(0);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      writeFileSync(`${state}.lock`, `${live.pid}\n`);
      process.env.FLASHWRIGHT_SIM_LOCK_WAIT_MS = '300';
      const busy = await run(['write', block(1), '--base', '0x08004400', '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', state]);
      expect(busy.code).toBe(1);
      expect(busy.text).toMatch(new RegExp(`is in use by another flashwright \\(pid ${live.pid}\\)`));
    } finally {
      delete process.env.FLASHWRIGHT_SIM_LOCK_WAIT_MS;
      live.kill();
      rmSync(`${state}.lock`, { force: true });
    }
  });
});
