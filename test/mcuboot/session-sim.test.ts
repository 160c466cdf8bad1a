import { describe, expect, it } from 'vitest';
import { Commands, CommandTag, McubootStatusError, MemoryId, PropertyTag, decodeReservedRegions, formatVersion } from '../../src/protocol/mcuboot/index.js';
import { hidRig, pattern, uartRig } from './helpers.js';

const FCF_UNSECURE = Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff);

describe('MCUboot session against the simulated MK64FN1M0 over UART', () => {
  it('pings, reads properties and the memory map', async () => {
    const { session } = uartRig();
    expect(await session.ping()).toMatchObject({ name: 'P', major: 1 });
    expect(formatVersion((await session.getProperty(PropertyTag.CurrentVersion))[0]!)).toBe('K3.0.0');
    expect(await session.getProperty(PropertyTag.FlashSize)).toEqual([0x100000]);
    expect(await session.getProperty(PropertyTag.FlashSectorSize)).toEqual([4096]);
    expect(await session.getProperty(PropertyTag.RamStartAddress)).toEqual([0x1fff0000]);
    expect(decodeReservedRegions(await session.getProperty(PropertyTag.ReservedRegions))).toEqual([{ start: 0x1fff0000, end: 0x1fff1fff }]);
    expect(await session.negotiatePacketSize()).toBe(32);
    await expect(session.getProperty(0x55)).rejects.toMatchObject({ status: 10300 });
  });

  it('erases, writes and reads back flash in 32-byte packets; writing twice gives 10203', async () => {
    const { session, target } = uartRig();
    const data = pattern(5000);
    await session.flashEraseRegion(0x8000, 0x2000);
    await session.writeMemory(0x8000, data);
    expect(target.memory.read(0x8000, 5000)).toEqual(data);
    expect(await session.readMemory(0x8000, 5000)).toEqual(data);
    const err = await session.writeMemory(0x8000, pattern(64, 9)).catch((e) => e);
    expect(err).toBeInstanceOf(McubootStatusError);
    expect(err.status).toBe(10203);
    expect(err.message).toMatch(/WriteMemory at 0x00008000 failed with status 10203/);
    expect(target.memory.read(0x8000, 5000)).toEqual(data);
  });

  it('reports a bad erase alignment and an unmapped range with their codes', async () => {
    const { session } = uartRig();
    await expect(session.flashEraseRegion(0x8010, 0x1000)).rejects.toMatchObject({ status: 101 });
    await expect(session.readMemory(0x30000000, 16)).rejects.toMatchObject({ status: 10200 });
    await expect(session.writeMemory(0x1fff0100, new Uint8Array(8))).rejects.toMatchObject({ status: 10200, context: { address: 0x1fff0100 } });
  });

  it('FSEC secure → 10001 for protected commands; FlashEraseAllUnsecure restores FSEC 0xFE', async () => {
    const { session, target, sim } = uartRig();
    const fcf = FCF_UNSECURE.slice();
    fcf[12] = 0xff; // erased FSEC: secure, mass erase allowed
    target.memory.eraseSector(0);
    target.memory.program(0x400, fcf);
    target.memory.program(0x10000, pattern(16));
    sim.powerCycle();
    await session.ping();
    expect(await session.getProperty(PropertyTag.FlashSecurityState)).toEqual([1]);
    const err = await session.readMemory(0x10000, 16).catch((e) => e);
    expect(err.status).toBe(10001);
    expect(err.hint).toMatch(/--unsecure/);
    await session.flashEraseAllUnsecure();
    expect(await session.getProperty(PropertyTag.FlashSecurityState)).toEqual([0]);
    expect(target.memory.read(0x40c, 1)[0]).toBe(0xfe);
    expect(target.memory.read(0x10000, 16).every((b) => b === 0xff)).toBe(true);
  });

  it('backdoor key unlocks until reset; a wrong key fails and blocks further tries', async () => {
    const { session, target, sim } = uartRig();
    const fcf = FCF_UNSECURE.slice();
    fcf[12] = 0x83; // KEYEN=10, SEC=11 (secure, backdoor enabled)
    target.memory.eraseSector(0);
    target.memory.program(0x400, fcf);
    sim.powerCycle();
    await session.ping();
    await expect(session.flashSecurityDisable(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9))).rejects.toMatchObject({ status: 103 });
    await expect(session.flashSecurityDisable(fcf.subarray(0, 8))).rejects.toMatchObject({ status: 103 });
    sim.powerCycle();
    await session.ping();
    await session.flashSecurityDisable(fcf.subarray(0, 8));
    expect(await session.readMemory(0x400, 16)).toEqual(fcf);
  });

  it('MEEN = 10 makes FlashEraseAllUnsecure fail without erasing', async () => {
    const { session, target, sim } = uartRig();
    const fcf = FCF_UNSECURE.slice();
    fcf[12] = 0x23; // MEEN=10 (mass erase disabled), SEC=11
    target.memory.eraseSector(0);
    target.memory.program(0x400, fcf);
    sim.powerCycle();
    await session.ping();
    await expect(session.flashEraseAllUnsecure()).rejects.toMatchObject({ status: 103 });
    expect(target.memory.read(0x400, 16)).toEqual(fcf);
  });

  it('fill, program-once, read-once, read-resource, call, SB file, set property', async () => {
    const { session, target } = uartRig();
    await session.fillMemory(0x20000000, 8, 0xc0000007);
    expect([...target.memory.read(0x20000000, 8)]).toEqual([7, 0, 0, 0xc0, 7, 0, 0, 0xc0]);
    await session.flashProgramOnce(2, pattern(8));
    expect(await session.flashReadOnce(2, 8)).toEqual(pattern(8));
    await expect(session.flashProgramOnce(2, pattern(8))).rejects.toMatchObject({ status: 103 });
    expect(new TextDecoder().decode(await session.flashReadResource(0, 8, 1))).toBe('FWSIM\x00\x01\x00');
    await session.call(0x20000001, 5);
    expect(target.jumps).toEqual([{ command: 'Call', address: 0x20000001, argument: 5 }]);
    const sb = pattern(100);
    await expect(session.receiveSbFile(sb)).rejects.toMatchObject({ status: 10101 });
    sb.set(new TextEncoder().encode('STMP'), 0x14);
    await session.receiveSbFile(sb);
    expect(target.sbFiles).toHaveLength(1);
    await session.setProperty(PropertyTag.VerifyWrites, 0);
    expect(await session.getProperty(PropertyTag.VerifyWrites)).toEqual([0]);
    await expect(session.setProperty(PropertyTag.FlashSize, 1)).rejects.toMatchObject({ status: 10301 });
  });

  it('reset makes the device wait for a ping: erase times out clearly, a read resyncs and retries', async () => {
    const { session, sim } = uartRig();
    await session.reset();
    const err = await session.flashEraseRegion(0, 0x1000).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_LINK');
    expect(err.message).toMatch(/No ACK from the device for the FlashEraseRegion command/);
    expect(session.stats.retries).toBe(0);
    expect(await session.getProperty(PropertyTag.FlashSize)).toEqual([0x100000]);
    expect(session.stats.retries).toBe(1);
    expect(sim.counters.resets).toBe(1);
  });

  it('host abort of a write sends a zero-length packet and the device reports 10002', async () => {
    const { session, target } = uartRig();
    await session.flashEraseRegion(0, 0x1000);
    const ac = new AbortController();
    const p = session.writeMemory(0x800, pattern(1024), 0, { signal: ac.signal, onProgress: (n) => { if (n >= 256) ac.abort(); } });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(target.memory.read(0x800 + 512, 256).every((b) => b === 0xff)).toBe(true);
    expect(await session.getProperty(PropertyTag.LastError)).toEqual([10002]);
  });

  it('host abort of a read answers ACK_ABORT and stays in step', async () => {
    const { session } = uartRig();
    const ac = new AbortController();
    const p = session.readMemory(0, 4096, 0, { signal: ac.signal, onProgress: (n) => { if (n >= 64) ac.abort(); } });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await session.getProperty(PropertyTag.FlashSize)).toEqual([0x100000]);
  });
});

describe('i.MX RT1021 flashloader: FlexSPI NOR', () => {
  it('answers 10205 until ConfigureMemory with a valid option, then acts as an 8 MiB IS25LP064A', async () => {
    const { session, target } = uartRig('MIMXRT1021');
    await expect(session.readMemory(0x60000000, 16, MemoryId.FlexSpiNor)).rejects.toMatchObject({ status: 10205 });
    await expect(session.getProperty(PropertyTag.ExternalMemoryAttributes, 9)).rejects.toMatchObject({ status: 10205 });
    await session.fillMemory(0x2000, 4, 0x40000007);
    await expect(session.configureMemory(9, 0x2000)).rejects.toMatchObject({ status: 4 });
    await session.fillMemory(0x2000, 4, 0xc0300007); // HyperFlash 3V: no SFDP answer from a QSPI part
    await expect(session.configureMemory(9, 0x2000)).rejects.toMatchObject({ status: 20107 });
    await session.fillMemory(0x2000, 4, 0xc0000007);
    await session.configureMemory(9, 0x2000);
    const attrs = await session.getProperty(PropertyTag.ExternalMemoryAttributes, 9);
    expect(attrs).toEqual([0x1f, 0x60000000, 8192, 256, 4096, 65536]);
    expect(await session.negotiatePacketSize()).toBe(512);
    const data = pattern(10000);
    await session.flashEraseRegion(0x60001000, 0x3000, 9);
    await session.writeMemory(0x60001000, data, 9);
    expect(await session.readMemory(0x60001000, 10000, 9)).toEqual(data);
    expect(target.memory.read(0x60001000, 10000)).toEqual(data);
    await expect(session.flashEraseRegion(0x60000100, 0x1000, 9)).rejects.toMatchObject({ status: 10206 });
    await expect(session.writeMemory(0x60001000, pattern(16, 3), 9)).rejects.toMatchObject({ status: 10203 });
  });

  it('a full FCB in RAM also configures FlexSPI; internal-flash properties are unknown', async () => {
    const { session } = uartRig('MIMXRT1021');
    await session.fillMemory(0x2000, 4, 0x42464346);
    await session.configureMemory(9, 0x2000);
    expect((await session.getProperty(PropertyTag.ExternalMemoryAttributes, 9))[1]).toBe(0x60000000);
    await expect(session.getProperty(PropertyTag.FlashSize)).rejects.toMatchObject({ status: 10300 });
    await expect(session.command(Commands.flashEraseAllUnsecure())).rejects.toMatchObject({ status: 10000 });
  });
});

describe('MCUboot over USB-HID (in-process fake PacketDevice)', () => {
  it('runs properties, erase, write and read with 60-byte packets and no ACKs', async () => {
    const { session, sim, target } = hidRig();
    expect(await session.negotiatePacketSize()).toBe(60);
    const data = pattern(3000, 5);
    await session.flashEraseRegion(0x4000, 0x1000);
    await session.writeMemory(0x4000, data);
    expect(await session.readMemory(0x4000, 3000)).toEqual(data);
    expect(target.memory.read(0x4000, 3000)).toEqual(data);
    expect(sim.counters.reportsIn).toBeGreaterThan(3000 / 60);
    expect(await session.ping()).toBeUndefined();
  });

  it('a device error during the data phase ends the write with its status', async () => {
    const { session } = hidRig();
    await session.flashEraseRegion(0x4000, 0x1000);
    await session.writeMemory(0x4000, pattern(64));
    const err = await session.writeMemory(0x4000, pattern(600, 2)).catch((e) => e);
    expect(err).toBeInstanceOf(McubootStatusError);
    expect(err.status).toBe(10203);
    expect(err.command).toBe('WriteMemory');
  });

  it('unknown command tags are refused with 10000', async () => {
    const { session } = hidRig();
    await expect(session.command({ tag: 0x3f, params: [] })).rejects.toMatchObject({ status: 10000 });
    expect(CommandTag.ReliableUpdate).toBe(0x12);
  });
});

describe('seed 003: cumulative write right after an erase (stale flash cache) on an MKV58', () => {
  it('10203 after a good erase names the cache; a reset cures it', async () => {
    const { session, target, sim } = uartRig('MKV58F1M0');
    const app = pattern(3000, 12);
    await session.flashEraseRegion(0x10008000, 0x2000);
    await session.writeMemory(0x10008000, app);
    target.staleCache.enabled = true;
    await session.flashEraseRegion(0x10008000, 0x2000);
    expect(target.memory.read(0x10008000, 0x2000).every((b) => b === 0xff)).toBe(true);
    const err = await session.writeMemory(0x10008000, app).catch((e) => e);
    expect(err.status).toBe(10203);
    expect(err.hint).toMatch(/stale data \(flash cache \/ prefetch not invalidated after erase\)/);
    sim.powerCycle();
    await session.ping();
    await session.writeMemory(0x10008000, app);
    expect(target.memory.read(0x10008000, 3000)).toEqual(app);
  });
});
