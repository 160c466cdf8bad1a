/**
 * Issue 10 §2 and §5: verification re-reads before it blames the chip, a mismatch says what
 * the read value means and carries the write's record, and a device's own refusal is never
 * answered with "fix the link".
 */
import { describe, expect, it } from 'vitest';
import { writeImage, verifyImage } from '../../src/flash/engine.js';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import type { Programmer } from '../../src/programmer/types.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';
import { uartRig } from '../mcuboot/helpers.js';

const target = requireTarget('stm32f103xb');
const FLASH = 0x08000000;
const image = (length: number, seed = 1) => MemoryImage.fromSegments([{ address: FLASH + 0x400, data: Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff) }]);

/** An unchecked way in (no digest, no checked reads) whose calls can be tampered with. */
function link(hooks: { read?: (address: number, data: Uint8Array, call: number) => void; program?: (address: number, data: Uint8Array) => unknown }) {
  const memory = new SimMemory(target);
  const inner = new SimProgrammer(memory, { digest: false });
  let reads = 0;
  const p: Programmer = {
    kind: 'test-uart',
    connect: () => inner.connect(),
    async readMemory(address, length, o) {
      const data = await inner.readMemory(address, length, o);
      hooks.read?.(address, data, ++reads);
      return data;
    },
    eraseSectors: (s, o) => inner.eraseSectors(s, o),
    async programFlash(a, d, o) { const copy = d.slice(); hooks.program?.(a, copy); return inner.programFlash(a, copy, o); },
    writeMemory: (a, d, o) => inner.writeMemory(a, d, o),
    close: () => inner.close(),
  };
  return { memory, p };
}

describe('verification re-reads before it blames the chip', () => {
  it('one garbled byte in a read reply does not fail a write whose flash is exact', async () => {
    let garbled = false;
    const { p } = link({ read: (_a, data) => { if (!garbled) { garbled = true; data[5] = data[5]! ^ 0x40; } } });
    const logs: string[] = [];
    const s = await writeImage(p, await p.connect(), image(0x800), { verify: 'readback', skipUnchanged: false, onEvent: (e) => { if (e.type === 'log') logs.push(e.message); } });
    expect(s.bytesVerified).toBeGreaterThan(0);
    expect(logs.join('\n')).toMatch(/garbled on the link; the flash is right/);
  });
  it('reads that never agree blame the link, not the flash', async () => {
    const { p } = link({ read: (_a, data, call) => { data[5] = data[5]! ^ (call & 0xff); } });
    const e = await writeImage(p, await p.connect(), image(0x800), { verify: 'readback', skipUnchanged: false }).catch((x) => x);
    expect(e.code).toBe('FLASH_INTERRUPTED'); // stopped during verify, with its record
    expect(e.cause.code).toBe('VERIFY_READS_UNSTABLE');
    expect(e.cause.hint).toMatch(/lower the baud rate/);
    expect(e.hint).toMatch(/Fix the link/); // here it is the link
  });
  it('a steady wrong byte is a mismatch, carrying the erased/programmed/verified record', async () => {
    const { p, memory } = link({});
    const dev = await p.connect();
    const img = image(0x800);
    // The flash takes one byte wrong, the way a worn cell would (bits only cleared).
    const inner = p.programFlash.bind(p);
    p.programFlash = async (a, d, o) => { const copy = d.slice(); copy[0x10] = copy[0x10]! & 0x0f; return inner(a, copy, o); };
    const e = await writeImage(p, dev, img, { verify: 'readback', skipUnchanged: false }).catch((x) => x);
    expect(e.code).toBe('VERIFY_MISMATCH');
    expect(e.context.record).toMatchObject({ erased: [0x08000400, 0x08000800], phase: 'verify' });
    expect(e.context.record.programmed.length).toBeGreaterThan(0);
    expect(e.hint).toMatch(/The write got this far: Erased: sectors at .*Programmed: .*Verified: /);
    expect(memory).toBeDefined();
  });
});

describe('a verify mismatch says what the read value means', () => {
  it('reading the erased value: the data is not there, not "write-protected or worn"', async () => {
    // The second sector's data never lands (as if erased again afterwards).
    const { p } = link({ program: (a, d) => { d.fill(0xff, FLASH + 0x800 - a); return true; } });
    const e = await writeImage(p, await p.connect(), image(0x800), { verify: 'readback', skipUnchanged: false }).catch((x) => x);
    expect(e.code).toBe('VERIFY_MISMATCH');
    expect(e.message).toMatch(/read 0xFF/);
    expect(e.hint).toMatch(/the erased value: the data is not there — it was never written, or something erased it afterwards/);
    expect(e.hint).not.toMatch(/write-protected or worn/);
    // verify alone says the same.
    const v = await verifyImage(p, await p.connect(), image(0x800), { verify: 'readback' }).catch((x) => x);
    expect(v.hint).toMatch(/the data is not there/);
  });
});

describe('a device status is never met with "fix the link"', () => {
  it('a write-protected sector (the device refused) says so and how to go on', async () => {
    const memory = new SimMemory(target);
    const p = new SimProgrammer(memory, { digest: false });
    const dev = await p.connect();
    await writeImage(p, dev, image(0x400), { skipUnchanged: false });
    memory.nor('flash').setProtected(FLASH + 0x800);
    const e = await writeImage(p, dev, image(0x800, 3), { skipUnchanged: false }).catch((x) => x);
    expect(e).toBeInstanceOf(FlashInterruptedError);
    expect(e.hint).not.toMatch(/fix the link/i);
    expect(e.hint).toMatch(/The device itself refused \(NOR_WRITE_PROTECTED; the link is fine\)/);
  });
});

describe('10203 after this run erased the sector and reads it back erased: stale cache', () => {
  it('says the bootloader reads stale data and that a reset (flashwright reset) cures it', async () => {
    const rig = uartRig('MK64FN1M0');
    rig.target.staleCache.enabled = true;
    const prog = new McubootProgrammer({ transport: rig.transport });
    const dev = await prog.connect();
    const app = (fill: number) => {
      const d = new Uint8Array(0x1000).fill(fill);
      new DataView(d.buffer).setUint32(0, 0x20030000, true);
      new DataView(d.buffer).setUint32(4, 0x411, true);
      d.set([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff], 0x400);
      return MemoryImage.fromSegments([{ address: 0, data: d }]);
    };
    // The simulated chip holds data, so the write erases first; the stale view then refuses it.
    const e = await writeImage(prog, dev, app(0x22), {}).catch((x) => x);
    expect(e.code).toBe('FLASH_INTERRUPTED');
    const stale = e.cause;
    expect(stale.code).toBe('FLASH_STALE_CACHE');
    expect(stale.message).toMatch(/reads it back erased \(0xFF\): the bootloader is reading stale data — its flash cache \/ prefetch buffer was not invalidated after the erase/);
    expect(stale.hint).toMatch(/flashwright reset --via mcuboot/);
    expect(e.hint).not.toMatch(/fix the link/i);
    await prog.close();
  });
});
