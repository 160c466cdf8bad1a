/** The engine sends contiguous program operations as one programFlash call (≤ 64 KiB), keeping the resume record per call. */
import { describe, expect, it } from 'vitest';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import { PROGRAM_BATCH, programBatches, writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';
import { pattern } from './helpers.js';

const k64 = requireTarget('MK64FN1M0');

describe('program batches', () => {
  it('groups contiguous operations of one region up to 64 KiB; a gap or a new region starts a new call', () => {
    const ops = [0, 0x1000, 0x2000, 0x4000].map((address) => ({ address, size: 0x1000 }));
    expect(programBatches(ops, k64).map((b) => b.map((o) => o.address))).toEqual([[0, 0x1000, 0x2000], [0x4000]]);
    const many = Array.from({ length: 20 }, (_, i) => ({ address: i * 0x1000, size: 0x1000 }));
    expect(programBatches(many, k64).map((b) => b.length)).toEqual([PROGRAM_BATCH / 0x1000, 20 - PROGRAM_BATCH / 0x1000]);
    // Two adjacent regions: the border splits the call (each way in picks its memory per call).
    const split = { ...k64, regions: [
      { name: 'a', kind: 'flash' as const, start: 0, size: 0x2000, sectors: [{ size: 0x1000, count: 2 }] },
      { name: 'b', kind: 'external-nor' as const, start: 0x2000, size: 0x2000, sectors: [{ size: 0x1000, count: 2 }] },
    ] };
    expect(programBatches(ops.slice(0, 3), split).map((b) => b.map((o) => o.address))).toEqual([[0, 0x1000], [0x2000]]);
  });

  it('a 80 KiB write is two programFlash calls; a failure in the second leaves the first call recorded as programmed', async () => {
    const memory = new SimMemory(k64);
    const programmer = new SimProgrammer(memory, { digest: false });
    const device = await programmer.connect();
    const data = pattern(80 * 1024, 5);
    const image = MemoryImage.fromSegments([{ address: 0x10000, data }]);
    await writeImage(programmer, device, image, { skipUnchanged: false, eraseMode: 'sectors', verify: 'none' });
    expect(programmer.calls.filter((c) => c.op === 'program').map((c) => c.op === 'program' && [c.address, c.length])).toEqual([[0x10000, 0x10000], [0x20000, 0x4000]]);
    expect(memory.read(0x10000, data.length)).toEqual(data);

    const failing = new SimProgrammer(new SimMemory(k64), { digest: false });
    const real = failing.programFlash.bind(failing);
    let calls = 0;
    failing.programFlash = async (address, bytes, options) => {
      if (++calls === 2) throw new Error('link lost');
      return real(address, bytes, options);
    };
    const err = await writeImage(failing, await failing.connect(), image, { skipUnchanged: false, eraseMode: 'sectors', verify: 'none' }).catch((e) => e);
    expect(err).toBeInstanceOf(FlashInterruptedError);
    const p = (err as FlashInterruptedError).progress;
    // The first call's 64 KiB, as one range; the second call may have programmed some of its bytes.
    expect(p.programmed).toEqual([{ address: 0x10000, size: 0x10000 }]);
    expect(p.maybeProgrammed).toEqual([{ address: 0x20000, size: 0x4000 }]);
    expect(p.pending[0]).toEqual({ address: 0x20000, size: 0x1000 });
  });

  it('a failure part-way through one call records the bytes the way in reported done', async () => {
    const memory = new SimMemory(k64);
    memory.nor('flash').faults = { resetAfterBytes: 0x2800 }; // inside the third 4 KiB sector of one 12 KiB call
    const programmer = new SimProgrammer(memory, { digest: false });
    const image = MemoryImage.fromSegments([{ address: 0x10000, data: pattern(0x3000, 6) }]);
    const err = await writeImage(programmer, await programmer.connect(), image, { skipUnchanged: false, eraseMode: 'sectors', verify: 'none' }).catch((e) => e);
    expect(programmer.calls.filter((c) => c.op === 'program')).toHaveLength(1);
    const p = (err as FlashInterruptedError).progress;
    expect(p.programmed).toEqual([{ address: 0x10000, size: 0x2800 }]);
    expect(p.maybeProgrammed).toEqual([{ address: 0x12800, size: 0x800 }]);
    expect(p.pending).toEqual([{ address: 0x12800, size: 0x800 }]);
    // Exactly what the flash holds: the reported bytes are the image's, the rest still erased.
    expect(memory.read(0x10000, 0x2800)).toEqual(image.read(0x10000, 0x2800));
    expect(memory.read(0x12800, 0x800).every((b) => b === 0xff)).toBe(true);
  });
});
