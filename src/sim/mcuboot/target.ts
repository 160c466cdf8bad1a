/**
 * The simulated MCUboot device's command engine, independent of the link: a command packet
 * in, response and data packets out. The UART and HID front ends (uart.ts, hid.ts) add
 * framing, ACKs and fault injection. Memory is a SimMemory (NOR rules: programming
 * non-erased bytes → 10203), security comes from FSEC in the Kinetis flash configuration
 * field, and the i.MX RT FlexSPI NOR answers 10205 until ConfigureMemory.
 */
import { CommandTag, encodeResponse, MemoryId, parsePacket, ResponseTag, type Packet } from '../../protocol/mcuboot/commands.js';
import { PropertyTag } from '../../protocol/mcuboot/properties.js';
import { isPropertyTag, propertyValues } from './property-values.js';
import { parseFlexspiOption } from '../../imxrt/flexspi-option.js';
import { NorResetError } from '../nor-flash.js';
import { PROGRAM_RULES } from '../program-rules.js';
import { SimMemory } from '../sim-memory.js';
import type { MemoryRegion } from '../../target/types.js';
import type { McubootChipProfile } from './chips.js';
import { FCB_TAG } from '../../target/facts/imxrt-boot.js';
import { DEFAULT_UNSECURE_FCF, KINETIS_FCF } from '../../target/facts/kinetis-fcf.js';
import { KinetisFlashSecurity } from './kinetis-security.js';
import { ALLOWED_WHEN_SECURE, MIN_PARAMS, S, statusOf } from './status.js';
import { ProgramOnceArea } from './program-once.js';
import { StaleFlashCache } from './stale-cache.js';

export interface SimOutgoing {
  kind: 'command' | 'data';
  payload: Uint8Array;
}

/** The device stopped mid-command as if power-cycled (fault injection). */
export class SimDeviceReset extends Error {}

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
  private lastError = 0;
  private verifyWrites = 1;
  private readonly programOnce?: ProgramOnceArea | undefined;
  private readonly security: KinetisFlashSecurity;

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
    this.security = new KinetisFlashSecurity(this.memory, f && chip.target.features?.kinetisFlashConfig ? f : undefined);
  }

  /** The internal flash region (Kinetis), if any. */
  get flashRegion(): MemoryRegion | undefined {
    return this.chip.target.regions.find((r) => r.kind === 'flash');
  }

  /** FSEC as latched at the last reset (kinetis-security.ts). */
  get fsec(): number | undefined {
    return this.security.fsec;
  }

  /** Secure = FSEC.SEC ≠ 0b10 and not unlocked by the backdoor key since reset. */
  get secure(): boolean {
    return this.security.secure;
  }

  /** Power-on reset: RAM-held state goes, flash stays, FlexSPI must be configured again. */
  reset(): void {
    this.phase = undefined;
    this.resets++;
    this.staleCache.invalidate();
    this.security.reset();
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
      case CommandTag.FlashEraseAllUnsecure: return [this.generic(this.guarded(() => this.security.eraseAllUnsecure()), p.tag)];
      case CommandTag.FlashSecurityDisable: return [this.generic(this.security.securityDisable(a[0]!, a[1]!), p.tag)];
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
    const answer = propertyValues(tag, memoryId, { chip: this.chip, memory: this.memory, reserved: this.reserved, maxPacketSize: this.maxPacketSize, lastError: this.lastError, verifyWrites: this.verifyWrites, secure: this.secure });
    return { kind: 'command', payload: typeof answer === 'number' ? encodeResponse(ResponseTag.GetProperty, answer) : encodeResponse(ResponseTag.GetProperty, S.Success, answer) };
  }

  private setProperty(tag: number, value: number): number {
    if (tag === PropertyTag.VerifyWrites) { this.verifyWrites = value ? 1 : 0; return S.Success; }
    return isPropertyTag(tag) ? S.ReadOnlyProperty : S.UnknownProperty;
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

  /** Runs a memory-changing step; a memory failure becomes its status code. */
  private guarded(step: () => number): number {
    try {
      return step();
    } catch (e) {
      return this.statusOf(e);
    }
  }

  private statusOf(e: unknown): number {
    return statusOf(this.memory, e);
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
