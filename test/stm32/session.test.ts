import { describe, it, expect } from 'vitest';
import { Cmd } from '../../src/protocol/stm32-uart/commands.js';
import { Stm32UartSession } from '../../src/protocol/stm32-uart/session.js';
import { createPipe } from '../../src/link/pipe.js';
import { TIMEOUTS, pattern, rig, session } from './helpers.js';
import { onVirtualTime } from '../helpers/virtual-time.js';

const FLASH = 0x08000000;

// The tests run on virtual time: the session's real-hardware timeouts elapse at once when
// nothing else is pending, so the failure paths cost no wall time and no test depends on speed.

describe('session init (0x7F)', () => {
  it('gets ACK from a fresh bootloader and NACK from one already initialised', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    expect(s.alreadyInitialised).toBe(false);
    const again = new Stm32UartSession(r.pipe.host, { timeouts: TIMEOUTS });
    await again.init();
    expect(again.alreadyInitialised).toBe(true);
  }));

  it('recovers with a second 0x7F when the first was taken as a command byte', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb', { nackInitWhenReady: false });
    await session(r);
    const again = new Stm32UartSession(r.pipe.host, { timeouts: TIMEOUTS });
    await again.init();
    expect(again.alreadyInitialised).toBe(true);
    expect(await again.getId()).toBe(0x410);
  }));

  it('gives the BOOT0 / USART / wiring checklist when nothing answers', () => onVirtualTime(async () => {
    const pipe = createPipe(); // nobody on the other end
    const s = new Stm32UartSession(pipe.host, { timeouts: TIMEOUTS, family: 'F1', port: '/dev/ttyUSB0' });
    const err = await s.init().catch((e) => e);
    expect(err.code).toBe('STM32_NO_ANSWER');
    expect(err.message).toContain('/dev/ttyUSB0');
    expect(err.hint).toMatch(/BOOT0 = 1 and BOOT1 \(PB2\) = 0/);
    expect(err.hint).toMatch(/USART1 PA9/);
    expect(err.hint).toMatch(/crossed/);
    expect(err.hint).toMatch(/flow control off/);
    // Two 0x7F, then filler for a frame an interrupted session may have left open (issue 10 §5).
    expect(pipe.counters.bytesToDevice).toBe(2 + 1040);
  }));

  it('says plainly that --parity none suits only a pseudo-terminal, and that a real UART needs even parity', () => onVirtualTime(async () => {
    const { noAnswerChecklist } = await import('../../src/protocol/stm32-uart/errors.js');
    expect(noAnswerChecklist('F1', 115200, 'none')).toContain('you passed --parity none, which is right only for a pseudo-terminal or simulator: a real STM32 UART needs even parity (8E1, the default); flow control off.');
    expect(noAnswerChecklist('F1', 115200, 'odd')).toContain('parity must be even (8E1), not odd; flow control off.');
    expect(noAnswerChecklist('F1', 115200, 'even')).toContain('parity must be even (8E1); flow control off.');
  }));
});

describe('session commands against the simulated bootloader', () => {
  it('reads Get, Get Version and Get ID as each part reports them', () => onVirtualTime(async () => {
    const f1 = await session(rig('stm32f103xb'));
    expect(await f1.get()).toEqual({ version: 0x22, commands: [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92] });
    expect((await f1.getVersion()).version).toBe(0x22);
    const l4 = await session(rig('stm32l476xg'));
    expect(await l4.getId()).toBe(0x415);
    expect((await l4.get()).commands).toContain(Cmd.GetChecksum);
  }));

  it('writes, reads, checksums and erases', () => onVirtualTime(async () => {
    const r = rig('stm32l476xg');
    const s = await session(r);
    const data = pattern(256);
    await s.writeMemory(FLASH + 0x800, data);
    expect(await s.readMemory(FLASH + 0x800, 256)).toEqual(data);
    const { stm32Crc32 } = await import('../../src/protocol/stm32-uart/crc.js');
    expect(await s.getChecksum(FLASH + 0x800, 256)).toBe(stm32Crc32(data));
    await s.extendedErase([1]);
    expect(r.sim.flash.isErased(FLASH + 0x800, 0x800)).toBe(true);
  }));

  it('skips BUSY bytes while a long erase runs (F407 128 KiB sector)', () => onVirtualTime(async () => {
    const r = rig('stm32f407xg');
    const s = await session(r);
    await s.extendedErase([5]);
    expect(s.stats.busyBytes).toBeGreaterThan(0);
  }));

  it('refuses to program over data that is not erased, naming the programming error', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    await s.writeMemory(FLASH, new Uint8Array([0x00, 0x00, 0x00, 0x00]));
    const err = await s.writeMemory(FLASH, new Uint8Array([0x55, 0x55, 0x55, 0x55])).catch((e) => e);
    expect(err.code).toBe('STM32_NACK');
    expect(err.message).toContain('Write Memory (0x31)');
    expect(err.hint).toMatch(/not erased/);
    expect([...r.sim.flash.read(FLASH, 4)]).toEqual([0, 0, 0, 0]);
  }));

  it('names the bad address when Read Memory points outside memory', () => onVirtualTime(async () => {
    const s = await session(rig('stm32f103xb'));
    const err = await s.readMemory(0x60000000, 4).catch((e) => e);
    expect(err.code).toBe('STM32_NACK');
    expect(err.message).toContain('0x60000000');
    expect(err.hint).toMatch(/not valid/);
  }));

  it('write protection makes Erase NACK with the protected-page explanation', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    await s.writeProtect([3]); // F1 medium density: WRP bit 3 = pages 12..15
    await s.init(); // the device reset itself
    const err = await s.erase([13]).catch((e) => e);
    expect(err.code).toBe('STM32_NACK');
    expect(err.hint).toMatch(/write-protected/);
    // --unprotect removes READ protection (and mass-erases): the pages hint must name --write-unprotect.
    expect(err.hint).toContain('--write-unprotect');
    expect(err.hint).not.toMatch(/`--unprotect`/);
    expect(r.sim.memory.read(0x1ffff808, 2)).toEqual(new Uint8Array([0xf7, 0x08])); // WRP0 bit 3 clear, with its complement
    await s.erase([11]);
    await s.writeUnprotect();
    await s.init();
    await s.erase([13]);
  }));
});

describe('read protection (RDP level 1)', () => {
  it('NACKs reads with the RDP explanation; Readout Unprotect mass-erases and resets', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    r.sim.flash.program(FLASH, new Uint8Array([1, 2, 3, 4]));
    const s = await session(r);
    await s.readoutProtect();
    await s.init();
    expect(r.sim.readProtected).toBe(true);
    const err = await s.readMemory(FLASH, 4).catch((e) => e);
    expect(err.code).toBe('STM32_NACK');
    expect(err.hint).toMatch(/RDP level 1/);
    const resetsBefore = r.sim.resets;
    await s.readoutUnprotect();
    expect(r.sim.resets).toBe(resetsBefore + 1);
    await s.init();
    expect(s.alreadyInitialised).toBe(false); // a fresh bootloader after the reset
    expect(r.sim.readProtected).toBe(false);
    expect(r.sim.flash.isErased(FLASH, 0x20000)).toBe(true);
  }));
});

describe('link faults: clear errors or correct recovery, never silent corruption', () => {
  const cases: Array<[string, Record<string, number>]> = [
    ['a byte to the device is lost', { dropToDevice: 40 }],
    ['a byte to the device is corrupted', { corruptToDevice: 40 }],
    ['a byte to the device is duplicated', { duplicateToDevice: 40 }],
    ['the ACK of the write is lost', { dropToHost: 3 }],
    ['the ACK of the write is corrupted', { corruptToHost: 3 }],
    ['the ACK of the write is duplicated', { duplicateToHost: 3 }],
    ['a stray 0x00 arrives before an ACK', { strayZeroBeforeAck: 2 }],
  ];
  for (const [what, faults] of cases) {
    it(`recovers when ${what}`, () => onVirtualTime(async () => {
      const r = rig('stm32f103xb');
      const s = await session(r);
      const data = pattern(256, 7);
      r.sim.faults = { ...faults };
      await s.writeMemory(FLASH, data);
      expect(r.sim.link.fired.length).toBe(1);
      expect(r.sim.faults).toEqual({});
      expect(r.sim.flash.read(FLASH, 256)).toEqual(data);
      expect(await s.readMemory(FLASH, 256)).toEqual(data);
    }));
  }

  it('confirms a write whose ACK was lost by reading back instead of re-sending', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    r.sim.faults = { dropToHost: 3 };
    await s.writeMemory(FLASH, pattern(256, 9));
    expect(s.stats.writesConfirmedByReadback).toBe(1);
    expect(r.sim.commandCounts.get(Cmd.WriteMemory)).toBe(1);
  }));

  it('re-reads after a lost byte in a Read Memory answer', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    await s.writeMemory(FLASH, pattern(256, 3));
    r.sim.faults = { dropToHost: 50 };
    expect(await s.readMemory(FLASH, 256)).toEqual(pattern(256, 3));
    expect(s.stats.retries).toBe(1);
  }));

  it('reports a reset in the middle of a command as such', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    r.sim.faults = { resetAfterBytes: 100 };
    // No 0x7F anywhere in the frame (checksum 0xFF): after the reset the ROM ignores
    // everything until a sync byte, so only the host's probe can wake it.
    const data = new Uint8Array(256).fill(0x11);
    const err = await s.writeMemory(FLASH, data).catch((e) => e);
    expect(err.code).toBe('STM32_DEVICE_RESET');
    expect(err.message).toContain('Write Memory');
    expect(r.sim.flash.isErased(FLASH, 256)).toBe(true);
  }));

  it('does not re-send over a half-programmed block', () => onVirtualTime(async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    // The flash stops part-way (a brown-out during programming) and the ACK never comes.
    r.sim.flash.faults = { resetAfterBytes: 100 };
    r.sim.faults = { dropToHost: 3 };
    const err = await s.writeMemory(FLASH, pattern(256, 11)).catch((e) => e);
    // The ACK was lost, so the session reads back instead of re-sending: programmed up to
    // byte 100, erased after it, so it is neither written nor erased.
    expect(err.code, String(err.message)).toBe('STM32_WRITE_UNCERTAIN');
    expect(err.message).toBe('Write Memory at 0x08000000 got no clear answer and read-back differs from the data at 0x08000064 without being erased.');
    expect(r.sim.commandCounts.get(Cmd.WriteMemory)).toBe(1);
  }));
});
