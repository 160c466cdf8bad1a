/**
 * Kept bytes are never lost (issue 10 §5): bytes preserved around the image are saved in a
 * journal in the cache folder before their sector is erased; an interrupted write names it in
 * its record, and the resume with --skip restores them before it says verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { decodeState } from '../../src/cli/vias/sim.js';

let dir: string;
let cache: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-kept-'));
  cache = mkdtempSync(join(tmpdir(), 'fw-kept-cache-'));
  process.env.XDG_CACHE_HOME = cache;
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); rmSync(cache, { recursive: true, force: true }); });

async function run(args: string[]) {
  const out: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { out.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, text: out.join('') };
}

const CAL = 0x0800ff00; // a calibration block in the last 1 KiB sector of an F103xB
function file(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}
function flashOf(state: string, address: number, length: number): Uint8Array {
  const snap = decodeState(readFileSync(state, 'utf8'), state);
  const out = new Uint8Array(length).fill(0xff);
  for (const c of snap.regions.find((r) => r.region === 'flash')!.chunks) {
    for (let i = 0; i < c.data.length; i++) {
      const a = c.address + i;
      if (a >= address && a < address + length) out[a - address] = c.data[i]!;
    }
  }
  return out;
}

describe('kept bytes journal', () => {
  it('an interrupted write saves the calibration block, names the journal, and the --skip resume restores it', async () => {
    const state = join(dir, 'f103.json');
    const cal = new Uint8Array(0x100).map((_, i) => (i * 7 + 3) & 0xff);
    const via = ['--via', 'sim', '--target', 'stm32f103xb', '--sim-state', state];
    expect((await run(['write', file('cal.bin', cal), '--base', `0x${CAL.toString(16)}`, ...via])).code).toBe(0);
    // The app covers the rest of that sector; the device resets after 0x80 programmed bytes.
    const app = new Uint8Array(0x300).fill(0x42);
    const appFile = file('app.bin', app);
    const broken = await run(['write', appFile, '--base', '0x0800fc00', ...via, '--sim-fault', 'reset-after-bytes=128', '--json']);
    expect(broken.code).toBe(1);
    expect(flashOf(state, CAL, 0x100).every((b) => b === 0xff)).toBe(true); // lost on the device…
    const journal = /"journal":"([^"]+)"/.exec(broken.text)?.[1];
    expect(journal, broken.text).toBeDefined();
    expect(journal!.startsWith(join(cache, 'flashwright'))).toBe(true);
    expect(existsSync(journal!)).toBe(true); // …but kept in the journal, listed in the record
    expect(broken.text).toMatch(/"kept":\{"journal":"[^"]+","ranges":\[\{"address":134283008,"size":256\}\]\}/);
    // The plan shows what the resume will do: the kept bytes go back (and plan keeps the journal).
    const plan = await run(['plan', appFile, '--base', '0x0800fc00', ...via, '--skip']);
    expect(plan.text).toMatch(/restoring 256 byte\(s\) kept by an interrupted write/);
    expect(existsSync(journal!)).toBe(true);
    const resumed = await run(['write', appFile, '--base', '0x0800fc00', ...via, '--skip']);
    expect(resumed.code, resumed.text).toBe(0);
    expect(resumed.text).toMatch(/restoring 256 byte\(s\) kept by an interrupted write/);
    expect(resumed.text).toMatch(/verify: .*OK/);
    expect(flashOf(state, CAL, 0x100)).toEqual(cal);
    expect(flashOf(state, 0x0800fc00, 0x300)).toEqual(app);
    expect(existsSync(journal!)).toBe(false);
  });

  it('a stale journal for bytes the device now holds otherwise is not applied', async () => {
    const state = join(dir, 'f103b.json');
    const via = ['--via', 'sim', '--target', 'stm32f103xb', '--sim-state', state];
    const cal = new Uint8Array(0x100).fill(0x11);
    expect((await run(['write', file('cal2.bin', cal), '--base', `0x${CAL.toString(16)}`, ...via])).code).toBe(0);
    const broken = await run(['write', file('app2.bin', new Uint8Array(0x300).fill(0x42)), '--base', '0x0800fc00', ...via, '--sim-fault', 'reset-after-bytes=16', '--json']);
    expect(broken.code).toBe(1);
    // Someone else writes other bytes there meanwhile.
    expect((await run(['write', file('other.bin', new Uint8Array(0x100).fill(0x77)), '--base', `0x${CAL.toString(16)}`, ...via, '--no-preserve'])).code).toBe(0);
    const r = await run(['write', file('app3.bin', new Uint8Array(0x100).fill(0x55)), '--base', '0x08000400', ...via]);
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(/holds otherwise now; they are not restored/);
    expect(flashOf(state, CAL, 0x100).every((b) => b === 0x77)).toBe(true);
  });
});
