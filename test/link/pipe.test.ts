import { describe, it, expect, vi } from 'vitest';
import { createPipe, modeledSeconds, transferMs } from '../../src/link/pipe.js';
import { VirtualClock } from '../../src/sim/nor-flash.js';

const collect = (stream: { onData(l: (c: Uint8Array) => void): void }) => {
  const got: number[] = [];
  stream.onData((c) => got.push(...c));
  return got;
};
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('modeledSeconds', () => {
  it('adds bytes × bits / baud and turnarounds × latency', () => {
    // 1152 bytes at 11 bits = 12672 bits = 0.11 s at 115200 baud; 10 turnarounds × 16 ms = 0.16 s.
    expect(modeledSeconds({ bytesToDevice: 1000, bytesToHost: 152, turnarounds: 10 }, 115200, 11, 16)).toBeCloseTo(0.27, 12);
    expect(modeledSeconds({ bytesToDevice: 0, bytesToHost: 0, turnarounds: 3 }, 9600, 10, 1)).toBeCloseTo(0.003, 12);
    expect(modeledSeconds({ bytesToDevice: 960, bytesToHost: 0, turnarounds: 0 }, 9600, 10, 5)).toBe(1);
  });
});

describe('createPipe', () => {
  it('counts bytes per direction and one turnaround per change of direction', async () => {
    const pipe = createPipe();
    collect(pipe.device);
    collect(pipe.host);
    await pipe.host.write(new Uint8Array([0x7f])); // first transfer: no turnaround
    await pipe.host.write(new Uint8Array([0x00, 0xff])); // same direction: none
    expect(pipe.counters.turnarounds).toBe(0);
    await pipe.device.write(new Uint8Array([0x79])); // turns
    await pipe.host.write(new Uint8Array([0x02])); // turns back
    await pipe.host.write(new Uint8Array(0)); // nothing sent: nothing counted
    await pipe.device.write(new Uint8Array([0x79, 0x10]));
    expect(pipe.counters).toEqual({ bytesToDevice: 4, bytesToHost: 3, turnarounds: 3 });
    expect(pipe.clock).toBeUndefined();
  });

  it('advances a virtual clock as the traffic happens, agreeing with modeledSeconds', async () => {
    const model = { baud: 115200, bitsPerByte: 11, turnaroundMs: 16 };
    const pipe = createPipe({ model });
    const device = collect(pipe.device);
    collect(pipe.host);
    await pipe.host.write(new Uint8Array(256));
    expect(pipe.clock!.nowMs).toBeCloseTo((256 * 11 * 1000) / 115200, 9); // no turnaround yet
    await pipe.device.write(new Uint8Array([0x79]));
    expect(pipe.clock!.nowMs).toBeCloseTo(transferMs(256, false, model) + transferMs(1, true, model), 9);
    await pipe.host.write(new Uint8Array(5));
    await settle();
    expect(device).toHaveLength(261);
    expect(pipe.clock!.nowMs).toBeCloseTo(modeledSeconds(pipe.counters, 115200, 11, 16) * 1000, 9);
    expect(pipe.counters.turnarounds).toBe(2);
  });

  it('shares the simulator clock, so link time and flash time add up on one clock', async () => {
    const clock = new VirtualClock();
    clock.advance(100); // e.g. an erase the simulator already timed
    const pipe = createPipe({ model: { baud: 9600, clock } });
    collect(pipe.device);
    await pipe.host.write(new Uint8Array(96)); // 96 × 10 bits at 9600 baud = 100 ms
    expect(clock.nowMs).toBeCloseTo(200, 9);
    expect(pipe.clock).toBe(clock);
  });

  it('can hold deliveries back in scaled real time, in order, and delivers them before a close', async () => {
    // On fake timers: the pipe's waits are checked to the millisecond, whatever the machine's speed.
    vi.useFakeTimers();
    try {
      const pipe = createPipe({ model: { baud: 1000, bitsPerByte: 10, realTimeFactor: 1 } }); // 10 ms a byte
      const got = collect(pipe.device);
      let closed = false;
      pipe.device.onClose(() => { closed = true; });
      await pipe.host.write(new Uint8Array([1, 2, 3]));
      await pipe.host.write(new Uint8Array([4]));
      await vi.advanceTimersByTimeAsync(29);
      expect(got).toEqual([]); // not yet: 30 ms of wire time for the first three (without the factor they would be here)
      await vi.advanceTimersByTimeAsync(1);
      expect(got).toEqual([1, 2, 3]);
      const closing = pipe.host.close(); // waits for the last byte, then closes
      await vi.advanceTimersByTimeAsync(9);
      expect(got).toEqual([1, 2, 3]);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      expect(got).toEqual([1, 2, 3, 4]);
      expect(closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
