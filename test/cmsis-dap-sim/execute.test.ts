/**
 * The executing memory target: real code runs behind the simulated probe (ARMv6-M Thumb
 * interpreter, nRF51 NVMC model). Our nRF51 NVMC flash algorithm, compiled here with
 * arm-none-eabi-gcc, programs and verifies flash through the CLI's CmsisDapProgrammer; its
 * failure variants fail as they would on silicon; C routines compiled here compute what the
 * same arithmetic gives in JavaScript; the NVMC refuses what the reference manual forbids.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeImage, verifyImage } from '../../src/flash/engine.js';
import { runCli } from '../../src/cli/main.js';
import { encodeImage } from '../../src/image/formats.js';
import { serveDapTcp } from '../../src/sim/node-dap-tcp.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { createMemoryTarget, createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { runThumb } from '../../src/sim/cmsis-dap/thumb.js';
import { findTarget } from '../../src/target/lookup.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';

const p = needs('arm-none-eabi-gcc', 'arm-none-eabi-nm');
const tc = p.skip ? undefined : new Toolchain();
afterAll(() => tc?.cleanup());

function rig(defines: string[] = []) {
  const target = createMemoryTarget({ chip: 'nrf51', execute: true });
  const probe = createSimDapProbe({ target });
  const algorithm = loadFlm(tc!.flm(defines).data, 'nrf51-nvmc.flm');
  const prog = new CmsisDapProgrammer({ open: async () => probe.device, description: 'sim nrf51 (executing)', algorithm, target: findTarget('nrf51822') });
  return { target, probe, prog };
}

function app(size: number, seed = 1): MemoryImage {
  const data = Uint8Array.from({ length: size }, (_, i) => ((i * 131 + seed * 17) >>> 3) & 0xff);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0x20004000, true);
  for (let i = 1; i < 16; i++) v.setUint32(i * 4, 0x000000c1, true);
  return MemoryImage.fromSegments([{ address: 0, data }]);
}

describe.skipIf(p.skip)(p.title('executing memory target (ARMv6-M interpreter + nRF51 NVMC)'), () => {
  it('our NVMC algorithm programs flash through the probe, verified by the on-target CRC-32 and by read-back', async () => {
    const { target, prog } = rig();
    target.core.poke(0x800, new Uint8Array(0x400)); // old contents: the page must be erased first
    const info = await prog.connect();
    expect(info.details).toMatchObject({ algorithm: expect.stringMatching(/nRF51/) });
    const image = app(5000);
    const s = await writeImage(prog, info, image, { verify: 'digest' });
    expect(s.sectorsErased).toBe(1); // only the page that held old bytes; the rest was erased already
    expect(s.sectorsWritten).toBe(5);
    expect(s.verify).toBe('digest');
    expect(target.core.peek(0, 5000)).toEqual(image.segments[0]!.data);
    expect((await verifyImage(prog, info, image, { verify: 'readback' })).bytesVerified).toBe(5000);
    // A second write finds every sector equal (the on-target CRC says so) and skips them.
    const again = await writeImage(prog, info, image);
    expect(again.sectorsSkipped).toBe(5);
    expect(again.sectorsWritten).toBe(0);
    await prog.close();
  });

  it('the CLI: write --via cmsis-dap --algo FLM to the executing simulated probe on TCP programs and verifies flash', async () => {
    const target = createMemoryTarget({ chip: 'nrf51', execute: true });
    const server = await serveDapTcp(createSimDapProbe({ target }), { port: 0, host: '127.0.0.1' });
    try {
      const flm = tc!.flm();
      const image = app(2500, 4);
      const hexPath = join(tc!.dir, 'app.hex');
      writeFileSync(hexPath, encodeImage(image, 'hex'));
      const out: string[] = [];
      const io = { out: (t: string) => { out.push(t); }, err: (t: string) => { out.push(t); }, isTty: false };
      const code = await runCli(['write', hexPath, '--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${server.port}`, '--target', 'nrf51822', '--algo', flm.path], io);
      expect(code, out.join('')).toBe(0);
      expect(target.core.peek(0, 2500)).toEqual(image.segments[0]!.data);
    } finally {
      await server.close();
    }
  });

  it('a ProgramPage that returns 1 fails the write with a true record', async () => {
    const { target, prog } = rig(['FAIL_PROGRAM_AT=0x400']);
    const info = await prog.connect();
    const image = app(3072, 2);
    const err = await writeImage(prog, info, image).catch((e: unknown) => e) as { code?: string; progress?: { programmed: Array<{ address: number; size: number }> } };
    expect(err.code).toBe('FLASH_INTERRUPTED');
    for (const r of err.progress!.programmed) expect(target.core.peek(r.address, r.size)).toEqual(image.read(r.address, r.size));
    expect(target.core.peek(0x400, 0x400).every((b) => b === 0xff)).toBe(true);
    await prog.close().catch(() => undefined);
  });

  it('a fault in the algorithm locks an ARMv6-M core up (no handler in erased flash); the runner reports it', async () => {
    const { target, prog } = rig(['FAULT_ERASE=0x60000000']);
    target.core.poke(0, new Uint8Array(16)); // old bytes: the page needs an erase
    const info = await prog.connect();
    const err = await writeImage(prog, info, app(1024)).catch((e: unknown) => e) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(target.core.lockupReason).toMatch(/vector 3 is 0xffffffff|no memory at 0x60000000/);
    await prog.close().catch(() => undefined);
  });

  it('C arithmetic compiled for Cortex-M0 gives what JavaScript computes (flags, shifts, 64-bit multiply through libgcc, sign extension, byte reverse)', () => {
    const dir = tc!.dir;
    const src = join(dir, 'ops.c');
    writeFileSync(src, `
#include <stdint.h>
__attribute__((used)) uint32_t out[16];
static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
__attribute__((used, noinline)) uint32_t run(uint32_t a, uint32_t b) {
  int32_t sa = (int32_t)a, sb = (int32_t)b;
  uint64_t wide = (uint64_t)a * b;          /* __aeabi_lmul: adc/sbc-free, mul + shifts */
  out[0] = a + b; out[1] = a - b; out[2] = a * b; out[3] = (uint32_t)(wide >> 32);
  out[4] = sa < sb; out[5] = a < b; out[6] = (uint32_t)(sa >> (b & 31)); out[7] = a >> (b & 31);
  out[8] = rotl(a, b & 31 ? b & 31 : 1); out[9] = (uint32_t)(int8_t)a + (uint32_t)(int16_t)b;
  out[10] = __builtin_bswap32(a); out[11] = a & ~b; out[12] = (uint32_t)(-sa); out[13] = a ^ (b | 0x55);
  uint64_t sum = (uint64_t)a + ((uint64_t)b << 32) + 0xFFFFFFFFull; out[14] = (uint32_t)(sum >> 32) ^ (uint32_t)sum;
  uint32_t h = 2166136261u; for (int i = 0; i < 13; i++) { h ^= ((a >> i) ^ (b << i)) & 0xff; h *= 16777619u; } out[15] = h;
  return out[0] ^ out[15];
}
__attribute__((naked, used, section(".text.start"))) void start(void) { __asm__ volatile ("bl run\\n bkpt #0"); }
`);
    const ld = join(dir, 'ops.ld');
    writeFileSync(ld, 'MEMORY { RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 0x3000 } SECTIONS { .text : { *(.text.start) *(.text*) *(.rodata*) } > RAM .bss : { *(.bss*) *(COMMON) } > RAM }');
    const elfPath = join(dir, 'ops.elf');
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m0', '-mthumb', '-O2', '-ffreestanding', '-nostdlib', '-nostartfiles', '-T', ld, src, '-lgcc', '-o', elfPath]);
    const code = elfToImage(parseElf(new Uint8Array(readFileSync(elfPath)), 'ops.elf'), 'ops.elf');
    const sym = tc!.symbols(elfPath);
    const cases: Array<[number, number]> = [[0, 0], [1, 2], [0xffffffff, 1], [0x80000000, 0x7fffffff], [0x12345678, 0x9abcdef0], [0xdeadbeef, 5], [7, 0xfffffff9], [0x00ff00ff, 31]];
    for (const [a, b] of cases) {
      const target = createMemoryTarget({ chip: 'nrf51', execute: true });
      for (const seg of code.segments) target.core.poke(seg.address, seg.data);
      const regs = target.core.regs;
      regs.set(0, a); regs.set(1, b); regs.set(13, 0x20004000); regs.set(15, sym.start! & ~1); regs.set(16, 0x01000000);
      const stop = runThumb(regs, target.core, { breakpoints: [], maxSteps: 100_000, vectorTable: 0 });
      expect(stop, JSON.stringify(stop)).toMatchObject({ kind: 'bkpt' });
      const got = Array.from({ length: 16 }, (_, i) => target.core.word(sym.out! + 4 * i));
      const sa = a | 0; const sb = b | 0;
      const wide = BigInt(a) * BigInt(b);
      const r = b & 31 ? b & 31 : 1;
      let h = 2166136261;
      for (let i = 0; i < 13; i++) { h = (h ^ (((a >>> i) ^ (b << i)) & 0xff)) >>> 0; h = Math.imul(h, 16777619) >>> 0; }
      const sum = BigInt(a) + (BigInt(b) << 32n) + 0xffffffffn;
      const want = [
        (a + b) >>> 0, (a - b) >>> 0, Math.imul(a, b) >>> 0, Number((wide >> 32n) & 0xffffffffn),
        sa < sb ? 1 : 0, a < b ? 1 : 0, (sa >> (b & 31)) >>> 0, a >>> (b & 31),
        ((a << r) | (a >>> (32 - r))) >>> 0, ((((a << 24) >> 24) + ((b << 16) >> 16)) >>> 0),
        (((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24)) >>> 0, (a & ~b) >>> 0, (-sa) >>> 0, (a ^ (b | 0x55)) >>> 0,
        (Number((sum >> 32n) & 0xffffffffn) ^ Number(sum & 0xffffffffn)) >>> 0, h,
      ];
      expect(got, `a=${a.toString(16)} b=${b.toString(16)}`).toEqual(want);
      expect(regs.get(0)).toBe((want[0]! ^ want[15]!) >>> 0);
    }
  });
});

describe('NVMC rules (nRF51 RM v3.0 ch. 6) on the executing target', () => {
  it('flash takes aligned words only with write enable and only clears bits; erase needs erase enable', () => {
    const t = createMemoryTarget({ chip: 'nrf51', execute: true });
    const c = t.core;
    expect(() => c.write(0x1000, 4, 0x12345678)).toThrow(/not write enabled/);
    c.write(0x4001e504, 4, 1);
    expect(() => c.write(0x1001, 1, 0)).toThrow(/aligned 32-bit words/);
    c.write(0x1000, 4, 0x0000ffff);
    c.write(0x1000, 4, 0xffff00ff); // can only clear: 0x0000ffff & 0xffff00ff
    expect(c.word(0x1000)).toBe(0x000000ff);
    expect(() => c.write(0x4001e508, 4, 0x1000)).toThrow(/not erase enabled/);
    c.write(0x4001e504, 4, 2);
    expect(() => c.write(0x4001e508, 4, 0x1004)).toThrow(/not the start of a code-region page/);
    c.write(0x4001e508, 4, 0x1000);
    expect(c.word(0x1000)).toBe(0xffffffff);
    expect(c.read(0x4001e400, 4)).toBe(1);
  });

  it('without execute the target is the plain memory model (flash read-only, resume runs nothing)', () => {
    const t = createMemoryTarget({ chip: 'nrf51' });
    expect(() => t.core.write(0x1000, 4, 0)).toThrow(/not writable/);
    t.core.halted = true;
    t.core.regs.set(15, 0x20000000);
    t.core.poke(0x20000000, Uint8Array.of(0x00, 0xbe)); // BKPT: never reached, nothing executes
    t.core.resume(false);
    expect(t.core.halted).toBe(false);
  });
});
