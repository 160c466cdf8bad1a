import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import type { TargetDescription } from '../../src/target/types.js';

const BASE = 0x08000000;

const scenario = fc.record({
  runs: fc.array(fc.record({ size: fc.constantFrom(0x100, 0x200, 0x400), count: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
  pageSize: fc.constantFrom(1, 2, 4, 16),
  erasedValue: fc.constantFrom(0xff, 0x00),
  old: fc.array(fc.record({ offset: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 0x180 }) }), { maxLength: 4 }),
  image: fc.array(fc.record({ offset: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 0x300 }) }), { minLength: 1, maxLength: 4 }),
  preserve: fc.boolean(),
  skipUnchanged: fc.boolean(),
  digest: fc.boolean(),
  chipErase: fc.boolean(),
  eraseMode: fc.constantFrom('auto' as const, 'sectors' as const, 'chip' as const),
  twice: fc.boolean(),
});

describe('writeImage property: the device ends up holding the image, and old bytes elsewhere when preserving', () => {
  it('holds for random layouts, old contents and images', async () => {
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      const size = s.runs.reduce((n, r) => n + r.size * r.count, 0);
      const target: TargetDescription = {
        name: 'PROP', vendor: 't', family: 't', core: 'cortex-m4', source: 'property test',
        regions: [{ name: 'flash', kind: 'flash', start: BASE, size, sectors: s.runs, pageSize: s.pageSize, erasedValue: s.erasedValue }],
      };
      const memory = new SimMemory(target);
      for (const o of s.old) {
        const at = o.offset % size;
        const data = o.data.subarray(0, size - at);
        // Old content as a real device would hold it: programmed over erased cells.
        memory.nor('flash').restore({ ...memory.nor('flash').snapshot(), chunks: [...memory.nor('flash').snapshot().chunks, { address: BASE + at, data }] });
      }
      const before = memory.read(BASE, size);
      const segs = s.image.map((x) => {
        const at = x.offset % size;
        return { address: BASE + at, data: x.data.subarray(0, size - at) };
      });
      let image: MemoryImage;
      try { image = MemoryImage.fromSegments(segs); } catch { return; } // overlapping different bytes: not an image
      const programmer = new SimProgrammer(memory, { digest: s.digest, chipErase: s.chipErase });
      const device = await programmer.connect();
      const opts = { preserve: s.preserve, skipUnchanged: s.skipUnchanged, eraseMode: s.eraseMode };
      if (s.eraseMode === 'chip' && !s.chipErase) {
        await expect(writeImage(programmer, device, image, opts)).rejects.toThrow(/no mass erase/);
        return;
      }
      await writeImage(programmer, device, image, opts);
      if (s.twice) {
        const again = await writeImage(programmer, device, image, { ...opts, eraseMode: opts.eraseMode === 'chip' ? 'auto' : opts.eraseMode });
        if (s.skipUnchanged) expect(again.sectorsErased + again.bytesWritten).toBe(0);
      }
      const after = memory.read(BASE, size);
      const sectorOf = (i: number) => {
        let a = 0;
        for (const r of s.runs) for (let k = 0; k < r.count; k++) { if (i < a + r.size) return [a, a + r.size]; a += r.size; }
        throw new Error('outside');
      };
      for (let i = 0; i < size; i++) {
        const want = image.byteAt(BASE + i);
        if (want !== undefined) { expect(after[i]).toBe(want); continue; }
        const [a, b] = sectorOf(i);
        const touched = image.intersects(BASE + a, BASE + b);
        if (s.preserve || !touched) {
          // Preserve on: every byte outside the image keeps its old value. Preserve off: untouched sectors keep theirs
          // unless a mass erase ran (allowed only when nothing else held data or with preserve on).
          if (s.preserve || after[i] !== s.erasedValue) expect(after[i]).toBe(before[i]);
        } else {
          expect(after[i]).toBe(s.erasedValue);
        }
      }
    }), { numRuns: 150 });
  });
});
