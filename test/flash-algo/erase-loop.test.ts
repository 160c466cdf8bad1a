/**
 * The runner's erase loop (ERASE_LOOP): a run of equal, contiguous sectors erased in one run
 * of the core. The bytes are checked against the instructions they stand for with
 * arm-none-eabi-objdump; the loop's effect (what the runner sets up, what it reports on a
 * failure midway) through the fake core, which emulates it as the Thumb code does. The code
 * itself runs on QEMU's nRF51 in test/cmsis-dap/qemu.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlashAlgorithm } from '../../src/protocol/flash-algo/algorithm.js';
import { AlgorithmFailedError } from '../../src/protocol/flash-algo/errors.js';
import { ERASE_LOOP, planLayout } from '../../src/protocol/flash-algo/layout.js';
import { FlashAlgoRunner } from '../../src/protocol/flash-algo/runner.js';
import { needs } from '../helpers/peers.js';
import { FakeCore, type Handler } from './fake-core.js';

const RAM = { start: 0x20000000, size: 0x4000 };
const algo: FlashAlgorithm = {
  name: 'test', source: 'test.flm', instructions: new Uint8Array(0x100).fill(0x11),
  entries: { init: 0x10, uninit: 0x20, eraseSector: 0x30, programPage: 0x40 },
  staticBaseOffset: 0xf0,
  flash: { name: 'test flash', start: 0, size: 0x10000, pageSize: 0x400, erasedValue: 0xff, programTimeoutMs: 50, eraseTimeoutMs: 50, sectors: [{ offset: 0, size: 0x400 }, { offset: 0x8000, size: 0x800 }] },
};

function setup(failAt?: number, eraseLoop = true) {
  const layout = planLayout(algo, { ram: RAM });
  const erased: number[] = [];
  const handlers = new Map<number, Handler>([
    [layout.loadAddress + 0x10, () => ({ result: 0 })],
    [layout.loadAddress + 0x20, () => ({ result: 0 })],
    [layout.loadAddress + 0x30, ([adr]) => { if (adr === failAt) return { result: 7 }; erased.push(adr); return { result: 0 }; }],
  ]);
  const core = new FakeCore(handlers, true);
  const runner = new FlashAlgoRunner(core, algo, { ram: RAM, linkMarginMs: 20, callTimeoutMs: 50, eraseLoop });
  return { core, runner, layout, erased };
}

const sectors = (start: number, size: number, n: number) => Array.from({ length: n }, (_, i) => ({ address: start + i * size, size }));

describe('erase loop', () => {
  const p = needs('arm-none-eabi-objdump');
  it.skipIf(p.skip)(p.title('is the Thumb code its comment says (arm-none-eabi-objdump)'), () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-erase-loop-'));
    try {
      const file = join(dir, 'loop.bin');
      writeFileSync(file, ERASE_LOOP);
      const r = spawnSync('arm-none-eabi-objdump', ['-D', '-b', 'binary', '-marm', '-Mforce-thumb', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const insns = r.stdout.split('\n').map((l) => /^\s*[0-9a-f]+:\s+[0-9a-f]{4}\s+(.*)$/.exec(l)?.[1]?.replace(/\s+/g, ' ').replace(/\s*[;@].*$/, '').trim()).filter(Boolean);
      expect(insns).toEqual(['mov r0, r4', 'blx r7', 'cmp r0, #0', 'bne.n 0xe', 'add r4, r6', 'subs r5, #1', 'bne.n 0x0', 'bx r8']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('erases a run of equal contiguous sectors in one run of the core, a run of another size in another', async () => {
    const { core, runner, erased, layout } = setup();
    const reported: number[] = [];
    await runner.eraseSectors([...sectors(0x400, 0x400, 5), ...sectors(0x8000, 0x800, 3)], undefined, (n) => reported.push(n));
    expect(erased).toEqual([0x400, 0x800, 0xc00, 0x1000, 0x1400, 0x8000, 0x8800, 0x9000]);
    expect(core.eraseLoopRuns).toBe(2);
    expect(reported).toEqual([5, 3]);
    expect(runner.eraseLoopAddress).toBe(layout.pageBuffers[layout.pageBuffers.length - 1]);
    // Init(erase) once, then the two runs; each EraseSector call got the static base and the stack.
    for (const c of core.calls.filter((c) => c.pc === layout.loadAddress + 0x30)) { expect(c.r9).toBe(layout.staticBase); expect(c.sp).toBe(layout.stackTop); }
  });

  it('stops at the sector that fails, reports the ones before it erased and names the failing one', async () => {
    const { runner, erased } = setup(0xc00);
    const reported: number[] = [];
    const e = await runner.eraseSectors(sectors(0x400, 0x400, 6), undefined, (n) => reported.push(n)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AlgorithmFailedError);
    expect((e as AlgorithmFailedError).message).toContain('EraseSector(0x00000C00)');
    expect((e as AlgorithmFailedError).message).toContain('returned 7');
    expect(erased).toEqual([0x400, 0x800]);
    expect(reported).toEqual([2]);
  });

  it('is off unless asked for: one call per sector', async () => {
    const { core, runner, erased } = setup(undefined, false);
    await runner.eraseSectors(sectors(0, 0x400, 3));
    expect(erased).toEqual([0, 0x400, 0x800]);
    expect(core.eraseLoopRuns).toBe(0);
    expect(runner.eraseLoopAddress).toBeUndefined();
  });
});
