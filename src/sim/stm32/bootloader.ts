/**
 * The device side of AN3155: an STM32 system bootloader over a ByteStream, backed by the
 * simulated memory (NOR flash with its erase/program rules, option bytes, RAM).
 *
 * Modelled behaviour: autobaud on 0x7F (later 0x7F draws NACK, as a second host run sees);
 * RDP level 1 (Read/Write/Erase/Go/Checksum NACKed; Readout Unprotect mass-erases, clears
 * RDP and resets); write protection per sector; programming only erased memory (NACK, as
 * the flash controller's programming error); BUSY bytes during long erases; Go leaves the
 * bootloader until the next reset; link faults (faults.ts).
 */
import { hex } from '../../core/format.js';
import type { ByteStream, LineSignals } from '../../link/types.js';
import { ACK, BUSY, Cmd, INIT, NACK, decodeAddress, xorBytes } from '../../protocol/stm32-uart/commands.js';
import { stm32Crc32 } from '../../protocol/stm32-uart/crc.js';
import { pagesOfCode, withWrpBits, wrpLayoutFor, type WrpLayout } from '../../protocol/stm32-uart/write-protection.js';
import { regionHolding, regionHolds } from '../../target/geometry.js';
import { STM32_FLASH_SIZE_REGISTER, stm32FamilyOf } from '../../target/stm32-devices.js';
import type { TargetDescription } from '../../target/types.js';
import { SimMemory, type SimMemorySnapshot } from '../sim-memory.js';
import { VirtualClock } from '../nor-flash.js';
import { FaultyLink, type Stm32LinkFaults } from './faults.js';
import { profileTarget, type Stm32SimProfile } from './profiles.js';

/** Thrown inside the command loop to abandon the current command on reset. */
const RESET = Symbol('reset');

/** DTR/RTS wiring of the board: which line holds NRST low and which raises BOOT0. */
export interface Stm32SimWiring {
  reset?: { line: 'dtr' | 'rts'; assertedWhen: boolean };
  boot0?: { line: 'dtr' | 'rts'; highWhen: boolean };
}

export interface Stm32SimOptions {
  profile: Stm32SimProfile;
  /** Memory map; the built-in target with the profile's PID when omitted. */
  target?: TargetDescription;
  clock?: VirtualClock;
  /** Start with RDP level 1. */
  readProtected?: boolean | undefined;
  /** Answer 0x7F after init with NACK at once (true, default) or take it as a command byte. */
  nackInitWhenReady?: boolean;
  wiring?: Stm32SimWiring;
  /**
   * What the flash size register says (KiB); default the described flash. A smaller value
   * models a part that shares the product ID with less flash (STM32F103C8 under PID 0x410).
   */
  flashSizeKiB?: number;
  /** Called whenever the simulated chip leaves the bootloader or resets (for logs). */
  onEvent?: (event: string) => void;
}

/** ROM contents holding the flash size register (STM32_FLASH_SIZE_REGISTER), where a ROM region maps it. */
function signatureRom(target: TargetDescription, kib?: number): Record<string, Uint8Array> {
  const family = stm32FamilyOf(target);
  const reg = family && STM32_FLASH_SIZE_REGISTER[family];
  const flash = target.regions.find((r) => r.kind === 'flash');
  const rom = reg && regionHolding(target, reg.address, 2, 'rom');
  if (!reg || !rom || !flash) return {};
  const bytes = new Uint8Array(rom.size);
  const value = kib ?? flash.size / 1024;
  bytes[reg.address - rom.start] = value & 0xff;
  bytes[reg.address - rom.start + 1] = value >> 8;
  return { [rom.name]: bytes };
}

type State = 'autobaud' | 'ready' | 'running' | 'held-in-reset';

export class Stm32BootloaderSim {
  readonly profile: Stm32SimProfile;
  readonly memory: SimMemory;
  readonly link: FaultyLink;
  /** Commands executed, by code, for tests and benches. */
  readonly commandCounts = new Map<number, number>();
  state: State = 'autobaud';
  /** Address of the last Go. */
  lastGo?: number | undefined;
  resets = 0;
  private queue: number[] = [];
  private waiter?: { resolve: (b: number) => void; reject: (e: unknown) => void } | undefined;
  private generation = 0;
  private loopGeneration = 0;
  private closed = false;
  private boot0High = true;
  /** Where the option bytes keep write protection, on the lines that model it. */
  private readonly wrp?: WrpLayout | undefined;

  constructor(stream: ByteStream, private readonly options: Stm32SimOptions) {
    this.profile = options.profile;
    const target = options.target ?? profileTarget(this.profile);
    this.memory = new SimMemory(target, {
      clock: options.clock ?? new VirtualClock(),
      nor: { flash: { timing: this.profile.timing, writeAlignment: this.profile.writeAlignment } },
      rom: signatureRom(target, options.flashSizeKiB),
    });
    this.link = new FaultyLink(stream, (b) => this.receive(b), () => this.reset('link fault'));
    this.wrp = wrpLayoutFor(target.family, this.flash.size);
    this.writeRdp(options.readProtected ? 0x00 : this.profile.rdpLevel0);
    if (this.wrp) this.writeOptionBlock(withWrpBits(this.wrp, this.readOptionBlock(), false));
    stream.onClose(() => { this.closed = true; this.waiter?.reject(RESET); });
    const withSignals = stream as ByteStream & { onSignals?: (s: LineSignals) => void };
    if (options.wiring) withSignals.onSignals = (s) => this.signals(s);
    void this.run();
  }

  get faults(): Stm32LinkFaults {
    return this.link.faults;
  }

  set faults(f: Stm32LinkFaults) {
    this.link.faults = f;
  }

  get flash() {
    return this.memory.nor('flash');
  }

  get readProtected(): boolean {
    return this.rdpByte() !== this.profile.rdpLevel0;
  }

  /** Restores flash/option-byte contents (e.g. from a state file). */
  restore(snapshot: SimMemorySnapshot): void {
    this.memory.restore(snapshot);
  }

  /** A power-on/NRST reset: the bootloader starts over (if BOOT0 is high) and waits for 0x7F. */
  reset(why = 'reset'): void {
    this.resets++;
    this.generation++;
    this.queue = [];
    this.state = this.boot0High ? 'autobaud' : 'running';
    this.options.onEvent?.(`${why}: ${this.state === 'autobaud' ? 'bootloader waits for 0x7F' : 'application runs'}`);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(RESET);
  }

  private signals(s: LineSignals): void {
    const { reset, boot0 } = this.options.wiring!;
    if (boot0) this.boot0High = Boolean(s[boot0.line]) === boot0.highWhen;
    if (reset) {
      const held = Boolean(s[reset.line]) === reset.assertedWhen;
      if (held && this.state !== 'held-in-reset') { this.generation++; this.queue = []; this.state = 'held-in-reset'; const w = this.waiter; this.waiter = undefined; w?.reject(RESET); }
      else if (!held && this.state === 'held-in-reset') this.reset('NRST released');
    }
  }

  private receive(b: number): void {
    if (this.state === 'running' || this.state === 'held-in-reset') return;
    const w = this.waiter;
    if (w) { this.waiter = undefined; w.resolve(b); } else this.queue.push(b);
  }

  private next(): Promise<number> {
    // A command that was running when the chip reset must not consume the new session's bytes.
    if (this.loopGeneration !== this.generation) return Promise.reject(RESET);
    if (this.queue.length) return Promise.resolve(this.queue.shift()!);
    if (this.closed) return Promise.reject(RESET);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  private async bytes(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = await this.next();
    return out;
  }

  private send(...parts: Array<number | Uint8Array>): Promise<void> {
    if (this.loopGeneration !== this.generation) return Promise.reject(RESET);
    const flat: number[] = [];
    for (const p of parts) {
      if (typeof p === 'number') flat.push(p);
      else flat.push(...p);
    }
    return this.link.send(new Uint8Array(flat));
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const gen = this.generation;
      this.loopGeneration = gen;
      try {
        if (this.state === 'autobaud') {
          // The ROM ignores everything until a 0x7F it can measure.
          while ((await this.next()) !== INIT) { /* not a sync byte */ }
          this.state = 'ready';
          await this.send(ACK);
        } else if (this.state === 'ready') {
          await this.command();
        } else {
          await this.next();
        }
      } catch (e) {
        if (e === RESET) continue;
        // A model bug must not kill the simulated chip silently: report it and start over.
        this.options.onEvent?.(`internal error: ${(e as Error)?.message ?? String(e)}`);
        if (gen === this.generation) this.reset('internal error');
      }
    }
  }

  private async command(): Promise<void> {
    const code = await this.next();
    if (code === INIT && (this.options.nackInitWhenReady ?? true)) { await this.send(NACK); return; }
    const check = await this.next();
    if ((code ^ check) !== 0xff || !this.profile.commands.includes(code)) { await this.send(NACK); return; }
    this.commandCounts.set(code, (this.commandCounts.get(code) ?? 0) + 1);
    const guarded = code !== Cmd.Get && code !== Cmd.GetVersion && code !== Cmd.GetId && code !== Cmd.ReadoutUnprotect;
    if (guarded && this.readProtected) { await this.send(NACK); return; }
    switch (code) {
      case Cmd.Get: return this.send(ACK, this.profile.commands.length, this.profile.version, new Uint8Array(this.profile.commands), ACK);
      case Cmd.GetVersion: return this.send(ACK, this.profile.version, 0x00, 0x00, ACK);
      case Cmd.GetId: return this.send(ACK, 0x01, this.profile.pid >> 8, this.profile.pid & 0xff, ACK);
      case Cmd.ReadMemory: return this.readMemory();
      case Cmd.WriteMemory: return this.writeMemory();
      case Cmd.Go: return this.go();
      case Cmd.Erase: return this.erase();
      case Cmd.ExtendedErase: return this.extendedErase();
      case Cmd.GetChecksum: return this.checksum();
      case Cmd.WriteProtect: return this.writeProtect();
      case Cmd.WriteUnprotect: return this.protectionChange(() => this.clearWriteProtection());
      case Cmd.ReadoutProtect: return this.protectionChange(() => this.writeRdp(0x00));
      case Cmd.ReadoutUnprotect: return this.protectionChange(() => {
        if (this.rdpByte() === 0xcc && this.profile.rdpLevel0 !== 0xa5) throw new Error('level 2');
        this.clearWriteProtection();
        this.memory.eraseAllFlash();
        this.writeRdp(this.profile.rdpLevel0);
      });
      default: return this.send(NACK);
    }
  }

  /** Reads an address frame; NACKs and returns undefined when its checksum is wrong. */
  private async address(): Promise<number | undefined> {
    const a = decodeAddress(await this.bytes(5));
    if (a === undefined) await this.send(NACK);
    return a;
  }

  private mapped(address: number, length: number, kinds: string[]): boolean {
    let a = address;
    while (a < address + length) {
      const r = this.memory.regionAt(a);
      if (!r || !kinds.includes(r.region.kind)) return false;
      a = r.region.start + r.region.size;
    }
    return true;
  }

  private async readMemory(): Promise<void> {
    await this.send(ACK);
    const address = await this.address();
    if (address === undefined) return;
    if (!this.mapped(address, 1, ['flash', 'ram', 'rom', 'option-bytes'])) return this.send(NACK);
    await this.send(ACK);
    const head = await this.bytes(2);
    const n = head[0]!;
    const c = head[1]!;
    if ((n ^ c) !== 0xff || !this.mapped(address, n + 1, ['flash', 'ram', 'rom', 'option-bytes'])) return this.send(NACK);
    await this.send(ACK, this.memory.read(address, n + 1));
  }

  private async writeMemory(): Promise<void> {
    await this.send(ACK);
    const address = await this.address();
    if (address === undefined) return;
    const reserved = this.memory.target.reserved ?? [];
    const inReserved = reserved.some((r) => regionHolds(r, address));
    if (address % 4 !== 0 || inReserved || !this.mapped(address, 1, ['flash', 'ram', 'option-bytes'])) return this.send(NACK);
    await this.send(ACK);
    const n = (await this.next()) + 1;
    const data = await this.bytes(n);
    const sum = await this.next();
    if (xorBytes(data, n - 1) !== sum) return this.send(NACK);
    const region = this.memory.regionAt(address)!.region;
    try {
      if (region.kind === 'ram') this.memory.write(address, data);
      else if (region.name === 'option-bytes') {
        // The bootloader rewrites the whole option block and resets so the new values load.
        const nor = this.memory.nor(region.name);
        nor.eraseAll();
        nor.program(address, data);
        await this.send(ACK);
        this.reset('option bytes written');
        return;
      } else this.memory.program(address, data);
    } catch {
      return this.send(NACK);
    }
    await this.send(ACK);
  }

  private async go(): Promise<void> {
    await this.send(ACK);
    const address = await this.address();
    if (address === undefined) return;
    if (!this.mapped(address, 4, ['flash', 'ram'])) return this.send(NACK);
    await this.send(ACK);
    this.lastGo = address;
    this.state = 'running';
    this.generation++;
    this.options.onEvent?.(`Go ${hex(address)}: application runs`);
  }

  /** Erases sectors by page number, all checked before any is erased. */
  private async erasePages(pages: number[]): Promise<void> {
    const sectors = this.flash.sectors;
    const ok = pages.every((p) => p < sectors.length && !this.flash.isProtected(sectors[p]!.address));
    if (!ok) return this.send(NACK);
    const t0 = this.memory.clock.nowMs;
    for (const p of pages) this.memory.eraseSector(sectors[p]!.address);
    await this.finishLong(t0);
  }

  private async finishLong(t0: number): Promise<void> {
    const every = this.profile.busyEveryMs;
    const busy = every ? Math.min(64, Math.floor((this.memory.clock.nowMs - t0) / every)) : 0;
    await this.send(new Uint8Array(busy).fill(BUSY), ACK);
  }

  private async massErase(first: number, count: number): Promise<void> {
    const sectors = this.flash.sectors.slice(first, first + count);
    if (sectors.some((s) => this.flash.isProtected(s.address))) return this.send(NACK);
    const t0 = this.memory.clock.nowMs;
    if (first === 0 && count >= this.flash.sectors.length) this.memory.eraseAllFlash();
    else for (const s of sectors) this.memory.eraseSector(s.address);
    await this.finishLong(t0);
  }

  private async erase(): Promise<void> {
    await this.send(ACK);
    const n = await this.next();
    if (n === 0xff) {
      const sum = await this.next();
      return sum === 0x00 ? this.massErase(0, this.flash.sectors.length) : this.send(NACK);
    }
    const pages = await this.bytes(n + 1);
    const sum = await this.next();
    if (xorBytes(pages, n) !== sum) return this.send(NACK);
    return this.erasePages([...pages]);
  }

  private async extendedErase(): Promise<void> {
    await this.send(ACK);
    const head = await this.bytes(2);
    const n = (head[0]! << 8) | head[1]!;
    if (n >= 0xfff0) {
      const sum = await this.next();
      if (sum !== (head[0]! ^ head[1]!)) return this.send(NACK);
      const total = this.flash.sectors.length;
      const bank2 = this.profile.bank2FirstPage;
      if (n === 0xffff) return this.massErase(0, total);
      if (n === 0xfffe && bank2 !== undefined) return this.massErase(0, bank2);
      if (n === 0xfffd && bank2 !== undefined) return this.massErase(bank2, total - bank2);
      return this.send(NACK);
    }
    // A page list longer than the bootloader's buffer is refused before it is read.
    if (n + 1 > 512) return this.send(NACK);
    const body = await this.bytes((n + 1) * 2);
    const sum = await this.next();
    if (xorBytes(body, head[0]! ^ head[1]!) !== sum) return this.send(NACK);
    const pages: number[] = [];
    for (let i = 0; i < body.length; i += 2) pages.push((body[i]! << 8) | body[i + 1]!);
    return this.erasePages(pages);
  }

  private async checksum(): Promise<void> {
    await this.send(ACK);
    const address = await this.address();
    if (address === undefined) return;
    if (address % 4 !== 0 || !this.mapped(address, 1, ['flash', 'ram', 'option-bytes', 'rom'])) return this.send(NACK);
    await this.send(ACK);
    const length = decodeAddress(await this.bytes(5));
    if (length === undefined || length === 0 || length % 4 !== 0 || !this.mapped(address, length, ['flash', 'ram', 'option-bytes', 'rom'])) return this.send(NACK);
    await this.send(ACK);
    const crc = stm32Crc32(this.memory.read(address, length));
    const out = new Uint8Array(5);
    new DataView(out.buffer).setUint32(0, crc, false);
    out[4] = xorBytes(out.subarray(0, 4));
    await this.send(ACK, out);
  }

  private async writeProtect(): Promise<void> {
    await this.send(ACK);
    const n = await this.next();
    const codes = await this.bytes(n + 1);
    const sum = await this.next();
    const pagesOf = (c: number) => (this.wrp ? pagesOfCode(this.wrp, c, this.flash.sectors.length) : c < this.flash.sectors.length ? [c] : []);
    if (xorBytes(codes, n) !== sum || [...codes].some((c) => pagesOf(c).length === 0)) return this.send(NACK);
    for (const c of codes) for (const p of pagesOf(c)) this.flash.setProtected(this.flash.sectors[p]!.address, true);
    if (this.wrp) this.writeOptionBlock(withWrpBits(this.wrp, this.readOptionBlock(), true, [...codes]));
    await this.send(ACK);
    this.reset('write protection set');
  }

  /** Write Unprotect / Readout Protect / Readout Unprotect: ACK, work, ACK, reset. */
  private async protectionChange(work: () => void): Promise<void> {
    await this.send(ACK);
    const t0 = this.memory.clock.nowMs;
    try { work(); } catch { return this.send(NACK); }
    await this.finishLong(t0);
    this.reset('option bytes changed');
  }

  private optionBlock() {
    return this.memory.regions.find((r) => r.region.name === 'option-bytes')!;
  }

  private rdpOffset(): number {
    return this.memory.target.features?.stm32OptionBytes?.rdpOffset ?? 0;
  }

  private rdpByte(): number {
    const r = this.optionBlock();
    return r.nor!.read(r.region.start + this.rdpOffset(), 1)[0]!;
  }

  /** Rewrites the option block with the given RDP byte (and its complement on F1). */
  private writeRdp(value: number): void {
    const block = this.readOptionBlock();
    block[this.rdpOffset()] = value;
    if (this.profile.rdpLevel0 === 0xa5) block[1] = ~value & 0xff;
    this.writeOptionBlock(block);
  }

  private readOptionBlock(): Uint8Array {
    const r = this.optionBlock();
    return r.nor!.read(r.region.start, r.region.size);
  }

  private writeOptionBlock(block: Uint8Array): void {
    const r = this.optionBlock();
    r.nor!.eraseAll();
    r.nor!.program(r.region.start, block);
  }

  private clearWriteProtection(): void {
    for (const s of this.flash.protectedSectors) this.flash.setProtected(s, false);
    if (this.wrp) this.writeOptionBlock(withWrpBits(this.wrp, this.readOptionBlock(), false));
  }
}
