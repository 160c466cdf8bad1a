/**
 * QA follow-up of issue 10 §5: `--via sim` writes stop on a real signal. The in-process
 * simulator yields to the event loop per program block and per erased sector (a real device's
 * wait), so a SIGINT/SIGTERM sent to a real process mid-write ends it with the interruption
 * record — checked against the state file the simulated chip was saved to.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAndSignal } from '../helpers/signal-mid-write.js';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-sim-signals-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

type Record = { type: string; error: { code: string; context: { programmed: Array<{ address: number; size: number }>; pending: Array<{ address: number; size: number }>; erased: number[] } } };
// (a fresh state file is blank flash: nothing needs erasing, so the record starts at programming)

describe('--via sim stops on a real signal mid-write', () => {
  it('SIGINT and SIGTERM sent to the process while it programs end with a true interruption record', async () => {
    // 1 MiB over the F407's sectors: many program blocks, so the signal lands mid-write.
    const data = new Uint8Array(1024 * 1024).map((_, i) => (i * 11 + (i >> 12)) & 0xff);
    new DataView(data.buffer).setUint32(0, 0x20010000, true);
    new DataView(data.buffer).setUint32(4, 0x08000101, true);
    const image = join(dir, 'big.hex');
    writeFileSync(image, encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data }]), 'hex'));
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const state = join(dir, `${sig}.json`);
      const { out, code, sent } = await writeAndSignal(['write', image, '--target', 'stm32f407xg', '--via', 'sim', '--sim-state', state, '--json'], sig);
      expect(sent, out).toBe(true);
      expect(code, out.slice(-2000)).toBe(1);
      const last = JSON.parse(out.trim().split('\n').at(-1)!) as Record;
      expect(last.type).toBe('error');
      expect(last.error.code).toBe('FLASH_INTERRUPTED');
      expect(JSON.stringify(last.error)).toContain(`interrupted (${sig === 'SIGINT' ? 'Ctrl-C' : sig})`);
      const { programmed, pending } = last.error.context;
      expect(programmed.length).toBeGreaterThan(0);
      expect(pending.length).toBeGreaterThan(0);
      expect(programmed.reduce((n, r) => n + r.size, 0)).toBeLessThan(data.length);
      // The record against the saved chip: programmed ranges hold the image, the rest of what
      // is pending is still erased (the sim stops at a block boundary, so nothing is partial).
      const back = join(dir, `${sig}.bin`);
      const io: Io = { out: () => {}, err: () => {}, isTty: false };
      expect(await runCli(['read', '0x08000000', String(data.length), back, '--target', 'stm32f407xg', '--via', 'sim', '--sim-state', state], io)).toBe(0);
      const flash = new Uint8Array(readFileSync(back));
      for (const r of programmed) {
        const at = r.address - 0x08000000;
        expect(flash.subarray(at, at + r.size)).toEqual(data.subarray(at, at + r.size));
      }
      for (const r of pending) {
        const at = r.address - 0x08000000;
        expect(flash.subarray(at, at + r.size).every((b) => b === 0xff), `pending ${r.address.toString(16)}`).toBe(true);
      }
    }
  }, 120_000);
});
