import { describe, expect, it } from 'vitest';
import { verifyImage, writeImage } from '../../src/flash/engine.js';
import { PlanRefusedError } from '../../src/flash/errors.js';
import { findTarget } from '../../src/target/lookup.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { createPipe } from '../../src/link/pipe.js';
import { GdbClient } from '../../src/protocol/gdb-rsp/client.js';
import { GdbCoreAccess, GdbResetError } from '../../src/programmer/gdb-core-access.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';
import { FakeGdbServer, QEMU_LIKE_XML, type FakeServerOptions } from './fake-server.js';

const MAP = '<memory-map><memory type="flash" start="0x8000000" length="0x10000"><property name="blocksize">0x400</property></memory><memory type="ram" start="0x20000000" length="0x5000"/></memory-map>';

function fake(options: FakeServerOptions) {
  const pipe = createPipe();
  const server = new FakeGdbServer(pipe.device, { targetXml: QEMU_LIKE_XML, ...options });
  return { pipe, server };
}

describe('GdbProgrammer over a fake server', () => {
  it('plans with the server\'s sector map and programs with vFlash packets', async () => {
    const { pipe, server } = fake({ memoryMap: MAP, noAck: true });
    // Flash holds zeros: the plan must erase before programming.
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'fake' });
    const device = await p.connect();
    expect(device.details).toMatchObject({ strategy: 'vflash' });
    const flash = device.target.regions.find((r) => r.kind === 'flash')!;
    expect(flash).toMatchObject({ start: 0x8000000, size: 0x10000, sectors: [{ size: 0x400, count: 64 }] });
    const data = Uint8Array.from({ length: 0x900 }, (_, i) => (i * 31) & 0xff);
    const summary = await writeImage(p, device, MemoryImage.fromSegments([{ address: 0x8000400, data }]), { allowUnbootable: true, verify: 'readback' });
    expect(summary.sectorsErased).toBe(3);
    expect(server.flashOps.filter((o) => o.startsWith('erase'))).toEqual(['erase 8000400,400', 'erase 8000800,400', 'erase 8000c00,400']);
    expect(server.flashOps).toContain('done');
    expect(Uint8Array.from({ length: 0x900 }, (_, i) => server.memory.get(0x8000400 + i)!)).toEqual(data);
    await p.close();
  });

  it('uses the server\'s qCRC to skip unchanged sectors and to verify, when it has one', async () => {
    const { pipe, server } = fake({ memoryMap: MAP, noAck: true, qcrc: true });
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'fake' });
    const device = await p.connect();
    expect(p.digest?.name).toBe('CRC-32 by the GDB server (qCRC)');
    const image = MemoryImage.fromSegments([{ address: 0x8000000, data: Uint8Array.from({ length: 0x800 }, (_, i) => (i * 5) & 0xff) }]);
    const first = await writeImage(p, device, image, { allowUnbootable: true });
    expect(first.verify).toBe('digest');
    const reads = server.received.filter((r) => r.startsWith('m')).length;
    const second = await writeImage(p, device, image, { allowUnbootable: true });
    expect(second.sectorsSkipped).toBe(2);
    expect(server.received.filter((r) => r.startsWith('m')).length).toBe(reads); // nothing read back
    expect(server.flashOps.filter((o) => o.startsWith('erase')).length).toBe(2); // only the first write erased
    await p.close();
  });

  it('falls back to plain memory writes when the server publishes no flash (RAM-only)', async () => {
    const { pipe, server } = fake({});
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'fake' });
    const device = await p.connect();
    expect(device.details).toMatchObject({ strategy: 'ram' });
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    await writeImage(p, device, MemoryImage.fromSegments([{ address: 0x20000100, data }]), { allowUnbootable: true });
    expect(server.memory.get(0x20000100 + 299)).toBe(299 & 0xff);
    await expect(p.programFlash(0, new Uint8Array(4))).rejects.toThrow(/without a flash algorithm/);
    await p.close();
  });
});

describe('GdbProgrammer RAM mode refuses flash it cannot program', () => {
  const flashImage = () => MemoryImage.fromSegments([{ address: 0, data: new Uint8Array(0x100).fill(0x42) }]);

  it('without a target or memory map, refuses an image at 0x0 in auto mode and names --target/--algo', async () => {
    const { pipe, server } = fake({});
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'fake' });
    const device = await p.connect();
    const e = await writeImage(p, device, flashImage(), { allowUnbootable: true }).catch((x) => x);
    expect(e).toBeInstanceOf(PlanRefusedError);
    expect(e.code).toBe('PLAN_NOT_CONFIGURED');
    expect(e.message).toContain('0x00000000');
    expect(e.message).toContain('--target NAME --algo FILE');
    expect(e.message).toContain('--gdb-mode ram');
    expect(server.received.filter((r) => r.startsWith('M') || r.startsWith('X'))).toEqual([]);
    await p.close();
  });

  it('writes anywhere with --gdb-mode ram given explicitly', async () => {
    const { pipe, server } = fake({});
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'fake', strategy: 'ram' });
    const device = await p.connect();
    await writeImage(p, device, flashImage(), { allowUnbootable: true });
    expect(server.memory.get(0xff)).toBe(0x42);
    await p.close();
  });

  it('with --target and no algorithm, refuses flash data in the plan, before any erase', async () => {
    const { pipe, server } = fake({});
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'fake', target: findTarget('nrf51822') });
    const device = await p.connect();
    const events: string[] = [];
    const e = await writeImage(p, device, flashImage(), { allowUnbootable: true, onEvent: (ev) => { events.push(ev.type); } }).catch((x) => x);
    expect(e).toBeInstanceOf(PlanRefusedError);
    expect(e.message).toContain('pass --algo FILE.FLM|algo.json');
    expect(events).not.toContain('plan');
    expect(server.received.filter((r) => r.startsWith('M') || r.startsWith('X'))).toEqual([]);
    expect(e.code).toBe('PLAN_NOT_CONFIGURED');
    // Reading and verifying flash still work in RAM mode.
    expect((await p.readMemory(0, 4)).length).toBe(4);
    for (let i = 0; i < 0x100; i++) server.memory.set(i, 0x42);
    expect((await verifyImage(p, device, flashImage(), {})).bytesVerified).toBe(0x100);
    await p.close();
  });
});

describe('GdbCoreAccess reset', () => {
  it('tries `reset halt`, notices "unknown command" output, and uses `system_reset` (QEMU)', async () => {
    const { pipe, server } = fake({ monitor: (c) => (c === 'system_reset' ? { reply: 'OK' } : { output: `unknown command: '${c.split(' ')[0]}'\r\n`, reply: 'OK' }) });
    const client = new GdbClient(pipe.host);
    await client.connect();
    const core = new GdbCoreAccess(client, 'fake');
    await core.reset('halt');
    await core.reset('halt');
    const monitors = server.received.filter((r) => r.startsWith('qRcmd'));
    // The working command is remembered: the second reset sends only system_reset.
    expect(monitors.length).toBe(3);
    await core.close();
  });

  it('gives up with the list of commands tried', async () => {
    const { pipe } = fake({ monitor: () => ({ reply: 'E01' }) });
    const client = new GdbClient(pipe.host);
    await client.connect();
    const e = await new GdbCoreAccess(client, 'fake').reset('run').catch((x) => x);
    expect(e).toBeInstanceOf(GdbResetError);
    expect(e.message).toContain("'monitor reset run', 'monitor system_reset'");
  });
});
