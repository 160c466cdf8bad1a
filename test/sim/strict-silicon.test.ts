/**
 * Simulators as strict as the silicon: each family's documented rule for programming over
 * memory that is not erased (src/sim/program-rules.ts), seen through the real protocol code.
 */
import { describe, expect, it } from 'vitest';
import { NorFlash, NorProgramError } from '../../src/sim/nor-flash.js';
import { PROGRAM_RULES, programRuleFor } from '../../src/sim/program-rules.js';
import { requireTarget } from '../../src/target/lookup.js';
import type { MemoryRegion } from '../../src/target/types.js';
import { McubootStatusError, MemoryId } from '../../src/protocol/mcuboot/index.js';
import { pattern as mcubootPattern, uartRig as mcubootRig } from '../mcuboot/helpers.js';
import { pattern, rig, session } from '../stm32/helpers.js';

const region = (pageSize: number, erasedValue = 0xff): MemoryRegion => ({ name: 'flash', kind: 'flash', start: 0x08000000, size: 0x1000, sectors: [{ size: 0x400, count: 4 }], pageSize, erasedValue });

describe('NOR program rules', () => {
  it('STM32F1 half-words: 0xFFFF over data is PGERR, 0x0000 is allowed (RM0008 §3.3.3)', () => {
    const nor = new NorFlash(region(2), { rule: PROGRAM_RULES.stm32f1 });
    nor.program(0x08000000, Uint8Array.of(0x34, 0x12));
    const err = (() => { try { nor.program(0x08000000, Uint8Array.of(0x34, 0x12)); } catch (e) { return e; } })() as NorProgramError;
    expect(err).toBeInstanceOf(NorProgramError);
    expect(err.message).toMatch(/refused \(PGERR\).*half-word at 0x08000000 is not erased/);
    expect(err.context.source).toMatch(/RM0008/);
    expect(() => nor.program(0x08000000, Uint8Array.of(0x30, 0x10))).toThrow(/PGERR/); // only clears bits: still refused
    nor.program(0x08000000, Uint8Array.of(0, 0));
    expect(nor.read(0x08000000, 2)).toEqual(Uint8Array.of(0, 0));
    // A refused call changes nothing, even where its first half-words were fine.
    expect(() => nor.program(0x08000002, Uint8Array.of(1, 2, 0xff, 0xff, 3, 4))).not.toThrow();
    expect(() => nor.program(0x08000008, Uint8Array.of(5, 6, 7, 8))).not.toThrow();
    expect(() => nor.program(0x0800000c, Uint8Array.of(9, 9, 7, 8))).not.toThrow();
    const before = nor.read(0x08000000, 0x20);
    expect(() => nor.program(0x08000010, Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0, 5, 6))).not.toThrow();
    expect(() => nor.program(0x08000010, Uint8Array.of(0, 0, 1, 1))).toThrow(NorProgramError);
    expect(nor.read(0x08000000, 0x10)).toEqual(before.subarray(0, 0x10));
  });

  it('ECC double-words (L4/G0/G4): any second programming is PROGERR, even after writing all ones, unless all zero', () => {
    for (const rule of [PROGRAM_RULES.stm32l4, PROGRAM_RULES.stm32g0, PROGRAM_RULES.stm32g4]) {
      const nor = new NorFlash(region(8), { rule });
      nor.program(0x08000000, new Uint8Array(8).fill(0xff)); // reads erased, but its ECC is written
      expect(nor.isErased(0x08000000, 8)).toBe(true);
      expect(() => nor.program(0x08000000, pattern(8))).toThrow(/PROGERR.*already programmed/);
      nor.program(0x08000008, pattern(8));
      expect(() => nor.program(0x08000008, pattern(8))).toThrow(/PROGERR.*not erased/);
      nor.program(0x08000008, new Uint8Array(8));
      nor.eraseSector(0x08000000);
      nor.program(0x08000000, pattern(8)); // erase clears the ECC state
    }
  });

  it('MCUboot: the destination must be erased, whatever the bytes (10203 on Kinetis and FlexSPI NOR)', () => {
    const nor = new NorFlash(region(8), { rule: PROGRAM_RULES.mcuboot });
    nor.program(0x08000000, Uint8Array.of(0x7b));
    expect(() => nor.program(0x08000000, Uint8Array.of(0x7b))).toThrow(/kStatusMemoryCumulativeWrite/);
    expect(() => nor.program(0x08000000, Uint8Array.of(0xff))).toThrow(NorProgramError);
  });

  it('L0: erased flash reads 0x00 and a word over a non-zero word is NOTZEROERR (RM0377)', () => {
    const nor = new NorFlash(region(4, 0x00), { rule: PROGRAM_RULES.stm32l0 });
    nor.program(0x08000000, Uint8Array.of(1, 2, 3, 4));
    expect(() => nor.program(0x08000000, Uint8Array.of(1, 2, 3, 4))).toThrow(/NOTZEROERR/);
  });

  it('each built-in family gets its own rule', () => {
    expect(programRuleFor(requireTarget('stm32f103xb'))).toBe(PROGRAM_RULES.stm32f1);
    expect(programRuleFor(requireTarget('stm32l476xg'))).toBe(PROGRAM_RULES.stm32l4);
    expect(programRuleFor(requireTarget('stm32f407xg'))).toBe(PROGRAM_RULES.stm32f4);
    expect(programRuleFor(requireTarget('mk64fn1m0'))).toBe(PROGRAM_RULES.mcuboot);
    for (const r of Object.values(PROGRAM_RULES)) expect(r.source.length).toBeGreaterThan(10);
  });
});

describe('MCUboot simulator: a second write of the same bytes without an erase', () => {
  it('MK64: fails with 10203 kStatusMemoryCumulativeWrite and leaves flash as it was', async () => {
    const { session: s, target } = mcubootRig();
    const data = mcubootPattern(256, 3);
    await s.flashEraseRegion(0x8000, 0x1000);
    await s.writeMemory(0x8000, data);
    const err = await s.writeMemory(0x8000, data).catch((e) => e);
    expect(err).toBeInstanceOf(McubootStatusError);
    expect(err.status).toBe(10203);
    expect(target.memory.read(0x8000, 256)).toEqual(data);
  });

  it('MIMXRT1021 FlexSPI NOR: same rule once configured', async () => {
    const { session: s, target } = mcubootRig('MIMXRT1021');
    await s.writeMemory(0x20210000, Uint8Array.of(0x07, 0x00, 0x00, 0xc0));
    await s.configureMemory(MemoryId.FlexSpiNor, 0x20210000);
    const data = mcubootPattern(256, 5);
    await s.flashEraseRegion(0x60010000, 0x1000, MemoryId.FlexSpiNor);
    await s.writeMemory(0x60010000, data, MemoryId.FlexSpiNor);
    const err = await s.writeMemory(0x60010000, data, MemoryId.FlexSpiNor).catch((e) => e);
    expect(err.status).toBe(10203);
    expect(target.memory.read(0x60010000, 256)).toEqual(data);
  });
});

describe('STM32 bootloader simulator NACKs Write Memory the flash controller would refuse', () => {
  it('F103: rewriting programmed half-words is NACKed (PGERR); zeroing them is accepted', async () => {
    const r = rig('stm32f103xb');
    const s = await session(r);
    const data = pattern(16, 7);
    await s.writeMemory(0x08001000, data);
    // Only clearing bits is still refused: the half-words are not 0xFFFF.
    await expect(s.writeMemory(0x08001000, data.map((b) => b & 0xf0))).rejects.toMatchObject({ code: 'STM32_NACK' });
    expect(r.sim.memory.read(0x08001000, 16)).toEqual(data);
    // The same bytes again: the device NACKs; the host sees by reading back that flash already holds them.
    await s.writeMemory(0x08001000, data);
    expect(s.stats.writesConfirmedByReadback).toBe(1);
    await s.writeMemory(0x08001000, new Uint8Array(16));
    expect(r.sim.memory.read(0x08001000, 16)).toEqual(new Uint8Array(16));
  });

  it('L476: a double-word written with all ones cannot be programmed again (PROGERR)', async () => {
    const r = rig('stm32l476xg');
    const s = await session(r);
    await s.writeMemory(0x08002000, new Uint8Array(8).fill(0xff));
    await expect(s.writeMemory(0x08002000, pattern(8, 2))).rejects.toThrow();
    expect(r.sim.memory.read(0x08002000, 8)).toEqual(new Uint8Array(8).fill(0xff));
  });
});
