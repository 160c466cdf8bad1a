/**
 * The simulated MCUboot device's command engine, independent of the link: a command packet
 * in, response and data packets out. The UART and HID front ends (uart.ts, hid.ts) add
 * framing, ACKs and fault injection. Memory is a SimMemory (NOR rules: programming
 * non-erased bytes → 10203), security comes from FSEC in the Kinetis flash configuration
 * field, and the i.MX RT FlexSPI NOR answers 10205 until ConfigureMemory.
 */
import { FlashwrightError } from '../../core/errors.js';
import { CommandTag, encodeResponse, MemoryId, parsePacket, ResponseTag, type Packet } from '../../protocol/mcuboot/commands.js';
import { encodeAvailableCommands, encodeExternalMemoryAttributes, PropertyTag } from '../../protocol/mcuboot/properties.js';
import { parseFlexspiOption } from '../../imxrt/flexspi-option.js';
import { NorResetError } from '../nor-flash.js';
import { PROGRAM_RULES } from '../program-rules.js';
import { SimMemory } from '../sim-memory.js';
import type { MemoryRegion } from '../../target/types.js';
import type { McubootChipProfile } from './chips.js';
import { FCB_TAG } from '../../target/facts/imxrt-boot.js';
import { DEFAULT_UNSECURE_FCF, FSEC_UNSECURE, KINETIS_FCF } from '../../target/facts/kinetis-fcf.js';
import { ProgramOnceArea } from './program-once.js';
import { StaleFlashCache } from './stale-cache.js';

export interface SimOutgoing {
  kind: 'command' | 'data';
  payload: Uint8Array;
}

/** The device stopped mid-command as if power-cycled (fault injection). */
/**
 * Parameters each command carries at the least (MCUBOOTRM, the parameter table of each
 * command); a packet with fewer is refused with kStatus_InvalidArgument, as the ROM does.
 */
const MIN_PARAMS: Readonly<Partial<Record<number, number>>> = {
  [CommandTag.GetProperty]: 1, [CommandTag.SetProperty]: 2, [CommandTag.ReadMemory]: 2, [CommandTag.WriteMemory]: 2,
  [CommandTag.ReceiveSBFile]: 1, [CommandTag.FillMemory]: 3, [CommandTag.FlashEraseRegion]: 2, [CommandTag.FlashSecurityDisable]: 2,
  [CommandTag.ConfigureMemory]: 2, [CommandTag.FlashProgramOnce]: 3, [CommandTag.FlashReadOnce]: 2, [CommandTag.FlashReadResource]: 3,
  [CommandTag.Execute]: 3, [CommandTag.Call]: 2,
};

export class SimDeviceReset extends Error {}

const S = {
  Success: 0, Fail: 1, ReadOnly: 2, OutOfRange: 3, InvalidArgument: 4, FlashAlignment: 101, FlashAccess: 103, FlashProtection: 104,
  FlashCommandFailure: 105, UnknownCommand: 10000, Security: 10001, AbortDataPhase: 10002, Unsupported: 10006, RangeInvalid: 10200,
  WriteFailed: 10202, Cumulative: 10203, NotConfigured: 10205, Alignment: 10206, WriteProtected: 10208, SbSignature: 10101,
  UnknownProperty: 10300, ReadOnlyProperty: 10301, SfdpNotFound: 20107,
} as const;

/** Commands a secured Kinetis still accepts (K64 RM "Flash security" + MCUBOOTRM). */
const ALLOWED_WHEN_SECURE = new Set<number>([CommandTag.GetProperty, CommandTag.SetProperty, CommandTag.FlashEraseAllUnsecure, CommandTag.FlashSecurityDisable, CommandTag.Reset]);

interface OutPhase {
  tag: number;
  address: number;
  total: number;
  received: number;
  /** Bytes not yet programmed because they do not fill a program unit. */
  pending: Uint8Array;
  flash: boolean;
  sb?: Uint8Array;
}

export interface SimTargetOptions {
  /** Overrides the profile's MaxPacketSize (what the device reports). */
  maxPacketSize?: number | undefined;
  /**
   * Kinetis: start with fully erased flash (FSEC = 0xFF, i.e. secure). By default the flash
   * configuration field holds FSEC = 0xFE (unsecure), as on a part that was programmed once.
   */
  blank?: boolean | undefined;
  /** Model a flash-resident bootloader occupying this many bytes at the start of flash (reported and protected). */
  flashResidentBytes?: number | undefined;
}

export class McubootSimTarget {
  readonly memory: SimMemory;
  maxPacketSize: number;
  /** What ReservedRegions reports (end inclusive); writes and erases there fail with 10200. */
  readonly reserved: Array<{ start: number; end: number }>;
  /** Every Call/Execute the device was asked to do (it cannot run code). */
  readonly jumps: Array<{ command: 'Call' | 'Execute'; address: number; argument: number; stackPointer?: number }> = [];
  /** Set when the device left the bootloader (Reset, Execute, injected reset); the front end goes quiet. */
  leftBootloader?: 'reset'|'execute' | undefined;
  resets = 0;
  /** Seed 003 fault: erase leaves the bootloader's view of flash stale until reset (`staleCache.enabled = true`). */
  readonly staleCache = new StaleFlashCache();
  private phase?: OutPhase | undefined;
  private unlocked = false;
  private backdoorBlocked = false;
  private lastError = 0;
  private verifyWrites = 1;
  private readonly programOnce?: ProgramOnceArea | undefined;

  constructor(readonly chip: McubootChipProfile, options: SimTargetOptions = {}) {
    // The MCUboot flash and FlexSPI NOR memory interfaces both refuse to program memory
    // that is not erased (10203), whatever the bits (program-rules.ts).
    this.memory = new SimMemory(chip.target, { nor: { default: { rule: PROGRAM_RULES.mcuboot } } });
    this.maxPacketSize = options.maxPacketSize ?? chip.maxPacketSize;
    const f = this.flashRegion;
    this.reserved = [...chip.reserved];
    if (f) this.programOnce = new ProgramOnceArea(f.pageSize === 8 ? 8 : 4);
    if (f && options.flashResidentBytes) this.reserved.unshift({ start: f.start, end: f.start + options.flashResidentBytes - 1 });
    if (f && chip.target.features?.kinetisFlashConfig && !options.blank) this.memory.program(f.start + KINETIS_FCF.fprot, Uint8Array.from(DEFAULT_UNSECURE_FCF.slice(KINETIS_FCF.fprot - KINETIS_FCF.offset, KINETIS_FCF.fsec + 4 - KINETIS_FCF.offset)));
    this.latchFsec();
  }

  /** The internal flash region (Kinetis), if any. */
  get flashRegion(): MemoryRegion | undefined {
    return this.chip.target.regions.find((r) => r.kind === 'flash');
  }

  /**
   * FSEC as latched at the last reset (the flash controller copies 0x40C into its FSEC
   * register at reset, so erasing or programming the field changes security only after one).
   */
  get fsec(): number | undefined {
    return this.latchedFsec;
  }

  /** Secure = FSEC.SEC ≠ 0b10 and not unlocked by the backdoor key since reset. */
  get secure(): boolean {
    const fsec = this.fsec;
    return fsec !== undefined && (fsec & 3) !== 2 && !this.unlocked;
  }

  private latchedFsec?: number | undefined;

  private latchFsec(): void {
    const f = this.flashRegion;
    this.latchedFsec = f && this.chip.target.features?.kinetisFlashConfig ? this.memory.read(f.start + KINETIS_FCF.fsec, 1)[0] : undefined;
  }

  /** Power-on reset: RAM-held state goes, flash stays, FlexSPI must be configured again. */
  reset(): void {
    this.phase = undefined;
    this.unlocked = false;
    this.backdoorBlocked = false;
    this.resets++;
    this.staleCache.invalidate();
    this.latchFsec();
    for (const r of this.memory.regions) if (r.region.needsConfiguration) r.configured = false;
    this.leftBootloader = undefined;
  }

  get inDataPhase(): boolean {
    return this.phase !== undefined;
  }

  /** Handles a command packet; returns the packets to send (first response, data, final). */
  handleCommand(payload: Uint8Array): SimOutgoing[] {
    this.phase = undefined;
    let p: Packet;
    try {
      p = parsePacket(payload);
    } catch {
      return [this.generic(S.InvalidArgument, payload[0] ?? 0)];
    }
    if (!this.chip.commands.includes(p.tag)) return [this.generic(S.UnknownCommand, p.tag)];
    if (this.secure && !ALLOWED_WHEN_SECURE.has(p.tag)) return [this.generic(S.Security, p.tag)];
    const a = p.params;
    // Every a[i]! below is inside MIN_PARAMS[p.tag], checked here.
    if (a.length < (MIN_PARAMS[p.tag] ?? 0)) return [this.generic(S.InvalidArgument, p.tag)];
    switch (p.tag) {
      case CommandTag.GetProperty: return [this.getProperty(a[0]!, a[1] ?? 0)];
      case CommandTag.SetProperty: return [this.generic(this.setProperty(a[0]!, a[1]!), p.tag)];
      case CommandTag.ReadMemory: return this.readMemory(a[0]!, a[1]!, a[2] ?? 0);
      case CommandTag.WriteMemory: return [this.startWrite(p.tag, a[0]!, a[1]!, a[2] ?? 0)];
      case CommandTag.ReceiveSBFile: return [this.startSb(a[0]!)];
      case CommandTag.FillMemory: return [this.generic(this.fill(a[0]!, a[1]!, a[2]!), p.tag)];
      case CommandTag.FlashEraseAll: return [this.generic(this.eraseAll(a[0] ?? 0), p.tag)];
      case CommandTag.FlashEraseRegion: return [this.generic(this.eraseRegion(a[0]!, a[1]!), p.tag)];
      case CommandTag.FlashEraseAllUnsecure: return [this.generic(this.eraseAllUnsecure(), p.tag)];
      case CommandTag.FlashSecurityDisable: return [this.generic(this.securityDisable(a[0]!, a[1]!), p.tag)];
      case CommandTag.ConfigureMemory: return [this.generic(this.configure(a[0]!, a[1]!), p.tag)];
      case CommandTag.FlashProgramOnce: return [this.generic(this.programOnce?.program(a[0]!, a[1]!, a.slice(2)) ?? S.InvalidArgument, p.tag)];
      case CommandTag.FlashReadOnce: {
        const r = this.programOnce?.read(a[0]!, a[1]!) ?? { status: S.InvalidArgument, words: [] };
        return [{ kind: 'command', payload: encodeResponse(ResponseTag.FlashReadOnce, r.status, r.status ? [0] : [a[1]!, ...r.words]) }];
      }
      case CommandTag.FlashReadResource: return this.readResource(a[0]!, a[1]!, a[2]!);
      case CommandTag.Reset:
        this.leftBootloader = 'reset';
        return [this.generic(S.Success, p.tag)];
      case CommandTag.Execute:
        this.jumps.push({ command: 'Execute', address: a[0]!, argument: a[1]!, stackPointer: a[2]! });
        this.leftBootloader = 'execute';
        return [this.generic(S.Success, p.tag)];
      case CommandTag.Call:
        this.jumps.push({ command: 'Call', address: a[0]!, argument: a[1]! });
        return [this.generic(this.mapped(a[0]!, 2) ? S.Success : S.RangeInvalid, p.tag)];
      default: return [this.generic(S.UnknownCommand, p.tag)];
    }
  }

  /**
   * One host→device data packet. `accepted: false` = the device aborts the data phase
   * (ACK_ABORT) and `out` holds the final response. Throws SimDeviceReset on an injected reset.
   */
  handleData(payload: Uint8Array): { accepted: boolean; out: SimOutgoing[] } {
    const ph = this.phase;
    if (!ph) return { accepted: false, out: [] };
    if (payload.length === 0) return { accepted: true, out: this.abortData() };
    const take = payload.subarray(0, ph.total - ph.received);
    let status: number = S.Success;
    if (ph.sb) ph.sb.set(take, ph.received);
    else status = this.consume(ph, take);
    ph.received += take.length;
    if (status !== S.Success) {
      this.phase = undefined;
      return { accepted: false, out: [this.generic(status, ph.tag)] };
    }
    if (ph.received < ph.total) return { accepted: true, out: [] };
    this.phase = undefined;
    if (ph.sb) return { accepted: true, out: [this.generic(this.checkSb(ph.sb), ph.tag)] };
    return { accepted: true, out: [this.generic(ph.pending.length ? this.consume(ph, new Uint8Array(0), true) : S.Success, ph.tag)] };
  }

  /** The host sent a zero-length data packet: stop and report the abort. */
  abortData(): SimOutgoing[] {
    const tag = this.phase?.tag ?? 0;
    this.phase = undefined;
    return [this.generic(S.AbortDataPhase, tag)];
  }

  /** The final response for a device→host data phase the host aborted. */
  abortedRead(tag: number): SimOutgoing {
    return this.generic(S.AbortDataPhase, tag);
  }

  private generic(status: number, tag: number): SimOutgoing {
    if (status !== S.Success) this.lastError = status;
    return { kind: 'command', payload: encodeResponse(ResponseTag.Generic, status, [tag]) };
  }

  private getProperty(tag: number, memoryId: number): SimOutgoing {
    const reply = (values: number[] | number): SimOutgoing =>
      typeof values === 'number' ? { kind: 'command', payload: encodeResponse(ResponseTag.GetProperty, values) }
        : { kind: 'command', payload: encodeResponse(ResponseTag.GetProperty, S.Success, values) };
    const f = this.flashRegion;
    const ram = this.mainRam();
    switch (tag) {
      case PropertyTag.CurrentVersion: case PropertyTag.TargetVersion: return reply([this.chip.version]);
      case PropertyTag.AvailablePeripherals: return reply([this.chip.peripherals]);
      case PropertyTag.FlashStartAddress: return f ? reply([f.start]) : reply(S.UnknownProperty);
      case PropertyTag.FlashSize: return f ? reply([f.size]) : reply(S.UnknownProperty);
      case PropertyTag.FlashSectorSize: return f?.sectors?.[0] ? reply([f.sectors[0].size]) : reply(S.UnknownProperty);
      case PropertyTag.FlashBlockCount: return f ? reply([1]) : reply(S.UnknownProperty);
      case PropertyTag.FlashPageSize: return f ? reply([f.pageSize ?? 1]) : reply(S.UnknownProperty);
      case PropertyTag.AvailableCommands: return reply([encodeAvailableCommands(this.chip.commands)]);
      case PropertyTag.LastError: return reply([this.lastError]);
      case PropertyTag.VerifyWrites: return reply([this.verifyWrites]);
      case PropertyTag.MaxPacketSize: return reply([this.maxPacketSize]);
      case PropertyTag.ReservedRegions: return reply(this.reserved.flatMap((r) => [r.start, r.end]));
      case PropertyTag.RamStartAddress: return reply([ram.start]);
      case PropertyTag.RamSize: return reply([ram.size]);
      case PropertyTag.SystemDeviceIdent: return reply([this.chip.sdid]);
      case PropertyTag.FlashSecurityState: return reply([this.secure ? 1 : 0]);
      case PropertyTag.UniqueDeviceIdent: return reply([0x46575349, 0x4d000000, 0x00000001, 0x00000002]);
      case PropertyTag.ExternalMemoryAttributes: {
        if (memoryId !== MemoryId.FlexSpiNor) return reply(S.InvalidArgument);
        const r = this.memory.regions.find((x) => x.region.kind === 'external-nor');
        if (!r) return reply(S.InvalidArgument);
        if (!r.configured) return reply(S.NotConfigured);
        const sector = r.region.sectors?.[0]?.size ?? r.region.size;
        return reply(encodeExternalMemoryAttributes({ startAddress: r.region.start, sizeBytes: r.region.size, pageSize: r.region.pageSize ?? 256, sectorSize: sector, blockSize: 64 * 1024 }));
      }
      default: return reply(S.UnknownProperty);
    }
  }

  private setProperty(tag: number, value: number): number {
    if (tag === PropertyTag.VerifyWrites) { this.verifyWrites = value ? 1 : 0; return S.Success; }
    return tag in PROPERTY_TAGS ? S.ReadOnlyProperty : S.UnknownProperty;
  }

  /** The largest block of contiguous RAM (K64: SRAM_L + SRAM_U; RT: OCRAM). */
  private mainRam(): { start: number; size: number } {
    const rams = this.chip.target.regions.filter((r) => r.kind === 'ram').sort((x, y) => x.start - y.start);
    const blocks: Array<{ start: number; size: number }> = [];
    for (const r of rams) {
      const last = blocks[blocks.length - 1];
      if (last && last.start + last.size === r.start) last.size += r.size;
      else blocks.push({ start: r.start, size: r.size });
    }
    return blocks.reduce((a, b) => (b.size > a.size ? b : a));
  }

  /** Status for touching [address, address+length): 0, 10200 (unmapped/reserved) or 10205 (not configured). */
  private rangeStatus(address: number, length: number, write: boolean): number {
    if (length === 0) return S.Success;
    let a = address;
    const end = address + length;
    while (a < end) {
      const r = this.memory.regionAt(a);
      if (!r) return S.RangeInvalid;
      if (!r.configured) return S.NotConfigured;
      a = r.region.start + r.region.size;
    }
    if (write && this.reserved.some((r) => r.start < end && r.end >= address)) return S.RangeInvalid;
    return S.Success;
  }

  private mapped(address: number, length: number): boolean {
    return this.rangeStatus(address, length, false) === S.Success;
  }

  private readMemory(address: number, length: number, _memoryId: number): SimOutgoing[] {
    const status = this.rangeStatus(address, length, false);
    if (status !== S.Success) return [{ kind: 'command', payload: encodeResponse(ResponseTag.ReadMemory, status, [0]) }];
    return this.dataIn(CommandTag.ReadMemory, ResponseTag.ReadMemory, this.memory.read(address, length));
  }

  private dataIn(tag: number, responseTag: number, data: Uint8Array): SimOutgoing[] {
    const out: SimOutgoing[] = [{ kind: 'command', payload: encodeResponse(responseTag, S.Success, [data.length]) }];
    for (let o = 0; o < data.length; o += this.maxPacketSize) out.push({ kind: 'data', payload: data.slice(o, o + this.maxPacketSize) });
    out.push(this.generic(S.Success, tag));
    return out;
  }

  private startWrite(tag: number, address: number, length: number, _memoryId: number): SimOutgoing {
    const status = this.rangeStatus(address, length, true);
    if (status !== S.Success) return this.generic(status, tag);
    const r = this.memory.regionAt(address)!;
    const flash = r.nor !== undefined;
    if (flash && address % (r.region.pageSize ?? 1) !== 0 && r.region.kind === 'flash') return this.generic(S.FlashAlignment, tag);
    if (r.region.kind === 'rom') return this.generic(S.WriteFailed, tag);
    if (length > 0) this.phase = { tag, address, total: length, received: 0, pending: new Uint8Array(0), flash };
    return this.generic(S.Success, tag);
  }

  /** Writes or programs a data packet; flash is programmed in whole program units. */
  private consume(ph: OutPhase, data: Uint8Array, flush = false): number {
    const at = ph.address + ph.received - ph.pending.length;
    let bytes = new Uint8Array(ph.pending.length + data.length);
    bytes.set(ph.pending);
    bytes.set(data, ph.pending.length);
    try {
      if (!ph.flash) { this.memory.write(ph.address + ph.received, data); return S.Success; }
      const unit = this.memory.regionAt(at)?.region.pageSize ?? 1;
      if (flush) {
        const padded = new Uint8Array(Math.ceil(bytes.length / unit) * unit).fill(0xff);
        padded.set(bytes);
        bytes = padded;
      }
      const n = bytes.length - (bytes.length % unit);
      ph.pending = bytes.slice(n);
      if (n > 0 && this.staleCache.looksProgrammed(at, n)) return S.Cumulative;
      if (n > 0) this.program(at, bytes.subarray(0, n));
      return S.Success;
    } catch (e) {
      if (e instanceof NorResetError) throw new SimDeviceReset(e.message);
      return this.statusOf(e);
    }
  }

  private program(address: number, data: Uint8Array): void {
    this.memory.program(address, data);
  }

  private statusOf(e: unknown): number {
    if (!(e instanceof FlashwrightError)) return S.Fail;
    const external = this.memory.regions.find((r) => r.region.name === e.context.region)?.region.kind === 'external-nor';
    switch (e.code) {
      case 'NOR_PROGRAM_NOT_ERASED': return S.Cumulative;
      case 'NOR_WRITE_PROTECTED': return external ? S.WriteProtected : S.FlashProtection;
      case 'NOR_ADDRESS': return S.Alignment;
      case 'NOR_FAULT': return S.FlashCommandFailure;
      case 'SIM_NOT_CONFIGURED': return S.NotConfigured;
      case 'SIM_UNMAPPED': return S.RangeInvalid;
      default: return S.WriteFailed;
    }
  }

  private fill(address: number, length: number, pattern: number): number {
    const status = this.rangeStatus(address, length, true);
    if (status !== S.Success) return status;
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = (pattern >>> (8 * (i % 4))) & 0xff;
    const r = this.memory.regionAt(address)!;
    try {
      if (r.nor) this.program(address, bytes);
      else this.memory.write(address, bytes);
      return S.Success;
    } catch (e) {
      return this.statusOf(e);
    }
  }

  private eraseAll(memoryId: number): number {
    try {
      if (memoryId === MemoryId.FlexSpiNor) {
        const r = this.memory.regions.find((x) => x.region.kind === 'external-nor');
        if (!r) return S.InvalidArgument;
        if (!r.configured) return S.NotConfigured;
        r.nor!.eraseAll();
        return S.Success;
      }
      if (memoryId !== MemoryId.Internal || !this.flashRegion) return S.InvalidArgument;
      const nor = this.memory.nor(this.flashRegion.name);
      // A flash-resident bootloader erases everything but itself.
      for (const sec of nor.sectors) {
        if (this.reserved.some((r) => r.start < sec.address + sec.size && r.end >= sec.address)) continue;
        this.staleCache.beforeErase(this.memory, sec.address, sec.size);
        nor.eraseSector(sec.address);
      }
      return S.Success;
    } catch (e) {
      return this.statusOf(e);
    }
  }

  private eraseRegion(address: number, length: number): number {
    const status = this.rangeStatus(address, length, true);
    if (status !== S.Success) return status;
    const r = this.memory.regionAt(address)!;
    if (!r.nor) return S.RangeInvalid;
    const sectors = r.nor.sectorsIn(address, length);
    const first = sectors[0];
    const last = sectors[sectors.length - 1]!;
    if (!first || first.address !== address || last.address + last.size !== address + length) {
      return r.region.kind === 'flash' ? S.FlashAlignment : S.Alignment;
    }
    try {
      for (const s of sectors) { this.staleCache.beforeErase(this.memory, s.address, s.size); r.nor.eraseSector(s.address); }
      return S.Success;
    } catch (e) {
      return this.statusOf(e);
    }
  }

  /** Mass erase, then program FSEC = 0xFE (unsecure), refused when MEEN disables mass erase. */
  private eraseAllUnsecure(): number {
    const f = this.flashRegion;
    const fsec = this.fsec;
    if (!f || fsec === undefined) return S.UnknownCommand;
    if (((fsec >> 4) & 3) === 2) return S.FlashAccess;
    try {
      this.memory.eraseAllFlash();
      this.memory.program(f.start + KINETIS_FCF.fsec, Uint8Array.of(FSEC_UNSECURE));
      this.latchedFsec = 0xfe;
      return S.Success;
    } catch (e) {
      return this.statusOf(e);
    }
  }

  /** Backdoor key compare: only with KEYEN = 0b10, key ≠ all 0x00/0xFF; a wrong key blocks retries until reset. */
  private securityDisable(low: number, high: number): number {
    const f = this.flashRegion;
    const fsec = this.fsec;
    if (!f || fsec === undefined) return S.UnknownCommand;
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(0, low, true);
    new DataView(key.buffer).setUint32(4, high, true);
    const stored = this.memory.read(f.start + KINETIS_FCF.backdoorKey, 8);
    const keyen = (fsec >> 6) & 3;
    const trivial = stored.every((b) => b === 0) || stored.every((b) => b === 0xff);
    if (this.backdoorBlocked || keyen !== 2 || trivial || stored.some((b, i) => b !== key[i])) {
      this.backdoorBlocked = true;
      return S.FlashAccess;
    }
    this.unlocked = true;
    return S.Success;
  }

  /** ConfigureMemory(9, addr): an option word (tag 0xC) or a full FCB ("FCFB") in RAM. */
  private configure(memoryId: number, configAddress: number): number {
    const r = this.memory.regions.find((x) => x.region.kind === 'external-nor');
    if (memoryId !== MemoryId.FlexSpiNor || !r) return S.InvalidArgument;
    if (!this.mapped(configAddress, 4)) return S.RangeInvalid;
    const word = new DataView(this.memory.read(configAddress, 4).buffer).getUint32(0, true);
    if (word === FCB_TAG) { r.configured = true; return S.Success; }
    try {
      const opt = parseFlexspiOption(word);
      // The attached part is a QuadSPI NOR: HyperFlash/octal detection finds no SFDP answer.
      if (opt.detection !== 'quadspi-sdr' && opt.detection !== 'quadspi-ddr') return S.SfdpNotFound;
    } catch {
      return S.InvalidArgument;
    }
    r.configured = true;
    return S.Success;
  }

  /** Option 0 = program-flash IFR (256 bytes), 1 = version ID (8 bytes); model contents. */
  private readResource(address: number, length: number, option: number): SimOutgoing[] {
    const size = option === 1 ? 8 : 256;
    if (!this.flashRegion || option > 1 || address % 4 || length % 4 || address + length > size) {
      return [{ kind: 'command', payload: encodeResponse(ResponseTag.FlashReadResource, S.InvalidArgument, [0]) }];
    }
    const area = new Uint8Array(size).fill(0xff);
    area.set(new TextEncoder().encode(option === 1 ? 'FWSIM\x00\x01\x00' : 'flashwright simulated IFR'));
    return this.dataIn(CommandTag.FlashReadResource, ResponseTag.FlashReadResource, area.slice(address, address + length));
  }

  private startSb(length: number): SimOutgoing {
    if (length > 1 << 20) return this.generic(S.OutOfRange, CommandTag.ReceiveSBFile);
    if (length > 0) this.phase = { tag: CommandTag.ReceiveSBFile, address: 0, total: length, received: 0, pending: new Uint8Array(0), flash: false, sb: new Uint8Array(length) };
    return this.generic(S.Success, CommandTag.ReceiveSBFile);
  }

  /** SB files received (the simulator checks the header, it does not run the boot commands). */
  readonly sbFiles: Uint8Array[] = [];

  /** SB 1.x header: signature "STMP" at offset 0x14. */
  private checkSb(sb: Uint8Array): number {
    const sig = new TextDecoder().decode(sb.subarray(0x14, 0x18));
    if (sig !== 'STMP') return S.SbSignature;
    this.sbFiles.push(sb);
    return S.Success;
  }
}

const PROPERTY_TAGS: Record<number, true> = Object.fromEntries(Object.values(PropertyTag).map((t) => [t, true]));
