/** `--via mcuboot-hid` builds its transport from the device's report descriptor: output reports padded to the declared length. */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const hid = vi.hoisted(() => ({ path: '/dev/hidraw7', writes: [] as number[][], descriptors: new Map<string, Uint8Array>() }));

vi.mock('node-hid', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeHid extends EventEmitter {
    async write(values: number[]) { hid.writes.push(values); return values.length; }
    async close() {}
  }
  return {
    default: {
      devicesAsync: async () => [{ path: hid.path, vendorId: 0x15a2, productId: 0x0073 }],
      HIDAsync: { open: async () => new FakeHid() },
    },
  };
});

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    readFileSync: ((file: string, ...rest: unknown[]) => {
      const d = hid.descriptors.get(String(file));
      if (d) return Buffer.from(d);
      if (String(file).startsWith('/sys/class/hidraw/')) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return (fs.readFileSync as (...a: unknown[]) => unknown)(file, ...rest);
    }) as typeof fs.readFileSync,
  };
});

const { getVia } = await import('../../src/cli/via.js');
await import('../../src/cli/vias/index.js');
const { hidOutputReportLengths } = await import('../../src/link/node-hid.js');
const { HidTransport } = await import('../../src/protocol/mcuboot/hid.js');

/** A vendor-defined HID descriptor as MCUboot uses: report IDs 1/2 out, 3/4 in, 8-bit fields, 34 bytes each. */
const DESCRIPTOR = Uint8Array.from([
  0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01,
  0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08,
  0x85, 0x01, 0x95, 0x22, 0x09, 0x01, 0x91, 0x02,
  0x85, 0x02, 0x95, 0x22, 0x09, 0x01, 0x91, 0x02,
  0x85, 0x03, 0x95, 0x22, 0x09, 0x01, 0x81, 0x02,
  0x85, 0x04, 0x95, 0x22, 0x09, 0x01, 0x81, 0x02,
  0xc0,
]);

const io = { out: () => {}, err: () => {}, isTty: false };

async function transportOf(): Promise<InstanceType<typeof HidTransport>> {
  const prog = await getVia('mcuboot-hid').create({}, { io });
  const t = (prog as unknown as { options: { transport: unknown } }).options.transport;
  expect(t).toBeInstanceOf(HidTransport);
  return t as InstanceType<typeof HidTransport>;
}

beforeEach(() => {
  hid.writes.length = 0;
  hid.descriptors.clear();
  hid.path = '/dev/hidraw7';
});

describe('--via mcuboot-hid transport', () => {
  it('parses output report lengths from a descriptor', () => {
    expect([...hidOutputReportLengths(DESCRIPTOR)]).toEqual([[1, 34], [2, 34]]);
  });

  it('pads every output report to the length the descriptor declares', async () => {
    hid.descriptors.set('/sys/class/hidraw/hidraw7/device/report_descriptor', DESCRIPTOR);
    const t = await transportOf();
    expect(t.maxPayload).toBe(35 - 4);
    await t.sendCommand(Uint8Array.of(0x07, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00));
    expect(hid.writes).toHaveLength(1);
    expect(hid.writes[0]).toHaveLength(35);
    expect(hid.writes[0]!.slice(0, 4)).toEqual([1, 0, 8, 0]);
    expect(hid.writes[0]!.slice(12).every((b) => b === 0)).toBe(true);
  });

  it('without a readable descriptor it sends reports at their natural length', async () => {
    hid.path = 'IOService:/whatever';
    const t = await transportOf();
    await t.sendCommand(Uint8Array.of(0x07, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00));
    expect(hid.writes[0]).toHaveLength(12);
  });
});
