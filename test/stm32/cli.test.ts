/** The CLI end to end over a pty: `--via stm32-uart`, `ports`, and `sim stm32` as a process. */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { findPorts } from '../../src/cli/commands/ports.js';
import { createPipe } from '../../src/link/pipe.js';
import { exposeOnPty, type PtyExposure } from '../../src/sim/node-pty.js';
import { Stm32BootloaderSim } from '../../src/sim/stm32/bootloader.js';
import { STM32_SIM_PROFILES } from '../../src/sim/stm32/profiles.js';
import { pattern } from './helpers.js';
import { needs } from '../helpers/peers.js';

const FLASH = 0x08000000;

function capture(): Io & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: (t) => { buf += t; }, isTty: false, text: () => buf };
}

describe('stm32-uart option values', () => {
  it('--baud fast and --read-check maybe are usage errors (exit 2) with a hint, before any port is opened', async () => {
    const base = ['read', '0x08000000', '4', join(tmpdir(), 'fw-never-written.bin'), '--via', 'stm32-uart', '--port', '/dev/fw-no-such-port'];
    let io = capture();
    expect(await runCli([...base, '--baud', 'fast'], io)).toBe(2);
    expect(io.text()).toContain("error: --baud 'fast' is not a baud rate.");
    expect(io.text()).toContain('hint: Use a number such as 57600 or 115200.');
    io = capture();
    expect(await runCli([...base, '--read-check', 'maybe'], io)).toBe(2);
    expect(io.text()).toContain("error: --read-check 'maybe' is not one of auto, crc, double, none.");
    expect(io.text()).toMatch(/hint: auto \(the default\) checks reads with the device CRC/);
    expect(io.text()).not.toMatch(/fw-no-such-port/);
  });
});

describe('flashwright ports', () => {
  it('falls back to scanning /dev and says why when enumeration fails', async () => {
    const r = await findPorts(async () => { throw new Error('spawn udevadm ENOENT'); }, () => ['/dev/ttyUSB0']);
    expect(r).toMatchObject({ method: 'dev-scan', ports: [{ path: '/dev/ttyUSB0' }] });
    expect(r.note).toMatch(/udevadm/);
    const ok = await findPorts(async () => [{ path: '/dev/ttyACM0', vendorId: '0483' }], () => []);
    expect(ok).toEqual({ method: 'serialport', ports: [{ path: '/dev/ttyACM0', vendorId: '0483' }] });
  });
});

const socat = needs('socat');
const socatAndStm32flash = needs('socat', 'stm32flash');

describe.skipIf(socat.skip)(socat.title('--via stm32-uart through the CLI over a socat pty'), () => {
  let dir: string;
  let tty: string;
  let sim: Stm32BootloaderSim;
  let pty: PtyExposure;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-stm32cli-'));
    tty = join(dir, 'tty');
    const pipe = createPipe();
    sim = new Stm32BootloaderSim(pipe.device, { profile: STM32_SIM_PROFILES.stm32l476xg });
    pty = await exposeOnPty(pipe.host, tty);
  });
  afterEach(async () => {
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const via = () => ['--via', 'stm32-uart', '--port', tty, '--parity', 'none'];

  it('info --via, write, verify, read and erase', async () => {
    let io = capture();
    expect(await runCli(['info', ...via()], io), io.text()).toBe(0);
    expect(io.text()).toMatch(/STM32L476xG/);
    expect(io.text()).toMatch(/pid=0x415/);
    expect(io.text()).toMatch(/RDP level 0/);
    expect(io.text()).toMatch(/Extended Erase \(0x44\)/);

    const data = pattern(10_000, 4);
    writeFileSync(join(dir, 'app.bin'), data);
    io = capture();
    expect(await runCli(['write', join(dir, 'app.bin'), '--base', '0x08000000', '--allow-unbootable', ...via()], io), io.text()).toBe(0);
    expect(sim.flash.read(FLASH, data.length)).toEqual(data);

    io = capture();
    expect(await runCli(['verify', join(dir, 'app.bin'), '--base', '0x08000000', ...via()], io), io.text()).toBe(0);

    io = capture();
    expect(await runCli(['read', '0x08000000', '10000', join(dir, 'back.bin'), ...via()], io), io.text()).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'back.bin')))).toEqual(data);

    io = capture();
    expect(await runCli(['erase', '0x08000000', '0x800', ...via()], io), io.text()).toBe(0);
    expect(sim.flash.isErased(FLASH, 0x800)).toBe(true);
    expect(sim.flash.read(FLASH + 0x800, 16)).toEqual(data.subarray(0x800, 0x810));
  });

  it('runs unlocks and protections only in a write, as plan operations; plan, info, read and verify leave the chip byte-identical', async () => {
    const data = pattern(0x800, 6);
    writeFileSync(join(dir, 'app.bin'), data);
    const app = [join(dir, 'app.bin'), '--base', '0x08000000'];
    const writing = [...app, '--allow-unbootable'];
    let io = capture();
    expect(await runCli(['write', ...writing, '--protect', ...via()], io), io.text()).toBe(0);
    expect(sim.readProtected).toBe(true);
    expect(io.text()).toMatch(/ protect +Readout Protect: RDP level 0 → 1/);
    expect(io.text()).toContain('done: Readout Protect: RDP level 0 → 1');

    // Every unlock/protect flag on the commands that only look: nothing changes on the chip.
    const before = JSON.stringify(sim.memory.snapshot());
    const flags = ['--unprotect', '--write-unprotect'];
    io = capture();
    expect(await runCli(['plan', ...writing, ...flags, '--protect', ...via()], io), io.text()).toBe(0);
    expect(io.text()).toMatch(/ unlock +Readout Unprotect: RDP level 1 → 0 \(the chip resets\) — mass erase: all 1 MiB of flash/);
    expect(await runCli(['info', ...flags, ...via()], capture())).toBe(0);
    io = capture();
    expect(await runCli(['read', '0x08000000', '16', join(dir, 'r.bin'), ...flags, ...via()], io)).toBe(1);
    expect(io.text()).toContain('note: read-unprotect, write-unprotect run only as part of a write; this command changes nothing on the device.');
    expect(io.text()).toMatch(/read protection \(RDP level 1\)/);
    expect(await runCli(['verify', ...app, ...flags, ...via()], capture())).toBe(1);
    expect(JSON.stringify(sim.memory.snapshot())).toBe(before);
    expect(sim.readProtected).toBe(true);
    // --protect where nothing is written is a usage error, before the port is opened.
    io = capture();
    expect(await runCli(['read', '0x08000000', '16', join(dir, 'r.bin'), '--protect', ...via()], io)).toBe(2);
    expect(io.text()).toContain('error: --protect is only accepted by write');

    // The write runs the unlock after showing the plan, and says what it destroyed.
    io = capture();
    expect(await runCli(['write', ...writing, '--unprotect', ...via()], io), io.text()).toBe(0);
    expect(io.text().indexOf(' unlock ')).toBeLessThan(io.text().indexOf('unlock: '));
    expect(io.text()).toContain('done: Readout Unprotect: RDP level 1 → 0 (the chip resets) — mass erase: all 1 MiB of flash');
    expect(sim.readProtected).toBe(false);
    expect(sim.flash.read(FLASH, data.length)).toEqual(data);

    // In JSON the result lists the changes that ran.
    expect(await runCli(['write', ...writing, '--protect', ...via()], capture())).toBe(0);
    io = capture();
    expect(await runCli(['write', ...writing, '--unprotect', '--json', ...via()], io), io.text()).toBe(0);
    const result = JSON.parse(io.text().trim().split('\n').at(-1)!);
    expect(result.changes).toEqual([{ kind: 'read-unprotect', description: 'Readout Unprotect: RDP level 1 → 0 (the chip resets)', destroys: 'mass erase: all 1 MiB of flash' }]);
    expect(result.plan.operations[0]).toMatchObject({ kind: 'unlock', change: 'read-unprotect', destroys: 'mass erase: all 1 MiB of flash' });
  });

  it('rejects a bad --parity and a missing --port as usage errors', async () => {
    const io = capture();
    expect(await runCli(['read', '0x08000000', '4', join(dir, 'x.bin'), '--via', 'stm32-uart', '--port', tty, '--parity', 'mark'], io)).toBe(2);
    expect(io.text()).toMatch(/parity/);
    expect(await runCli(['read', '0x08000000', '4', join(dir, 'x.bin'), '--via', 'stm32-uart'], io)).toBe(2);
    expect(io.text()).toMatch(/--port/);
    expect(await runCli(['read', '0x08000000', '4', join(dir, 'x.bin'), ...via(), '--entry', 'rts=1,dtr=2'], io)).toBe(2);
    expect(io.text()).toMatch(/set to 0 or 1/);
    expect(await runCli(['sim', 'stm32', '--chip', 'stm32f999', '--pty', join(dir, 'other')], io)).toBe(2);
    expect(io.text()).toMatch(/stm32f103xb/);
  });
});

describe.skipIf(socat.skip)(socat.title('a silent port'), () => {
  it('prints the BOOT0 / USART / wiring checklist for the family given by --target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-stm32silent-'));
    const pty = await exposeOnPty(createPipe().host, join(dir, 'tty')); // nothing answers
    try {
      const io = capture();
      expect(await runCli(['read', '0x08000000', '4', join(dir, 'x.bin'), '--via', 'stm32-uart', '--port', join(dir, 'tty'), '--parity', 'none', '--target', 'stm32f407vg'], io)).toBe(1);
      expect(io.text()).toMatch(/did not answer the 0x7F/);
      expect(io.text()).toMatch(/BOOT0 = 1 and BOOT1 \(PB2\) = 0/);
      expect(io.text()).toMatch(/USART3 PB10/);
      expect(io.text()).toMatch(/crossed/);
    } finally {
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(socatAndStm32flash.skip)(socatAndStm32flash.title('flashwright sim stm32 as a process, with stm32flash as the host'), () => {
  it('serves stm32flash until SIGTERM, then saves the flash to --state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-stm32simcli-'));
    const tty = join(dir, 'tty');
    const state = join(dir, 'state.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', 'stm32', '--chip', 'stm32f103xb', '--pty', tty, '--state', state, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`sim did not start: ${out}`)), 30_000);
        child.stdout.on('data', (d) => { out += d; if (out.includes('"ready"')) { clearTimeout(t); resolve(); } });
        child.once('exit', () => reject(new Error(`sim exited: ${out}`)));
      });
      const data = pattern(3000, 8);
      writeFileSync(join(dir, 'app.bin'), data);
      const r = await new Promise<string>((resolve, reject) => execFile('stm32flash', ['-m', '8n1', '-w', join(dir, 'app.bin'), '-v', tty], { timeout: 30_000 },
        (err, so, se) => (err ? reject(new Error(so + se)) : resolve(so))));
      expect(r).toMatch(/Done/);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      expect(existsSync(tty)).toBe(false);
      const saved = JSON.parse(readFileSync(state, 'utf8'));
      const flash = saved.regions.find((x: { region: string }) => x.region === 'flash');
      const restored = new Uint8Array(0x20000).fill(0xff);
      for (const c of flash.chunks as Array<{ address: number; base64: string }>) restored.set(Buffer.from(c.base64, 'base64'), c.address - FLASH);
      expect(restored.subarray(0, data.length)).toEqual(data);
      expect(restored.subarray(data.length + 4).every((b) => b === 0xff)).toBe(true);
      const stats = JSON.parse(out.trim().split('\n').pop()!);
      expect(stats.type).toBe('stats');
      expect(stats.bytesToDevice).toBeGreaterThan(data.length);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
