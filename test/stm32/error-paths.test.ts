/** Error paths of the STM32 way in that each need their own evidence (audit issue 4, finding 7). */
import { describe, it, expect } from 'vitest';
import { Cmd, encodeExtendedErasePages, encodeWriteProtect, parseVersionResponse } from '../../src/protocol/stm32-uart/commands.js';
import { stm32Crc32 } from '../../src/protocol/stm32-uart/crc.js';
import { Stm32UartSession } from '../../src/protocol/stm32-uart/session.js';
import { createPipe } from '../../src/link/pipe.js';
import { STM32_SIM_PROFILES } from '../../src/sim/stm32/profiles.js';
import { TIMEOUTS, pattern, programmer, rig } from './helpers.js';

const FLASH = 0x08000000;

describe('STM32 CRC-32 known answers', () => {
  it('gives the CRC unit check values for single little-endian words', () => {
    expect(stm32Crc32(new Uint8Array([0x78, 0x56, 0x34, 0x12]))).toBe(0xdf8a8a2b); // word 0x12345678
    expect(stm32Crc32(new Uint8Array([0, 0, 0, 0]))).toBe(0xc704dd7b); // word 0x00000000
  });
});

describe('frame argument errors', () => {
  it('refuses Extended Erase page numbers from 0xFFF0 (the special codes live there)', () => {
    expect([...encodeExtendedErasePages([0xffef])]).toEqual([0x00, 0x00, 0xff, 0xef, 0x10]);
    for (const p of [0xfff0, 0xfffd, 0xffff, -1, 1.5]) {
      expect(() => encodeExtendedErasePages([p])).toThrow(expect.objectContaining({ code: 'STM32_ARGUMENT', message: `Extended Erase page number ${p} is out of range.` }));
    }
  });

  it('refuses Write Protect with no sectors, more than 256, or a code that is not one byte', () => {
    expect(() => encodeWriteProtect([])).toThrow(expect.objectContaining({ code: 'STM32_ARGUMENT', message: 'Write Protect takes 1 to 256 sectors, not 0.' }));
    expect(() => encodeWriteProtect(new Array(257).fill(0))).toThrow(/not 257/);
    expect(() => encodeWriteProtect([0x100])).toThrow(expect.objectContaining({ code: 'STM32_ARGUMENT', message: 'Write Protect sector codes are one byte, not 256.' }));
    expect(() => encodeWriteProtect([-1])).toThrow(/not -1/);
    expect([...encodeWriteProtect(new Array(256).fill(0).map((_, i) => i))].length).toBe(258);
  });

  it('refuses a Get Version answer that is not 3 bytes', () => {
    for (const n of [2, 4]) {
      expect(() => parseVersionResponse(new Uint8Array(n))).toThrow(expect.objectContaining({ code: 'STM32_BAD_FRAME', message: `The Get Version answer has ${n} bytes, not 3.` }));
    }
  });
});

describe('session answers that are neither ACK nor NACK', () => {
  it('reports STM32_UNEXPECTED_BYTE with the byte, the command and the step', async () => {
    const pipe = createPipe();
    // A device that answers 0x7F with ACK and everything else with 0x42 (wrong baud / noise).
    pipe.device.onData((chunk) => { void pipe.device.write(new Uint8Array([chunk.includes(0x7f) ? 0x79 : 0x42])); });
    const s = new Stm32UartSession(pipe.host, { timeouts: TIMEOUTS });
    await s.init();
    const err = await s.getId().catch((e) => e);
    expect(err.code).toBe('STM32_UNEXPECTED_BYTE');
    expect(err.message).toBe('Expected ACK (0x79) or NACK (0x1F) to Get ID (0x02) at the command step but received 0x42.');
    expect(err.hint).toMatch(/parity/);
    expect(err.context).toEqual({ command: '0x02', phase: 'command', received: '0x42' });
  });
});

describe('programmer refusals', () => {
  it('says STM32_UNSUPPORTED when the Get list has neither Erase nor Extended Erase', async () => {
    const profile = { ...STM32_SIM_PROFILES.stm32f103xb, commands: STM32_SIM_PROFILES.stm32f103xb.commands.filter((c) => c !== Cmd.Erase) };
    const r = rig('stm32f103xb', { profile });
    const p = programmer(r);
    await p.connect();
    const err = await p.eraseSectors([{ address: FLASH, size: 0x400 }]).catch((e) => e);
    expect(err.code).toBe('STM32_UNSUPPORTED');
    expect(err.message).toBe('This bootloader does not offer Erase (0x43).');
    expect(err.context.available).not.toContain('0x43');
    expect(r.sim.commandCounts.get(Cmd.Erase) ?? 0).toBe(0);
  });

  it('says STM32_NOT_A_PAGE for an erase that does not start on a page', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    await p.connect();
    const err = await p.eraseSectors([{ address: FLASH + 0x10, size: 0x400 }]).catch((e) => e);
    expect(err.code).toBe('STM32_NOT_A_PAGE');
    expect(err.message).toBe('0x08000010 is not the start of a flash page of STM32F103xB.');
  });

  it('erases 512 pages with two Extended Erase commands (at most 511 each)', async () => {
    const r = rig('stm32l476xg');
    r.sim.flash.program(FLASH, new Uint8Array(16).fill(0));
    r.sim.flash.program(FLASH + 511 * 0x800, new Uint8Array(16).fill(0));
    const p = programmer(r);
    await p.connect();
    const before = r.sim.commandCounts.get(Cmd.ExtendedErase) ?? 0;
    await p.eraseSectors(Array.from({ length: 512 }, (_, i) => ({ address: FLASH + i * 0x800, size: 0x800 })));
    expect((r.sim.commandCounts.get(Cmd.ExtendedErase) ?? 0) - before).toBe(2);
    expect(r.sim.flash.isErased(FLASH, 512 * 0x800)).toBe(true);
  });

  it('says STM32_READ_GARBLED when read data keeps failing its check', async () => {
    for (const [chip, readCheck, check] of [['stm32l476xg', 'crc', 'crc'], ['stm32f103xb', 'double', 'double']] as const) {
      const r = rig(chip);
      r.sim.flash.program(FLASH, pattern(256, 5));
      const p = programmer(r, { readCheck });
      await p.connect();
      // Every Read Memory answer gets a different byte flipped on its way to the host.
      const write = r.pipe.device.write.bind(r.pipe.device);
      let n = 0;
      r.pipe.device.write = async (d) => {
        if (d.length !== 257) return write(d); // ACK + 256 bytes is a Read Memory answer
        const k = 1 + (n++ % 256);
        return write(d.map((b, i) => (i === k ? b ^ 0x01 : b)));
      };
      const err = await p.readMemory(FLASH, 256).catch((e) => e);
      expect(err.code, chip).toBe('STM32_READ_GARBLED');
      expect(err.message).toMatch(/^Reading 256 bytes at 0x08000000 kept giving inconsistent data/);
      expect(err.context).toEqual({ address: FLASH, length: 256, check });
      expect(err.hint).toMatch(/lower the baud rate/);
    }
  });
});
