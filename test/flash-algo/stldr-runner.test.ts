/**
 * The runner with an external loader's calling convention (UM2237, ST's Loader_Src.c), on the
 * fake core: Init once (re-run before bus reads after Write/erase, which leave memory-mapped
 * mode), SectorErase(start, end) with an inclusive end inside the sector, MassErase, 1 = OK and
 * 0 = LOADER_FAIL with the loader's names in the message, Read when the loader has one.
 */
import { describe, expect, it } from 'vitest';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { AlgorithmFailedError, AlgorithmTimeoutError } from '../../src/protocol/flash-algo/errors.js';
import { planLayout } from '../../src/protocol/flash-algo/layout.js';
import { FlashAlgoRunner } from '../../src/protocol/flash-algo/runner.js';
import { AlgorithmProgrammer } from '../../src/programmer/algorithm.js';
import { FakeCore, type Handler } from './fake-core.js';

const RAM = { start: 0x20000000, size: 0x8000 };
const BASE = 0x90000000;
const LOAD = 0x20000004;
const ENTRY = { init: 0x10, programPage: 0x20, eraseSector: 0x30, eraseChip: 0x40, read: 0x50 };

function loader(extra: Partial<FlashAlgorithm> = {}): FlashAlgorithm {
  return {
    name: 'QSPI', source: 'q.stldr', convention: 'stldr', instructions: new Uint8Array(0x100).fill(0x11), loadAddress: LOAD,
    entries: { init: ENTRY.init, programPage: ENTRY.programPage, eraseSector: ENTRY.eraseSector, eraseChip: ENTRY.eraseChip },
    staticBaseOffset: 0x100,
    flash: { name: 'QSPI', start: BASE, size: 0x4000, pageSize: 0x100, erasedValue: 0xff, programTimeoutMs: 50, eraseTimeoutMs: 50, sectors: [{ offset: 0, size: 0x1000 }] },
    ...extra,
  };
}

/** A QSPI loader modelled on ST's: memory-mapped only between Init and the next Write/erase. */
function rig(algo = loader(), overrides: Partial<Record<keyof typeof ENTRY, Handler>> = {}) {
  const state = { mapped: false, inits: 0 };
  const h: Record<keyof typeof ENTRY, Handler> = {
    init: () => { state.mapped = true; state.inits++; return { result: 1 }; },
    programPage: ([adr, sz, buf], c) => { state.mapped = false; for (let i = 0; i < sz; i++) c.memory.set(adr + i, (c.memory.get(adr + i) ?? 0xff) & (c.memory.get(buf + i) ?? 0)); return { result: 1 }; },
    eraseSector: ([start, end], c) => {
      state.mapped = false;
      for (let s = start - ((start - BASE) % 0x1000); s <= end; s += 0x1000) for (let i = 0; i < 0x1000; i++) c.memory.set(s + i, 0xff);
      return { result: 1 };
    },
    eraseChip: (_a, c) => { state.mapped = false; for (let i = 0; i < 0x4000; i++) c.memory.set(BASE + i, 0xff); return { result: 1 }; },
    read: ([adr, sz, buf], c) => { for (let i = 0; i < sz; i++) c.memory.set(buf + i, c.memory.get(adr + i) ?? 0xff); return { result: 1 }; },
    ...overrides,
  };
  const handlers = new Map<number, Handler>(Object.entries(ENTRY).map(([k, off]) => [LOAD + off, h[k as keyof typeof ENTRY]]));
  const core = new FakeCore(handlers);
  const inner = core.readMemory.bind(core);
  // Bus reads of the QSPI window fail unless the loader left it memory-mapped.
  core.readMemory = async (address: number, length: number) => {
    if (address < BASE + 0x4000 && address + length > BASE && !state.mapped) throw new Error(`bus fault reading ${address.toString(16)}: QSPI not memory-mapped`);
    return inner(address, length);
  };
  const runner = new FlashAlgoRunner(core, algo, { ram: RAM, linkMarginMs: 20, callTimeoutMs: 50 });
  return { core, runner, state };
}

const names = (core: FakeCore) => core.calls.map((c) => Object.entries(ENTRY).find(([, off]) => LOAD + off === c.pc)?.[0] ?? c.pc.toString(16));

describe('external loader convention in the runner', () => {
  it('loads where linked, calls Init once, SectorErase(start, last byte of the sector), Write; 1 is success', async () => {
    const { core, runner } = rig();
    expect(runner.layout.loadAddress).toBe(LOAD);
    await runner.eraseSector(BASE + 0x1000);
    await runner.program(BASE + 0x1000, Uint8Array.from({ length: 0x180 }, (_, i) => i & 0xff));
    await runner.eraseSector(BASE + 0x2000);
    expect(names(core)).toEqual(['init', 'eraseSector', 'programPage', 'programPage', 'eraseSector']);
    expect(core.calls[1]!.args.slice(0, 2)).toEqual([BASE + 0x1000, BASE + 0x1fff]);
    expect(core.calls[2]!.args.slice(0, 2)).toEqual([BASE + 0x1000, 0x100]);
    expect(core.calls[0]!.args[0]).toBe(0);
    expect(core.memory.get(BASE + 0x117f)).toBe(0x7f);
    expect(core.memory.get(BASE + 0x2000)).toBe(0xff);
  });

  it('re-runs Init before the memory is read over the bus after a Write (ST loaders leave memory-mapped mode there)', async () => {
    const { core, state } = rig();
    const programmer = new AlgorithmProgrammer(core, loader(), { ram: RAM, targetCrc: false, resetOnConnect: false, closeCore: false });
    await programmer.connect();
    await programmer.eraseSectors([{ address: BASE, size: 0x1000 }]);
    await programmer.programFlash(BASE, Uint8Array.of(1, 2, 3, 4));
    expect(state.mapped).toBe(false);
    expect(Array.from(await programmer.readMemory(BASE - 2, 8))).toEqual([0, 0, 1, 2, 3, 4, 0xff, 0xff]);
    expect(state.inits).toBe(2);
    await programmer.readMemory(BASE, 4);
    expect(state.inits).toBe(2); // still mapped: no third Init
  });

  it('reads through the loader\'s Read when it has one, without memory-mapped access', async () => {
    const algo = loader({ readEntry: ENTRY.read });
    const { core, state } = rig(algo);
    const programmer = new AlgorithmProgrammer(core, algo, { ram: RAM, resetOnConnect: false, closeCore: false });
    await programmer.connect();
    await programmer.eraseSectors([{ address: BASE, size: 0x1000 }]);
    await programmer.programFlash(BASE, Uint8Array.of(9, 8, 7, 6));
    state.mapped = false;
    expect(Array.from(await programmer.readMemory(BASE, 0x104)).slice(0, 6)).toEqual([9, 8, 7, 6, 0xff, 0xff]);
    expect(await programmer.digest!.remote(BASE, 4)).toBe(programmer.digest!.local(Uint8Array.of(9, 8, 7, 6)));
    expect(names(core).filter((n) => n === 'read').length).toBeGreaterThanOrEqual(3);
  });

  it('a 0 from Write is LOADER_FAIL, named with the loader\'s function and arguments', async () => {
    const { runner } = rig(loader(), { programPage: () => ({ result: 0 }) });
    const e = await runner.program(BASE, new Uint8Array(4)).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmFailedError);
    expect(e.message).toBe(`The external loader's Write(0x90000000, 0x00000004, ${'0x' + runner.layout.pageBuffers[0].toString(16).toUpperCase().padStart(8, '0')}) at 0x20000024 returned 0 (0x00000000; 1 = LOADER_OK, 0 = LOADER_FAIL).`);
    expect(e.hint).toMatch(/not erased, write-protected/);
  });

  it('a 0 from an FLM-style success is not taken as success (and a 1 is not a failure)', async () => {
    const { runner } = rig(loader(), { eraseSector: () => ({ result: 0 }) });
    await expect(runner.eraseSector(BASE)).rejects.toThrow(/SectorErase\(0x90000000, 0x90000FFF\).*returned 0/);
  });

  it('an Init that never returns times out with the loader\'s Init named and the SysTick/HAL_Delay explanation', async () => {
    const { runner } = rig(loader(), { init: () => ({ hang: true }) });
    const e = await runner.eraseSector(BASE).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmTimeoutError);
    expect(e.message).toMatch(/^The external loader's Init at 0x20000014 did not return within 50 ms/);
    expect(e.hint).toMatch(/HAL_Delay/);
  });

  it('MassErase is the chip erase', async () => {
    const { core, runner } = rig();
    await runner.eraseChip();
    expect(names(core)).toEqual(['init', 'eraseChip']);
    expect(planLayout(loader(), { ram: RAM }).loadAddress).toBe(LOAD);
  });
});
