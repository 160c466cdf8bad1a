/**
 * The simulated MCUboot device as a USB-HID function: an in-process PacketDevice for the
 * host (what node-hid would give), reports 1/2 in, 3/4 out, no ACKs. Counts reports and
 * bytes for the virtual-time model (USB full-speed interrupt endpoints: one report per 1 ms frame).
 */
import type { PacketDevice } from '../../link/types.js';
import { encodeHidReport, HidReportId, parseHidReport } from '../../protocol/mcuboot/hid.js';
import { SimDeviceReset, type McubootSimTarget, type SimOutgoing } from './target.js';

export class McubootHidSim {
  readonly counters = { reportsIn: 0, reportsOut: 0, bytesIn: 0, bytesOut: 0, resets: 0 };
  /** Give this to HidTransport. */
  readonly host: PacketDevice;
  private hostListener?: (packet: Uint8Array) => void;
  private closeListener?: (error?: Error) => void;
  private gone = false;

  constructor(readonly target: McubootSimTarget, readonly reportSize = 64) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const sim = this;
    this.host = {
      maxPacketSize: reportSize,
      async write(packet: Uint8Array) {
        if (sim.gone) throw new Error('HID device closed');
        const copy = packet.slice();
        queueMicrotask(() => sim.fromHost(copy));
      },
      onPacket(listener) { sim.hostListener = listener; },
      onClose(listener) { sim.closeListener = listener; },
      async close() { sim.gone = true; },
    };
  }

  /** The device disappears from the bus (reset, cable pulled). */
  unplug(): void {
    this.gone = true;
    this.closeListener?.(new Error('device disconnected'));
  }

  private fromHost(report: Uint8Array): void {
    if (this.gone) return;
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
      queueMicrotask(() => { if (!this.gone) this.hostListener?.(report); });
    }
  }
}
