/**
 * The proof on real emulation: QEMU's micro:bit (nRF51822 with its NVMC flash controller)
 * behind QEMU's own GDB stub. Firmware built here is programmed through (a) our own FLM
 * built from C and (b) the pyOCD nRF51 algorithm imported at test time, verified by
 * read-back and CRC, reset with `monitor system_reset`, and its UART line checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc.js';
import { runCli } from '../../src/cli/main.js';
import { writeImage } from '../../src/flash/engine.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { AlgorithmCrashedError, AlgorithmFailedError, AlgorithmRangeError, AlgorithmStackError, AlgorithmTimeoutError } from '../../src/protocol/flash-algo/errors.js';
import { GdbUnsupportedError } from '../../src/protocol/gdb-rsp/errors.js';
import { GdbProgrammer, type GdbProgrammerOptions } from '../../src/programmer/gdb-programmer.js';
import { findTarget } from '../../src/target/lookup.js';
import { PYOCD_NRF51, Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { startQemu, type QemuInstance } from './qemu.js';

const peers = needs('qemu-system-arm', 'arm-none-eabi-gcc');
const pyocd = needs('python3-pyocd');
const tc = peers.skip ? undefined : new Toolchain();
const running: QemuInstance[] = [];

afterEach(async () => { for (const q of running.splice(0)) await q.stop(); });
afterAll(() => tc?.cleanup());

async function qemu(): Promise<QemuInstance> {
  const q = await startQemu('microbit');
  running.push(q);
  return q;
}

function programmer(q: QemuInstance, extra: Partial<GdbProgrammerOptions> = {}): GdbProgrammer {
  return new GdbProgrammer({ open: () => openTcp({ host: '127.0.0.1', port: q.port }), description: `127.0.0.1:${q.port}`, target: findTarget('nrf51822'), ...extra });
}

function image(path: string) {
  return elfToImage(parseElf(new Uint8Array(readFileSync(path)), path), path);
}

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, out, err };
}

describe.skipIf(peers.skip)(peers.title('QEMU microbit (nRF51822) through its GDB stub'), () => {
  it('programs firmware with our own FLM, verifies by read-back and CRC, resets and prints on the UART', async () => {
    const q = await qemu();
    const flm = tc!.flm();
    const img = image(tc!.app('flashwright own FLM OK'));
    const p = programmer(q, { algorithm: loadFlm(flm.data, flm.path) });
    try {
      const device = await p.connect();
      expect(device.details).toMatchObject({ strategy: 'algorithm', doubleBuffered: true });
      const summary = await writeImage(p, device, img, { verify: 'readback' });
      expect(summary.sectorsErased).toBe(5);
      for (const s of img.segments) {
        const back = await p.readMemory(s.address, s.data.length);
        expect(crc32(back)).toBe(crc32(s.data));
        // The CRC-32 the core computes with the runner's routine agrees with the host's.
        expect(await p.digest!.remote(s.address, s.data.length)).toBe(crc32(s.data));
      }
      expect(await p.digest!.remote(0x40000 - 0x400, 0x400)).toBe(crc32(new Uint8Array(0x400))); // never erased: 0x00 on QEMU
      await p.run();
    } finally {
      await p.close();
    }
    expect(await q.waitForSerial('flashwright own FLM OK\n')).toContain('flashwright own FLM OK\n');
  }, 30000);

  it.skipIf(pyocd.skip)(pyocd.title('programs through the CLI with the pyOCD nRF51 algorithm imported at test time'), async () => {
    const q = await qemu();
    const app = tc!.app('pyOCD algorithm OK');
    const algo = join(tc!.dir, 'nrf51-pyocd.json');
    const a = captureIo();
    expect(await runCli(['algo', 'import-pyocd', PYOCD_NRF51, '-o', algo], a.io)).toBe(0);
    const gdb = ['--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`, '--algo', algo, '--target', 'nrf51822'];
    const w = captureIo();
    expect(await runCli(['write', app, ...gdb], w.io), w.err.join('')).toBe(0);
    const readBack = join(tc!.dir, 'back.bin');
    const r = captureIo();
    expect(await runCli(['read', '0x0', '0x1400', readBack, ...gdb], r.io), r.err.join('')).toBe(0);
    const img = image(app);
    const expected = img.read(0, img.size);
    expect(crc32(new Uint8Array(readFileSync(readBack)).subarray(0, expected.length))).toBe(crc32(expected));
    // A second write finds everything in place and only starts the application.
    const w2 = captureIo();
    expect(await runCli(['write', app, ...gdb, '--run'], w2.io), w2.err.join('')).toBe(0);
    expect(w2.out.join('') + w2.err.join('')).toMatch(/skipped|identical/);
    expect(w.out.join('') + w.err.join('')).toContain('CRC-32 computed on the target');
    expect(await q.waitForSerial('pyOCD algorithm OK\n')).toContain('pyOCD algorithm OK\n');
  }, 30000);

  it('programs through a GDB stub on a serial line (--gdb-serial, as with a Black Magic Probe)', async () => {
    const q = await startQemu('microbit', { gdbOn: 'pty' });
    running.push(q);
    const flm = tc!.flm();
    const app = tc!.app('over a serial line');
    const w = captureIo();
    expect(await runCli(['write', app, '--via', 'gdb', '--gdb-serial', q.gdbPty!, '--algo', flm.path, '--target', 'nrf51822', '--run'], w.io), w.err.join('')).toBe(0);
    expect(await q.waitForSerial('over a serial line\n')).toContain('over a serial line\n');
  }, 30000);

  it('reports an algorithm that returns non-zero: function, address and value', async () => {
    const q = await qemu();
    const flm = tc!.flm(['FAIL_PROGRAM_AT=0x400']);
    const p = programmer(q, { algorithm: loadFlm(flm.data, flm.path) });
    try {
      const device = await p.connect();
      const e = await writeImage(p, device, image(tc!.app('never printed')), {}).catch((x) => x);
      const cause = e.cause ?? e;
      expect(cause).toBeInstanceOf(AlgorithmFailedError);
      expect(cause.message).toMatch(/ProgramPage\(0x00000400, 0x00000400, 0x2000[0-9A-F]{4}\) at 0x2000[0-9A-F]{4} returned 1/);
    } finally {
      await p.close();
    }
  }, 30000);

  it('halts an algorithm that does not return and reports PC, LR, xPSR and the fault registers', async () => {
    const q = await qemu();
    const flm = tc!.flm(['HANG_ERASE']);
    const algo = loadFlm(flm.data, flm.path);
    const p = programmer(q, { algorithm: algo });
    try {
      await p.connect();
      const e = await p.eraseSectors([{ address: 0, size: 1024 }]).catch((x) => x);
      expect(e).toBeInstanceOf(AlgorithmTimeoutError);
      const erase = p.runner!.layout.loadAddress + algo.entries.eraseSector;
      expect(e.context.pc).toBeGreaterThanOrEqual(erase);
      expect(e.context.pc).toBeLessThan(erase + 0x40);
      expect(e.message).toMatch(/EraseSector at 0x2000[0-9A-F]{4} did not return within 1300 ms; halted it at PC=0x2000[0-9A-F]{4} LR=0x2000[0-9A-F]{4} xPSR=0x[0-9A-F]{8} CFSR=0x[0-9A-F]{8} HFSR=/);
      expect(e.context.faults.decoded).toBeDefined();
    } finally {
      await p.close();
    }
  }, 30000);

  it('catches a stack overflow through the guard word', async () => {
    const q = await qemu();
    const flm = tc!.flm(['DEEP_STACK']);
    const p = programmer(q, { algorithm: loadFlm(flm.data, flm.path), stackSize: 256 });
    try {
      const device = await p.connect();
      const e = await writeImage(p, device, image(tc!.app('x')), {}).catch((x) => x);
      expect(e.cause ?? e).toBeInstanceOf(AlgorithmStackError);
    } finally {
      await p.close();
    }
  }, 30000);

  it('refuses data outside the algorithm\'s flash range', async () => {
    const q = await qemu();
    const flm = tc!.flm();
    const p = programmer(q, { algorithm: loadFlm(flm.data, flm.path) });
    try {
      await p.connect();
      const e = await p.programFlash(0x10001000, new Uint8Array(1024)).catch((x) => x);
      expect(e).toBeInstanceOf(AlgorithmRangeError);
      expect(e.message).toContain('0x10001000–0x100013FF lies outside the flash');
    } finally {
      await p.close();
    }
  }, 30000);

  it('says the server lacks server-side flash and lists what QEMU offered', async () => {
    const q = await qemu();
    const p = programmer(q, { strategy: 'vflash' });
    try {
      const e = await p.connect().catch((x) => x);
      expect(e).toBeInstanceOf(GdbUnsupportedError);
      expect(e.context.offered).toContain('qXfer:features:read');
      expect(e.hint).toContain('--algo');
    } finally {
      await p.close();
    }
  }, 30000);
});

describe.skipIf(peers.skip)(peers.title('QEMU mps2-an385 (Cortex-M3): fault trap and RAM programming'), () => {
  async function faultOf(define: string) {
    const q = await startQemu('mps2-an385');
    running.push(q);
    const flm = tc!.flm([define]);
    const p = new GdbProgrammer({ open: () => openTcp({ host: '127.0.0.1', port: q.port }), description: 'qemu', algorithm: loadFlm(flm.data, flm.path), ram: { start: 0x20000000, size: 0x10000 } });
    try {
      await p.connect();
      const e = await p.eraseSectors([{ address: 0, size: 1024 }]).catch((x) => x);
      return { e, erase: p.runner!.layout.loadAddress + p.runner!.algo.entries.eraseSector };
    } finally {
      await p.close();
    }
  }

  it('catches a BKPT in the algorithm through the RAM vector table and reports the stacked PC and HFSR', async () => {
    const { e, erase } = await faultOf('BKPT_IN_ERASE');
    expect(e).toBeInstanceOf(AlgorithmCrashedError);
    expect(e.message).toContain('took a fault (exception 3, HardFault)');
    expect(e.context.pc).toBeGreaterThanOrEqual(erase);
    expect(e.context.pc).toBeLessThan(erase + 0x10);
    expect(e.context.faults.hfsr).not.toBe(0); // QEMU escalates (FORCED); silicon reports DEBUGEVT
  }, 30000);

  it('decodes a precise bus fault with its address', async () => {
    const { e } = await faultOf('FAULT_ERASE=0xF0000000');
    expect(e).toBeInstanceOf(AlgorithmCrashedError);
    expect(e.context.faults.decoded.cfsr).toContain('PRECISERR (precise data bus error)');
    expect(e.message).toContain('BFAR=0xF0000000');
  }, 30000);

  it('writes a program into RAM with memory packets, reads it back and runs it', async () => {
    const q = await startQemu('mps2-an385');
    running.push(q);
    const path = tc!.mps2RamApp('ram program OK');
    const img = image(path);
    const p = new GdbProgrammer({ open: () => openTcp({ host: '127.0.0.1', port: q.port }), description: `127.0.0.1:${q.port}` });
    try {
      const device = await p.connect();
      expect(device.details).toMatchObject({ strategy: 'ram' });
      const summary = await writeImage(p, device, img, { run: true });
      expect(summary.bytesVerified).toBe(img.size);
      expect(summary.ran).toBe(true);
    } finally {
      await p.close();
    }
    expect(await q.waitForSerial('ram program OK\n')).toContain('ram program OK\n');
  }, 30000);
});
