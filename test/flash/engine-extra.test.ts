import { describe, it, expect } from 'vitest';
import { writeImage, eraseRange, planWrite } from '../../src/flash/engine.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { NOR_TIMING_PRESETS } from '../../src/sim/nor-flash.js';
import { f103, f407, rt1021, kv58, bytes, firmware } from './fixtures.js';

describe('engine edge cases', () => {
  it('refuses to preserve on a read-protected device, and writes with --no-preserve', async () => {
    const memory = new SimMemory(f103);
    const programmer = new SimProgrammer(memory, { readProtected: true, digest: false });
    const device = await programmer.connect();
    const image = MemoryImage.fromSegments([{ address: 0x08000010, data: bytes(0x10) }]);
    await expect(writeImage(programmer, device, image)).rejects.toMatchObject({ code: 'PRESERVE_UNREADABLE' });
    expect(programmer.calls).toEqual([]);
    const s = await writeImage(programmer, device, image, { preserve: false });
    expect(s.verify).toBe('none');
    expect(memory.read(0x08000010, 0x10)).toEqual(bytes(0x10));
  });

  it('picks a mass erase when the whole flash is rewritten, and models the time on the virtual clock', async () => {
    const memory = new SimMemory(f407, { nor: { default: { timing: NOR_TIMING_PRESETS.stm32f4 } } });
    memory.program(0x08000000, new Uint8Array(0x100000).fill(0));
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    const t0 = memory.clock.nowMs;
    const s = await writeImage(programmer, device, firmware(0x08000000, 0x100000, 0x20010000));
    expect(s.chipErase).toBe(true);
    expect(s.sectorsErased).toBe(12);
    expect(programmer.calls.filter((c) => c.op === 'erase-chip')).toHaveLength(1);
    // 16 s mass erase + 0x100000/4 words × 16 µs, both from DS8626's typical figures.
    expect(memory.clock.nowMs - t0).toBeCloseTo(16000 + 0x40000 * 0.016, 3);
  });

  it('plans the same thing as it then writes (dry run reads but never changes the device)', async () => {
    const memory = new SimMemory(f103);
    memory.program(0x08000000, new Uint8Array(0x800).fill(0x42));
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    const image = firmware(0x08000000, 0x600);
    const before = memory.read(0x08000000, 0x800);
    const { plan } = await planWrite(programmer, device, image);
    expect(memory.read(0x08000000, 0x800)).toEqual(before);
    expect(programmer.calls.every((c) => c.op === 'digest' || c.op === 'read')).toBe(true);
    const events: unknown[] = [];
    await writeImage(programmer, device, image, { onEvent: (e) => { if (e.type === 'plan') events.push(e.plan); } });
    expect(events[0]).toEqual(plan);
  });

  it('writes external NOR and erases it with --all (no internal flash on i.MX RT)', async () => {
    const memory = new SimMemory(rt1021);
    memory.configure('flexspi');
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    memory.program(0x60001000, new Uint8Array([1, 2, 3, 4]));
    const s = await eraseRange(programmer, device, 'all');
    expect(s).toMatchObject({ chip: false, sectors: 2048 });
    expect(memory.nor('flexspi').isErased(0x60000000, 0x800000)).toBe(true);
  });

  it('erase --all keeps sectors holding a reserved bootloader', async () => {
    const memory = new SimMemory(kv58);
    memory.program(0x10000000, new Uint8Array(0x10).fill(0));
    memory.program(0x1000c000, new Uint8Array(0x10).fill(0));
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    const s = await eraseRange(programmer, device, 'all');
    expect(s.chip).toBe(false);
    expect(s.keptReserved).toEqual([0x10000000, 0x10002000, 0x10004000, 0x10006000, 0x10008000, 0x1000a000]);
    expect(memory.nor('flash').isErased(0x10000000, 0x10)).toBe(false);
    expect(memory.nor('flash').isErased(0x1000c000, 0x10)).toBe(true);
    await expect(eraseRange(programmer, device, { address: 0x1000a000, length: 0x2000 })).rejects.toMatchObject({ code: 'PLAN_RESERVED' });
  });

  it('refuses to write a write-protected sector the device reports, before erasing anything', async () => {
    const memory = new SimMemory(f103);
    memory.program(0x08000400, new Uint8Array(4).fill(0));
    memory.nor('flash').setProtected(0x08000400);
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    await expect(writeImage(programmer, device, firmware(0x08000000, 0x800))).rejects.toMatchObject({ code: 'PLAN_WRITE_PROTECTED' });
    expect(programmer.calls.some((c) => c.op === 'erase' || c.op === 'program')).toBe(false);
  });

  it('a failed erase call names the sectors it may have erased, with the cause', async () => {
    const memory = new SimMemory(f103);
    memory.program(0x08000000, new Uint8Array(0x800).fill(0));
    memory.nor('flash').faults = { failEraseCall: 1 };
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    const err = await writeImage(programmer, device, firmware(0x08000000, 0x800)).catch((e) => e);
    expect(err.code).toBe('FLASH_INTERRUPTED');
    expect(err.cause.code).toBe('NOR_FAULT');
    expect(err.context.maybeErasedHex).toEqual(['0x08000000+0x00000400', '0x08000400+0x00000400']);
    expect(err.message).toMatch(/0 sector\(s\) erased \(and 2 more possibly erased by the failed call\)/);
    expect(err.hint).toMatch(/partly written/);
  });

  it('an erase that fails part-way through a batch does not claim nothing was touched (the first sector is gone)', async () => {
    const memory = new SimMemory(f103);
    memory.program(0x08000000, new Uint8Array(0x800).fill(0));
    memory.nor('flash').faults = { failEraseCall: 2 };
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    const events: string[] = [];
    const err = await writeImage(programmer, device, firmware(0x08000000, 0x800), { onEvent: (e) => events.push(e.type === 'fail' ? `fail:${e.phase}` : e.type) }).catch((e) => e);
    expect(memory.nor('flash').isErased(0x08000000, 0x400)).toBe(true); // really erased by the failed batch
    expect(err.code).toBe('FLASH_INTERRUPTED');
    expect(err.context.maybeErasedHex).toContain('0x08000000+0x00000400');
    expect(events).toContain('fail:erase');
    expect(events.filter((t) => t === 'finish')).not.toContain('erase');
  });
});
