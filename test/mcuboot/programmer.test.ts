import { describe, expect, it } from 'vitest';
import { eraseRange, planWrite, readMemoryRange, verifyImage, writeImage } from '../../src/flash/engine.js';
import type { FlashEvent } from '../../src/flash/events.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootBackdoorKeyError, McubootProgrammer, McubootSecureError } from '../../src/programmer/mcuboot.js';
import { requireTarget } from '../../src/target/lookup.js';
import { hidRig, pattern, uartRig } from './helpers.js';

/** A Kinetis application: vector table (SP, reset), FCF at 0x400 with FSEC 0xFE, code after. */
function kinetisApp(codeSize = 20000, fsec = 0xfe): MemoryImage {
  const img = pattern(0x410 + codeSize, 21);
  const v = new DataView(img.buffer);
  v.setUint32(0, 0x20030000, true);
  v.setUint32(4, 0x00000411, true);
  img.set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff, 0xff, 0xff, 0xff, fsec, 0xff, 0xff, 0xff], 0x400);
  return MemoryImage.fromSegments([{ address: 0, data: img, source: 'app.bin' }]);
}

describe('McubootProgrammer driven by the flash engine', () => {
  it('connects, learns the memory map, writes, verifies by read-back and resets (UART, MK64)', async () => {
    const rig = uartRig('MK64FN1M0');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
    const device = await prog.connect();
    expect(device.ids.bootloader).toBe('K3.0.0');
    expect(device.ids.protocol).toBe('P1.2.0');
    expect(device.protection?.readProtected).toBe(false);
    expect(device.target.reserved).toEqual([{ start: 0x1fff0000, size: 0x2000, owner: 'MCUboot (ReservedRegions property)' }]);
    expect(device.details?.maxPacketSize).toBe(32);
    const image = kinetisApp();
    const events: FlashEvent[] = [];
    const summary = await writeImage(prog, device, image, { onEvent: (e) => events.push(e), run: true });
    expect(summary.verify).toBe('readback');
    expect(summary.bytesWritten).toBeGreaterThanOrEqual(image.size);
    expect(rig.target.memory.read(0, image.size)).toEqual(image.read(0, image.size));
    expect(events.some((e) => e.type === 'plan')).toBe(true);
    expect(summary.ran).toBe(true);
    expect(rig.sim.counters.resets).toBe(1);
    await prog.close();
  });

  it('a second write skips unchanged sectors; verify and read agree', async () => {
    const rig = uartRig('MK64FN1M0');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
    const device = await prog.connect();
    const image = kinetisApp(9000);
    await writeImage(prog, device, image, {});
    const again = await writeImage(prog, device, image, { skipUnchanged: true }); // MCUboot has no checksum: skipping is asked for
    expect(again.sectorsErased).toBe(0);
    expect(again.sectorsSkipped).toBeGreaterThan(0);
    const v = await verifyImage(prog, device, image, {});
    expect(v.bytesVerified).toBe(image.size);
    expect(await readMemoryRange(prog, device, 0x400, 16, {})).toEqual(image.read(0x400, 16));
    const erased = await eraseRange(prog, device, { address: 0x2000, length: 0x1000 }, {});
    expect(erased.sectors).toBe(1);
    expect(rig.target.memory.read(0x2000, 16).every((b) => b === 0xff)).toBe(true);
  });

  it('a write into the bootloader\'s reserved RAM is refused by the plan before anything is sent', async () => {
    const rig = uartRig('MK64FN1M0');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
    const device = await prog.connect();
    const before = rig.pipe.counters.bytesToDevice;
    const image = MemoryImage.fromSegments([{ address: 0x1fff0100, data: pattern(64), source: 'ram.bin' }]);
    await expect(writeImage(prog, device, image, {})).rejects.toThrow(/0x1FFF0100|reserved|MCUboot/i);
    expect(rig.pipe.counters.bytesToDevice).toBe(before);
  });

  it('a flash-resident bootloader: its flash is reserved, the plan refuses it, an app above it is written', async () => {
    const rig = uartRig('MK64FN1M0', { flashResidentBytes: 0xc000 });
    rig.target.memory.program(0x1000, pattern(64, 99)); // the bootloader's own code
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
    const device = await prog.connect();
    expect(device.target.reserved?.[0]).toEqual({ start: 0, size: 0xc000, owner: 'MCUboot (ReservedRegions property)' });
    const before = rig.pipe.counters.bytesToDevice;
    await expect(writeImage(prog, device, kinetisApp(2000), {})).rejects.toThrow(/MCUboot/);
    expect(rig.pipe.counters.bytesToDevice).toBe(before);
    const app = MemoryImage.fromSegments([{ address: 0xc000, data: pattern(5000, 3), source: 'app.bin' }]);
    await writeImage(prog, device, app, {});
    expect(rig.target.memory.read(0xc000, 5000)).toEqual(app.read(0xc000, 5000));
    await prog.session.flashEraseAll();
    expect(rig.target.memory.read(0x1000, 64)).toEqual(pattern(64, 99));
    expect(rig.target.memory.read(0xc000, 16).every((b) => b === 0xff)).toBe(true);
  });

  it('a secure chip is explained; --unsecure mass-erases only when the write runs, as its first plan operation, and says so', async () => {
    const rig = uartRig('MK64FN1M0', { blank: true });
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0'), closeTransport: false });
    const device = await prog.connect();
    expect(device.protection).toMatchObject({ readProtected: true });
    const err = await prog.readMemory(0, 16).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_SECURE');
    expect(err.hint).toMatch(/--unsecure.*erases ALL flash/);
    const events: FlashEvent[] = [];
    const s = await writeImage(prog, device, kinetisApp(4000), { onEvent: (e) => events.push(e), changes: ['mass-erase-unsecure'] });
    expect(s.changes).toEqual([{ kind: 'mass-erase-unsecure', description: expect.stringMatching(/FlashEraseAllUnsecure/), destroys: 'mass erase: all 1 MiB of internal flash' }]);
    // The plan came before the mass erase, and listed it first.
    const plan = events.findIndex((e) => e.type === 'plan');
    expect(plan).toBeGreaterThanOrEqual(0);
    expect(events.findIndex((e) => e.type === 'start' && e.phase === 'unlock')).toBeGreaterThan(plan);
    expect(s.plan.operations[0]).toMatchObject({ kind: 'unlock', change: { kind: 'mass-erase-unsecure' } });
    expect(rig.target.memory.read(0x40c, 1)[0]).toBe(0xfe);
    expect(rig.target.memory.read(0, 4000)).toEqual(kinetisApp(4000).read(0, 4000));
  });

  it('plan (planWrite) with --unsecure leaves a secure chip untouched, and knows the unlock leaves FSEC = 0xFE', async () => {
    const rig = uartRig('MK64FN1M0');
    rig.target.memory.eraseSector(0);
    rig.target.memory.program(0x400, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    rig.sim.powerCycle();
    const before = JSON.stringify(rig.target.memory.snapshot());
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0'), closeTransport: false });
    const device = await prog.connect();
    expect(device.protection?.readProtected).toBe(true);
    const { plan } = await planWrite(prog, device, kinetisApp(4000), { changes: ['mass-erase-unsecure'] });
    expect(plan.operations[0]).toMatchObject({ kind: 'unlock', change: { kind: 'mass-erase-unsecure', destroys: 'mass erase: all 1 MiB of internal flash' } });
    // The plan models the chip as the mass erase leaves it: blank, except FSEC = 0xFE at 0x40C.
    // NOR cannot program 0x40C twice; the image wants the very phrase the unlock leaves there
    // (FF FF FF FF FE FF FF FF at 0x408), so sector 0 is not erased again and that phrase is
    // not programmed: everything around it is.
    expect(plan.operations.some((o) => o.kind === 'erase' && o.address === 0)).toBe(false);
    const programs = plan.operations.filter((o) => o.kind === 'program');
    expect(programs.some((o) => o.address < 0x410 && o.address + o.size > 0x408)).toBe(false);
    expect(programs.some((o) => o.address === 0 && o.size === 0x408)).toBe(true);
    expect(programs.some((o) => o.address === 0x410)).toBe(true);
    expect(JSON.stringify(rig.target.memory.snapshot())).toBe(before);
    expect(rig.target.secure).toBe(true);
  });

  it('a secure chip without --unsecure / --backdoor-key: write and mass erase are refused with McubootSecureError, nothing changes', async () => {
    const rig = uartRig('MK64FN1M0', { blank: true });
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0'), closeTransport: false });
    const device = await prog.connect();
    const full = MemoryImage.fromSegments([{ address: 0x10000, data: pattern(0x1000, 3), source: 'x.bin' }]);
    const before = rig.target.memory.read(0, 0x20000).slice();
    const w = await writeImage(prog, device, full, { preserve: false }).catch((e) => e);
    // The erase was refused before anything was sent: the write fails with that refusal, naming the unlocks.
    expect(w).toBeInstanceOf(McubootSecureError);
    expect(w.hint).toMatch(/--backdoor-key.*--unsecure/);
    expect(rig.target.memory.read(0, 0x20000)).toEqual(before);
    const c = await prog.eraseChip!().catch((e) => e);
    expect(c).toBeInstanceOf(McubootSecureError);
    expect(c.message).toMatch(/mass-erase/);
  });

  it('a wrong backdoor key is a specific error: key mismatch or backdoor disabled, blocked until reset', async () => {
    const rig = uartRig('MK64FN1M0');
    rig.target.memory.eraseSector(0);
    rig.target.memory.program(0x400, Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xff, 0xff, 0xff, 0xff, 0x80, 0xff, 0xff, 0xff));
    rig.sim.powerCycle();
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0'), backdoorKey: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9) });
    const device = await prog.connect();
    // A whole-sector image: a chip still secure while planning cannot have bytes preserved.
    const app = MemoryImage.fromSegments([{ address: 0x10000, data: pattern(0x1000, 4), source: 'app.bin' }]);
    const err = await writeImage(prog, device, app, { changes: ['backdoor-unlock'] }).catch((e) => e);
    expect(err).toBeInstanceOf(McubootBackdoorKeyError);
    expect(err.code).toBe('MCUBOOT_BACKDOOR_REJECTED');
    expect(err.hint).toMatch(/KEYEN/);
    expect(err.hint).toMatch(/reset/);
  });

  it('--backdoor-key unlocks a chip whose FCF enables the backdoor', async () => {
    const rig = uartRig('MK64FN1M0');
    rig.target.memory.eraseSector(0);
    rig.target.memory.program(0x400, Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xff, 0xff, 0xff, 0xff, 0x80, 0xff, 0xff, 0xff));
    rig.sim.powerCycle();
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0'), backdoorKey: Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88) });
    const device = await prog.connect();
    // Connect only looks: still secure until a write runs the unlock.
    expect(device.protection?.readProtected).toBe(true);
    expect(rig.target.secure).toBe(true);
    const app = MemoryImage.fromSegments([{ address: 0x10000, data: pattern(0x1000, 4), source: 'app.bin' }]);
    const s = await writeImage(prog, device, app, { changes: ['backdoor-unlock'] });
    expect(s.changes.map((c) => c.kind)).toEqual(['backdoor-unlock']);
    expect(rig.target.memory.read(0x10000, 0x1000)).toEqual(app.read(0x10000, 0x1000));
    expect(await prog.readMemory(0x400, 8)).toEqual(Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88));
  });

  it('without a known target the map comes from the device alone', async () => {
    const rig = uartRig('MK64FN1M0');
    const prog = new McubootProgrammer({ transport: rig.transport });
    const device = await prog.connect();
    expect(device.target.regions.map((r) => [r.name, r.start, r.size])).toEqual([['flash', 0, 0x100000], ['ram', 0x1fff0000, 0x40000]]);
    expect(device.target.regions[0]!.sectors).toEqual([{ size: 4096, count: 256 }]);
    expect(device.target.features?.kinetisFlashConfig).toBe(true);
  });

  it('no answer to ping gives a clear error', async () => {
    const rig = uartRig('MK64FN1M0');
    rig.pipe.device.onData(() => undefined); // a silent line
    const prog = new McubootProgrammer({ transport: rig.transport, pingAttempts: 2 });
    const err = await prog.connect().catch((e) => e);
    expect(err.code).toBe('MCUBOOT_NO_PING');
    expect(err.hint).toMatch(/bootloader/);
  });
});

describe('i.MX RT1021 flashloader through the programmer', () => {
  it('--flexspi-option configures FlexSPI before writing 0x60000000; 512-byte packets', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MIMXRT1021'), flexspiOption: [0xc0000007] });
    const device = await prog.connect();
    expect(device.unconfiguredRegions).toBeUndefined();
    expect(device.details?.maxPacketSize).toBe(512);
    const flexspi = device.target.regions.find((r) => r.name === 'flexspi')!;
    expect(flexspi).toMatchObject({ start: 0x60000000, size: 8 << 20, pageSize: 256, sectors: [{ size: 4096, count: 2048 }] });
    expect([...rig.target.memory.read(0x2000, 4)]).toEqual([7, 0, 0, 0xc0]);
    const image = MemoryImage.fromSegments([{ address: 0x60002000, data: pattern(12000, 4), source: 'app.bin' }]);
    const s = await writeImage(prog, device, image, {});
    expect(s.bytesWritten).toBe(12032); // 12000 bytes padded to 256-byte pages
    expect(rig.target.memory.read(0x60002000, 12000)).toEqual(image.read(0x60002000, 12000));
  });

  it('without the option the FlexSPI region is reported unconfigured and a raw read explains 10205', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MIMXRT1021') });
    const device = await prog.connect();
    expect(device.unconfiguredRegions).toEqual(['flexspi']);
    const err = await prog.readMemory(0x60000000, 16).catch((e) => e);
    expect(err.status).toBe(10205);
    expect(err.hint).toMatch(/--flexspi-option 0xC0000007/);
  });

  it('an option the flash does not answer to fails with the FlexSPI status and the option in context', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MIMXRT1021'), flexspiOption: [0xc0300007] });
    const err = await prog.connect().catch((e) => e);
    expect(err.status).toBe(20107);
    expect(err.context).toMatchObject({ optionWords: ['0xC0300007'], configAddress: 0x2000 });
  });
});

describe('McubootProgrammer over USB-HID', () => {
  it('writes and verifies an application through the engine', async () => {
    const rig = hidRig('MK64FN1M0');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
    const device = await prog.connect();
    expect(device.ids.protocol).toBeUndefined();
    const image = kinetisApp(6000);
    const s = await writeImage(prog, device, image, {});
    expect(s.verify).toBe('readback');
    expect(rig.target.memory.read(0, image.size)).toEqual(image.read(0, image.size));
  });
});
