/**
 * One AlgorithmProgrammer with two algorithms (internal flash and an external "QSPI" part,
 * each with its own FLM) in one session: the plan names the algorithm of each region, the
 * right algorithm's code is in RAM whenever one of its functions runs (the handlers check the
 * code bytes at the load address, so a call into the wrong one fails), and data no algorithm
 * covers is refused before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { planWrite, verifyImage, writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { planLayout } from '../../src/protocol/flash-algo/layout.js';
import { AlgorithmProgrammer } from '../../src/programmer/algorithm.js';
import type { TargetDescription } from '../../src/target/types.js';
import { FakeCore, type Handler } from './fake-core.js';

const RAM = { start: 0x20000000, size: 0x4000 };
const QSPI = 0x90000000;

function algorithm(name: string, fill: number, start: number, size: number, sector: number, entry: number): FlashAlgorithm {
  return {
    name, source: `${name}.flm`, instructions: new Uint8Array(0x100).fill(fill),
    entries: { init: entry, uninit: entry + 0x10, eraseSector: entry + 0x20, programPage: entry + 0x30, eraseChip: entry + 0x40 },
    staticBaseOffset: 0xf0,
    flash: { name, start, size, pageSize: 0x100, erasedValue: 0xff, programTimeoutMs: 50, eraseTimeoutMs: 50, sectors: [{ offset: 0, size: sector }] },
    ram: RAM,
  };
}

const internal = algorithm('internal', 0x11, 0, 0x8000, 0x400, 0x10);
const qspi = algorithm('qspi', 0x22, QSPI, 0x10000, 0x1000, 0x60);

/** NOR semantics for both: erase sets 0xFF, program only clears bits. Each handler refuses to run unless its own code is loaded. */
function rig(options: { target?: TargetDescription } = {}) {
  const load = planLayout(internal, { ram: RAM }).loadAddress;
  const log: string[] = [];
  const handlers = new Map<number, Handler>();
  for (const a of [internal, qspi]) {
    const mine = (c: FakeCore) => c.memory.get(load) === a.instructions[0] && c.memory.get(load + 0xff) === a.instructions[0xff];
    const sector = a.flash.sectors[0]!.size;
    const fn = (off: number, name: string, body: Handler) => handlers.set(load + off, (args, c) => {
      log.push(`${a.name}.${name}`);
      return mine(c) ? body(args, c) : { result: 0x77 };
    });
    fn(a.entries.init!, 'init', () => ({ result: 0 }));
    fn(a.entries.uninit!, 'uninit', () => ({ result: 0 }));
    fn(a.entries.eraseSector!, 'eraseSector', ([adr], c) => { for (let i = 0; i < sector; i++) c.memory.set(adr! + i, 0xff); return { result: 0 }; });
    fn(a.entries.eraseChip!, 'eraseChip', (_, c) => { for (let i = 0; i < a.flash.size; i++) c.memory.set(a.flash.start + i, 0xff); return { result: 0 }; });
    fn(a.entries.programPage!, 'programPage', ([adr, sz, buf], c) => {
      for (let i = 0; i < sz!; i++) c.memory.set(adr! + i, (c.memory.get(adr! + i) ?? 0xff) & (c.memory.get(buf! + i) ?? 0));
      return { result: 0 };
    });
  }
  const core = new FakeCore(handlers);
  for (let i = 0; i < internal.flash.size; i++) core.memory.set(i, 0xff);
  // The external part holds old data (not erased): its sectors need its own EraseSector.
  for (let i = 0; i < qspi.flash.size; i++) core.memory.set(QSPI + i, 0);
  return { core, log, programmer: new AlgorithmProgrammer(core, [internal, qspi], { targetCrc: false, ...options }) };
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 5) & 0xff);

describe('AlgorithmProgrammer with one algorithm per flash region', () => {
  it('plans each region with its own algorithm, then erases, programs and verifies both in one session', async () => {
    const { core, log, programmer } = rig();
    const device = await programmer.connect();
    const regions = device.target.regions.filter((r) => r.kind === 'flash');
    expect(regions.map((r) => [r.name, r.start, r.algorithm, r.sectors])).toEqual([
      ['flash', 0, 'internal', [{ size: 0x400, count: 0x20 }]],
      [`flash-${QSPI.toString(16).toUpperCase().padStart(8, '0')}`, QSPI, 'qspi', [{ size: 0x1000, count: 0x10 }]],
    ]);
    expect(device.details).toMatchObject({ algorithm1: 'internal', algorithm2: 'qspi', algorithmFlash2: '0x90000000–0x9000FFFF' });
    const a = pattern(0x900, 7);
    const b = pattern(0x1800, 13);
    const image = MemoryImage.fromSegments([{ address: 0x400, data: a }, { address: QSPI + 0x1000, data: b }]);
    const { plan } = await planWrite(programmer, device, image, { eraseMode: 'sectors' });
    const byRegion = new Set(plan.operations.flatMap((o) => ('region' in o ? [o.region] : [])));
    expect([...byRegion].sort()).toEqual(regions.map((r) => r.name).sort());
    const result = await writeImage(programmer, device, image, { eraseMode: 'sectors' });
    expect(result.sectorsWritten).toBe(3 + 2);
    expect(await core.readMemory(0x400, a.length)).toEqual(a);
    expect(await core.readMemory(QSPI + 0x1000, b.length)).toEqual(b);
    // Every call ran with its own code in RAM (a wrong one returns 0x77 and the write fails), and each switch unloaded the other (UnInit).
    expect(log.filter((l) => l.startsWith('internal.') && !l.endsWith('init')).every((l) => /eraseSector|programPage/.test(l))).toBe(true);
    expect(log).toContain('qspi.eraseSector');
    expect(log).toContain('qspi.programPage');
    const switches = log.filter((l, i) => i > 0 && l.split('.')[0] !== log[i - 1]!.split('.')[0]);
    expect(switches.length).toBeGreaterThan(0);
    for (let i = 1; i < log.length; i++) {
      if (log[i]!.split('.')[0] !== log[i - 1]!.split('.')[0]) expect(log[i - 1], `before ${log[i]}`).toMatch(/\.uninit$/);
    }
    await verifyImage(programmer, device, image);
    await programmer.close();
  });

  it('a chip erase runs every algorithm\'s EraseChip, each with its own code loaded', async () => {
    const { core, log, programmer } = rig();
    await programmer.connect();
    core.memory.set(0x10, 0);
    core.memory.set(QSPI + 0x10, 0);
    await programmer.eraseChip!();
    expect(log.filter((l) => l.endsWith('eraseChip'))).toEqual(['internal.eraseChip', 'qspi.eraseChip']);
    expect([core.memory.get(0x10), core.memory.get(QSPI + 0x10)]).toEqual([0xff, 0xff]);
    await programmer.close();
  });

  it('names the flash region no algorithm covers before anything runs', async () => {
    const target: TargetDescription = {
      name: 'TWO-BANK', vendor: 'test', family: 'test', core: 'cortex-m4', source: 'test',
      regions: [
        { name: 'flash', kind: 'flash', start: 0, size: 0x8000, sectors: [{ size: 0x400, count: 0x20 }], boot: true },
        { name: 'bank2', kind: 'flash', start: 0x8000, size: 0x8000, sectors: [{ size: 0x400, count: 0x20 }] },
        { name: 'qspi', kind: 'external-nor', start: QSPI, size: 0x10000, sectors: [{ size: 0x1000, count: 0x10 }] },
        { name: 'sram', kind: 'ram', start: RAM.start, size: RAM.size },
      ],
    };
    const { core, programmer } = rig({ target });
    const device = await programmer.connect();
    expect(device.target.regions.map((r) => [r.name.split(' ')[0], r.kind, r.algorithm])).toEqual([
      ['flash', 'flash', 'internal'], ['bank2', 'rom', undefined], ['sram', 'ram', undefined], ['qspi', 'flash', 'qspi'],
    ]);
    const image = MemoryImage.fromSegments([{ address: 0x100, data: pattern(0x100, 3) }, { address: 0x8100, data: pattern(0x100, 5) }]);
    await expect(writeImage(programmer, device, image)).rejects.toMatchObject({ code: 'PLAN_READ_ONLY', message: expect.stringMatching(/0x00008100.*bank2/) });
    expect(core.calls).toEqual([]);
    await programmer.close();
  });

  it('refuses two algorithms that cover the same flash', () => {
    const core = new FakeCore(new Map());
    expect(() => new AlgorithmProgrammer(core, [internal, { ...qspi, flash: { ...qspi.flash, start: 0x4000 } }])).toThrow(/'internal' \(0x00000000–0x00007FFF\) and 'qspi' \(0x00004000–0x00013FFF\) cover the same flash/);
  });
});
