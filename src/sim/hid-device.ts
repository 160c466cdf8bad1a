/**
 * The in-process USB-HID device a simulator presents to the host (what node-hid would give):
 * reports from the host arrive on a later microtask, reports to the host are delivered the
 * same way while the device is on the bus, and unplugging (a reset, a pulled cable, leaving
 * for another firmware) closes it for good.
 */
import type { PacketDevice } from '../link/types.js';

export class SimHidDevice {
  /** Give this to the host-side transport. */
  readonly host: PacketDevice;
  private listener?: ((report: Uint8Array) => void) | undefined;
  private closeListener?: ((error?: Error) => void) | undefined;
  private off = false;

  constructor(maxPacketSize: number, fromHost: (report: Uint8Array) => void) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const device = this;
    this.host = {
      maxPacketSize,
      async write(report: Uint8Array) {
        if (device.off) throw new Error('HID device closed');
        const copy = report.slice();
        queueMicrotask(() => { if (!device.off) fromHost(copy); });
      },
      onPacket(l) { device.listener = l; },
      onClose(l) { device.closeListener = l; },
      async close() { device.off = true; },
    };
  }

  /** True once the device left the bus or the host closed it. */
  get gone(): boolean {
    return this.off;
  }

  /** Sends one input report to the host (dropped if the device is gone by then). */
  toHost(report: Uint8Array): void {
    queueMicrotask(() => { if (!this.off) this.listener?.(report); });
  }

  /** The device disappears from the bus (reset, cable pulled). */
  unplug(): void {
    this.off = true;
    this.closeListener?.(new Error('device disconnected'));
  }
}
