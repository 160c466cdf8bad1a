/**
 * The rig the pack tests on QEMU share: a temp folder holding the pack store (set as
 * FLASHWRIGHT_PACK_DIR for the file's tests), the QEMU instances and CMSIS-DAP bridges a test
 * starts (stopped after each test), and the CLI run in-process with its output captured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { QemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import type { DapTcpServer } from '../../src/sim/node-dap-tcp.js';
import type { QemuInstance } from '../gdb/qemu.js';

export function packQemuRig(prefix: string, cleanup: () => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const saved = process.env.FLASHWRIGHT_PACK_DIR;
  const qemus: QemuInstance[] = [];
  const bridges: Array<{ t: QemuTarget; s: DapTcpServer }> = [];
  beforeAll(() => { process.env.FLASHWRIGHT_PACK_DIR = join(dir, 'store'); });
  afterEach(async () => {
    for (const b of bridges.splice(0)) { await b.s.close().catch(() => undefined); await b.t.close().catch(() => undefined); }
    for (const q of qemus.splice(0)) await q.stop();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.FLASHWRIGHT_PACK_DIR; else process.env.FLASHWRIGHT_PACK_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
    cleanup();
  });
  /** Runs the CLI; `out` is stdout alone, `text` stdout then stderr. */
  async function cli(args: string[]): Promise<{ code: number; text: string; out: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (x: string) => { out.push(x); }, err: (x: string) => { err.push(x); }, isTty: false });
    return { code, text: out.join('') + err.join(''), out: out.join('') };
  }
  return { dir, qemus, bridges, cli };
}
