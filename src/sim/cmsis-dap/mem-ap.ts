/**
 * A MEM-AP (Arm ADIv5.2 IHI0031 C2.6): CSW (Size [2:0], AddrInc [5:4], DeviceEn [6],
 * TrInProg [7]), TAR, DRW, BD0–BD3, CFG, BASE, IDR. Byte and halfword accesses use the
 * byte lanes of their address (C2.2.6). Auto-increment changes only the low bits of TAR,
 * so an increment past the block boundary wraps inside the block (C2.2.2: the size is
 * implementation defined, at least 1 KiB): 1 KiB on Cortex-M0's AHB-AP, 4 KiB on
 * Cortex-M3/M4's (their TRMs; OpenOCD relies on the 4 KiB there).
 * Packed transfers (AddrInc 0b10) are offered only where the profile says so; elsewhere
 * the field reads back 0b00, which is how a host detects the missing feature.
 */
import { MEMAP } from './constants.js';
import { ApBusError, type AccessPort } from './dp.js';

export type AccessSize = 1 | 2 | 4;

/** The system bus behind the AP; a bus error is an ApBusError (thrown or rejected). */
export interface MemoryBus {
  read(address: number, size: AccessSize): number | Promise<number>;
  write(address: number, size: AccessSize, value: number): void | Promise<void>;
}

export interface MemApOptions {
  idr: number;
  /** ROM table base address (BASE reads it with bits [1:0] = 0b11: present, ADIv5 format). */
  romBase?: number;
  packed?: boolean;
  /** False while the system blocks debug access (a secured Kinetis): DRW/BD accesses fail. */
  deviceEnabled?: (() => boolean) | undefined;
  /** TAR auto-increment block in bytes (default 1 KiB). */
  autoIncrementBlock?: number;
}

const SIZES: Record<number, AccessSize | undefined> = { 0: 1, 1: 2, 2: 4 };

export class MemAp implements AccessPort {
  readonly name = 'MEM-AP';
  private csw = 0x2 | 0x10; // word, single increment (a common reset value is implementation defined)
  private tar = 0;
  private readonly options: MemApOptions;

  constructor(readonly bus: MemoryBus, options: MemApOptions) {
    this.options = options;
  }

  read(offset: number): number | Promise<number> {
    switch (offset) {
      case MEMAP.CSW: return (this.csw | (this.deviceEnabled() ? 0x40 : 0)) >>> 0;
      case MEMAP.TAR: return this.tar >>> 0;
      case MEMAP.DRW: return this.dataRead(this.tar, true);
      case MEMAP.CFG: return 0;
      case MEMAP.BASE: return this.options.romBase === undefined ? 0xffffffff : ((this.options.romBase & ~0xfff) | 0x3) >>> 0;
      case MEMAP.IDR: return this.options.idr >>> 0;
      default:
        if (offset >= MEMAP.BD0 && offset <= MEMAP.BD0 + 0xc) return this.dataRead(((this.tar & ~0xf) | (offset - MEMAP.BD0)) >>> 0, false);
        return 0;
    }
  }

  write(offset: number, value: number): void | Promise<void> {
    switch (offset) {
      case MEMAP.CSW: {
        let v = value & ~0xc0; // DeviceEn and TrInProg are read-only
        if (((v >> 4) & 3) === 2 && !this.options.packed) v &= ~0x30;
        if (((v >> 4) & 3) === 3) v &= ~0x30; // reserved encoding
        this.csw = v >>> 0;
        return;
      }
      case MEMAP.TAR: this.tar = value >>> 0; return;
      case MEMAP.DRW: return this.dataWrite(this.tar, value, true);
      default:
        if (offset >= MEMAP.BD0 && offset <= MEMAP.BD0 + 0xc) return this.dataWrite(((this.tar & ~0xf) | (offset - MEMAP.BD0)) >>> 0, value, false);
    }
  }

  private deviceEnabled(): boolean {
    return this.options.deviceEnabled?.() ?? true;
  }

  private get size(): AccessSize | undefined { return SIZES[this.csw & 7]; }
  private get addrInc(): number { return (this.csw >> 4) & 3; }

  private increment(bytes: number): void {
    const mask = (this.options.autoIncrementBlock ?? 0x400) - 1;
    this.tar = ((this.tar & ~mask) | ((this.tar + bytes) & mask)) >>> 0;
  }

  private check(): AccessSize {
    if (!this.deviceEnabled()) throw new ApBusError('MEM-AP: device access disabled (DeviceEn 0)');
    const size = this.size;
    if (!size) throw new ApBusError(`MEM-AP: CSW.Size ${this.csw & 7} not implemented`);
    return size;
  }

  private dataRead(address: number, inc: boolean): number | Promise<number> {
    const size = this.check();
    if (inc && this.addrInc === 2 && size < 4) {
      // Packed: one DRW access moves a whole word's worth of size-sized accesses.
      const parts: Array<number | Promise<number>> = [];
      for (let i = 0; i < 4; i += size) parts.push(this.bus.read((address + i) >>> 0, size));
      this.increment(4);
      const combine = (vals: number[]) => vals.reduce((acc, v, i) => acc | (((v & (size === 1 ? 0xff : 0xffff)) << (8 * i * size)) >>> 0), 0) >>> 0;
      return parts.some((p) => p instanceof Promise) ? Promise.all(parts).then(combine) : combine(parts as number[]);
    }
    if (address % size !== 0) throw new ApBusError(`MEM-AP: unaligned ${size}-byte access at 0x${address.toString(16)}`);
    const v = this.bus.read(address, size);
    if (inc && this.addrInc !== 0) this.increment(size);
    const lane = (x: number) => (size === 4 ? x >>> 0 : ((x & (size === 1 ? 0xff : 0xffff)) << (8 * (address & 3))) >>> 0);
    return v instanceof Promise ? v.then(lane) : lane(v);
  }

  private dataWrite(address: number, value: number, inc: boolean): void | Promise<void> {
    const size = this.check();
    if (inc && this.addrInc === 2 && size < 4) {
      const parts: Array<void | Promise<void>> = [];
      for (let i = 0; i < 4; i += size) parts.push(this.bus.write((address + i) >>> 0, size, (value >>> (8 * i)) & (size === 1 ? 0xff : 0xffff)));
      this.increment(4);
      return parts.some((p) => p instanceof Promise) ? Promise.all(parts).then(() => undefined) : undefined;
    }
    if (address % size !== 0) throw new ApBusError(`MEM-AP: unaligned ${size}-byte access at 0x${address.toString(16)}`);
    const laneValue = size === 4 ? value >>> 0 : (value >>> (8 * (address & 3))) & (size === 1 ? 0xff : 0xffff);
    const r = this.bus.write(address, size, laneValue);
    if (inc && this.addrInc !== 0) this.increment(size);
    return r;
  }
}
