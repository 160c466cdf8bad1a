import { describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/core/errors.js';
import { createPipe } from '../../src/link/pipe.js';
import { GdbClient } from '../../src/protocol/gdb-rsp/client.js';
import { GdbErrorReply, GdbUnsupportedError } from '../../src/protocol/gdb-rsp/errors.js';
import { FakeGdbServer, QEMU_LIKE_XML, runLengthEncode, type FakeServerOptions } from './fake-server.js';

async function setup(options: FakeServerOptions = {}, timeoutMs = 500) {
  const pipe = createPipe();
  const server = new FakeGdbServer(pipe.device, { targetXml: QEMU_LIKE_XML, ...options });
  const console: string[] = [];
  const client = new GdbClient(pipe.host, { timeoutMs, onConsole: (t) => console.push(t) });
  await client.connect();
  return { pipe, server, client, console };
}

describe('GdbClient against a fake server', () => {
  it('negotiates: qSupported, no-ack mode when offered, target description with includes', async () => {
    const { server, client } = await setup({ noAck: true });
    expect(server.received.slice(0, 4)).toEqual([
      'qSupported:multiprocess-;swbreak+;hwbreak+;vContSupported+;xmlRegisters=arm', 'QStartNoAckMode',
      'qXfer:features:read:target.xml:0,e0', 'qXfer:features:read:arm-m-profile.xml:0,e0',
    ]);
    expect(client.connection.noAck).toBe(true);
    expect(client.packetSize).toBe(0x100);
    expect(client.register('xpsr').regnum).toBe(25);
    expect(client.register('sp').regnum).toBe(13);
    // After no-ack mode neither side sends '+': the client's only acks precede QStartNoAckMode's reply.
    const before = server.wire.length;
    await client.readMemory(0, 4);
    expect(server.wire.slice(before)).toEqual(['$m0,4']);
  });

  it('stays in ack mode when the server does not offer no-ack, acking every reply', async () => {
    const { server, client } = await setup({ noAck: false });
    expect(client.connection.noAck).toBe(false);
    const before = server.wire.length;
    await client.readMemory(0, 4);
    await client.readMemory(4, 4);
    // Each reply's ack travels in front of the next packet (the first one acks connect's last reply), or alone a moment later:
    // wait for the last one to arrive rather than for a fixed time.
    await vi.waitFor(() => expect(server.wire.length).toBeGreaterThanOrEqual(before + 5), { timeout: 5000, interval: 1 });
    expect(server.wire.slice(before)).toEqual(['+', '$m0,4', '+', '$m4,4', '+']);
  });

  it('falls back from X to M once when X is unsupported, and keeps using M', async () => {
    const { server, client } = await setup({ binaryWrite: false });
    const data = Uint8Array.from([0x7d, 0x23, 0x24, 0x2a, 1, 2, 3]);
    await client.writeMemory(0x20000000, data);
    await client.writeMemory(0x20000010, data);
    const writes = server.received.filter((p) => /^[XM]/.test(p));
    expect(writes.map((w) => w[0])).toEqual(['X', 'M', 'M']);
    expect(writes[1]).toBe('M20000000,7:7d23242a010203');
    expect(client.memoryWritePacket).toBe('M');
    expect([...(await client.readMemory(0x20000010, 7))]).toEqual([...data]);
  });

  it('writes binary data with escaping through X, split to the packet size', async () => {
    const { server, client } = await setup({});
    const data = Uint8Array.from({ length: 700 }, (_, i) => [0x7d, 0x23, 0x24, 0x2a][i % 4]! ^ (i % 8 < 4 ? 0 : 0x10));
    await client.writeMemory(0x1000, data);
    expect(client.memoryWritePacket).toBe('X');
    expect(server.received.filter((p) => p.startsWith('X')).length).toBeGreaterThan(3);
    for (const p of server.received.filter((x) => x.startsWith('X'))) expect(p.length).toBeLessThanOrEqual(0x100);
    expect([...(await client.readMemory(0x1000, 700))]).toEqual([...data]);
  });

  it('reads run-length encoded replies', async () => {
    const { server, client } = await setup({ rle: true });
    for (let i = 0; i < 50; i++) server.memory.set(0x100 + i, i < 40 ? 0 : 0xab);
    const got = await client.readMemory(0x100, 50);
    expect([...got]).toEqual(Array.from({ length: 50 }, (_, i) => (i < 40 ? 0 : 0xab)));
    expect(runLengthEncode('0'.repeat(80))).toMatch(/^0\*/);
  });

  it('turns Exx into GdbErrorReply with the command and address', async () => {
    const { client } = await setup({ faultAbove: 0x2000 });
    const e = await client.readMemory(0x1ff0, 0x20).catch((x) => x);
    expect(e).toBeInstanceOf(GdbErrorReply);
    expect(e.errno).toBe(0x14);
    expect(e.message).toContain('E14');
    expect(e.message).toContain('m1ff0,20');
    expect(e.hint).toContain('0x00001FF0');
  });

  it('times out with TimeoutError when the server stays silent', async () => {
    const { client } = await setup({ silentFor: ['m'] }, 100);
    const e = await client.readMemory(0x10, 4).catch((x) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toContain('read of 4 bytes at 0x00000010');
  });

  it('sets aside a stop reply nobody asked for (QEMU stopping a running VM on connect)', async () => {
    const { client } = await setup({ greeting: 'T02thread:p01.01;' });
    expect(client.packetSize).toBe(0x100);
    expect(client.unsolicitedStops).toEqual(['T02thread:p01.01;']);
    expect((await client.haltReason()).signal).toBe(5);
  });

  it('retransmits after a NAK', async () => {
    const { server } = await setup({ nakFirst: 1 });
    expect(server.wire.filter((w) => w.startsWith('$qSupported')).length).toBe(2);
    expect(server.received[0]).toMatch(/^qSupported/);
  });

  it('reads and writes registers (p/P, g/G block)', async () => {
    const { server, client } = await setup({});
    await client.writeRegister('r9', 0x20000128);
    expect(server.received.at(-1)).toBe('P9=28010020');
    expect(await client.readRegister('r9')).toBe(0x20000128);
    server.registers[25] = 0x01000003;
    expect((await client.readAllRegisters()).get(25)).toBe(0x01000003);
    expect(await client.writeRegisterBlock(new Map([[0, 1], [15, 0x20000010], [25, 0x01000000]]))).toBe(true);
    expect(server.registers[15]).toBe(0x20000010);
    expect(server.registers[25]).toBe(0x01000000);
    expect(server.registers[9]).toBe(0x20000128);
  });

  it('continues, passes console output on, and parses the stop reply', async () => {
    const { server, client, console } = await setup({ onContinue: { afterMs: 5, reply: 'T05thread:01;0f:10000020;' } });
    await client.breakpoint(true, 0x20000000);
    expect(server.breakpoints.has('20000000')).toBe(true);
    await client.resume();
    const stop = await client.waitForStop({ timeoutMs: 1000 });
    expect(stop.signal).toBe(5);
    expect(stop.registers.get(15)).toBe(0x20000010);
    expect(console.join('')).toBe('running\n');
  });

  it('uses vCont when the server lists the action', async () => {
    const { server, client } = await setup({ features: 'PacketSize=100;qXfer:features:read+;vContSupported+' });
    await client.resume();
    await client.waitForStop({ timeoutMs: 1000 });
    await client.resume(true);
    await client.waitForStop({ timeoutMs: 1000 });
    expect(server.received.filter((p) => p.startsWith('vCont'))).toEqual(['vCont?', 'vCont;c', 'vCont;s']);
  });

  it('interrupts a target that keeps running', async () => {
    const { client } = await setup({ onContinue: 'running' });
    await client.resume();
    const e = await client.waitForStop({ timeoutMs: 50 }).catch((x) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    await expect(client.readMemory(0, 4)).rejects.toThrow(/while the target is running/);
    const stop = await client.interrupt();
    expect(stop.signal).toBe(2);
    expect(client.running).toBe(false);
  });

  it('detaches (D) after interrupting a running target, and kills with k', async () => {
    const { server, client } = await setup({ onContinue: 'running' });
    await client.resume();
    await client.detach();
    expect(server.received.slice(-1)).toEqual(['D']);
    expect(server.wire).toContain('^C');
    const second = await setup({});
    await second.client.kill();
    await vi.waitFor(() => expect(second.server.received.at(-1)).toBe('k'), { timeout: 5000, interval: 1 });
  });

  it('runs monitor commands and collects their output', async () => {
    const { client } = await setup({ monitor: (c) => (c === 'reset halt' ? { output: 'target halted\n', reply: 'OK' } : { reply: 'E01' }) });
    expect(await client.monitor('reset halt')).toBe('target halted\n');
    await expect(client.monitor('bogus')).rejects.toBeInstanceOf(GdbErrorReply);
  });

  it('says which feature is missing and what the server offered', async () => {
    const { client } = await setup({});
    const e = await client.monitor('reset').catch((x) => x);
    expect(e).toBeInstanceOf(GdbUnsupportedError);
    expect(e.message).toContain('monitor commands (qRcmd)');
    expect(e.hint).toContain('PacketSize=100');
    expect(e.hint).toContain('qXfer:features:read');
    expect(await client.memoryMap()).toBeUndefined();
  });

  it('reads the memory map and programs flash with vFlash packets', async () => {
    const map = '<?xml version="1.0"?><memory-map><memory type="flash" start="0x8000000" length="0x10000"><property name="blocksize">0x400</property></memory><memory type="ram" start="0x20000000" length="0x5000"/></memory-map>';
    const { server, client } = await setup({ memoryMap: map });
    expect(await client.memoryMap()).toEqual([
      { type: 'flash', start: 0x8000000, length: 0x10000, blockSize: 0x400 },
      { type: 'ram', start: 0x20000000, length: 0x5000 },
    ]);
    await client.flashErase(0x8000000, 0x800);
    const data = Uint8Array.from({ length: 600 }, (_, i) => (i * 7) & 0xff);
    await client.flashWrite(0x8000000, data);
    await client.flashDone();
    expect(server.flashOps[0]).toBe('erase 8000000,800');
    expect(server.flashOps.at(-1)).toBe('done');
    expect([...(await client.readMemory(0x8000000, 600))]).toEqual([...data]);
    expect(server.memory.get(0x8000000 + 700)).toBe(0xff);
  });
});
