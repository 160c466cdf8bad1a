/**
 * DapSession over a scripted PacketDevice: pipelining up to the probe's packet count, the
 * one-in-flight mode, packet splitting by size, and the ways a link goes wrong (a response
 * for another command, no response, the probe unplugged, a cancelled request).
 */
import { describe, expect, it } from 'vitest';
import { CancelledError, TimeoutError } from '../../src/core/errors.js';
import type { PacketDevice } from '../../src/link/types.js';
import { DapSession, DapLinkError } from '../../src/protocol/cmsis-dap/session.js';
import { DapResponseError } from '../../src/protocol/cmsis-dap/errors.js';
import { FakeProbe } from './fake-probe.js';

/** A device that records writes and lets the test answer them by hand. */
class Scripted implements PacketDevice {
  readonly maxPacketSize = 64;
  readonly writes: Uint8Array[] = [];
  listener?: (p: Uint8Array) => void;
  closeListener?: (e?: Error) => void;
  async write(p: Uint8Array) { this.writes.push(p); }
  onPacket(l: (p: Uint8Array) => void) { this.listener = l; }
  onClose(l: (e?: Error) => void) { this.closeListener = l; }
  async close() {}
  answer(...bytes: number[]) { this.listener!(Uint8Array.from(bytes)); }
}
const tick = () => new Promise((r) => setImmediate(r));

describe('DapSession', () => {
  it('reads DAP_Info and keeps up to packet count requests in flight without waiting for answers', async () => {
    const probe = new FakeProbe({ packetCount: 4, claimAtomic: true });
    const s = new DapSession(probe);
    const info = await s.readInfo();
    expect(info).toMatchObject({ vendor: 'Fake', product: 'Fake CMSIS-DAP', serial: 'FAKE0001', firmwareVersion: '1.0', packetCount: 4, packetSize: 64 });
    expect(info.capabilities).toMatchObject({ swd: true, atomicCommands: true });
    probe.maxQueued = 0;
    await Promise.all(Array.from({ length: 10 }, () => s.delay(1)));
    expect(probe.maxQueued).toBe(4);
    expect(s.stats.maxInFlight).toBe(4);
  });

  it('keeps one request in flight in one-in-flight mode', async () => {
    const probe = new FakeProbe({ packetCount: 4 });
    const s = new DapSession(probe, { maxInFlight: 1 });
    await s.readInfo();
    probe.maxQueued = 0;
    await Promise.all(Array.from({ length: 10 }, () => s.delay(1)));
    expect(probe.maxQueued).toBe(1);
  });

  it('splits transfers so both request and response fit the packet size', async () => {
    const s = new DapSession(new FakeProbe());
    const reads = Array.from({ length: 40 }, () => ({ ap: false, read: true, register: 0x4 }));
    const writes = Array.from({ length: 40 }, () => ({ ap: false, read: false, register: 0x8, value: 0 }));
    expect(s.splitTransfers(reads).map((p) => p.length)).toEqual([15, 15, 10]); // 3 + 4n ≤ 64
    expect(s.splitTransfers(writes).map((p) => p.length)).toEqual([12, 12, 12, 4]); // 3 + 5n ≤ 64
  });

  it('fails every pending request when the probe answers for another command (out of step)', async () => {
    const d = new Scripted();
    const s = new DapSession(d);
    const a = s.delay(1);
    const b = s.delay(2);
    await tick();
    d.answer(0x04, 0x00);
    await expect(a).rejects.toThrow(DapResponseError);
    await expect(b).rejects.toThrow(/answered DAP_TransferConfigure to DAP_Delay/);
    await expect(s.delay(3)).rejects.toThrow(DapResponseError);
  });

  it('times out when the probe does not answer, and reports an unplugged probe', async () => {
    const d = new Scripted();
    const s = new DapSession(d, { timeoutMs: 20 });
    await expect(s.delay(1)).rejects.toThrow(TimeoutError);
    const d2 = new Scripted();
    const s2 = new DapSession(d2);
    const p = s2.delay(1);
    await tick();
    d2.closeListener!(new Error('device disconnected'));
    await expect(p).rejects.toThrow(DapLinkError);
    await expect(p).rejects.toThrow(/device disconnected/);
  });

  it('a cancelled request rejects at once and its late answer is dropped, keeping the order', async () => {
    const d = new Scripted();
    const s = new DapSession(d);
    const ac = new AbortController();
    const a = s.delay(1, ac.signal);
    const b = s.delay(2);
    await tick();
    ac.abort();
    await expect(a).rejects.toThrow(CancelledError);
    d.answer(0x09, 0x00); // a's answer, dropped
    await tick();
    d.answer(0x09, 0x00);
    await expect(b).resolves.toBeUndefined();
  });

  it('refuses a request larger than the packet size', async () => {
    const s = new DapSession(new FakeProbe());
    await expect(s.request(new Uint8Array(65))).rejects.toThrow(RangeError);
  });
});
