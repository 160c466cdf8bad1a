/**
 * gdb-multiarch as a second client of the same QEMU micro:bit: what flashwright writes, gdb
 * reads, and what gdb writes, flashwright reads — RAM, registers, and flash programmed by
 * flashwright through its flash algorithm — compared byte for byte. gdb runs as a separate
 * process (-batch) between flashwright's sessions; QEMU's stub takes one client at a time.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import { elfToImage, parseElf } from '../../src/image/elf.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { GdbClient } from '../../src/protocol/gdb-rsp/client.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';
import { findTarget } from '../../src/target/lookup.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { startQemu, type QemuInstance } from './qemu.js';

const peers = needs('qemu-system-arm', 'gdb-multiarch', 'arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const running: QemuInstance[] = [];
afterEach(async () => { for (const q of running.splice(0)) await q.stop(); });
afterAll(() => tc?.cleanup());

/** Deterministic bytes (xorshift32), different for every seed. */
function pattern(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  return new Uint8Array(n).map(() => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x & 0xff; });
}

/** One gdb-multiarch -batch run against the stub: the commands, then disconnect (a detach would resume the core); returns stdout. */
function gdb(q: QemuInstance, commands: string[]): Promise<string> {
  const args = ['-batch', '-nx', '-ex', 'set confirm off', '-ex', 'set architecture arm', '-ex', `target remote 127.0.0.1:${q.port}`,
    ...commands.flatMap((c) => ['-ex', c]), '-ex', 'disconnect'];
  return new Promise((resolve, reject) => {
    execFile('gdb-multiarch', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err || /Cannot access|Remote connection closed|Error|failed/i.test(stderr)) reject(new Error(`gdb-multiarch failed: ${err?.message ?? ''}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function client(q: QemuInstance): Promise<GdbClient> {
  const c = new GdbClient(await openTcp({ host: '127.0.0.1', port: q.port }), { timeoutMs: 10_000 });
  await c.connect();
  return c;
}

describe.skipIf(peers.skip)(peers.title('gdb-multiarch and flashwright on the same QEMU micro:bit'), () => {
  it('agree on RAM byte for byte, each reading what the other wrote', async () => {
    const q = await startQemu('microbit');
    running.push(q);
    // Away from address 0x20000000 and the top of RAM, in case the core runs between sessions.
    const A = { address: 0x20001000, data: pattern(0x2000, 1) };
    const B = { address: 0x20003000, data: pattern(0x0c00, 2) };
    let c = await client(q);
    await c.writeMemory(A.address, A.data);
    await c.close();

    const dumped = join(tc!.dir, 'ram-a.bin');
    const restore = join(tc!.dir, 'ram-b.bin');
    writeFileSync(restore, B.data);
    await gdb(q, [`dump binary memory ${dumped} 0x${A.address.toString(16)} 0x${(A.address + A.data.length).toString(16)}`,
      `restore ${restore} binary 0x${B.address.toString(16)}`]);
    expect(new Uint8Array(readFileSync(dumped))).toEqual(A.data);

    c = await client(q);
    try {
      expect(await c.readMemory(B.address, B.data.length)).toEqual(B.data);
      expect(await c.readMemory(A.address, A.data.length)).toEqual(A.data); // gdb's session changed nothing else
    } finally {
      await c.close();
    }
  }, 60_000);

  it('agree on core registers written by either side', async () => {
    const q = await startQemu('microbit');
    running.push(q);
    let c = await client(q);
    await c.writeRegister('r4', 0x12345678);
    await c.writeRegister('r7', 0x9abcdef0);
    await c.close();
    const out = await gdb(q, ['printf "r4=%08x r7=%08x\\n", $r4, $r7', 'set $r5 = 0xcafef00d', 'set $r6 = 0x0badc0de']);
    expect(out).toContain('r4=12345678 r7=9abcdef0');
    c = await client(q);
    try {
      expect((await c.readRegister('r5')) >>> 0).toBe(0xcafef00d);
      expect((await c.readRegister('r6')) >>> 0).toBe(0x0badc0de);
      expect((await c.readRegister('r4')) >>> 0).toBe(0x12345678);
    } finally {
      await c.close();
    }
  }, 60_000);

  it('gdb reads back exactly the flash flashwright programmed through its flash algorithm', async () => {
    const q = await startQemu('microbit');
    running.push(q);
    const flm = tc!.flm();
    const app = tc!.app('flash read by gdb');
    const img = elfToImage(parseElf(new Uint8Array(readFileSync(app)), app), app);
    const p = new GdbProgrammer({ open: () => openTcp({ host: '127.0.0.1', port: q.port }), description: `127.0.0.1:${q.port}`, target: findTarget('nrf51822'), algorithm: loadFlm(flm.data, flm.path) });
    try {
      const device = await p.connect();
      await writeImage(p, device, img, { verify: 'readback' });
    } finally {
      await p.close();
    }
    expect(img.segments.length).toBeGreaterThan(0);
    const files = img.segments.map((s, i) => ({ s, file: join(tc!.dir, `flash${i}.bin`) }));
    await gdb(q, files.map(({ s, file }) => `dump binary memory ${file} 0x${s.address.toString(16)} 0x${(s.address + s.data.length).toString(16)}`));
    for (const { s, file } of files) expect(new Uint8Array(readFileSync(file)), `segment at 0x${s.address.toString(16)}`).toEqual(s.data);
  }, 60_000);
});
