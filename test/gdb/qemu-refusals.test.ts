/**
 * Refusals through the whole engine against QEMU's micro:bit: data the chosen way in cannot
 * write is refused by the plan, before the flash algorithm or any erase runs.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { writeImage } from '../../src/flash/engine.js';
import { PlanRefusedError } from '../../src/flash/errors.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';
import { findTarget } from '../../src/target/lookup.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { startQemu, type QemuInstance } from './qemu.js';

const peers = needs('qemu-system-arm', 'arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const running: QemuInstance[] = [];

afterEach(async () => { for (const q of running.splice(0)) await q.stop(); });
afterAll(() => tc?.cleanup());

async function qemu(): Promise<QemuInstance> {
  const q = await startQemu('microbit');
  running.push(q);
  return q;
}

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, out, err, text: () => out.join('') + err.join('') };
}

describe.skipIf(peers.skip)(peers.title('QEMU microbit: refusals before anything runs'), () => {
  it('refuses UICR data the algorithm does not cover, through writeImage, before the algorithm runs', async () => {
    const q = await qemu();
    const flm = tc!.flm();
    const p = new GdbProgrammer({ open: () => openTcp({ host: '127.0.0.1', port: q.port }), description: 'qemu', target: findTarget('nrf51822'), algorithm: loadFlm(flm.data, flm.path) });
    try {
      const device = await p.connect();
      const e = await writeImage(p, device, MemoryImage.fromSegments([{ address: 0x10001000, data: new Uint8Array(0x100).fill(0x5a) }]), {}).catch((x) => x);
      expect(e).toBeInstanceOf(PlanRefusedError);
      expect(e.code).toBe('PLAN_READ_ONLY');
      expect(e.message).toContain("not programmable by flash algorithm 'nRF51xxx 256 KiB NVMC (flashwright test)'");
      expect(e.message).toContain('0x00000000–0x0003FFFF');
      expect(p.runner!.calls).toBe(0); // neither the CRC routine nor the algorithm ran
      // The core is still alive: the connection answers.
      expect((await p.readMemory(0x10001000, 4)).length).toBe(4);
    } finally {
      await p.close();
    }
  }, 30000);

  it('refuses it through the CLI with exit 3-style plan refusal, not a closed connection', async () => {
    const q = await qemu();
    const flm = tc!.flm();
    const bin = join(tc!.dir, 'u.bin');
    writeFileSync(bin, new Uint8Array(0x40).fill(0xa5));
    const w = captureIo();
    const code = await runCli(['write', bin, '--base', '0x10001000', '--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nrf51822', '--algo', flm.path], w.io);
    expect(code).not.toBe(0);
    expect(w.text()).toContain('not programmable by flash algorithm');
    expect(w.text()).not.toMatch(/connection closed/i);
  }, 30000);

  it('with --target and no --algo, refuses the flash image before erasing (not after "erase: done")', async () => {
    const q = await qemu();
    const w = captureIo();
    const code = await runCli(['write', tc!.app('never'), '--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--target', 'nrf51822'], w.io);
    expect(code).not.toBe(0);
    expect(w.text()).toContain('pass --algo FILE.FLM|algo.json');
    expect(w.text()).not.toMatch(/erase/i);
  }, 30000);

  it('with neither --target nor --algo, refuses a flash image at 0x0 instead of writing it as RAM', async () => {
    const q = await qemu();
    const w = captureIo();
    const code = await runCli(['write', tc!.app('never'), '--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`], w.io);
    expect(code).not.toBe(0);
    expect(w.text()).toContain('pass --target NAME --algo FILE');
  }, 30000);
});
