import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FlashwrightError } from '../../src/core/errors.js';
import { PropertyTag } from '../../src/protocol/mcuboot/index.js';
import { onVirtualTime } from '../helpers/virtual-time.js';
import { hidRig, pattern, uartRig } from './helpers.js';

describe('MCUboot UART fault injection', () => {
  it('a corrupted host frame is NAKed and resent; the data lands exactly once', async () => {
    const { session, sim, target, transport } = uartRig();
    await session.flashEraseRegion(0x2000, 0x1000);
    sim.faults = { corruptIncoming: [1, 5, 9] };
    const data = pattern(1000, 7);
    await session.writeMemory(0x2000, data);
    expect(sim.counters.naksSent).toBe(3);
    expect(transport.stats.resends).toBe(3);
    expect(target.memory.read(0x2000, 1000)).toEqual(data);
  });

  it('a corrupted device frame is NAKed by the host and resent', async () => {
    const { session, sim, transport } = uartRig();
    sim.faults = { corruptOutgoing: [1, 3, 4] };
    const data = await session.readMemory(0x400, 200);
    expect(data.subarray(12, 13)[0]).toBe(0xfe);
    expect(transport.stats.naksSent).toBe(3);
    expect(sim.counters.naksReceived).toBe(3);
  });

  it('a frame that stays corrupted gives a clear error, not bad data', async () => {
    const { session, sim } = uartRig();
    await session.flashEraseRegion(0x3000, 0x1000);
    sim.faults = { corruptIncoming: [2, 3, 4, 5] };
    const err = await session.writeMemory(0x3000, pattern(64)).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_LINK');
    expect(err.message).toMatch(/NAKed WriteMemory data packet 0 \(0x00003000\) 4 times/);
    expect(err.context).toMatchObject({ bytesAcknowledged: 0, bytesTotal: 64, address: 0x3000 });
  });

  it('a lost ACK during a write is reported, never silently resent (no double write)', async () => {
    const { session, sim, target } = uartRig();
    await session.flashEraseRegion(0x5000, 0x1000);
    sim.faults = { dropAcks: [4] };
    const data = pattern(256, 3);
    const err = await session.writeMemory(0x5000, data).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_LINK');
    expect(err.message).toMatch(/No ACK from the device for WriteMemory data packet 2 \(0x00005040\)/);
    expect(err.context).toMatchObject({ bytesAcknowledged: 64, bytesTotal: 256 });
    // Whatever reached flash is a prefix of the image: nothing was written twice or out of place.
    const got = target.memory.read(0x5000, 256);
    const written = got.findIndex((b, i) => b !== data[i]);
    expect(written === -1 || got.subarray(written).every((b) => b === 0xff)).toBe(true);
  });

  it('a lost ACK during a read resyncs with a ping and retries the read', async () => {
    const { session, sim } = uartRig();
    const want = (await session.readMemory(0x400, 16)).slice();
    sim.faults = { dropAcks: [1] };
    expect(await session.readMemory(0x400, 16)).toEqual(want);
    expect(session.stats.retries).toBe(1);
  });

  it('a reset mid-write leaves a clear error naming how far it got; the chip answers again after a ping', async () => {
    const { session, sim, target } = uartRig();
    await session.flashEraseRegion(0x10000, 0x2000);
    sim.faults = { resetAfterDataBytes: 1000 };
    const data = pattern(4096, 11);
    const err = await session.writeMemory(0x10000, data).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_LINK');
    expect(err.hint).toMatch(/partly written/);
    expect(err.context.bytesAcknowledged).toBe(992);
    expect(sim.counters.resets).toBe(1);
    await session.resync();
    const back = await session.readMemory(0x10000, 4096);
    expect(back.subarray(0, 992)).toEqual(data.subarray(0, 992));
    expect(back).not.toEqual(data);
    expect(target.resets).toBe(1);
    expect(await session.getProperty(PropertyTag.FlashSecurityState)).toEqual([0]);
  });
});

describe('MCUboot fault properties', () => {
  // On virtual time with a generous timeout: a slow machine makes the campaign longer, never
  // weaker. Every run is classified, and the campaign must contain enough runs where a
  // corruption fired and was recovered from, or it proves nothing.
  it('with random frame corruption either way, a write lands exactly or fails loudly — never silently wrong', async () => {
    const RUNS = 60;
    const seen = { clean: 0, recovered: 0, failed: 0, readRecovered: 0 };
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 1500 }), fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 6 }), fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 6 }), fc.nat(),
      async (length, incoming, outgoing, seed) => {
        const { session, sim, target } = uartRig('MK64FN1M0', { timeoutMs: 5000 });
        await onVirtualTime(() => session.flashEraseRegion(0x20000, 0x1000));
        const naks = () => sim.counters.naksSent + sim.counters.naksReceived;
        const before = naks();
        sim.faults = { corruptIncoming: incoming, corruptOutgoing: outgoing };
        const data = pattern(length, seed + 1);
        const result = await onVirtualTime(() => session.writeMemory(0x20000, data)).then(() => 'ok', (e: unknown) => e);
        const fired = naks() > before;
        const got = target.memory.read(0x20000, length);
        if (result === 'ok') {
          expect(got).toEqual(data);
          if (fired) seen.recovered++; else seen.clean++;
        } else {
          expect(fired, `failed without a fault: ${String(result)}`).toBe(true);
          expect(result).toBeInstanceOf(FlashwrightError);
          // What landed is a prefix of the data, the rest still erased.
          const first = got.findIndex((b, i) => b !== data[i]);
          expect(first === -1 || got.subarray(first).every((b) => b === 0xff)).toBe(true);
          seen.failed++;
        }
        const beforeRead = naks();
        sim.faults = { corruptOutgoing: outgoing };
        const read = await onVirtualTime(() => session.readMemory(0x20000, length)).catch((e: unknown) => e);
        if (read instanceof Uint8Array) {
          expect(read).toEqual(got);
          if (naks() > beforeRead) seen.readRecovered++;
        } else {
          expect(naks(), `read failed without a fault: ${String(read)}`).toBeGreaterThan(beforeRead);
          expect(read).toBeInstanceOf(FlashwrightError);
        }
      }), { numRuns: RUNS });
    expect(seen.clean + seen.recovered + seen.failed).toBe(RUNS);
    expect(seen.recovered, JSON.stringify(seen)).toBeGreaterThanOrEqual(RUNS * 0.3);
    expect(seen.readRecovered, JSON.stringify(seen)).toBeGreaterThanOrEqual(RUNS * 0.1);
  });
});

describe('MCUboot over HID: device loss', () => {
  it('a device that resets mid-write (USB disconnect) gives a clear error and a prefix in flash', async () => {
    const { session, target } = hidRig();
    await session.flashEraseRegion(0x8000, 0x1000);
    target.memory.nor('flash').faults = { resetAfterBytes: 600 };
    const data = pattern(2000, 5);
    const err = await session.writeMemory(0x8000, data).catch((e) => e);
    expect(err).toBeInstanceOf(FlashwrightError);
    expect(err.message).toMatch(/USB HID device went away|No HID report/);
    const got = target.memory.read(0x8000, 2000);
    expect(got.subarray(0, 600)).toEqual(data.subarray(0, 600));
    expect(got.subarray(600).every((b) => b === 0xff)).toBe(true);
  });
});
