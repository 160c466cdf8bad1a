/**
 * The links to a probe: the CMSIS-DAP TCP framing (byte-exact header, reassembly across
 * chunks, a peer that is not a DAP server), v1 HID reports (report ID 0, padded to the
 * report size learnt from DAP_Info), v2 bulk through the WebUSB API (interface named
 * "CMSIS-DAP", its bulk endpoints), and --probe selection and its messages.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { DapTcpDecoder, dapOverStream, encodeDapTcpFrame } from '../../src/link/dap-tcp.js';
import { dapOverHid } from '../../src/link/dap-hid.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { findDapBulkInterface, openDapBulk, type WebUsbDevice } from '../../src/link/webusb-dap.js';
import { openFailure, udevRule, type DapProbeEntry, type DapProbeListing } from '../../src/link/node-usb.js';
import type { PacketDevice } from '../../src/link/types.js';
import { DapSession } from '../../src/protocol/cmsis-dap/session.js';
import { chooseProbe, parseProbeSpec } from '../../src/cli/probe-select.js';
import { FakeProbe } from './fake-probe.js';

describe('CMSIS-DAP TCP framing', () => {
  it('prefixes {u32 0x00504144, u16 length, u8 type, u8 0}, little-endian', () => {
    expect(Array.from(encodeDapTcpFrame(Uint8Array.of(0x00, 0xff), 1))).toEqual([0x44, 0x41, 0x50, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0xff]);
  });

  it('reassembles frames split and joined across chunks, and rejects a peer that is not a DAP server', () => {
    const d = new DapTcpDecoder(2);
    const f1 = encodeDapTcpFrame(Uint8Array.of(1, 2, 3), 2);
    const f2 = encodeDapTcpFrame(Uint8Array.of(4), 2);
    const all = new Uint8Array([...f1, ...f2]);
    expect(d.push(all.subarray(0, 5))).toEqual([]);
    expect(d.push(all.subarray(5, 12))).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(d.push(all.subarray(12))).toEqual([Uint8Array.of(4)]);
    expect(() => new DapTcpDecoder(2).push(new TextEncoder().encode('$OK#9a....'))).toThrow(/not the "DAP\\0" signature/);
    expect(() => new DapTcpDecoder(2).push(encodeDapTcpFrame(Uint8Array.of(0), 1))).toThrow(/type 1, expected 2/);
  });

  it('a session reaches a probe served over a real TCP socket in this framing', async () => {
    const probe = new FakeProbe();
    const server = createServer((sock) => {
      const dec = new DapTcpDecoder(1);
      probe.onPacket((p) => sock.write(encodeDapTcpFrame(p, 2)));
      sock.on('data', (c) => { for (const f of dec.push(new Uint8Array(c))) void probe.write(f); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const s = new DapSession(dapOverStream(await openTcp({ host: '127.0.0.1', port })));
      expect(await s.readInfo()).toMatchObject({ product: 'Fake CMSIS-DAP', packetSize: 64 });
      await s.close();
    } finally {
      server.close();
    }
  });
});

describe('CMSIS-DAP v1 over HID', () => {
  it('sends report ID 0 and the command padded to the report size, which DAP_Info can raise', async () => {
    const writes: Uint8Array[] = [];
    const raw: PacketDevice = { maxPacketSize: 65, write: async (p) => { writes.push(p); }, onPacket: () => {}, onClose: () => {}, close: async () => {} };
    const hid = dapOverHid(raw, 64);
    await hid.write(Uint8Array.of(0x00, 0xff));
    expect(writes[0]!.length).toBe(65);
    expect(Array.from(writes[0]!.subarray(0, 4))).toEqual([0x00, 0x00, 0xff, 0x00]);
    hid.adoptPacketSize(512);
    await hid.write(Uint8Array.of(0x02, 0x01));
    expect(writes[1]!.length).toBe(513);
    expect(hid.maxPacketSize).toBe(512);
  });
});

describe('CMSIS-DAP v2 over USB bulk (WebUSB API)', () => {
  function fakeUsb(probe: FakeProbe, name = 'CMSIS-DAP v2') {
    const pending: Uint8Array[] = [];
    const waiters: Array<(d: Uint8Array) => void> = [];
    probe.onPacket((p) => { const w = waiters.shift(); if (w) w(p); else pending.push(p); });
    const log: string[] = [];
    const device: WebUsbDevice = {
      vendorId: 0x0d28, productId: 0x0204, serialNumber: 'S1', productName: 'DAPLink',
      configuration: { interfaces: [
        { interfaceNumber: 0, alternate: { interfaceClass: 8, interfaceName: 'USB MSC', endpoints: [{ endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 64 }, { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 64 }] } },
        { interfaceNumber: 3, alternate: { interfaceClass: 0xff, interfaceName: name, endpoints: [{ endpointNumber: 4, direction: 'out', type: 'bulk', packetSize: 64 }, { endpointNumber: 5, direction: 'in', type: 'bulk', packetSize: 64 }, { endpointNumber: 6, direction: 'in', type: 'bulk', packetSize: 64 }] } },
      ] },
      open: async () => { log.push('open'); }, close: async () => { log.push('close'); }, selectConfiguration: async () => {},
      claimInterface: async (n) => { log.push(`claim ${n}`); }, releaseInterface: async (n) => { log.push(`release ${n}`); },
      transferOut: async (ep, data) => { log.push(`out ${ep}`); await probe.write(data); return { status: 'ok' }; },
      transferIn: (ep) => new Promise((r) => {
        const give = (d: Uint8Array) => r({ status: 'ok', data: new DataView(d.buffer, d.byteOffset, d.byteLength) });
        const p = pending.shift();
        if (ep !== 5) throw new Error(`read from endpoint ${ep}`);
        if (p) give(p); else waiters.push(give);
      }),
    };
    return { device, log };
  }

  it('finds the interface whose string contains "CMSIS-DAP" and its bulk OUT/IN endpoints (SWO endpoint ignored)', async () => {
    const { device, log } = fakeUsb(new FakeProbe());
    const found = findDapBulkInterface(device)!;
    expect(found).toMatchObject({ interfaceNumber: 3, out: 4, in: 5 });
    const s = new DapSession(await openDapBulk(device, found));
    expect(await s.readInfo()).toMatchObject({ product: 'Fake CMSIS-DAP' });
    await s.close();
    expect(log.slice(0, 2)).toEqual(['open', 'claim 3']);
    expect(log).toContain('release 3');
    expect(findDapBulkInterface(fakeUsb(new FakeProbe(), 'Vendor debug').device)).toBeUndefined();
  });
});

describe('--probe selection', () => {
  const entry = (vid: number, pid: number, serial: string, version: 'v1' | 'v2' = 'v2'): DapProbeEntry => ({ vid, pid, serial, product: 'MCU-LINK CMSIS-DAP', version, open: async () => { throw new Error('not here'); } });
  const listing = (probes: DapProbeEntry[], noUsb = false): DapProbeListing => ({ probes, noUsb, problems: [] });

  it('parses VID:PID[:SERIAL], SERIAL and tcp:HOST[:PORT] (default port 4441)', () => {
    expect(parseProbeSpec('1fc9:0143')).toEqual({ kind: 'usb', vid: 0x1fc9, pid: 0x143 });
    expect(parseProbeSpec('0x1FC9:0x0143:ABC123')).toEqual({ kind: 'usb', vid: 0x1fc9, pid: 0x143, serial: 'ABC123' });
    expect(parseProbeSpec('ABC123')).toEqual({ kind: 'serial', serial: 'ABC123' });
    expect(parseProbeSpec('tcp:localhost')).toEqual({ kind: 'tcp', host: 'localhost', port: 4441 });
    expect(parseProbeSpec('tcp:10.0.0.2:5555')).toEqual({ kind: 'tcp', host: '10.0.0.2', port: 5555 });
    expect(parseProbeSpec('tcp:[::1]:4441')).toEqual({ kind: 'tcp', host: '::1', port: 4441 });
    expect(() => parseProbeSpec('tcp:host:99999')).toThrow(/out of range/);
    expect(() => parseProbeSpec('tcp:')).toThrow(/tcp:HOST/);
  });

  it('uses the one probe without asking, lists several as a usage error, and says "no USB here" plainly', () => {
    const a = entry(0x1fc9, 0x143, 'A');
    const b = entry(0x0d28, 0x204, 'B', 'v1');
    expect(chooseProbe(undefined, listing([a]))).toBe(a);
    expect(() => chooseProbe(undefined, listing([a, b]))).toThrow(/2 CMSIS-DAP probes match; choose one with --probe:\n {2}1FC9:0143:A {2}MCU-LINK CMSIS-DAP {2}\(CMSIS-DAP v2\)\n {2}0D28:0204:B/);
    expect(chooseProbe({ kind: 'serial', serial: 'B' }, listing([a, b]))).toBe(b);
    expect(chooseProbe({ kind: 'usb', vid: 0x1fc9, pid: 0x143 }, listing([a, b]))).toBe(a);
    expect(() => chooseProbe({ kind: 'serial', serial: 'C' }, listing([a, b]))).toThrow(/No attached CMSIS-DAP probe matches/);
    expect(() => chooseProbe(undefined, listing([]))).toThrow(/No CMSIS-DAP probe is attached/);
    expect(() => chooseProbe(undefined, listing([], true))).toThrow(/^No USB here/);
  });

  it('a Linux permission failure names the udev rule to add', () => {
    const e = openFailure('the CMSIS-DAP v2 probe 1FC9:0143', 0x1fc9, 'usb', new Error('LIBUSB_ERROR_ACCESS'));
    if (process.platform === 'linux') {
      expect(e.message).toMatch(/Permission denied/);
      expect(e.hint).toContain('SUBSYSTEM=="usb", ATTR{idVendor}=="1fc9"');
      expect(e.hint).toContain('/etc/udev/rules.d/');
    }
    expect(udevRule(0x0d28, 'hidraw')).toBe('KERNEL=="hidraw*", ATTRS{idVendor}=="0d28", MODE="0660", TAG+="uaccess"');
  });
});
