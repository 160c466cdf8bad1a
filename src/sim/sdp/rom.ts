/**
 * A simulated i.MX RT boot ROM in serial-download mode: the SDP command engine, independent of
 * the link (hid.ts and uart.ts are its front ends). It decodes the 16-byte command blocks itself
 * (not with the host's parser) so the tests check one reading of the manual against another.
 *
 * Modelled after the i.MX RT1020/RT1060 reference manuals, "Serial Downloader": every command is
 * answered with the HAB security configuration, then WRITE_FILE with 0x88888888, WRITE_REGISTER and
 * DCD_WRITE with 0x128A8A12, SKIP_DCD_HEADER with 0x900DD009, ERROR_STATUS with the last error,
 * READ_REGISTER with the data; JUMP_ADDRESS answers only the HAB word when it jumps, and a status
 * word when it does not.
 * WRITE_CSF (0x0606) takes its data like DCD_WRITE, must start with the HAB CSF tag 0xD4, is stored
 * at its address in RAM and answered 0x128A8A12; SET_BAUDRATE (0x0D0D, rate in the address field) is
 * answered with the single word 0x09D00D90 and no HAB word before it, as SPSDK reads it (its UART
 * front end then listens at the new rate). Both from SPSDK's sdp/commands.py and sdp.py.
 * Where the manual is silent the model is stricter than silicon is known to be: a WRITE_FILE or
 * WRITE_REGISTER outside RAM is answered 0x33333333 (HAB failure) instead of its completion word;
 * a closed part jumps to no image (the model has no signature check, so nothing passes HAB);
 * a jump needs a valid IVT whose whole image was written by WRITE_FILE since reset.
 */
import { mcubootChip } from '../mcuboot/chips.js';
import { McubootSimTarget } from '../mcuboot/target.js';
import type { MemoryRegion } from '../../target/types.js';

export const ROM_WORD = {
  habClosed: 0x12343412, habOpen: 0x56787856, writeFileComplete: 0x88888888, writeComplete: 0x128a8a12,
  skipDcdOk: 0x900dd009, habSuccess: 0xf0f0f0f0, habFailure: 0x33333333, baudrateSet: 0x09d00d90,
} as const;

export type RomOut = { kind: 'hab' | 'response'; bytes: Uint8Array };

export interface ImxrtRomOptions {
  /** MCUboot simulator chip name the ROM becomes after a good jump (default MIMXRT1021). */
  chip?: string | undefined;
  /** HAB closed (secure boot fused) or open (default). */
  hab?: 'open' | 'closed' | undefined;
}

interface DataPhase {
  type: number;
  address: number;
  count: number;
  received: Uint8Array;
  got: number;
}

function word(w: number): Uint8Array {
  return Uint8Array.of(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
}

export class ImxrtRomSim {
  readonly hab: 'open' | 'closed';
  readonly chipName: string;
  readonly ram: MemoryRegion[];
  /** Every command block the ROM decoded, for tests. */
  readonly log: Array<{ type: number; address: number; count: number }> = [];
  /** Set once a jump to a valid image succeeded: the flashloader now runs (the simulated MCUboot device). */
  flashloader?: McubootSimTarget | undefined;
  lastError: number = ROM_WORD.habSuccess;
  skipDcd = false;
  /** The rate SET_BAUDRATE asked for (undefined: still the autobauded one). */
  baud?: number | undefined;
  /** Where the last WRITE_CSF put its CSF. */
  csfAddress?: number | undefined;
  private readonly mem = new Map<MemoryRegion, Uint8Array>();
  private written: Array<{ start: number; end: number }> = [];
  private phase?: DataPhase | undefined;

  constructor(options: ImxrtRomOptions = {}) {
    this.chipName = options.chip ?? 'MIMXRT1021';
    const profile = mcubootChip(this.chipName);
    if (!profile) throw new Error(`no simulated chip ${this.chipName}`);
    this.hab = options.hab ?? 'open';
    this.ram = profile.target.regions.filter((r) => r.kind === 'ram');
    for (const r of this.ram) this.mem.set(r, new Uint8Array(r.size));
  }

  get habWord(): number {
    return this.hab === 'closed' ? ROM_WORD.habClosed : ROM_WORD.habOpen;
  }

  /** True while a WRITE_FILE / DCD_WRITE waits for data. */
  get expectingData(): number {
    return this.phase ? this.phase.count - this.phase.got : 0;
  }

  /** Bytes of simulated RAM (undefined outside RAM). */
  peek(address: number, length: number): Uint8Array | undefined {
    const at = this.locate(address, length);
    return at ? at.bytes.slice(at.offset, at.offset + length) : undefined;
  }

  /** A 16-byte command block from the host. */
  command(block: Uint8Array): RomOut[] {
    if (this.flashloader) return [];
    const v = new DataView(block.buffer, block.byteOffset, Math.min(block.length, 16));
    if (block.length < 16) return [];
    const type = v.getUint16(0);
    const address = v.getUint32(2);
    const format = v.getUint8(6);
    const count = v.getUint32(7);
    const data = v.getUint32(11);
    this.log.push({ type, address, count });
    this.phase = undefined;
    const hab: RomOut = { kind: 'hab', bytes: word(this.habWord) };
    const status = (w: number): RomOut => ({ kind: 'response', bytes: word(w) });
    switch (type) {
      case 0x0505: return [hab, status(this.lastError)];
      case 0x0101: {
        const at = [8, 16, 32].includes(format) ? this.locate(address, count) : undefined;
        if (!at) { this.lastError = ROM_WORD.habFailure; return [hab]; }
        return [hab, { kind: 'response', bytes: at.bytes.slice(at.offset, at.offset + count) }];
      }
      case 0x0202: {
        const width = format / 8;
        const at = [1, 2, 4].includes(width) ? this.locate(address, width) : undefined;
        if (!at) { this.lastError = ROM_WORD.habFailure; return [hab, status(ROM_WORD.habFailure)]; }
        for (let i = 0; i < width; i++) at.bytes[at.offset + i] = (data >>> (8 * i)) & 0xff;
        return [hab, status(ROM_WORD.writeComplete)];
      }
      case 0x0d0d:
        // A rate of 0 cannot be set; the model refuses it (stricter: the ROM's range is not documented).
        if (address === 0) { this.lastError = ROM_WORD.habFailure; return [status(ROM_WORD.habFailure)]; }
        this.baud = address;
        return [status(ROM_WORD.baudrateSet)];
      case 0x0404:
      case 0x0606:
      case 0x0a0a:
        this.phase = { type, address, count, received: new Uint8Array(count), got: 0 };
        return count === 0 ? this.finishData() : [];
      case 0x0c0c:
        this.skipDcd = true;
        return [hab, status(ROM_WORD.skipDcdOk)];
      case 0x0b0b: return this.jump(address, hab);
      default:
        this.lastError = ROM_WORD.habFailure;
        return [hab, status(ROM_WORD.habFailure)];
    }
  }

  /** File/DCD bytes; anything beyond the announced count (report padding) is ignored. */
  data(bytes: Uint8Array): RomOut[] {
    const p = this.phase;
    if (!p || this.flashloader) return [];
    const k = Math.min(bytes.length, p.count - p.got);
    p.received.set(bytes.subarray(0, k), p.got);
    p.got += k;
    return p.got === p.count ? this.finishData() : [];
  }

  private finishData(): RomOut[] {
    const p = this.phase!;
    this.phase = undefined;
    const hab: RomOut = { kind: 'hab', bytes: word(this.habWord) };
    if (p.type === 0x0a0a) {
      // A DCD starts with its header tag 0xD2; the model checks the tag and runs no commands.
      const ok = p.received[0] === 0xd2;
      if (!ok) this.lastError = ROM_WORD.habFailure;
      return [hab, { kind: 'response', bytes: word(ok ? ROM_WORD.writeComplete : ROM_WORD.habFailure) }];
    }
    if (p.type === 0x0606 && p.received[0] !== 0xd4) {
      this.lastError = ROM_WORD.habFailure;
      return [hab, { kind: 'response', bytes: word(ROM_WORD.habFailure) }];
    }
    const at = this.locate(p.address, p.count);
    if (!at) {
      this.lastError = ROM_WORD.habFailure;
      return [hab, { kind: 'response', bytes: word(ROM_WORD.habFailure) }];
    }
    at.bytes.set(p.received, at.offset);
    if (p.type === 0x0606) {
      this.csfAddress = p.address;
      return [hab, { kind: 'response', bytes: word(ROM_WORD.writeComplete) }];
    }
    this.written.push({ start: p.address, end: p.address + p.count });
    return [hab, { kind: 'response', bytes: word(ROM_WORD.writeFileComplete) }];
  }

  private jump(ivtAddress: number, hab: RomOut): RomOut[] {
    const fail = (): RomOut[] => {
      this.lastError = ROM_WORD.habFailure;
      return [hab, { kind: 'response', bytes: word(ROM_WORD.habFailure) }];
    };
    if (this.hab === 'closed') return fail();
    const ivt = this.peek(ivtAddress, 0x20);
    if (!ivt || !this.isWritten(ivtAddress, ivtAddress + 0x20)) return fail();
    const v = new DataView(ivt.buffer);
    if (v.getUint32(0, true) !== 0x402000d1 || v.getUint32(0x14, true) !== ivtAddress) return fail();
    const entry = v.getUint32(4, true);
    const boot = this.peek(v.getUint32(0x10, true), 12);
    if (!boot) return fail();
    const bv = new DataView(boot.buffer);
    const start = bv.getUint32(0, true);
    const length = bv.getUint32(4, true);
    if (!this.isWritten(start, start + length) || (entry & ~1) < start || (entry & ~1) >= start + length) return fail();
    this.flashloader = new McubootSimTarget(mcubootChip(this.chipName)!);
    return [hab];
  }

  private isWritten(start: number, end: number): boolean {
    let at = start;
    for (const r of [...this.written].sort((a, b) => a.start - b.start)) {
      if (r.start <= at && r.end > at) at = r.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  private locate(address: number, length: number): { bytes: Uint8Array; offset: number } | undefined {
    for (const [r, bytes] of this.mem) {
      if (address >= r.start && address + length <= r.start + r.size) return { bytes, offset: address - r.start };
    }
    return undefined;
  }
}
