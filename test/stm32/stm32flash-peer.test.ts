/**
 * The real stm32flash (Debian) against the simulated bootloader on a pseudo-terminal, and
 * flashwright against the same pty. ptys drop parity, so both sides run 8N1.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPipe } from '../../src/link/pipe.js';
import { openSerialPort } from '../../src/link/node-serial.js';
import { exposeOnPty, type PtyExposure } from '../../src/sim/node-pty.js';
import { Stm32BootloaderSim } from '../../src/sim/stm32/bootloader.js';
import { findStm32SimProfile } from '../../src/sim/stm32/profiles.js';
import { Stm32UartProgrammer } from '../../src/programmer/stm32-uart.js';
import { writeImage, readMemoryRange } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { Cmd } from '../../src/protocol/stm32-uart/commands.js';
import { pattern } from './helpers.js';
import { needs } from '../helpers/peers.js';

const peers = needs('stm32flash', 'socat');
const FLASH = 0x08000000;

/** Runs stm32flash asynchronously (the simulator answers from this process's event loop). */
function stm32flash(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('stm32flash', ['-m', '8n1', '-b', '115200', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

describe.skipIf(peers.skip)(peers.title('stm32flash against the simulated bootloader over a pty'), () => {
  let dir: string;
  let tty: string;
  let sim: Stm32BootloaderSim;
  let pty: PtyExposure;

  async function start(chip: string, readProtected = false): Promise<void> {
    const pipe = createPipe();
    sim = new Stm32BootloaderSim(pipe.device, { profile: findStm32SimProfile(chip)!, readProtected });
    pty = await exposeOnPty(pipe.host, tty);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fw-stm32flash-'));
    tty = join(dir, 'tty');
  });
  afterEach(async () => {
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('probes the F103: version, PID, memory facts', async () => {
    await start('stm32f103xb');
    const r = await stm32flash([tty]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Version\s*: 0x22/);
    expect(r.out).toMatch(/Device ID\s*: 0x0410/);
    // A second run finds the bootloader initialised (NACK to 0x7F) and carries on.
    const again = await stm32flash([tty]);
    expect(again.code, again.out).toBe(0);
  });

  it('writes and verifies a file, reads it back, erases, and starts it', async () => {
    await start('stm32f103xb');
    const data = pattern(30_000, 42);
    writeFileSync(join(dir, 'app.bin'), data);
    const w = await stm32flash(['-w', join(dir, 'app.bin'), '-v', tty]);
    expect(w.code, w.out).toBe(0);
    expect(sim.flash.read(FLASH, data.length)).toEqual(data);
    // 30 000 bytes → pages 0..29 erased and written; the rest stays erased.
    expect(sim.flash.isErased(FLASH + 30_000 + 4, 0x20000 - 30_004)).toBe(true);

    const r = await stm32flash(['-r', join(dir, 'back.bin'), '-S', `0x08000000:${data.length}`, tty]);
    expect(r.code, r.out).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'back.bin')))).toEqual(data);

    const g = await stm32flash(['-g', '0x0', tty]);
    expect(g.code, g.out).toBe(0);
    expect(sim.lastGo).toBe(FLASH);
    expect(sim.state).toBe('running');
    sim.reset(); // the board's reset button, with BOOT0 still high

    const e = await stm32flash(['-o', tty]);
    expect(e.code, e.out).toBe(0);
    expect(sim.flash.isErased(FLASH, 0x20000)).toBe(true);
  });

  it('sets and removes read protection (readout unprotect mass-erases)', async () => {
    await start('stm32f103xb');
    sim.flash.program(FLASH, pattern(64, 1));
    const j = await stm32flash(['-j', tty]);
    expect(j.code, j.out).toBe(0);
    expect(sim.readProtected).toBe(true);
    const denied = await stm32flash(['-r', join(dir, 'x.bin'), '-S', '0x08000000:64', tty]);
    expect(denied.code).not.toBe(0);
    const k = await stm32flash(['-k', tty]);
    expect(k.code, k.out).toBe(0);
    expect(sim.readProtected).toBe(false);
    expect(sim.flash.isErased(FLASH, 0x20000)).toBe(true);
  });

  it('writes the F407 through Extended Erase, with BUSY bytes during sector erases', async () => {
    await start('stm32f407xg');
    const data = pattern(40_000, 7);
    writeFileSync(join(dir, 'app.bin'), data);
    const w = await stm32flash(['-w', join(dir, 'app.bin'), '-v', tty]);
    expect(w.code, w.out).toBe(0);
    expect(sim.flash.read(FLASH, data.length)).toEqual(data);
    expect(sim.commandCounts.get(Cmd.ExtendedErase)).toBeGreaterThan(0);
  });

  it('flashwright writes over the same pty (node-serial, parity none) and stm32flash reads the result', async () => {
    await start('stm32f103xb');
    const stream = await openSerialPort({ path: tty, baudRate: 115200, parity: 'none' });
    const p = new Stm32UartProgrammer({ stream });
    const dev = await p.connect();
    expect(dev.ids.pid).toBe(0x410);
    const data = pattern(20_000, 9);
    const summary = await writeImage(p, dev, MemoryImage.fromSegments([{ address: FLASH, data }]), { allowUnbootable: true });
    expect(summary.verify).toBe('readback');
    expect(await readMemoryRange(p, dev, FLASH, 256)).toEqual(data.subarray(0, 256));
    await p.close();
    expect(sim.flash.read(FLASH, data.length)).toEqual(data);
    const r = await stm32flash(['-r', join(dir, 'back.bin'), '-S', `0x08000000:${data.length}`, tty]);
    expect(r.code, r.out).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'back.bin')))).toEqual(data);
  });
});
