import { describe, it, expect } from 'vitest';
import { planFlash, touchedSectors, type SectorKnowledge } from '../../src/flash/plan.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { f103, f407, kv58, rt1021, rt1021NoFlash, bytes } from './fixtures.js';
import { PlanRefusedError } from '../../src/flash/errors.js';

const img = (address: number, size: number, seed = 1) => MemoryImage.fromSegments([{ address, data: bytes(size, seed), source: 'app.hex' }]);
const ops = (p: ReturnType<typeof planFlash>) => p.operations.map((o) => ('address' in o ? [o.kind, o.address, o.size] : [o.kind, o.change.kind]));

describe('planFlash layouts', () => {
  it('plans non-uniform sectors with a partial last sector and preserve on', () => {
    const p = planFlash({ image: img(0x08000000, 0x12000), target: f407 });
    expect(ops(p)).toEqual([
      ['preserve', 0x08012000, 0xe000],
      ['erase', 0x08000000, 0x4000], ['erase', 0x08004000, 0x4000], ['erase', 0x08008000, 0x4000], ['erase', 0x0800c000, 0x4000], ['erase', 0x08010000, 0x10000],
      ['program', 0x08000000, 0x4000], ['program', 0x08004000, 0x4000], ['program', 0x08008000, 0x4000], ['program', 0x0800c000, 0x4000], ['program', 0x08010000, 0x10000],
    ]);
    expect(p.cost).toEqual({ bytesToProgram: 0x20000, bytesToWriteRam: 0, bytesToRead: 0xe000, sectorErases: 5, chipErase: false });
    expect(p.sectors.map((s) => s.partial)).toEqual([false, false, false, false, true]);
  });

  it('pads to the page size and drops preserve with --no-preserve', () => {
    const image = MemoryImage.fromSegments([{ address: 0x08000401, data: new Uint8Array([1, 2, 3]) }, { address: 0x08000410, data: new Uint8Array([4]) }]);
    const p = planFlash({ image, target: f407, preserve: false });
    expect(ops(p)).toEqual([['erase', 0x08000000, 0x4000], ['program', 0x08000400, 4], ['program', 0x08000410, 4]]);
    const q = planFlash({ image, target: f103, preserve: true });
    expect(ops(q)).toEqual([
      ['preserve', 0x08000400, 1], ['preserve', 0x08000404, 0xc], ['preserve', 0x08000411, 0x3ef],
      ['erase', 0x08000400, 0x400], ['program', 0x08000400, 0x400],
    ]);
  });

  it('keeps only the old bytes that hold data when they are known, and skips identical sectors', () => {
    const image = img(0x08000000, 0x900, 5);
    const old0 = image.read(0x08000000, 0x400);
    const old2 = new Uint8Array(0x400).fill(0xff);
    old2.set([0xaa, 0xbb], 0x200);
    const knowledge = new Map<number, SectorKnowledge>([[0x08000000, { bytes: old0 }], [0x08000400, { matches: true }], [0x08000800, { bytes: old2 }]]);
    const p = planFlash({ image, target: f103, knowledge });
    expect(ops(p)).toEqual([
      ['skip', 0x08000000, 0x400], ['skip', 0x08000400, 0x400],
      ['preserve', 0x08000a00, 2],
      ['erase', 0x08000800, 0x400],
      ['program', 0x08000800, 0x100], ['program', 0x08000a00, 2],
    ]);
  });

  it('programs an already-erased sector without erasing it', () => {
    const knowledge = new Map<number, SectorKnowledge>([[0x08000000, { bytes: new Uint8Array(0x400).fill(0xff) }]]);
    expect(ops(planFlash({ image: img(0x08000000, 0x10), target: f103, knowledge }))).toEqual([['program', 0x08000000, 0x10]]);
  });

  it('re-writes everything when skipping is off', () => {
    const knowledge = new Map<number, SectorKnowledge>([[0x08000000, { matches: true }]]);
    expect(ops(planFlash({ image: img(0x08000000, 0x400), target: f103, knowledge, skipUnchanged: false }))).toEqual([['erase', 0x08000000, 0x400], ['program', 0x08000000, 0x400]]);
  });

  it('chooses a chip erase only when every sector is erased anyway and the way in has one', () => {
    const full = img(0x08000000, 0x20000);
    expect(planFlash({ image: full, target: f103 }).cost.chipErase).toBe(false);
    const p = planFlash({ image: full, target: f103, chipEraseAvailable: true });
    expect(p.cost.chipErase).toBe(true);
    expect(p.operations.filter((o) => o.kind === 'erase')).toEqual([{ kind: 'erase', chip: true, address: 0x08000000, size: 0x20000, region: 'flash' }]);
    expect(p.sectors.map((x) => x.action)).toEqual(new Array(128).fill('erase-program'));
    expect(planFlash({ image: img(0x08000000, 0x1f000), target: f103, chipEraseAvailable: true }).cost.chipErase).toBe(false);
  });

  it("with --erase chip preserves the untouched sectors' data and refuses reserved areas", () => {
    const old = new Uint8Array(0x400).fill(0xff);
    old[0x10] = 1;
    const knowledge = new Map<number, SectorKnowledge>();
    for (let i = 1; i < 128; i++) knowledge.set(0x08000000 + i * 0x400, { bytes: i === 100 ? old : new Uint8Array(0x400).fill(0xff) });
    const p = planFlash({ image: img(0x08000000, 0x400), target: f103, eraseMode: 'chip', chipEraseAvailable: true, knowledge });
    expect(ops(p)).toEqual([['preserve', 0x08019010, 1], ['erase', 0x08000000, 0x20000], ['program', 0x08000000, 0x400], ['program', 0x08019010, 2]]);
    expect(() => planFlash({ image: img(0x1000b000, 4), target: kv58, eraseMode: 'chip', chipEraseAvailable: true })).toThrow(/would wipe the application bootloader/);
    expect(() => planFlash({ image: img(0x08000000, 4), target: f103, eraseMode: 'chip' })).toThrow(/has no mass erase/);
  });

  it('writes RAM directly, after flash', () => {
    const image = img(0x08000000, 4).merge(img(0x20000010, 0x20, 2));
    const p = planFlash({ image, target: f103 });
    expect(p.operations.at(-1)).toEqual({ kind: 'write-ram', address: 0x20000010, size: 0x20, region: 'sram', data: image.read(0x20000010, 0x20) });
    expect(p.cost.bytesToWriteRam).toBe(0x20);
  });

  it('refuses write-protected sectors it would have to change', () => {
    expect(() => planFlash({ image: img(0x08000400, 4), target: f103, writeProtectedSectors: [0x08000400] })).toThrow(/Sector 0x08000400 of flash is write-protected/);
    const known = new Map<number, SectorKnowledge>([[0x08000400, { matches: true }]]);
    expect(planFlash({ image: img(0x08000400, 4), target: f103, writeProtectedSectors: [0x08000400], knowledge: known }).operations[0]!.kind).toBe('skip');
  });

  it('lists touched sectors across regions', () => {
    expect(touchedSectors(img(0x08003ff0, 0x20), f407).map((s) => s.address)).toEqual([0x08000000, 0x08004000]);
  });
});

describe('refusals (seed scenarios)', () => {
  const refusal = (f: () => unknown) => { try { f(); } catch (e) { return e as PlanRefusedError; } throw new Error('no refusal'); };

  it('seed 000: data at 0x60000000 on a target without external flash names the nearest regions', () => {
    const e = refusal(() => planFlash({ image: img(0x60000000, 0x100), target: rt1021NoFlash }));
    expect(e.code).toBe('PLAN_OUTSIDE_MEMORY');
    expect(e.message).toBe('No flash is configured at 0x60000000: TEST-RT1021-bare describes no memory at 0x60000000–0x600000FF (from app.hex) (nearest: ocram 0x20200000–0x2021FFFF (128 KiB)).');
    expect(e.hint).toContain('--target-file');
  });

  it('seed 000: external flash described but not configured', () => {
    const e = refusal(() => planFlash({ image: img(0x60000000, 0x100), target: rt1021, unconfigured: new Set(['flexspi']) }));
    expect(e.code).toBe('PLAN_NOT_CONFIGURED');
    expect(e.message).toContain('No flash is configured at 0x60000000: flexspi 0x60000000–0x607FFFFF (8 MiB)');
    expect(planFlash({ image: img(0x60000000, 0x100), target: rt1021 }).operations.some((o) => o.kind === 'program')).toBe(true);
  });

  it('seed 003: an application at 0xA000 overlapping a 0xA770-byte bootloader', () => {
    const e = refusal(() => planFlash({ image: img(0x1000a000, 0x2000), target: kv58 }));
    expect(e.code).toBe('PLAN_RESERVED');
    expect(e.message).toBe('Image data at 0x1000A000–0x1000A76F (from app.hex) overlaps the application bootloader area 0x10000000–0x1000A76F (0xA770 bytes).');
    expect(e.hint).toBe('Link the application at or above 0x1000C000 (the first sector boundary after it), or shrink the application bootloader.');
    expect(planFlash({ image: img(0x1000c000, 0x2000), target: kv58 }).sectors).toHaveLength(1);
  });

  it('an image larger than its region', () => {
    const e = refusal(() => planFlash({ image: img(0x08000000, 0x20400), target: f103 }));
    expect(e.code).toBe('PLAN_TOO_LARGE');
    expect(e.message).toBe('Image data 0x08000000–0x080203FF (from app.hex) runs 1024 bytes past the end of flash 0x08000000–0x0801FFFF (128 KiB) on TEST-F103.');
  });

  it('data in ROM', () => {
    expect(refusal(() => planFlash({ image: img(0x1ffff000, 4), target: f103 })).code).toBe('PLAN_READ_ONLY');
  });
});
