/**
 * Issue 9 item 8 for the flash-algorithm way in: a program call that stops part-way — a
 * ProgramPage that fails, or Ctrl-C — reports as programmed exactly the pages ProgramPage
 * confirmed (returned 0), and only the rest of the call as "maybe". Checked against the
 * simulated flash: through the in-process CMSIS-DAP probe and core (memory access while the
 * core runs: the next page loads while one programs) and through a core without that
 * (GDB all-stop: two pages per resume, chained by the trampoline); --skip then resumes.
 */
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc.js';
import { verifyImage, writeImage } from '../../src/flash/engine.js';
import { FlashInterruptedError, type WriteProgress } from '../../src/flash/errors.js';
import type { FlashPlan } from '../../src/flash/plan.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { AlgorithmProgrammer } from '../../src/programmer/algorithm.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import type { Programmer } from '../../src/programmer/types.js';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { planLayout } from '../../src/protocol/flash-algo/layout.js';
import { createMemoryTarget, createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { checkRecord } from '../contract/record.js';
import { FakeCore, type Handler } from './fake-core.js';

const PAGE = 1024;
const START = 0x2000;
const PAGES = 6;
const AREA = { start: START, size: PAGES * PAGE };

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

/** A way in whose ProgramPage fails on its `failAt`-th call (1-based), and the flash bytes it really holds. */
interface AlgoRig {
  programmer: Programmer;
  read(address: number, length: number): Uint8Array;
  load(address: number, data: Uint8Array): void;
  programPageCalls(): number;
}

const FLASH = { name: 'emulated flash', start: 0, size: 0x40000, pageSize: PAGE, erasedValue: 0xff, sectors: [{ size: PAGE, offset: 0 }], programTimeoutMs: 500, eraseTimeoutMs: 1000 };

/** The in-process CMSIS-DAP probe and nRF51 core; the resume handler carries out the algorithm's functions on the core's flash. */
function dapRig(failAt: number | undefined): AlgoRig {
  const algorithm: FlashAlgorithm = {
    name: 'emulated', source: 'test', instructions: new Uint8Array(0x80),
    entries: { init: 0x00, uninit: 0x10, eraseSector: 0x20, programPage: 0x30 },
    staticBaseOffset: 0x40, stackSize: 0x400, ram: { start: 0x20000000, size: 0x4000 }, flash: FLASH,
  };
  const target = createMemoryTarget({ chip: 'nrf51' });
  const sim = createSimDapProbe({ target });
  const p = new CmsisDapProgrammer({ open: async () => sim.device, description: 'sim nrf51', algorithm });
  let programs = 0;
  target.core.onResume = (core) => {
    const l = p.algo!.runner.layout;
    const r = (n: number) => core.regs.get(n) ?? 0;
    const pc = r(15) & ~1;
    const flash = core.regions[0]!;
    let result = 0;
    if (pc === l.loadAddress + 0x20) flash.bytes.fill(0xff, r(0), r(0) + PAGE);
    else if (pc === p.algo!.runner.eraseLoopAddress) {
      for (; r(5) > 0; core.regs.set(4, r(4) + r(6)), core.regs.set(5, r(5) - 1)) flash.bytes.fill(0xff, r(4), r(4) + r(6));
      core.regs.set(0, 0);
      core.regs.set(15, r(8) & ~1);
      return { halt: 'bkpt' };
    } else if (pc === l.loadAddress + 0x30) {
      if (++programs === failAt) result = 1; // the flash controller reports an error: nothing of this page is written
      else flash.bytes.set(core.peek(r(2), r(1)), r(0));
    } else if (pc === l.crcRoutine) result = crc32(core.peek(r(0), r(1)));
    else if (pc !== l.loadAddress && pc !== l.loadAddress + 0x10) return { halt: 'bkpt' };
    core.regs.set(0, result >>> 0);
    core.regs.set(15, r(14) & ~1);
    return { halt: 'bkpt' };
  };
  return {
    programmer: p,
    read: (a, n) => target.core.peek(a, n),
    load: (a, d) => target.core.poke(a, d),
    programPageCalls: () => programs,
  };
}

/** A core that cannot touch memory while it runs (as over GDB, all-stop): two pages per resume through the chaining trampoline. */
function allStopRig(failAt: number | undefined): AlgoRig {
  const algorithm: FlashAlgorithm = {
    name: 'all-stop', source: 'test.flm', instructions: new Uint8Array(0x100).fill(0x11),
    entries: { init: 0x10, uninit: 0x20, eraseSector: 0x30, programPage: 0x40 },
    staticBaseOffset: 0xf0, ram: { start: 0x20000000, size: 0x4000 }, flash: FLASH,
  };
  const load = planLayout(algorithm, { ram: { start: 0x20000000, size: 0x4000 } }).loadAddress;
  let programs = 0;
  const handlers = new Map<number, Handler>([
    [load + 0x10, () => ({ result: 0 })],
    [load + 0x20, () => ({ result: 0 })],
    [load + 0x30, ([adr], c) => { for (let i = 0; i < PAGE; i++) c.memory.set(adr! + i, 0xff); return { result: 0 }; }],
    [load + 0x40, ([adr, sz, buf], c) => {
      if (++programs === failAt) return { result: 1 };
      for (let i = 0; i < sz!; i++) c.memory.set(adr! + i, (c.memory.get(adr! + i) ?? 0xff) & (c.memory.get(buf! + i) ?? 0));
      return { result: 0 };
    }],
  ]);
  const core = new FakeCore(handlers);
  for (let a = 0; a < 0x10000; a++) core.memory.set(a, 0xff);
  return {
    programmer: new AlgorithmProgrammer(core, algorithm, { targetCrc: false }),
    read: (a, n) => Uint8Array.from({ length: n }, (_, i) => core.memory.get(a + i) ?? 0),
    load: (a, d) => d.forEach((b, i) => core.memory.set(a + i, b)),
    programPageCalls: () => programs,
  };
}

/** Writes six whole pages in one program call, stopping as `stop` says; returns the record, the plan and the flash before/after. */
async function interruptedWrite(rig: AlgoRig, stop: { abortAtProgress?: number }) {
  rig.load(START, pattern(AREA.size, 1)); // an older build: every page is erased first
  const device = await rig.programmer.connect();
  const image = MemoryImage.fromSegments([{ address: START, data: pattern(AREA.size, 2) }]);
  const before = rig.read(START, AREA.size);
  const controller = new AbortController();
  let plan: FlashPlan | undefined;
  let seen = 0;
  const err = await writeImage(rig.programmer, device, image, {
    allowUnbootable: true, signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'plan') plan = e.plan;
      if (e.type === 'progress' && e.phase === 'program' && ++seen === stop.abortAtProgress) controller.abort(new Error('Ctrl-C'));
    },
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FlashInterruptedError);
  const progress = (err as FlashInterruptedError).progress;
  const after = rig.read(START, AREA.size);
  checkRecord(plan!, device.target, progress, AREA, before, after);
  return { progress, image, device, after };
}

/** The pages the flash really holds the image in, from the start of the area. */
function pagesHolding(after: Uint8Array, image: MemoryImage): number {
  let n = 0;
  while (n < PAGES && after.subarray(n * PAGE, (n + 1) * PAGE).every((b, i) => b === image.byteAt(START + n * PAGE + i))) n++;
  return n;
}

const programmedBytes = (p: WriteProgress) => p.programmed.reduce((n, r) => n + r.size, 0);

describe.each([
  { name: 'CMSIS-DAP sim (loads the next page while one programs)', make: dapRig },
  { name: 'all-stop core, as over GDB (two pages per resume)', make: allStopRig },
])('the flash-algorithm way in reports the pages ProgramPage confirmed: $name', ({ make }) => {
  for (const failAt of [1, 2, 4, 5]) {
    it(`ProgramPage fails on page ${failAt} of ${PAGES}: the ${failAt - 1} page(s) before it are programmed, the rest maybe; --skip resumes`, async () => {
      const rig = make(failAt);
      const { progress, image, device, after } = await interruptedWrite(rig, {});
      expect(pagesHolding(after, image)).toBe(failAt - 1);
      expect(progress.programmed).toEqual(failAt > 1 ? [{ address: START, size: (failAt - 1) * PAGE }] : []);
      expect(progress.maybeProgrammed).toEqual([{ address: START + (failAt - 1) * PAGE, size: (PAGES - failAt + 1) * PAGE }]);
      const again = await writeImage(rig.programmer, device, image, { allowUnbootable: true, skipUnchanged: true });
      expect(again.bytesVerified).toBeGreaterThan(0);
      await verifyImage(rig.programmer, device, image);
      expect(rig.read(START, AREA.size)).toEqual(image.read(START, AREA.size));
      await rig.programmer.close();
    });
  }

  it('Ctrl-C after the third page\'s progress: every page the flash holds is in the record as programmed', async () => {
    const rig = make(undefined);
    const { progress, image, after } = await interruptedWrite(rig, { abortAtProgress: 3 });
    const held = pagesHolding(after, image);
    expect(held).toBeGreaterThanOrEqual(3);
    expect(held).toBeLessThan(PAGES); // stopped part-way, not at the end
    expect(programmedBytes(progress)).toBe(held * PAGE);
    expect(rig.programPageCalls()).toBe(held);
    await rig.programmer.close();
  });
});
