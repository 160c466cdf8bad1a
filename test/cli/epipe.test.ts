import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
let dir: string;

/** Runs the CLI (from source) in a child whose stdout (and stderr, if asked) is closed before it writes. */
function runWithClosedOutput(args: string[], closeStderr = false): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone, as after `| head -3`
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-cli-epipe-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('a reader that goes away (EPIPE on stdout/stderr)', () => {
  it('write --json carries on to the end and exits 0, without an unhandled error event', async () => {
    const data = new Uint8Array(0x1800).fill(0x5a);
    new DataView(data.buffer).setUint32(0, 0x20005000, true);
    new DataView(data.buffer).setUint32(4, 0x08000041, true);
    const image = join(dir, 'fw.hex');
    writeFileSync(image, encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data }]), 'hex'));
    const state = join(dir, 'sim.json');
    const args = ['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state];
    const r = await runWithClosedOutput([...args, '--json']);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    // The write really happened: a second run finds every sector already holds the image.
    const out: string[] = [];
    const io: Io = { out: (t) => { out.push(t); }, err: () => {}, isTty: false };
    expect(await runCli(args, io)).toBe(0);
    expect(out.join('')).toContain('nothing to do');
  }, 30_000);
  it('keeps the exit code of a failed command when both stdout and stderr are closed', async () => {
    const json = await runWithClosedOutput(['targets', 'show', 'no-such-chip', '--json'], true);
    expect(json.code).toBe(2);
    const text = await runWithClosedOutput(['targets', 'show', 'no-such-chip'], true);
    expect(text.code).toBe(2);
    const listed = await runWithClosedOutput(['targets', '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
  }, 30_000);
});
