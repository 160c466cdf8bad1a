import { describe, it, expect } from 'vitest';
import { planWrite, writeImage, verifyImage, readMemoryRange, eraseRange } from '../../src/flash/engine.js';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { findTargetById } from '../../src/target/lookup.js';
import { STM32_SIM_PROFILES } from '../../src/sim/stm32/profiles.js';
import { parseLineSequence } from '../../src/link/line-sequence.js';
import { Cmd } from '../../src/protocol/stm32-uart/commands.js';
import { pattern, programmer, rig } from './helpers.js';

const FLASH = 0x08000000;
const image = (data: Uint8Array, address = FLASH) => MemoryImage.fromSegments([{ address, data }]);

describe('Stm32UartProgrammer with the flash engine', () => {
  it('identifies the F103 and reports bootloader facts for `info`', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    expect(dev.target.name).toBe('STM32F103xB');
    expect(dev.ids).toEqual({ pid: 0x410, bootloader: 'v2.2' });
    expect(dev.protection).toEqual({ readProtected: false, description: 'RDP level 0 (open)', writeProtectedSectors: [] });
    // `info` shows what each command is, not only its code.
    expect(dev.details?.commands).toEqual(['Get (0x00)', 'Get Version (0x01)', 'Get ID (0x02)', 'Read Memory (0x11)', 'Go (0x21)', 'Write Memory (0x31)',
      'Erase (0x43)', 'Write Protect (0x63)', 'Write Unprotect (0x73)', 'Readout Protect (0x82)', 'Readout Unprotect (0x92)']);
    expect(dev.details).toMatchObject({ eraseCommand: 'Erase (0x43)', checksum: false, memoryMapFrom: 'built-in target' });
    expect(p.digest).toBeUndefined();
    await p.close();
  });

  it('without Get Checksum it does not read before writing unless asked: every touched page is erased, as stm32flash does', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    const data = pattern(5000, 3);
    const s = await writeImage(p, dev, image(data, FLASH + 0x400), { allowUnbootable: true });
    // Pages 1–4 are fully covered and erased unread; page 5 is partly covered, so it was read
    // (twice: Read Memory has no checksum) to preserve its tail, and found blank.
    expect(s.sectorsErased).toBe(4);
    expect(s.sectorsSkipped).toBe(0);
    expect(r.sim.flash.read(FLASH + 0x400, 5000)).toEqual(data);
    expect(r.sim.flash.isErased(FLASH, 0x400)).toBe(true); // page 0 was outside the image: untouched
  });

  it('writes and verifies by read-back on the F103 (Erase 0x43), leaving the flash exact', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    r.sim.flash.program(FLASH + 0x1000, new Uint8Array(16).fill(0x42)); // old firmware: erase needed there
    const dev = await p.connect();
    const data = pattern(5000, 3);
    const s = await writeImage(p, dev, image(data, FLASH + 0x400), { allowUnbootable: true, run: true, skipUnchanged: true });
    expect(s.sectorsErased).toBe(1); // blank pages need no erase; the engine learned that by reading back (asked for: no Get Checksum here)
    expect(s.verify).toBe('readback');
    expect(r.sim.flash.read(FLASH + 0x400, 5000)).toEqual(data);
    expect(r.sim.flash.isErased(FLASH, 0x400)).toBe(true);
    expect(r.sim.commandCounts.get(Cmd.Erase)).toBeGreaterThan(0);
    expect(r.sim.lastGo).toBe(FLASH + 0x400);
    expect(r.sim.state).toBe('running');
  });

  it('uses Extended Erase and Get Checksum on the L476, skipping unchanged pages on a re-flash', async () => {
    const r = rig('stm32l476xg');
    const p = programmer(r);
    const dev = await p.connect();
    const data = pattern(64 * 1024, 5);
    const first = await writeImage(p, dev, image(data), { allowUnbootable: true });
    expect(first.verify).toBe('digest');
    expect(first.sectorsErased).toBe(0); // the checksum says the pages are blank
    const writes = r.sim.commandCounts.get(Cmd.WriteMemory);
    const changed = data.slice();
    changed[0x2345]! ^= 0xff;
    const second = await writeImage(p, dev, image(changed), { allowUnbootable: true });
    expect(second.sectorsErased).toBe(1);
    expect(second.sectorsSkipped).toBe(31);
    expect(r.sim.commandCounts.get(Cmd.WriteMemory)! - writes!).toBe(8); // one 2 KiB page in 256-byte blocks
    expect(r.sim.flash.read(FLASH, data.length)).toEqual(changed);
    expect(r.sim.commandCounts.get(Cmd.ExtendedErase)).toBeGreaterThan(0);
    const v = await verifyImage(p, dev, image(changed));
    expect(v.method).toBe('digest');
  });

  it('writes across the F407 non-uniform sectors and reads back through the engine', async () => {
    const r = rig('stm32f407xg');
    const p = programmer(r);
    const dev = await p.connect();
    const data = pattern(80 * 1024, 9);
    await writeImage(p, dev, image(data, FLASH + 0xc000), { allowUnbootable: true });
    expect(await readMemoryRange(p, dev, FLASH + 0xc000, data.length)).toEqual(data);
    const e = await eraseRange(p, dev, { address: FLASH + 0x10000, length: 0x10000 });
    expect(e).toBeDefined();
    expect(r.sim.flash.isErased(FLASH + 0x10000, 0x10000)).toBe(true);
  });

  it('explains read protection and removes it only with unprotect (mass erase)', async () => {
    const r = rig('stm32f103xb', { readProtected: true });
    r.sim.flash.program(FLASH, new Uint8Array([1, 2, 3, 4]));
    const p = programmer(r);
    const dev = await p.connect();
    expect(dev.protection?.readProtected).toBe(true);
    expect(dev.protection?.description).toMatch(/--unprotect removes it, which MASS-ERASES/);
    // The default write (preserving the rest of a partly covered page) is refused before any
    // device call, and both its message and its hint name the way out.
    const first = await writeImage(p, dev, image(pattern(1000)), { allowUnbootable: true }).catch((e) => e);
    expect(first.code).toBe('PRESERVE_UNREADABLE');
    expect(first.message).toMatch(/--unprotect/);
    expect(first.hint).toMatch(/remove it with --unprotect \(Readout Unprotect: the chip mass-erases/);
    // With --no-preserve the first device call (erase) is refused before a byte is sent: nothing
    // was touched, so the write fails with the refusal itself, naming the way out.
    const err = await writeImage(p, dev, image(pattern(1024)), { allowUnbootable: true, preserve: false, skipUnchanged: false }).catch((e) => e);
    expect(err.code).toBe('STM32_READ_PROTECTED');
    expect(err.message).toContain('The chip (PID 0x410) has read protection');
    expect(err.hint).toMatch(/^Pass --unprotect to a write to remove it; that MASS-ERASES/);
    expect(r.sim.readProtected).toBe(true);
    expect([...r.sim.flash.read(FLASH, 4)]).toEqual([1, 2, 3, 4]);

    // Connect and plan never unprotect: the unlock is the plan's first operation, saying what it destroys.
    const p2 = programmer(r);
    const dev2 = await p2.connect();
    expect(dev2.protection?.readProtected).toBe(true);
    const { plan } = await planWrite(p2, dev2, image(pattern(1000)), { allowUnbootable: true, changes: ['read-unprotect'] });
    expect(r.sim.readProtected).toBe(true);
    expect(plan.operations[0]).toMatchObject({ kind: 'unlock', change: { kind: 'read-unprotect', destroys: 'mass erase: all 128 KiB of flash' } });
    // The planner knows the flash is erased afterwards: programming only, nothing read.
    expect(plan.operations.filter((o) => o.kind === 'erase')).toEqual([]);
    const s = await writeImage(p2, dev2, image(pattern(1000)), { allowUnbootable: true, changes: ['read-unprotect'] });
    expect(s.changes).toEqual([{ kind: 'read-unprotect', description: expect.stringMatching(/Readout Unprotect/), destroys: 'mass erase: all 128 KiB of flash' }]);
    expect(r.sim.readProtected).toBe(false);
    expect(r.sim.flash.read(FLASH, 1000)).toEqual(pattern(1000));
    expect(r.sim.flash.isErased(FLASH + 1000, 24)).toBe(true);
  });

  it('refuses a read-protected chip with the STM32 explanation even where Get Checksum would be asked first', async () => {
    const r = rig('stm32l476xg', { readProtected: true });
    const p = programmer(r);
    const dev = await p.connect();
    expect(p.digest).toBeDefined();
    // Skipping unchanged pages asks the device digest first: that must not surface as a bare NACK.
    const err = await writeImage(p, dev, image(pattern(0x800)), { allowUnbootable: true, preserve: false }).catch((e) => e);
    expect(err.code).toBe('STM32_READ_PROTECTED');
    expect(err.hint).toMatch(/--unprotect/);
    expect(r.sim.commandCounts.get(Cmd.GetChecksum) ?? 0).toBe(0);
  });

  it('names an unknown product ID and accepts a user-supplied target', async () => {
    const profile = { ...STM32_SIM_PROFILES.stm32f103xb, pid: 0x999 };
    const target = findTargetById('stm32Pid', 0x410)!;
    const r = rig('stm32f103xb', { profile, target });
    const err = await programmer(r).connect().catch((e) => e);
    expect(err.code).toBe('STM32_UNKNOWN_PID');
    expect(err.message).toContain('0x999');
    expect(err.hint).toMatch(/--target/);
    const dev = await programmer(r, { target }).connect();
    expect(dev.details?.memoryMapFrom).toBe('user (--target)');
  });

  it('falls back to the AN2606 table for a PID without a built-in target', async () => {
    const profile = { ...STM32_SIM_PROFILES.stm32f103xb, pid: 0x412 };
    // A low-density chip: its flash size register says 32 KiB (the simulated array is larger).
    const r = rig('stm32f103xb', { profile, target: findTargetById('stm32Pid', 0x410)!, flashSizeKiB: 32 });
    const dev = await programmer(r).connect();
    expect(dev.target.name).toBe('STM32 PID 0x412');
    expect(dev.target.regions.find((x) => x.kind === 'flash')?.size).toBe(32 * 1024);
    expect(dev.details?.memoryMapFrom).toBe('AN2606 device table');
  });

  it('reports what was erased and written when the link is lost mid-write', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    let blocks = 0;
    const write = r.pipe.host.write.bind(r.pipe.host);
    r.pipe.host.write = async (d) => {
      if (d.length > 200 && ++blocks === 300) { await r.pipe.device.close(); }
      return write(d);
    };
    // 80 KiB: the engine programs contiguous data in calls of at most 64 KiB, and the link
    // goes in the second one.
    const err = await writeImage(p, dev, image(pattern(80 * 1024)), { allowUnbootable: true, skipUnchanged: false }).catch((e) => e);
    expect(err.code).toBe('FLASH_INTERRUPTED');
    expect(err.context.erased.length).toBe(80);
    expect(err.context.programmed.length).toBeGreaterThan(0);
    expect(err.context.pending.length).toBeGreaterThan(0);
    expect(err.cause.code, String(err.cause?.message)).toBe('LINK_CLOSED');
    // The hint is the resume record a person reads: ranges in hex, merged, and the command to resume.
    expect(err.hint).toContain('Erased: sectors at 0x08000000 … 0x08013C00 (80 sectors, every 0x400).');
    // The link went during the 300th 256-byte block (at 0x12B00): the blocks before it were
    // acknowledged one by one, so they count as programmed — and really hold the image.
    expect(err.hint).toContain('Programmed: 0x08000000-0x08012AFF.');
    expect(err.hint).toContain('Possibly partly programmed by the failed call: 0x08012B00-0x08013FFF.');
    expect(err.hint).toContain('Verified: nothing.');
    expect(err.hint).toContain('Still to program: 0x08012B00-0x08013FFF.');
    expect(r.sim.flash.read(0x08000000, 0x12b00)).toEqual(pattern(80 * 1024).subarray(0, 0x12b00));
    expect(err.hint).toContain('run the same command again with --skip');
    expect(err.hint).not.toMatch(/already correct are skipped/);
  });

  it('lists erased sectors, programmed and verified ranges compactly in the interruption hint', () => {
    const progress = {
      phase: 'verify' as const, chipErased: false, changes: [],
      erased: [0x08000000, 0x08004000, 0x08008000, 0x0800c000, 0x08010000, 0x08020000],
      programmed: [{ address: 0x08000000, size: 0x4000 }, { address: 0x08004000, size: 0x4000 }, { address: 0x08010000, size: 0x100 }],
      verified: [{ address: 0x08000000, size: 0x4000 }],
      pending: [],
    };
    const err = new FlashInterruptedError(progress, new Error('The link closed.'));
    expect(err.message).toBe('The write stopped during verify after 6 sector(s) erased and 3 range(s) programmed: The link closed.');
    expect(err.hint).toBe('The device is partly written and will not run as is. '
      + 'Erased: sectors at 0x08000000 … 0x08010000 (5 sectors, every 0x4000), 0x08020000. '
      + 'Programmed: 0x08000000-0x08007FFF, 0x08010000-0x080100FF. Verified: 0x08000000-0x08003FFF. '
      + 'Fix the link and run the same command again with --skip, so sectors already finished are found equal and skipped.');
    // A long record is capped; the context keeps every entry.
    const many = Array.from({ length: 20 }, (_, i) => ({ address: 0x08000000 + i * 0x1000, size: 0x100 }));
    const long = new FlashInterruptedError({ ...progress, erased: [], programmed: many, verified: [] }, new Error('x'));
    expect(long.hint).toContain('0x08005000-0x080050FF and 14 more.');
    expect(long.context?.programmed).toHaveLength(20);
  });

  it('enters the bootloader through an entry sequence on a DTR/RTS-wired board', async () => {
    const r = rig('stm32f103xb', { wiring: { reset: { line: 'rts', assertedWhen: true }, boot0: { line: 'dtr', highWhen: false } } });
    // The board starts running its application (BOOT0 low).
    await r.pipe.host.setSignals!({ dtr: true, rts: true });
    await r.pipe.host.setSignals!({ rts: false });
    expect(r.sim.state).toBe('running');
    const p = programmer(r, { entry: parseLineSequence('rts-reset-dtr-boot0', 'entry').map((s) => (s.kind === 'wait' ? { kind: 'wait', ms: 1 } : s)) });
    const dev = await p.connect();
    expect(dev.ids.pid).toBe(0x410);
  });
});

describe('option bytes through the bootloader', () => {
  it('writes the F103 option block with an image, lets the chip reset and carries on', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    // RDP 0xA5 / nRDP 0x5A (level 0), USER 0xFB, DATA0 0x12 (RM0008 §4.5 layout: value, complement).
    const ob = new Uint8Array([0xa5, 0x5a, 0xfb, 0x04, 0x12, 0xed, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00]);
    const img = MemoryImage.fromSegments([{ address: FLASH, data: pattern(2048) }, { address: 0x1ffff800, data: ob }]);
    const resets = r.sim.resets;
    await writeImage(p, dev, img, { allowUnbootable: true });
    expect(r.sim.resets).toBe(resets + 1);
    expect(r.sim.memory.read(0x1ffff800, 16)).toEqual(ob);
    expect(r.sim.readProtected).toBe(false);
    expect(r.sim.flash.read(FLASH, 2048)).toEqual(pattern(2048));
  });
});

describe('write protection read from the option bytes', () => {
  it('reports the F103 pages WRP protects and removes it only when asked', async () => {
    const r = rig('stm32f103xb');
    const s = programmer(r);
    await s.connect();
    await s.session.writeProtect([1]); // WRP bit 1 = pages 4..7 on medium density (RM0008)
    await s.session.init();
    const dev = await programmer(r).connect();
    expect(dev.protection?.writeProtectedSectors).toEqual([0x08001000, 0x08001400, 0x08001800, 0x08001c00]);
    expect(dev.protection?.description).toMatch(/4 page\(s\) write-protected/);
    const err = await writeImage(programmer(r), dev, image(pattern(1024), 0x08001000), { allowUnbootable: true }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(r.sim.flash.isErased(0x08001000, 1024)).toBe(true);
    // Write Unprotect is a plan operation of the write: connect changes nothing.
    const p2 = programmer(r);
    const dev2 = await p2.connect();
    expect(r.sim.flash.protectedSectors).not.toEqual([]);
    const done = await writeImage(p2, dev2, image(pattern(1024), 0x08001000), { changes: ['write-unprotect'] });
    expect(done.changes.map((c) => c.kind)).toEqual(['write-unprotect']);
    expect(r.sim.flash.protectedSectors).toEqual([]);
    expect(r.sim.flash.read(0x08001000, 1024)).toEqual(pattern(1024));
  });

  it('reads F407 nWRP per sector', async () => {
    const r = rig('stm32f407xg');
    const p = programmer(r);
    await p.connect();
    await p.session.writeProtect([5]);
    await p.session.init();
    const dev = await programmer(r).connect();
    expect(dev.protection?.writeProtectedSectors).toEqual([0x08020000]);
    expect(r.sim.memory.read(0x1fffc008, 2)).toEqual(new Uint8Array([0xdf, 0xff])); // nWRP5 clear;
  });
});

describe('OTP on the F407', () => {
  it('programs the OTP area like flash (no block erase, no reset)', async () => {
    const r = rig('stm32f407xg');
    const p = programmer(r);
    const dev = await p.connect();
    const resets = r.sim.resets;
    await p.programFlash(0x1fff7800, pattern(32, 3));
    expect(r.sim.memory.read(0x1fff7800, 32)).toEqual(pattern(32, 3));
    expect(r.sim.resets).toBe(resets);
    expect(dev.target.name).toBe('STM32F407xG');
  });
});

describe('garbled read data', () => {
  it('is caught by the device CRC and read again where Get Checksum exists (L476)', async () => {
    const r = rig('stm32l476xg');
    const p = programmer(r);
    const dev = await p.connect();
    r.sim.flash.program(FLASH, pattern(2048, 6));
    r.sim.faults = { corruptToHost: 300 }; // a data byte inside the second Read Memory answer
    expect(await readMemoryRange(p, dev, FLASH, 2048)).toEqual(pattern(2048, 6));
    expect(r.sim.link.fired).toEqual(['corruptToHost']);
    expect(p.readMismatches).toBe(1);
  });

  it('keeps preserved bytes intact when a read is garbled during a partial-sector write', async () => {
    const r = rig('stm32l476xg');
    const p = programmer(r);
    const dev = await p.connect();
    const old = pattern(2048, 12);
    r.sim.flash.program(FLASH, old);
    r.sim.faults = { corruptToHost: 500 };
    await writeImage(p, dev, image(new Uint8Array(16).fill(0x5a), FLASH + 0x100), { allowUnbootable: true });
    const expected = old.slice();
    expected.fill(0x5a, 0x100, 0x110);
    expect(r.sim.flash.read(FLASH, 2048)).toEqual(expected);
    expect(r.sim.link.fired).toEqual(['corruptToHost']);
  });
});

describe('--protect', () => {
  it('protects as the plan\'s last operation, after the verify, and reports it', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    const { plan } = await planWrite(p, dev, image(pattern(1024)), { allowUnbootable: true, changes: ['read-protect'] });
    expect(plan.operations.at(-1)).toMatchObject({ kind: 'protect', change: { kind: 'read-protect' } });
    expect(r.sim.readProtected).toBe(false);
    const s = await writeImage(p, dev, image(pattern(1024)), { allowUnbootable: true, changes: ['read-protect'] });
    expect(s.bytesVerified).toBe(1024);
    expect(s.changes.map((c) => c.kind)).toEqual(['read-protect']);
    expect(r.sim.readProtected).toBe(true);
    await p.close();
  });

  it('protects instead of Go when --run is asked too (the bootloader refuses Go under RDP)', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    await writeImage(p, dev, image(pattern(1024)), { allowUnbootable: true, run: true, changes: ['read-protect'] });
    expect(r.sim.readProtected).toBe(true);
    expect(r.sim.lastGo).toBeUndefined();
    await p.close();
  });

  it('does not protect a chip whose write failed', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    r.sim.flash.program(FLASH + 0x800, new Uint8Array(0x400).fill(0));
    const failing = p.programFlash.bind(p);
    p.programFlash = async () => { throw new Error('link lost'); };
    await expect(writeImage(p, dev, image(pattern(1024)), { allowUnbootable: true, changes: ['read-protect'], skipUnchanged: false })).rejects.toMatchObject({ code: 'FLASH_INTERRUPTED' });
    p.programFlash = failing;
    await p.close();
    expect(r.sim.readProtected).toBe(false);
  });
});

describe('alignment', () => {
  it('plans F103 writes in 4-byte units, as Write Memory needs, for an image at a 2-byte boundary', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    const dev = await p.connect();
    expect(dev.target.regions.find((x) => x.kind === 'flash')?.pageSize).toBe(4);
    const data = pattern(302, 2);
    await writeImage(p, dev, image(data, FLASH + 0x102), { allowUnbootable: true });
    expect(r.sim.flash.read(FLASH + 0x102, 302)).toEqual(data);
    expect(r.sim.flash.isErased(FLASH, 0x102)).toBe(true);
  });
});
