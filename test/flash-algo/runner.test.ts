import { describe, expect, it } from 'vitest';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { AlgorithmCrashedError, AlgorithmFailedError, AlgorithmRamError, AlgorithmRangeError, AlgorithmStackError, AlgorithmTimeoutError } from '../../src/protocol/flash-algo/errors.js';
import { crc32 } from '../../src/core/crc.js';
import { BKPT_WORD, CRC32_ROUTINE, planLayout } from '../../src/protocol/flash-algo/layout.js';
import { FlashAlgoRunner } from '../../src/protocol/flash-algo/runner.js';
import { FakeCore, type Handler } from './fake-core.js';

const RAM = { start: 0x20000000, size: 0x4000 };

function algorithm(extra: Partial<FlashAlgorithm> = {}): FlashAlgorithm {
  return {
    name: 'test', source: 'test.flm', instructions: new Uint8Array(0x100).fill(0x11),
    entries: { init: 0x10, uninit: 0x20, eraseSector: 0x30, programPage: 0x40, verify: 0x50 },
    staticBaseOffset: 0xf0,
    flash: { name: 'test flash', start: 0, size: 0x10000, pageSize: 0x400, erasedValue: 0xff, programTimeoutMs: 50, eraseTimeoutMs: 50, sectors: [{ offset: 0, size: 0x400 }] },
    ...extra,
  };
}

/** Handlers modelling NOR flash in the fake core's memory. */
function nor(load: number, overrides: Record<number, Handler> = {}): Map<number, Handler> {
  const h = new Map<number, Handler>([
    [load + 0x10, () => ({ result: 0 })],
    [load + 0x20, () => ({ result: 0 })],
    [load + 0x30, ([adr], c) => { for (let i = 0; i < 0x400; i++) c.memory.set(adr + i, 0xff); return { result: 0 }; }],
    [load + 0x40, ([adr, sz, buf], c) => { for (let i = 0; i < sz; i++) c.memory.set(adr + i, (c.memory.get(adr + i) ?? 0xff) & (c.memory.get(buf + i) ?? 0)); return { result: 0, runMs: 2 }; }],
    [load + 0x50, ([adr, sz, buf], c) => { for (let i = 0; i < sz; i++) if (c.memory.get(adr + i) !== c.memory.get(buf + i)) return { result: adr + i }; return { result: adr + sz }; }],
  ]);
  for (const [k, v] of Object.entries(overrides)) h.set(load + Number(k), v);
  return h;
}

function setup(opts: { algo?: FlashAlgorithm; overrides?: Record<number, Handler>; whileRunning?: boolean; doubleBuffer?: boolean; stackSize?: number } = {}) {
  const algo = opts.algo ?? algorithm();
  const layout = planLayout(algo, { ram: RAM, doubleBuffer: opts.doubleBuffer, stackSize: opts.stackSize });
  const core = new FakeCore(nor(layout.loadAddress, opts.overrides), opts.whileRunning ?? false);
  const runner = new FlashAlgoRunner(core, algo, { ram: RAM, doubleBuffer: opts.doubleBuffer, stackSize: opts.stackSize, linkMarginMs: 20, callTimeoutMs: 50 });
  return { core, runner, layout, algo };
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 7) & 0xff);

describe('flash algorithm runner', () => {
  it('follows the calling convention: BKPT + breakpoint at the return address, r9, SP, Init/UnInit per operation', async () => {
    const { core, runner, layout } = setup();
    await runner.eraseSector(0x400);
    await runner.program(0x400, pattern(0x400));
    expect(core.word(layout.breakpoint)).toBe(BKPT_WORD);
    expect(core.breakpoints.has(layout.breakpoint)).toBe(true);
    const names = core.calls.map((c) => c.pc - layout.loadAddress);
    expect(names).toEqual([0x10, 0x30, 0x20, 0x10, 0x40]); // Init(1) EraseSector UnInit(1) Init(2) ProgramPage
    expect(core.trampolineRuns).toBe(0); // one page: no chaining
    expect(core.calls[0]!.args.slice(0, 3)).toEqual([0, 0, 1]);
    expect(core.calls[2]!.args[0]).toBe(1);
    expect(core.calls[3]!.args[2]).toBe(2);
    for (const c of core.calls) { expect(c.r9).toBe(layout.staticBase); expect(c.sp).toBe(layout.stackTop); }
    expect(layout.loadAddress).toBe(RAM.start + 0x50);
    await runner.unload();
    expect(core.breakpoints.size).toBe(0);
    expect(core.calls.at(-1)!.pc - layout.loadAddress).toBe(0x20);
  });

  it('programs page by page; verification is by the runner\'s CRC, never the algorithm\'s Verify', async () => {
    const { core, runner, layout } = setup();
    const data = pattern(0xc00);
    for (const a of [0, 0x400, 0x800]) await runner.eraseSector(a);
    await runner.program(0, data);
    expect(Uint8Array.from({ length: 0xc00 }, (_, i) => core.memory.get(i) ?? 0)).toEqual(data);
    expect('verify' in runner).toBe(false);
    expect(core.calls.some((c) => c.pc === layout.loadAddress + 0x50)).toBe(false);
  });

  it('double-buffers: loads the next page while ProgramPage runs when the core allows it', async () => {
    const { core, runner, layout } = setup({ whileRunning: true });
    expect(layout.pageBuffers.length).toBe(2);
    await runner.program(0, pattern(0x1000));
    const programCalls = core.calls.filter((c) => c.pc === layout.loadAddress + 0x40);
    expect(programCalls.map((c) => c.args[2])).toEqual([0, 1, 0, 1].map((i) => layout.pageBuffers[i]));
    expect(core.writesWhileRunning).toBe(3);
    expect(Uint8Array.from({ length: 0x1000 }, (_, i) => core.memory.get(i) ?? 0)).toEqual(pattern(0x1000));
  });

  it('double-buffers over an all-stop core by chaining two ProgramPage calls per halt', async () => {
    const { core, runner, layout } = setup({ whileRunning: false });
    await runner.program(0, pattern(0x1400));
    const programCalls = core.calls.filter((c) => c.pc === layout.loadAddress + 0x40);
    expect(programCalls.map((c) => [c.args[0], c.args[2]])).toEqual([
      [0, layout.pageBuffers[0]], [0x400, layout.pageBuffers[1]], [0x800, layout.pageBuffers[0]], [0xc00, layout.pageBuffers[1]], [0x1000, layout.pageBuffers[0]],
    ]);
    expect(core.trampolineRuns).toBe(2); // pages 0+1 and 2+3 chained, page 4 alone
    expect(Uint8Array.from({ length: 0x1400 }, (_, i) => core.memory.get(i) ?? 0)).toEqual(pattern(0x1400));
  });

  it('names the page that failed inside a chained pair', async () => {
    const { runner, layout } = setup({ overrides: { 0x40: ([adr]) => ({ result: adr === 0xc00 ? 7 : 0 }) } });
    const e = await runner.program(0x800, pattern(0x800)).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmFailedError);
    expect(e.context.args).toEqual([0xc00, 0x400, layout.pageBuffers[1]]);
    expect(e.context.result).toBe(7);
  });

  it('uses one buffer and no overlap when told not to double-buffer', async () => {
    const { core, runner, layout } = setup({ whileRunning: true, doubleBuffer: false });
    expect(layout.pageBuffers.length).toBe(1);
    await runner.program(0, pattern(0x800));
    expect(core.writesWhileRunning).toBe(0);
  });

  it('reports a non-zero result with function, arguments, entry and value', async () => {
    const { runner, layout } = setup({ overrides: { 0x40: () => ({ result: 5 }) } });
    const e = await runner.program(0x800, pattern(0x400)).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmFailedError);
    expect(e.context).toMatchObject({ function: 'ProgramPage', result: 5, entry: layout.loadAddress + 0x40 });
    expect(e.message).toContain(`ProgramPage(0x00000800, 0x00000400, 0x${layout.pageBuffers[0]!.toString(16).toUpperCase()})`);
  });

  it('halts a function that never returns and decodes the fault registers (HFSR DEBUGEVT)', async () => {
    const { core, runner, layout } = setup({ overrides: { 0x30: () => ({ hang: true }) } });
    core.memory.set(0xe000ed2f, 0x80); // HFSR bit 31
    core.memory.set(0xe000ed30, 0x02); // DFSR BKPT
    const e = await runner.eraseSector(0).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmTimeoutError);
    expect(e.context.pc).toBe(layout.loadAddress + 0x38);
    expect(e.context.faults.decoded.hfsr[0]).toMatch(/^DEBUGEVT/);
    expect(e.message).toContain('did not return within 70 ms');
    expect(e.message).toContain('DEBUGEVT');
  });

  it('reports a halt in a fault handler instead of the return breakpoint', async () => {
    const { core, runner } = setup({ overrides: { 0x30: (_a, c) => { c.regs.xpsr = 0x01000003; return { haltAt: 0x1234 }; } } });
    core.memory.set(0xe000ed29, 0x02); // CFSR bit 9 PRECISERR
    const e = await runner.eraseSector(0).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmCrashedError);
    expect(e.message).toContain('stopped in exception 3');
    expect(e.message).toContain('PRECISERR');
  });

  it('traps a fault through a RAM vector table on ARMv7-M and reports the stacked PC, then restores VTOR', async () => {
    const { core, runner, layout } = setup({ overrides: { 0x30: () => ({ fault: { pc: 0x20000456 } }) } });
    [0x31, 0xc2, 0x0f, 0x41].forEach((b, i) => core.memory.set(0xe000ed00 + i, b)); // CPUID: Cortex-M3 r0p1
    [0x00, 0x10, 0x00, 0x00].forEach((b, i) => core.memory.set(0xe000ed08 + i, b)); // VTOR = 0x1000 before
    core.memory.set(0xe000ed29, 0x82); // CFSR: PRECISERR + BFARVALID
    core.memory.set(0xe000ed2f, 0x40); // HFSR: FORCED
    [0x00, 0x00, 0x00, 0xf0].forEach((b, i) => core.memory.set(0xe000ed38 + i, b)); // BFAR
    const e = await runner.eraseSector(0).catch((x) => x);
    expect(layout.vectorTable! % 128).toBe(0);
    expect(e).toBeInstanceOf(AlgorithmCrashedError);
    expect(e.message).toContain('took a fault (exception 3, HardFault), stacked: PC=0x20000456');
    expect(e.message).toContain('BFAR=0xF0000000');
    expect(e.context.faults.decoded.hfsr).toEqual(['FORCED (escalated configurable fault)']);
    await runner.unload();
    expect(core.word(0xe000ed08)).toBe(0x1000);
    expect(core.breakpoints.size).toBe(0);
  });

  it('computes CRC-32 on the target with its own routine next to the breakpoint', async () => {
    const { core, runner, layout } = setup();
    core.handlers.set(layout.crcRoutine, ([adr, len], c) => ({ result: crc32(Uint8Array.from({ length: len }, (_, i) => c.memory.get(adr + i) ?? 0)) }));
    pattern(0x300).forEach((b, i) => core.memory.set(0x100 + i, b));
    expect(await runner.crc32(0x100, 0x300)).toBe(crc32(pattern(0x300)));
    expect([...CRC32_ROUTINE].every((b, i) => core.memory.get(layout.crcRoutine + i) === b)).toBe(true);
    expect(layout.crcRoutine % 4).toBe(0);
  });

  it('refuses a CRC outside the algorithm\'s flash without running anything', async () => {
    const { core, runner } = setup();
    const e = await runner.crc32(0x10001000, 0x400).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmRangeError);
    expect(e.message).toContain('0x10001000–0x100013FF lies outside the flash');
    expect(runner.calls).toBe(0);
    expect(core.memory.size).toBe(0); // not even loaded
  });

  it('catches a clobbered stack guard', async () => {
    const { runner, layout } = setup({ overrides: { 0x30: (_a, c) => { c.memory.set(layout.stackLimit, 0); return { result: 0 }; } } });
    const e = await runner.eraseSector(0).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmStackError);
    expect(e.context.canaryAddress).toBe(layout.stackLimit);
  });

  it('names a function the algorithm does not have', async () => {
    const { runner } = setup({ algo: algorithm({ entries: { eraseSector: 0x30, programPage: 0x40 } }) });
    await expect(runner.eraseChip()).rejects.toThrow("test.flm: the algorithm 'test' has no EraseChip function.");
  });

  it('refuses addresses outside the algorithm\'s flash', async () => {
    const { runner, core } = setup();
    const e = await runner.program(0xfc00, pattern(0x800)).catch((x) => x);
    expect(e).toBeInstanceOf(AlgorithmRangeError);
    expect(e.message).toContain('0x0000FC00–0x000103FF lies outside the flash the algorithm \'test\' programs (0x00000000–0x0000FFFF)');
    expect(core.calls.length).toBe(0);
  });
});

describe('algorithm RAM layout', () => {
  it('says how much RAM is needed and what for', () => {
    const e = (() => { try { planLayout(algorithm(), { ram: { start: 0x20000000, size: 0x600 } }); } catch (x) { return x as AlgorithmRamError; } })();
    expect(e).toBeInstanceOf(AlgorithmRamError);
    expect(e!.message).toBe('The flash algorithm needs 2.3 KiB of RAM (header 80 B + code and data 256 B + page buffer 1 KiB + stack and guard 1.0 KiB) but 0x20000000–0x200005FF has only 1.5 KiB.');
  });

  it('falls back to one page buffer when two do not fit', () => {
    const l = planLayout(algorithm(), { ram: { start: 0x20000000, size: 0xa00 } });
    expect(l.pageBuffers.length).toBe(1);
    expect(l.used.end).toBeLessThanOrEqual(0x20000a00);
  });

  it('keeps a fixed (pyOCD) placement and checks it against RAM', () => {
    const fixed = algorithm({ loadAddress: 0x20000000, stackTop: 0x20001000, pageBuffers: [0x20002000, 0x20002400], breakpointOffset: 0 });
    const l = planLayout(fixed, { ram: RAM });
    expect(l).toMatchObject({ loadAddress: 0x20000000, breakpoint: 0x20000000, ownBreakpoint: false, stackTop: 0x20001000, pageBuffers: [0x20002000, 0x20002400] });
    expect(() => planLayout(fixed, { ram: { start: 0x20000000, size: 0x2200 } })).toThrow(AlgorithmRamError);
    expect(planLayout(fixed, { ram: { start: 0x20000000, size: 0x2400 } }).pageBuffers).toEqual([0x20002000]);
    expect(() => planLayout(algorithm({ loadAddress: 0x20000000, stackTop: 0x20001000, pageBuffers: [0x20000c00] }), { ram: RAM })).toThrow(/overlaps? the stack/);
  });
});
