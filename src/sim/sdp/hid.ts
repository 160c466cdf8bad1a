/**
 * The simulated ROM as a USB-HID device (what node-hid would give the host): report 1 command
 * (16 bytes), report 2 data (up to 1024 bytes), report 3 HAB word, report 4 status/data in
 * 64-byte pieces, every report at the size its descriptor declares. After a good JUMP_ADDRESS
 * the ROM's device leaves the bus and the flashloader enumerates as the MCUboot HID device.
 */
import type { PacketDevice } from '../../link/types.js';
import { SimHidDevice } from '../hid-device.js';
import { McubootHidSim } from '../mcuboot/hid.js';
import { ImxrtRomSim, type ImxrtRomOptions, type RomOut } from './rom.js';

export interface SdpHidFaults {
  /** Data reports (report 2, 1-based, counted from when the faults were set) lost on the way. */
  dropDataReports?: number[] | undefined;
}

export class SdpHidSim {
  readonly rom: ImxrtRomSim;
  readonly counters = { reportsIn: 0, reportsOut: 0, dataReports: 0, dropped: 0 };
  /** The flashloader's USB device once the jump happened (the MCUboot HID simulator). */
  flashloader?: McubootHidSim | undefined;
  private dataBase = 0;
  private activeFaults: SdpHidFaults = {};
  private readonly arrivals: Array<(d: PacketDevice) => void> = [];
  private readonly device: SimHidDevice;

  constructor(rom: ImxrtRomSim | ImxrtRomOptions = {}) {
    this.rom = rom instanceof ImxrtRomSim ? rom : new ImxrtRomSim(rom);
    // Report 2 (data) is the largest: 1024 bytes after its ID.
    this.device = new SimHidDevice(1025, (r) => this.fromHost(r));
  }

  /** The ROM's PacketDevice, for the host's SdpHidTransport. */
  get host(): PacketDevice {
    return this.device.host;
  }

  get faults(): SdpHidFaults {
    return this.activeFaults;
  }

  set faults(f: SdpHidFaults) {
    this.activeFaults = f;
    this.dataBase = this.counters.dataReports;
  }

  /** Resolves with the flashloader's PacketDevice when it enumerates (after a good jump). */
  nextDevice(): Promise<PacketDevice> {
    if (this.flashloader) return Promise.resolve(this.flashloader.host);
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  /** Cable pulled / power lost. */
  unplug(): void {
    this.device.unplug();
  }

  private fromHost(report: Uint8Array): void {
    this.counters.reportsIn++;
    const id = report[0];
    if (id === 1) this.send(this.rom.command(report.subarray(1, 17)));
    else if (id === 2) {
      this.counters.dataReports++;
      if (this.activeFaults.dropDataReports?.includes(this.counters.dataReports - this.dataBase)) { this.counters.dropped++; return; }
      this.send(this.rom.data(report.subarray(1, Math.min(report.length, 1025))));
    }
    if (this.rom.flashloader && !this.flashloader) {
      const fl = new McubootHidSim(this.rom.flashloader, 64);
      queueMicrotask(() => {
        this.unplug();
        this.flashloader = fl;
        for (const a of this.arrivals.splice(0)) a(fl.host);
      });
    }
  }

  private send(items: RomOut[]): void {
    for (const item of items) {
      const pieces = item.kind === 'hab' ? [item.bytes] : chunk(item.bytes, 64);
      for (const p of pieces) {
        const report = new Uint8Array(item.kind === 'hab' ? 5 : 65);
        report[0] = item.kind === 'hab' ? 3 : 4;
        report.set(p, 1);
        this.counters.reportsOut++;
        this.device.toHost(report);
      }
    }
  }
}

function chunk(bytes: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += n) out.push(bytes.subarray(o, o + n));
  return out;
}
