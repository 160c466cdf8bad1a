/**
 * The simulated MCUboot device as a USB-HID function: an in-process PacketDevice for the
 * host (what node-hid would give), reports 1/2 in, 3/4 out, no ACKs. Counts reports and
 * bytes for the virtual-time model (USB full-speed interrupt endpoints: one report per 1 ms frame).
 */
import type { PacketDevice } from '../../link/types.js';
import { encodeHidReport, HidReportId, parseHidReport } from '../../protocol/mcuboot/hid.js';
import { SimHidDevice } from '../hid-device.js';
import { SimDeviceReset, type McubootSimTarget, type SimOutgoing } from './target.js';

export class McubootHidSim {
  readonly counters = { reportsIn: 0, reportsOut: 0, bytesIn: 0, bytesOut: 0, resets: 0 };
  private readonly device: SimHidDevice;

  constructor(readonly target: McubootSimTarget, readonly reportSize = 64) {
    this.device = new SimHidDevice(reportSize, (r) => this.fromHost(r));
  }

  /** Give this to HidTransport. */
  get host(): PacketDevice {
    return this.device.host;
  }

  /** The device disappears from the bus (reset, cable pulled). */
  unplug(): void {
    this.device.unplug();
  }

  private fromHost(report: Uint8Array): void {
    this.counters.reportsIn++;
    this.counters.bytesIn += report.length;
    const { reportId, packet } = parseHidReport(report);
    if (reportId === HidReportId.CommandOut) this.send(this.target.handleCommand(packet));
    else if (reportId === HidReportId.DataOut) {
      try {
        this.send(this.target.handleData(packet).out);
      } catch (e) {
        if (!(e instanceof SimDeviceReset)) throw e;
        this.counters.resets++;
        this.target.reset();
        this.unplug();
      }
    }
    if (this.target.leftBootloader) {
      // After the response reports are delivered, the device leaves the bus.
      queueMicrotask(() => { this.target.reset(); this.unplug(); });
    }
  }

  private send(items: SimOutgoing[]): void {
    for (const item of items) {
      const report = encodeHidReport(item.kind === 'command' ? HidReportId.CommandIn : HidReportId.DataIn, item.payload, this.reportSize);
      this.counters.reportsOut++;
      this.counters.bytesOut += report.length;
      this.device.toHost(report);
    }
  }
}
