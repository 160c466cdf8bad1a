/** Issue 10 §5: SIGTERM and SIGHUP mid-write end with the same true record as SIGINT. */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abortOnSignals, STOP_SIGNALS } from '../../src/cli/device.js';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-signals-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** Runs a write and delivers `signal` as soon as programming starts. */
async function writeInterrupted(signal: string, state: string, image: string) {
  const signals = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  let sent = false;
  const io: Io = {
    out: (t) => {
      out.push(t);
      // Mid-write: once the first bytes are reported programmed.
      if (!sent && t.includes('"type":"progress"') && t.includes('"phase":"program"')) { sent = true; signals.emit(signal); }
    },
    err: (t) => { err.push(t); },
    isTty: false,
    signals,
  };
  const code = await runCli(['write', image, '--target', 'stm32f407xg', '--via', 'sim', '--sim-state', state, '--json'], io);
  return { code, out: out.join(''), err: err.join(''), listeners: signals.eventNames() };
}

describe('every signal ends with a report', () => {
  it('abortOnSignals covers SIGINT, SIGTERM and SIGHUP and undoes itself', () => {
    const e = new EventEmitter();
    const c = new AbortController();
    const undo = abortOnSignals(c, e);
    expect(e.eventNames().sort()).toEqual([...STOP_SIGNALS].sort());
    e.emit('SIGHUP');
    expect(c.signal.aborted).toBe(true);
    expect(String((c.signal.reason as Error).message)).toBe('interrupted (SIGHUP)');
    undo();
    expect(e.eventNames()).toEqual([]);
  });

  it('SIGTERM and SIGHUP mid-write give the same interruption record as SIGINT', async () => {
    // 256 KiB: several program calls, so the signal lands between operations.
    const data = new Uint8Array(256 * 1024).map((_, i) => (i * 7) & 0xff);
    new DataView(data.buffer).setUint32(0, 0x20010000, true);
    new DataView(data.buffer).setUint32(4, 0x08000101, true);
    const image = join(dir, 'big.hex');
    writeFileSync(image, encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data }]), 'hex'));
    const records: string[] = [];
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      const r = await writeInterrupted(sig, join(dir, `${sig}.json`), image);
      expect(r.code, r.err).toBe(1);
      expect(r.listeners).toEqual([]); // handlers removed after the run
      const last = JSON.parse(r.out.trim().split('\n').at(-1)!) as { type: string; error: { code: string; message: string; context: Record<string, unknown> } };
      expect(last.type).toBe('error');
      expect(last.error.code).toBe('FLASH_INTERRUPTED');
      expect((last.error.context.programmed as unknown[]).length).toBeGreaterThan(0);
      records.push(JSON.stringify(last).replace(/SIGTERM|SIGHUP|Ctrl-C/g, 'SIG').replace(/"elapsedMs":[\d.]+/g, ''));
    }
    expect(records[1]).toBe(records[0]);
    expect(records[2]).toBe(records[0]);
  });
});
