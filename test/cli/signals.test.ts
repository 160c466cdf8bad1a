/** Issue 10 §5: SIGTERM and SIGHUP mid-write end with the same true record as SIGINT. */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAndSignal } from '../helpers/signal-mid-write.js';
import { abortOnSignals, STOP_SIGNALS } from '../../src/cli/device.js';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { createPipe } from '../../src/link/pipe.js';
import { exposeOnPty } from '../../src/sim/node-pty.js';
import { Stm32BootloaderSim } from '../../src/sim/stm32/bootloader.js';
import { STM32_SIM_PROFILES } from '../../src/sim/stm32/profiles.js';
import { needs } from '../helpers/peers.js';

const socat = needs('socat');

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

  it.skipIf(socat.skip)(socat.title('a real process sent a real SIGTERM or SIGHUP mid-write ends with the interruption record, true against the device'), async () => {
    // The STM32 bootloader simulator on a pty in this process; the writer is a separate process
    // that gets a real signal while it programs (over a link, as on hardware).
    const data = new Uint8Array(128 * 1024).map((_, i) => (i * 13 + (i >> 10)) & 0xff);
    new DataView(data.buffer).setUint32(0, 0x20005000, true);
    new DataView(data.buffer).setUint32(4, 0x08000101, true);
    const image = join(dir, 'real.hex');
    writeFileSync(image, encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data }]), 'hex'));
    for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
      const pipe = createPipe();
      const sim = new Stm32BootloaderSim(pipe.device, { profile: STM32_SIM_PROFILES.stm32f103xb });
      const tty = join(dir, `tty-${sig}`);
      const pty = await exposeOnPty(pipe.host, tty);
      try {
        const { out, code, sent } = await writeAndSignal(['write', image, '--via', 'stm32-uart', '--port', tty, '--parity', 'none', '--erase', 'sectors', '--json'], sig);
        expect(sent, out).toBe(true);
        expect(code, out).toBe(1);
        const last = JSON.parse(out.trim().split('\n').at(-1)!) as { type: string; error: { code: string; context: { programmed: Array<{ address: number; size: number }>; pending: Array<{ address: number; size: number }>; erased: number[] } } };
        expect(last.type).toBe('error');
        expect(last.error.code).toBe('FLASH_INTERRUPTED');
        expect(JSON.stringify(last.error)).toContain(`interrupted (${sig})`);
        const { programmed, pending, erased } = last.error.context;
        expect(programmed.length).toBeGreaterThan(0);
        expect(pending.length).toBeGreaterThan(0);
        // The record against the device: what it calls programmed holds the image's bytes, what
        // is still to program in an erased sector is still erased or partly written by the last call.
        const flash = sim.memory.read(0x08000000, data.length);
        for (const r of programmed) {
          const at = r.address - 0x08000000;
          expect(flash.subarray(at, at + r.size)).toEqual(data.subarray(at, at + r.size));
        }
        expect(erased.length).toBeGreaterThan(0);
        expect(programmed.reduce((n, r) => n + r.size, 0)).toBeLessThan(data.length);
      } finally {
        await pty.close();
      }
    }
  }, 120_000);
});
