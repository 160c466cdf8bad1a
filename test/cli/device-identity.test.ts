/**
 * Issue 10 §1, tried as a user would through the CLI:
 * - `--target` may be left out wherever the device identifies itself; then the device's identity
 *   and size are used and shown (STM32 ROM bootloader, MCUboot over UART; CMSIS-DAP shows the
 *   debug port's and core's IDs and writes its SRAM without a Node warning).
 * - `plan --via` exits 1 when a write would be refused because the device is protected
 *   (STM32 RDP level 1, a secured Kinetis), and 0 once the plan carries the unlock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { createPipe } from '../../src/link/pipe.js';
import { exposeOnPty, type PtyExposure } from '../../src/sim/node-pty.js';
import { Stm32BootloaderSim } from '../../src/sim/stm32/bootloader.js';
import { STM32_SIM_PROFILES } from '../../src/sim/stm32/profiles.js';
import { McubootUartSim } from '../../src/sim/mcuboot/uart.js';
import { createMemoryTarget, createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { serveDapTcp } from '../../src/sim/node-dap-tcp.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { simTarget } from '../mcuboot/helpers.js';
import { needs } from '../helpers/peers.js';

function capture(): Io & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: (t) => { buf += t; }, isTty: false, text: () => buf };
}

/** A bootable Cortex-M image at `base` as Intel HEX (addresses inside, so no --base is needed). */
function bootableHex(base: number, size: number, sp: number): string {
  const d = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff);
  new DataView(d.buffer).setUint32(0, sp, true);
  new DataView(d.buffer).setUint32(4, (base + 0x101) | 1, true);
  if (base === 0) d.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff], 0x400); // Kinetis FCF: FSEC 0xFE
  return new TextDecoder().decode(encodeImage(MemoryImage.fromSegments([{ address: base, data: d }]), 'hex'));
}

const socat = needs('socat');

describe.skipIf(socat.skip)(socat.title('no --target: the device identifies itself (over a socat pty)'), () => {
  let dir: string;
  let tty: string;
  let pty: PtyExposure | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fw-identity-'));
    tty = join(dir, 'tty');
  });
  afterEach(async () => {
    await pty?.close();
    pty = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const stm32 = async (readProtected = false) => {
    const pipe = createPipe();
    new Stm32BootloaderSim(pipe.device, { profile: STM32_SIM_PROFILES.stm32f103xb, readProtected });
    pty = await exposeOnPty(pipe.host, tty);
    return ['--via', 'stm32-uart', '--port', tty, '--parity', 'none'];
  };
  const mcuboot = async (blank = false) => {
    const pipe = createPipe();
    new McubootUartSim(pipe.device, simTarget('MK64FN1M0', { blank }));
    pty = await exposeOnPty(pipe.host, tty);
    return ['--via', 'mcuboot', '--port', tty];
  };

  it('STM32 bootloader: the PID names the chip, the flash size register its size; the write lands', async () => {
    const via = await stm32();
    const hex = join(dir, 'app.hex');
    writeFileSync(hex, bootableHex(0x08000000, 0x900, 0x20005000));
    const io = capture();
    expect(await runCli(['write', hex, ...via], io), io.text()).toBe(0);
    expect(io.text()).toContain('note: no --target given: the device identifies itself as STM32F103xB (pid=0x410');
    expect(io.text()).toContain('flash 128 KiB at 0x08000000');
    expect(io.text()).toMatch(/STM32F103xB: 3 sector\(s\) written/);
    const again = capture();
    expect(await runCli(['verify', hex, ...via], again), again.text()).toBe(0);
  });

  it('MCUboot: the properties give the flash and the SDID; the write lands', async () => {
    const via = await mcuboot();
    const hex = join(dir, 'app.hex');
    writeFileSync(hex, bootableHex(0, 0x1000, 0x20030000));
    const io = capture();
    expect(await runCli(['write', hex, ...via], io), io.text()).toBe(0);
    expect(io.text()).toMatch(/note: no --target given: the device identifies itself as .*sdid=0x10030000.*; flash 1 MiB at 0x00000000\./);
  });

  it('plan --via on an STM32 at RDP level 1 exits 1 (the write would be refused), and 0 with --unprotect in the plan', async () => {
    const via = await stm32(true);
    const hex = join(dir, 'app.hex');
    // Whole sectors: nothing around the image to read back (that refusal is PRESERVE_UNREADABLE).
    writeFileSync(hex, bootableHex(0x08000000, 0xC00, 0x20005000));
    const io = capture();
    expect(await runCli(['plan', hex, ...via], io), io.text()).toBe(1);
    expect(io.text()).toMatch(/a write would be refused: The device is protected — RDP level 1/);
    expect(io.text()).toContain('would be refused (see above)');
    const unlocked = capture();
    expect(await runCli(['plan', hex, ...via, '--unprotect'], unlocked), unlocked.text()).toBe(0);
    expect(unlocked.text()).not.toContain('would be refused');
  });

  it('plan --via on a secured Kinetis exits 1, with --json refused: true; --unsecure makes it a plan that runs', async () => {
    const via = await mcuboot(true);
    const hex = join(dir, 'app.hex');
    writeFileSync(hex, bootableHex(0, 0x1000, 0x20030000));
    const io = capture();
    expect(await runCli(['plan', hex, ...via, '--json'], io), io.text()).toBe(1);
    const last = JSON.parse(io.text().trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!) as { refused: boolean; findings: Array<{ id: string }> };
    expect(last.refused).toBe(true);
    expect(last.findings.map((f) => f.id)).toContain('device.protected');
    const unlocked = capture();
    expect(await runCli(['plan', hex, ...via, '--unsecure'], unlocked), unlocked.text()).toBe(0);
  });
});

describe('no --target over CMSIS-DAP', () => {
  it('shows the debug IDs, writes SRAM without a Node warning, and names no GDB-only option for other memory', async () => {
    const server = await serveDapTcp(createSimDapProbe({ target: createMemoryTarget({ chip: 'nrf51' }) }), { port: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'fw-identity-dap-'));
    const warnings: string[] = [];
    const onWarning = (w: Error) => { warnings.push(`${w.name}: ${w.message}`); };
    process.on('warning', onWarning);
    try {
      const bin = join(dir, 'ram.bin');
      writeFileSync(bin, new Uint8Array(0x1000).map((_, i) => i & 0xff));
      const via = ['--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${server.port}`];
      const io = capture();
      expect(await runCli(['write', bin, '--base', '0x20000000', ...via], io), io.text()).toBe(0);
      expect(io.text()).toMatch(/no --target given: the device identifies itself as CMSIS-DAP .*\(dpidr=0x0BB11477, cpuid=0x410CC200\)/);
      const flash = capture();
      expect(await runCli(['write', bin, '--base', '0', ...via], flash), flash.text()).toBe(1);
      expect(flash.text()).toContain('--target NAME with --algo FILE');
      expect(flash.text()).not.toContain('--gdb-mode');
      await new Promise((r) => setTimeout(r, 20)); // process warnings are emitted on a later tick
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
