import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.js';
import { forEachChunk } from '../../src/link/chunks.js';

describe('forEachChunk', () => {
  it('walks fixed pieces with a short last one and reports the bytes done after each', async () => {
    const calls: Array<[number, number]> = [];
    const progress: number[] = [];
    await forEachChunk(600, 256, async (off, n) => { calls.push([off, n]); }, { onProgress: (d) => progress.push(d) });
    expect(calls).toEqual([[0, 256], [256, 256], [512, 88]]);
    expect(progress).toEqual([256, 512, 600]);
  });

  it('carries on from where a step says it stopped (a short GDB reply, an escaped packet)', async () => {
    const calls: Array<[number, number]> = [];
    const progress: number[] = [];
    await forEachChunk(10, 4, async (off, n) => { calls.push([off, n]); return off === 0 ? 3 : undefined; }, { onProgress: (d) => progress.push(d) });
    expect(calls).toEqual([[0, 4], [3, 4], [7, 3]]);
    expect(progress).toEqual([3, 7, 10]);
  });

  it('refuses a step that moves nothing or more than it was given, instead of looping or overrunning', async () => {
    await expect(forEachChunk(8, 4, async () => 0)).rejects.toThrow(/moved 0 of at most 4/);
    await expect(forEachChunk(8, 4, async () => 5)).rejects.toThrow(/moved 5 of at most 4/);
    await expect(forEachChunk(8, 0, async () => undefined)).rejects.toThrow(RangeError);
  });

  it('does nothing for an empty transfer, and stops before the next piece once the signal is aborted', async () => {
    let steps = 0;
    await forEachChunk(0, 4, async () => { steps++; });
    expect(steps).toBe(0);
    const ac = new AbortController();
    const done: number[] = [];
    const run = forEachChunk(12, 4, async (off) => { if (off === 4) ac.abort(); }, { signal: ac.signal, what: 'write', onProgress: (d) => done.push(d) });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(done).toEqual([4, 8]);
  });
});
