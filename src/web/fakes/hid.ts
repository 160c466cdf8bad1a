/**
 * A fake `navigator.hid` whose devices are simulators' HID functions in the page, with the
 * real API's rules (WebHID, WICG): requestDevice() needs filters and resolves to the chosen
 * devices (an empty list when the user cancels), sendReport() only while open and with the
 * declared report length (what Windows' HID stack insists on; stricter than Linux), input
 * reports as 'inputreport' events with a DataView, 'disconnect' on navigator.hid when unplugged.
 */
import type { PacketDevice } from '../../link/types.js';
import type { WebHidCollection, WebHidDevice } from '../../link/web-hid.js';

function domError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export interface FakeHidSpec {
  vendorId: number;
  productId: number;
  productName: string;
  /** The simulator's host-side PacketDevice (report ID first). */
  host: PacketDevice;
  /** Report IDs out and in; each report is host.maxPacketSize long, ID included. */
  outputReportIds: number[];
  inputReportIds: number[];
  /** Milliseconds per report (USB full-speed interrupt endpoints: one per 1 ms frame); 0 = none. */
  msPerReport?: number;
}

export class FakeHidDevice extends EventTarget implements WebHidDevice {
  opened = false;
  lost = false;
  readonly collections: WebHidCollection[];
  reportsOut = 0;

  constructor(readonly spec: FakeHidSpec, private readonly owner: FakeHid) {
    super();
    const bytes = spec.host.maxPacketSize - 1;
    const item = { reportSize: 8, reportCount: bytes };
    this.collections = [{ usagePage: 0xff00, usage: 1, outputReports: spec.outputReportIds.map((reportId) => ({ reportId, items: [item] })), inputReports: spec.inputReportIds.map((reportId) => ({ reportId, items: [item] })) }];
    spec.host.onPacket((p) => {
      if (!this.opened || this.lost) return;
      const ev = Object.assign(new Event('inputreport'), { device: this, reportId: p[0]!, data: new DataView(p.slice(1).buffer) });
      this.dispatchEvent(ev);
    });
  }

  get vendorId(): number { return this.spec.vendorId; }
  get productId(): number { return this.spec.productId; }
  get productName(): string { return this.spec.productName; }

  async open(): Promise<void> {
    if (this.lost) throw domError('NotFoundError', 'The device was disconnected.');
    if (this.opened) throw domError('InvalidStateError', 'The device is already open.');
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  async sendReport(reportId: number, data: Uint8Array): Promise<void> {
    if (this.lost) throw domError('NotFoundError', 'The device was disconnected.');
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    if (!this.spec.outputReportIds.includes(reportId)) throw domError('NotAllowedError', `No output report ${reportId}.`);
    if (data.length !== this.spec.host.maxPacketSize - 1) throw domError('NotAllowedError', `Report ${reportId} is ${this.spec.host.maxPacketSize - 1} bytes; ${data.length} given.`);
    const ms = this.spec.msPerReport ?? 1;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    if (this.lost) throw domError('NotFoundError', 'The device was disconnected.');
    this.reportsOut++;
    const packet = new Uint8Array(1 + data.length);
    packet[0] = reportId;
    packet.set(data, 1);
    await this.spec.host.write(packet);
  }

  unplug(): void {
    if (this.lost) return;
    this.lost = true;
    this.opened = false;
    this.owner.dispatchEvent(Object.assign(new Event('disconnect'), { device: this }));
  }
}

export class FakeHid extends EventTarget {
  readonly devices: FakeHidDevice[] = [];
  private granted = new Set<FakeHidDevice>();
  choose: (devices: readonly FakeHidDevice[]) => FakeHidDevice | undefined = (d) => d[0];

  plug(spec: FakeHidSpec): FakeHidDevice {
    const d = new FakeHidDevice(spec, this);
    this.devices.push(d);
    return d;
  }

  async requestDevice(options: { filters: Array<{ vendorId?: number; productId?: number; usagePage?: number; usage?: number }> }): Promise<FakeHidDevice[]> {
    if (!options || !Array.isArray(options.filters)) throw new TypeError("requestDevice needs a 'filters' list.");
    const matching = this.devices.filter((d) => !d.lost && (options.filters.length === 0 || options.filters.some((f) =>
      (f.vendorId === undefined || f.vendorId === d.vendorId) && (f.productId === undefined || f.productId === d.productId)
      // usagePage/usage match any top-level collection of the device.
      && (f.usagePage === undefined || d.collections.some((c) => c.usagePage === f.usagePage && (f.usage === undefined || c.usage === f.usage))))));
    const picked = this.choose(matching);
    if (!picked) return [];
    this.granted.add(picked);
    return [picked];
  }

  async getDevices(): Promise<FakeHidDevice[]> {
    return this.devices.filter((d) => this.granted.has(d) && !d.lost);
  }
}
