/** The CLI end to end over a pseudo-terminal: `--via mcuboot`, `imxrt image`, `sim mcuboot`. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { showDeviceInfo } from '../../src/cli/device.js';
import '../../src/cli/vias/index.js';
import type { Io } from '../../src/cli/output.js';
import { checkImxrtBoot } from '../../src/flash/checks/imxrt-boot.js';
import { createPipe } from '../../src/link/pipe.js';
import { exposeOnPty, type PtyExposure } from '../../src/sim/node-pty.js';
import { McubootUartSim } from '../../src/sim/mcuboot/uart.js';
import type { McubootSimTarget } from '../../src/sim/mcuboot/target.js';
import { requireTarget } from '../../src/target/lookup.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { pattern, simTarget } from './helpers.js';
import { needs } from '../helpers/peers.js';

const socat = needs('socat');
const gcc = needs('arm-none-eabi-gcc');

function capture(): Io & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: (t) => { buf += t; }, isTty: false, text: () => buf };
}

/** A Kinetis app binary: SP, reset vector, FCF with FSEC 0xFE. */
function kinetisBin(size: number): Uint8Array {
  const img = pattern(size, 8);
  new DataView(img.buffer).setUint32(0, 0x20030000, true);
  new DataView(img.buffer).setUint32(4, 0x411, true);
  img.set([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff], 0x400);
  return img;
}

describe.skipIf(socat.skip)(socat.title('--via mcuboot through the CLI over a socat pty'), () => {
  let dir: string;
  let tty: string;
  let pty: PtyExposure;
  let target: McubootSimTarget;
  const start = async (chip: string) => {
    const pipe = createPipe();
    target = simTarget(chip);
    new McubootUartSim(pipe.device, target);
    pty = await exposeOnPty(pipe.host, tty);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fw-mcuboot-cli-'));
    tty = join(dir, 'tty');
  });
  afterEach(async () => {
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('info, write, verify, read and erase on a simulated MK64FN1M0', async () => {
    await start('MK64FN1M0');
    const via = ['--via', 'mcuboot', '--port', tty, '--target', 'MK64FN1M0'];
    let io = capture();
    await showDeviceInfo({ via: 'mcuboot', port: tty, target: 'MK64FN1M0' }, io);
    expect(io.text()).toMatch(/bootloader=K3\.0\.0/);
    expect(io.text()).toMatch(/MaxPacketSize: 32/);
    expect(io.text()).toMatch(/reserved\s+MCUboot \(ReservedRegions property\): 0x1FFF0000–0x1FFF1FFF/);
    const data = kinetisBin(9000);
    writeFileSync(join(dir, 'app.bin'), data);
    io = capture();
    expect(await runCli(['write', join(dir, 'app.bin'), '--base', '0', ...via], io), io.text()).toBe(0);
    expect(target.memory.read(0, data.length)).toEqual(data);
    io = capture();
    expect(await runCli(['verify', join(dir, 'app.bin'), '--base', '0', ...via], io), io.text()).toBe(0);
    io = capture();
    expect(await runCli(['read', '0', '9000', join(dir, 'back.bin'), ...via], io), io.text()).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'back.bin')))).toEqual(data);
    io = capture();
    expect(await runCli(['erase', '0x1000', '0x1000', ...via], io), io.text()).toBe(0);
    expect(target.memory.read(0x1000, 0x1000).every((b) => b === 0xff)).toBe(true);
    io = capture();
    expect(await runCli(['verify', join(dir, 'app.bin'), '--base', '0', ...via], io)).toBe(1);
    expect(io.text()).toMatch(/0x00001000/);
  });

  it('--unsecure: plan, info, read and verify leave a secure chip byte-identical; write shows the unlock in its plan and says it mass-erased (text and JSON)', async () => {
    await start('MK64FN1M0');
    // Secure the chip: FSEC = 0xFF (SEC = 11), some old bytes elsewhere.
    target.memory.eraseSector(0);
    target.memory.program(0x400, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    target.memory.program(0x8000, pattern(64, 4));
    target.reset();
    const before = JSON.stringify(target.memory.snapshot());
    const via = ['--via', 'mcuboot', '--port', tty, '--target', 'MK64FN1M0', '--unsecure'];
    const app = [join(dir, 'app.bin'), '--base', '0'];
    writeFileSync(join(dir, 'app.bin'), kinetisBin(5000));
    let io = capture();
    expect(await runCli(['plan', ...app, ...via], io), io.text()).toBe(0);
    expect(io.text()).toMatch(/ unlock +FlashEraseAllUnsecure: unsecures the chip \(FSEC = 0xFE\) — mass erase: all 1 MiB of internal flash/);
    expect(await runCli(['info', ...via], capture())).toBe(0);
    expect(await runCli(['read', '0', '16', join(dir, 'r.bin'), ...via, '--backdoor-key', '0102030405060708'], capture())).toBe(1);
    expect(await runCli(['verify', ...app, ...via], capture())).toBe(1);
    expect(JSON.stringify(target.memory.snapshot())).toBe(before);
    expect(target.secure).toBe(true);
    io = capture();
    expect(await runCli(['write', ...app, ...via], io), io.text()).toBe(0);
    expect(io.text()).toContain('done: FlashEraseAllUnsecure: unsecures the chip (FSEC = 0xFE) — mass erase: all 1 MiB of internal flash');
    // The plan was shown before the mass erase ran.
    expect(io.text().indexOf(' unlock ')).toBeLessThan(io.text().indexOf('unlock: '));
    expect(io.text().indexOf('legend:')).toBeLessThan(io.text().indexOf('unlock: '));
    expect(target.memory.read(0x8000, 64).every((b) => b === 0xff)).toBe(true);
    expect(target.memory.read(0, 5000)).toEqual(kinetisBin(5000));
    // Secure again for the JSON run.
    target.memory.eraseSector(0);
    target.memory.program(0x400, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    target.reset();
    io = capture();
    expect(await runCli(['write', join(dir, 'app.bin'), '--base', '0', ...via, '--json'], io), io.text()).toBe(0);
    const lines = io.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1).changes).toEqual([{ kind: 'mass-erase-unsecure', description: 'FlashEraseAllUnsecure: unsecures the chip (FSEC = 0xFE)', destroys: 'mass erase: all 1 MiB of internal flash' }]);
    expect(lines).toContainEqual(expect.objectContaining({ type: 'event', event: expect.objectContaining({ type: 'start', phase: 'unlock' }) }));
  });

  it('bad --backdoor-key and --flexspi-option are usage errors', async () => {
    await start('MK64FN1M0');
    const io = capture();
    expect(await runCli(['read', '0', '4', join(dir, 'x.bin'), '--via', 'mcuboot', '--port', tty, '--backdoor-key', '12345'], io)).toBe(2);
    expect(io.text()).toMatch(/16 hex digits/);
    expect(await runCli(['read', '0', '4', join(dir, 'x.bin'), '--via', 'mcuboot', '--port', tty, '--flexspi-option', '0x40000007'], io)).toBe(2);
    expect(io.text()).toMatch(/not a FlexSPI NOR option word/);
    expect(await runCli(['read', '0', '4', join(dir, 'x.bin'), '--via', 'mcuboot'], io)).toBe(2);
    expect(io.text()).toMatch(/needs --port PATH/);
  });

  it('writing FlexSPI NOR without --flexspi-option is refused before anything is sent, saying how to configure it', async () => {
    await start('MIMXRT1021');
    writeFileSync(join(dir, 'app.bin'), pattern(4096, 2));
    const io = capture();
    expect(await runCli(['write', join(dir, 'app.bin'), '--base', '0x60002000', '--via', 'mcuboot', '--port', tty, '--target', 'MIMXRT1021'], io)).toBe(1);
    expect(io.text()).toMatch(/No flash is configured at 0x60002000/);
    expect(io.text()).toMatch(/--flexspi-option 0xC0000007/);
  });

  it.skipIf(gcc.skip)(gcc.title('imxrt image wraps a gcc-built app; written to the RT1021 flashloader with --flexspi-option it is bootable'), async () => {
    await start('MIMXRT1021');
    writeFileSync(join(dir, 'app.c'), [
      'extern unsigned int __stack_top;',
      'volatile unsigned int counter;',
      'void Reset_Handler(void) { for (;;) counter++; }',
      '__attribute__((section(".isr_vector"), used)) const void *vectors[] = { &__stack_top, (void *)Reset_Handler };',
    ].join('\n'));
    writeFileSync(join(dir, 'app.ld'), [
      'MEMORY { FLASH (rx) : ORIGIN = 0x60002000, LENGTH = 0x7FE000  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K }',
      '__stack_top = ORIGIN(RAM) + LENGTH(RAM);',
      'SECTIONS { .text : { KEEP(*(.isr_vector)) *(.text*) *(.rodata*) } > FLASH  .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM }',
    ].join('\n'));
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m7', '-mthumb', '-Os', '-nostdlib', '-T', join(dir, 'app.ld'), '-o', join(dir, 'app.elf'), join(dir, 'app.c')]);
    let io = capture();
    expect(await runCli(['imxrt', 'image', join(dir, 'app.elf'), '--part', 'rt1021', '-o', join(dir, 'boot.bin'), '--json'], io), io.text()).toBe(0);
    const summary = JSON.parse(io.text());
    expect(summary).toMatchObject({ part: 'rt1021', start: '0x60000000', fcb: '0x60000000', ivt: '0x60001000' });
    const boot = new Uint8Array(readFileSync(join(dir, 'boot.bin')));
    expect(checkImxrtBoot(MemoryImage.fromSegments([{ address: 0x60000000, data: boot }]), requireTarget('MIMXRT1021'))).toEqual([]);
    io = capture();
    const via = ['--via', 'mcuboot', '--port', tty, '--target', 'MIMXRT1021', '--flexspi-option', '0xC0000007'];
    expect(await runCli(['write', join(dir, 'boot.bin'), '--base', '0x60000000', ...via], io), io.text()).toBe(0);
    expect(target.memory.read(0x60000000, boot.length)).toEqual(boot);
    expect(new DataView(target.memory.read(0x60001000, 4).buffer).getUint32(0, true)).toBe(0x402000d1);
  });
});

describe.skipIf(socat.skip)(socat.title('flashwright sim mcuboot as a process over a socat pty'), () => {
  it('serves a host on the pty and prints statistics when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-mcuboot-sim-'));
    const tty = join(dir, 'tty');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', 'mcuboot', '--chip', 'MK64FN1M0', '--pty', tty, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => { if (out.includes('"ready"')) { clearInterval(timer); resolve(); } }, 50);
        child.once('exit', (code) => { clearInterval(timer); reject(new Error(`sim exited early (${code}): ${out}`)); });
      });
      expect(JSON.parse(out.split('\n')[0]!)).toMatchObject({ type: 'ready', chip: 'MK64FN1M0', maxPacketSize: 32 });
      const io = capture();
      await showDeviceInfo({ via: 'mcuboot', port: tty, json: true }, io);
      expect(JSON.parse(io.text())).toMatchObject({ type: 'device', ids: { bootloader: 'K3.0.0' } });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    const stats = JSON.parse(out.trim().split('\n').pop()!);
    expect(stats.type).toBe('stats');
    expect(stats.bytesToDevice).toBeGreaterThan(0);
  }, 30_000);
});
