import { describe, expect, it } from 'vitest';
import { PropertyTag } from '../../src/protocol/mcuboot/index.js';
import { pattern, uartRig } from './helpers.js';

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
