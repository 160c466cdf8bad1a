/** AlgorithmProgrammer over a CoreAccess that is not GDB (the fake core): the full engine walk. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeImage, verifyImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { planLayout } from '../../src/protocol/flash-algo/layout.js';
import { AlgorithmProgrammer } from '../../src/programmer/algorithm.js';
import { FakeCore, type Handler } from './fake-core.js';

const RAM = { start: 0x20000000, size: 0x4000 };
const algo: FlashAlgorithm = {
  name: 'test', source: 'test.flm', instructions: new Uint8Array(0x100).fill(0x11),
  entries: { init: 0x10, uninit: 0x20, eraseSector: 0x30, programPage: 0x40 },
  staticBaseOffset: 0xf0,
  flash: { name: 'test flash', start: 0, size: 0x10000, pageSize: 0x400, erasedValue: 0xff, programTimeoutMs: 50, eraseTimeoutMs: 50, sectors: [{ offset: 0, size: 0x400 }] },
  ram: RAM,
};

function rig() {
  const load = planLayout(algo, { ram: RAM }).loadAddress;
  const handlers = new Map<number, Handler>([
    [load + 0x10, () => ({ result: 0 })],
    [load + 0x20, () => ({ result: 0 })],
    [load + 0x30, ([adr], c) => { for (let i = 0; i < 0x400; i++) c.memory.set(adr! + i, 0xff); return { result: 0 }; }],
    [load + 0x40, ([adr, sz, buf], c) => { for (let i = 0; i < sz!; i++) c.memory.set(adr! + i, (c.memory.get(adr! + i) ?? 0xff) & (c.memory.get(buf! + i) ?? 0)); return { result: 0 }; }],
  ]);
  const core = new FakeCore(handlers);
  for (let a = 0; a < 0x10000; a++) core.memory.set(a, 0xff);
  return { core, programmer: new AlgorithmProgrammer(core, algo, { targetCrc: false }) };
}

describe('AlgorithmProgrammer over any CoreAccess', () => {
  it('writes, skips unchanged sectors on a second write, and verifies through a core that is not a GDB server', async () => {
    const { core, programmer } = rig();
    const device = await programmer.connect();
    expect(device.target.regions.find((r) => r.kind === 'flash')).toMatchObject({ start: 0, size: 0x10000 });
    const data = Uint8Array.from({ length: 0x900 }, (_, i) => (i * 7 + 3) & 0xff);
    const image = MemoryImage.fromSegments([{ address: 0x400, data }]);
    const first = await writeImage(programmer, device, image);
    expect(first.sectorsWritten).toBe(3);
    expect(await core.readMemory(0x400, data.length)).toEqual(data);
    const again = await writeImage(programmer, device, image);
    expect(again.sectorsSkipped).toBe(3);
    expect(again.sectorsWritten).toBe(0);
    await verifyImage(programmer, device, image);
    await programmer.close();
  });

  it('imports nothing from the GDB way in', () => {
    for (const file of ['src/programmer/algorithm.ts', 'src/programmer/algorithm-target.ts']) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from '[^']*gdb[^']*'/i);
    }
  });
});
