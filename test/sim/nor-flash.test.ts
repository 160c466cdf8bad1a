import { describe, it, expect } from 'vitest';
import { NorFlash, NorProgramError, NorProtectedError, NorAddressError, NorResetError, NorFaultError, NOR_TIMING_PRESETS, expandSectors } from '../../src/sim/nor-flash.js';
import { SimMemory, SimAccessError } from '../../src/sim/sim-memory.js';
import type { MemoryRegion, TargetDescription } from '../../src/target/types.js';

const f4: MemoryRegion = { name: 'flash', kind: 'flash', start: 0x08000000, size: 0x20000, sectors: [{ size: 0x4000, count: 4 }, { size: 0x10000, count: 1 }], pageSize: 4, erasedValue: 0xff };

describe('NorFlash', () => {
  it('expands non-uniform sector runs and finds sectors', () => {
    const nor = new NorFlash(f4);
    expect(nor.sectors.map((s) => [s.address, s.size])).toEqual([[0x08000000, 0x4000], [0x08004000, 0x4000], [0x08008000, 0x4000], [0x0800c000, 0x4000], [0x08010000, 0x10000]]);
    expect(nor.sectorAt(0x0801ffff)?.index).toBe(4);
    expect(nor.sectorAt(0x08020000)).toBeUndefined();
    expect(() => expandSectors({ ...f4, size: 0x30000 })).toThrow(NorAddressError);
  });

  it('starts erased, programs by clearing bits and erases whole sectors', () => {
    const nor = new NorFlash(f4);
    expect(nor.isErased(nor.start, nor.size)).toBe(true);
    nor.program(0x08004000, new Uint8Array([0x12, 0x34, 0x56, 0x78]));
    expect([...nor.read(0x08003ffe, 6)]).toEqual([0xff, 0xff, 0x12, 0x34, 0x56, 0x78]);
    nor.program(0x08004000, new Uint8Array([0x02, 0x34, 0xff, 0xff])); // only clears bits (and no-ops)
    expect([...nor.read(0x08004000, 4)]).toEqual([0x02, 0x34, 0x56, 0x78]);
    nor.eraseSector(0x08004000);
    expect(nor.isErased(0x08004000, 0x4000)).toBe(true);
    expect(nor.eraseCounts).toEqual([0, 1, 0, 0, 0]);
  });

  it("refuses to set bits in 'error' mode naming address, old and new byte, and changes nothing", () => {
    const nor = new NorFlash(f4);
    nor.program(0x08000000, new Uint8Array([0x7a, 0xff, 0xff, 0xff]));
    const err = (() => { try { nor.program(0x08000000, new Uint8Array([0x00, 0x00, 0x00, 0x00])); nor.program(0x08000000, new Uint8Array([0x7b, 0, 0, 0])); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(NorProgramError);
    expect((err as NorProgramError).message).toBe('Programming 0x7B over 0x00 at 0x08000000 in flash needs bits that only an erase can set.');
    expect((err as NorProgramError).context).toMatchObject({ address: 0x08000000, oldByte: 0, newByte: 0x7b });
  });

  it("ANDs in 'and' mode, and handles erased value 0x00 parts", () => {
    const nor = new NorFlash(f4, { overwrite: 'and' });
    nor.program(0x08000000, new Uint8Array([0xf0, 0xff, 0xff, 0xff]));
    nor.program(0x08000000, new Uint8Array([0x3c, 0xff, 0xff, 0xff]));
    expect(nor.read(0x08000000, 1)[0]).toBe(0x30);
    const zero = new NorFlash({ ...f4, erasedValue: 0 });
    expect(zero.read(0x08000000, 1)[0]).toBe(0);
    zero.program(0x08000000, new Uint8Array([0x0f, 0, 0, 0]));
    expect(() => zero.program(0x08000000, new Uint8Array([0x01, 0, 0, 0]))).toThrow(NorProgramError);
    zero.program(0x08000000, new Uint8Array([0x1f, 0, 0, 0]));
    expect(zero.read(0x08000000, 1)[0]).toBe(0x1f);
  });

  it('checks alignment, sector starts and range', () => {
    const nor = new NorFlash(f4, { writeAlignment: 2 });
    expect(() => nor.program(0x08000001, new Uint8Array(2))).toThrow(/2-byte write unit/);
    expect(() => nor.eraseSector(0x08000100)).toThrow(/not at a sector start \(sector 0 starts at 0x08000000\)/);
    expect(() => nor.read(0x0801fffe, 4)).toThrow(NorAddressError);
  });

  it('enforces per-sector write protection for erase, program and mass erase', () => {
    const nor = new NorFlash(f4);
    nor.setProtected(0x08008000);
    expect(nor.isProtected(0x08008123)).toBe(true);
    expect(() => nor.eraseSector(0x08008000)).toThrow(NorProtectedError);
    expect(() => nor.program(0x08007ffc, new Uint8Array(8).fill(0))).toThrow(/sector 2 at 0x08008000/);
    expect(nor.isErased(0x08007ffc, 8)).toBe(true);
    expect(() => nor.eraseAll()).toThrow(NorProtectedError);
    nor.setProtected(0x08008000, false);
    nor.eraseAll();
  });

  it('advances a virtual clock with the timing model', () => {
    const nor = new NorFlash(f4, { timing: NOR_TIMING_PRESETS.stm32f4 });
    nor.eraseSector(0x08000000);
    nor.eraseSector(0x08010000);
    expect(nor.clock.nowMs).toBe(400 + 1100);
    nor.program(0x08000000, new Uint8Array(16).fill(0));
    expect(nor.clock.nowMs).toBeCloseTo(1500 + 4 * 0.016);
  });

  it('injects a failing program and a reset part-way through a write', () => {
    const nor = new NorFlash(f4);
    nor.faults = { failProgramCall: 2 };
    nor.program(0x08000000, new Uint8Array(4).fill(1));
    expect(() => nor.program(0x08000004, new Uint8Array(4).fill(1))).toThrow(NorFaultError);
    expect(nor.isErased(0x08000004, 4)).toBe(true);
    nor.faults = { resetAfterBytes: 10 };
    nor.program(0x08000100, new Uint8Array(8).fill(0));
    const e = (() => { try { nor.program(0x08000108, new Uint8Array(8).fill(0)); } catch (x) { return x; } })() as NorResetError;
    expect(e).toBeInstanceOf(NorResetError);
    expect(e.context.stoppedAt).toBe(0x0800010a);
    expect(nor.isErased(0x08000108, 2)).toBe(false);
    expect(nor.isErased(0x0800010a, 6)).toBe(true);
  });

  it('round-trips a snapshot storing only non-erased runs', () => {
    const nor = new NorFlash(f4);
    nor.program(0x08000010, new Uint8Array([1, 2, 3, 4]));
    nor.program(0x08010100, new Uint8Array([5, 6, 7, 8]));
    nor.setProtected(0x08010000);
    const snap = nor.snapshot();
    expect(snap.chunks.map((c) => [c.address, c.data.length])).toEqual([[0x08000010, 4], [0x08010100, 4]]);
    const other = new NorFlash(f4);
    other.restore(snap);
    expect(other.read(nor.start, nor.size)).toEqual(nor.read(nor.start, nor.size));
    expect(other.protectedSectors).toEqual([0x08010000]);
    expect(() => new NorFlash({ ...f4, size: 0x10000, sectors: undefined }).restore(snap)).toThrow(NorAddressError);
  });
});

const target: TargetDescription = {
  name: 'TEST', vendor: 't', family: 't', core: 'cortex-m4', source: 'test',
  regions: [
    { name: 'rom', kind: 'rom', start: 0, size: 0x1000 },
    { name: 'flash', kind: 'flash', start: 0x08000000, size: 0x4000, sectors: [{ size: 0x1000, count: 4 }], pageSize: 256 },
    { name: 'flash2', kind: 'flash', start: 0x08004000, size: 0x4000, sectors: [{ size: 0x2000, count: 2 }], pageSize: 256 },
    { name: 'sram', kind: 'ram', start: 0x20000000, size: 0x1000 },
    { name: 'qspi', kind: 'external-nor', start: 0x60000000, size: 0x10000, sectors: [{ size: 0x1000, count: 16 }], needsConfiguration: true },
  ],
};

describe('SimMemory', () => {
  it('routes reads and programs across adjacent flash regions', () => {
    const m = new SimMemory(target, { rom: { rom: new Uint8Array([9, 8, 7]) } });
    m.program(0x08003ffe, new Uint8Array([1, 2, 3, 4]));
    expect([...m.read(0x08003ffe, 4)]).toEqual([1, 2, 3, 4]);
    expect(m.nor('flash2').read(0x08004000, 2)).toEqual(new Uint8Array([3, 4]));
    expect([...m.read(0, 3)]).toEqual([9, 8, 7]);
    m.write(0x20000000, new Uint8Array([5]));
    expect(m.read(0x20000000, 1)[0]).toBe(5);
  });

  it('gives clear errors for unmapped, read-only, RAM and unconfigured memory', () => {
    const m = new SimMemory(target);
    expect(() => m.read(0x10000000, 4)).toThrow('Cannot read 4 bytes at 0x10000000: no memory of the simulated TEST is mapped there (nearest: flash2 0x08004000–0x08007FFF (16 KiB); sram 0x20000000–0x20000FFF (4 KiB)).');
    expect(() => m.write(0, new Uint8Array(1))).toThrow(SimAccessError);
    expect(() => m.write(0x08000000, new Uint8Array(1))).toThrow(/not RAM/);
    expect(() => m.program(0x20000000, new Uint8Array(1))).toThrow(/cannot be erased or programmed/);
    expect(() => m.read(0x60000000, 4)).toThrow(/qspi is not configured yet/);
    m.configure('qspi');
    expect(m.read(0x60000000, 1)[0]).toBe(0xff);
    // a range that runs off the end touches nothing
    expect(() => m.program(0x08007ffe, new Uint8Array(4).fill(0))).toThrow(/0x08008000/);
    expect(m.nor('flash2').isErased(0x08007ffe, 2)).toBe(true);
  });

  it('snapshots flash contents and configuration', () => {
    const m = new SimMemory(target);
    m.configure('qspi');
    m.program(0x60000100, new Uint8Array([0xaa]));
    m.eraseSector(0x08001000);
    const n = new SimMemory(target);
    n.restore(m.snapshot());
    expect(n.read(0x60000100, 1)[0]).toBe(0xaa);
    m.eraseAllFlash();
    expect(m.read(0x60000100, 1)[0]).toBe(0xaa);
  });
});
