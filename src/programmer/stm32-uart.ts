/**
 * The STM32 ROM bootloader over UART as a Programmer: connect (entry sequence, 0x7F,
 * identify), memory map (built-in target by PID, else the AN2606 table, else --target),
 * read protection detected and explained, erase by page number (Extended Erase or Erase,
 * whichever the Get list offers, ≤ 511 pages per command), 256-byte writes, Get Checksum
 * as the device digest where the bootloader has it, Go.
 */
import { delay } from '../core/abort.js';
import { FlashwrightError, throwIfAborted } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { runLineSequence, type LineStep } from '../link/line-sequence.js';
import { forEachChunk } from '../link/chunks.js';
import type { ByteStream } from '../link/types.js';
import { Cmd, MAX_ERASE_PAGES_PER_COMMAND, MAX_TRANSFER, commandName, formatBootloaderVersion } from '../protocol/stm32-uart/commands.js';
import { stm32Crc32 } from '../protocol/stm32-uart/crc.js';
import type { Stm32Family } from '../protocol/stm32-uart/devices.js';
import { Stm32NoAnswerError, Stm32UnsupportedError } from '../protocol/stm32-uart/errors.js';
import { Stm32UartSession, type Stm32SessionOptions } from '../protocol/stm32-uart/session.js';
import { regionAt, regionHolding } from '../target/geometry.js';
import { findTargetById } from '../target/lookup.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { checkStm32Identity } from './identity.js';
import type { CallContext, DeviceChange, DeviceChangeKind, DeviceDigest, DeviceInfo, OperationOptions, Programmer, ProtectionState } from './types.js';
import { inConnectPhase } from './events.js';
import { programConfirmed, readCheckMode, readChecked } from './stm32-uart-transfer.js';
import { bootloaderPages, describeStm32Change, familyOf, fitFlashSize, mainFlash, readFlashSizeRegister, readProtectionState, Stm32ReadProtectedError, targetForPid } from './stm32-uart-facts.js';

export { bootloaderPageAt, Stm32ReadProtectedError } from './stm32-uart-facts.js';

export interface Stm32UartProgrammerOptions {
  stream: ByteStream;
  session?: Omit<Stm32SessionOptions, 'signal'>;
  /** The user's memory map (`--target`); wins over the built-in one. */
  target?: TargetDescription | undefined;
  /** Line steps before 0x7F / after the work (line-sequence.ts). */
  entry?: readonly LineStep[];
  exit?: readonly LineStep[];
  /** Time to let the chip restart after it reset itself (protection changes). */
  resetWaitMs?: number;
  /**
   * How reads are checked: 'crc' against Get Checksum, 'double' by reading twice, 'none';
   * 'auto' (default) = 'crc' where the bootloader has Get Checksum, else 'none'.
   */
  readCheck?: 'auto' | 'crc' | 'double' | 'none';
  /** Close the stream on close() (default true). */
  closeStream?: boolean;
}

export class Stm32UartProgrammer implements Programmer {
  readonly kind = 'stm32-uart';
  /** AN3155 Readout Unprotect (0x92), Write Unprotect (0x73), Readout Protect (0x82). */
  readonly changes: readonly DeviceChangeKind[] = ['read-unprotect', 'write-unprotect', 'read-protect'];
  readonly session: Stm32UartSession;
  digest?: DeviceDigest | undefined;

  /** Read Memory answers carry no checksum: they count as checked only when this class checks them (CRC or double read). */
  get checkedReads(): boolean {
    const wanted = this.options.readCheck ?? 'auto';
    return wanted === 'double' || (wanted !== 'none' && this.digest !== undefined);
  }
  private commands: number[] = [];
  private pid = 0;
  private target?: TargetDescription | undefined;
  private signalHolder: { signal?: AbortSignal | undefined } = {};
  private readProtected = false;
  /** Set when an erase/program/write failed, so close() does not flush option bytes into a half-written chip. */
  private failed = false;
  private pendingOptions?: { region: MemoryRegion; data: Uint8Array } | undefined;
  private readonly optionErased = new Set<number>();
  /** reset() ran the --exit sequence already: close() does not run it twice. */
  private exitRun = false;

  constructor(private readonly options: Stm32UartProgrammerOptions) {
    const holder = this.signalHolder;
    const family = options.session?.family ?? (options.target ? familyOf(options.target) : undefined);
    this.session = new Stm32UartSession(options.stream, {
      ...options.session,
      family,
      get signal() { return holder.signal; },
    } as Stm32SessionOptions);
  }

  async connect(options: CallContext = {}): Promise<DeviceInfo> {
    this.signalHolder.signal = options.signal;
    return inConnectPhase(options, 'Synchronising with the STM32 bootloader', () => this.learnDevice(options));
  }

  /** Connect's work: sync, Get, Get ID, the flash size register and protection; reads only. */
  private async learnDevice(options: CallContext): Promise<DeviceInfo> {
    if (this.options.entry?.length) await runLineSequence(this.options.stream, this.options.entry, options.signal);
    await this.session.init();
    // Get already carries the version; Get Version would only add two turnarounds.
    const get = await this.session.get();
    this.commands = get.commands;
    this.pid = await this.session.getId();
    // Before anything on the chip changes (unprotect, write-unprotect): the named target must be this chip.
    checkStm32Identity(this.options.target, this.pid);
    this.target = targetForPid(this.options.target, this.pid);
    // Parts of one product ID differ in flash size: the chip's flash size register wins over
    // the description, and a disagreement is said (sent as a warning event).
    const reported = await readFlashSizeRegister(this.session, this.target);
    const sized = reported ? fitFlashSize(this.target, reported) : { target: this.target };
    this.target = sized.target;
    const warnings = sized.warning ? [sized.warning] : [];
    for (const message of warnings) options.emit?.({ type: 'log', level: 'warn', message, context: { via: 'stm32-uart' } });
    // Reads only: unlocks and protections are plan operations (describeChange / applyChange).
    const protection = await this.probeProtection();
    this.readProtected = protection.readProtected;
    if (this.commands.includes(Cmd.GetChecksum)) {
      this.digest = {
        name: 'STM32 CRC-32 (Get Checksum)',
        alignment: 4,
        local: (data) => stm32Crc32(data),
        remote: async (address, length) => { await this.flushOptionBytes(); this.requireOpen(); return this.session.getChecksum(address, length); },
      };
    }
    return {
      target: this.target,
      ids: { pid: this.pid, bootloader: formatBootloaderVersion(get.version) },
      protection,
      details: {
        bootloaderVersion: formatBootloaderVersion(get.version),
        commands: this.commands.map((c) => commandName(c)),
        eraseCommand: this.commands.includes(Cmd.ExtendedErase) ? 'Extended Erase (0x44)' : this.commands.includes(Cmd.Erase) ? 'Erase (0x43)' : 'none',
        checksum: Boolean(this.digest),
        alreadyInitialised: this.session.alreadyInitialised,
        ...(warnings.length ? { warnings } : {}),
        ...(reported ? { flashSizeRegister: `${formatSize(reported.size)} (${hex(reported.address)})` } : {}),
        memoryMapFrom: this.options.target ? 'user (--target)' : findTargetById('stm32Pid', this.pid) ? 'built-in target' : 'AN2606 device table',
      },
    };
  }

  /** RDP and write protection as the bootloader shows them (stm32-uart-facts.ts). */
  private probeProtection(): Promise<ProtectionState> {
    return readProtectionState(this.session, this.requireTarget());
  }

  /** What a change would do to this chip (see Programmer.describeChange; stm32-uart-facts.ts). */
  describeChange(kind: DeviceChangeKind, device: DeviceInfo): DeviceChange | undefined {
    return describeStm32Change(kind, device);
  }

  async applyChange(change: DeviceChange, options: OperationOptions = {}): Promise<void> {
    this.signalHolder.signal = options.signal;
    await this.tracked(async () => {
      if (change.kind === 'read-unprotect') await this.removeReadProtection();
      else if (change.kind === 'write-unprotect') await this.removeWriteProtection();
      else if (change.kind === 'read-protect') {
        await this.flushOptionBytes();
        await this.enableReadProtection();
      } else throw new FlashwrightError('CHANGE_UNSUPPORTED', `The stm32-uart way in cannot ${change.kind}.`, { context: { change: change.kind } });
      if (change.kind !== 'read-protect') this.readProtected = (await this.probeProtection()).readProtected;
      if (change.erases) options.onProgress?.(change.erases.reduce((n, e) => n + e.size, 0));
    });
  }

  /** Readout Unprotect: the chip mass-erases, clears RDP and resets; we sync again. */
  async removeReadProtection(): Promise<void> {
    await this.session.readoutUnprotect();
    await this.resynchroniseAfterReset();
    this.readProtected = false;
  }

  /** Readout Protect (RDP level 1); only when the user asks for it after writing. */
  async enableReadProtection(): Promise<void> {
    await this.session.readoutProtect();
    await this.resynchroniseAfterReset();
    this.readProtected = true;
    this.protectedByUs = true;
  }

  /** Readout Protect ran in this session (so Go is refused and needs no attempt). */
  private protectedByUs = false;

  /** Removes write protection from every sector (the chip resets). */
  async removeWriteProtection(): Promise<void> {
    await this.session.writeUnprotect();
    await this.resynchroniseAfterReset();
  }

  private async resynchroniseAfterReset(): Promise<void> {
    let last: unknown;
    for (let i = 0; i < 5; i++) {
      await delay(this.options.resetWaitMs ?? 100, this.signalHolder.signal);
      try { await this.session.init(); return; } catch (e) { if (!(e instanceof Stm32NoAnswerError)) throw e; last = e; }
    }
    throw last;
  }

  /** Current option-block contents, or the erased block after eraseSectors asked for it. */
  private async readOptionBlock(block: MemoryRegion): Promise<Uint8Array> {
    if (this.optionErased.has(block.start)) return new Uint8Array(block.size).fill(0xff);
    return this.session.readRange(block.start, block.size);
  }

  /**
   * Writes the collected option bytes in one Write Memory (the bootloader erases the block
   * and rewrites it, so re-sending is safe), lets the chip reset to load them and syncs again.
   */
  async flushOptionBytes(): Promise<void> {
    const pending = this.pendingOptions;
    if (!pending) return;
    this.pendingOptions = undefined;
    this.optionErased.delete(pending.region.start);
    await this.session.writeMemory(pending.region.start, pending.data, 'ram');
    await this.resynchroniseAfterReset();
    this.readProtected = (await this.probeProtection()).readProtected;
  }

  /** The option-byte region holding `address`, if any. */
  private optionBlockAt(address: number): MemoryRegion | undefined {
    // Only the option block itself: OTP areas (also kind 'option-bytes') are programmed like flash.
    const t = this.requireTarget();
    const start = t.features?.stm32OptionBytes?.address;
    const r = regionAt(t, address);
    return r?.kind === 'option-bytes' && r.start === start ? r : undefined;
  }

  /** Operations the bootloader refuses under RDP level 1 fail up front with the explanation. */
  private requireOpen(): void {
    if (this.readProtected) throw new Stm32ReadProtectedError(this.pid);
  }

  private requireTarget(): TargetDescription {
    if (!this.target) throw new FlashwrightError('STM32_NOT_CONNECTED', 'The STM32 bootloader is not connected yet.', { hint: 'Call connect() first.' });
    return this.target;
  }

  /**
   * Reads in 256-byte blocks, checked as `readCheck` says (stm32-uart-read.ts): bytes garbled
   * on the way must never be written back as "preserved" data.
   */
  async readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    await this.tracked(() => this.flushOptionBytes());
    this.requireOpen();
    const mode = readCheckMode(this.options.readCheck ?? 'auto', this.digest !== undefined, address, length);
    return readChecked(this.session, address, length, mode, options, () => { this.readMismatches++; });
  }

  /** Reads whose CRC did not match the device's and were repeated. */
  readMismatches = 0;

  private async doEraseSectors(all: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    this.requireOpen();
    await this.flushOptionBytes();
    // The bootloader erases the option-byte block itself when it is written (AN3155 Write Memory).
    for (const s of all) { const b = this.optionBlockAt(s.address); if (b) this.optionErased.add(b.start); }
    const sectors = all.filter((s) => !this.optionBlockAt(s.address));
    const pages = bootloaderPages(this.requireTarget(), sectors);
    if (pages.length === 0) return;
    const extended = this.commands.includes(Cmd.ExtendedErase);
    if (!extended && !this.commands.includes(Cmd.Erase)) throw new Stm32UnsupportedError(Cmd.Erase, this.commands);
    const perCommand = extended ? MAX_ERASE_PAGES_PER_COMMAND : 255;
    let done = 0;
    for (let i = 0; i < pages.length; i += perCommand) {
      throwIfAborted(options.signal, 'erase');
      const batch = pages.slice(i, i + perCommand);
      if (extended) await this.session.extendedErase(batch);
      else await this.session.erase(batch);
      for (let k = i; k < i + batch.length; k++) done += sectors[k]!.size;
      options.onProgress?.(done);
    }
  }

  private async doEraseChip(options: OperationOptions = {}): Promise<void> {
    await this.flushOptionBytes();
    this.requireOpen();
    throwIfAborted(options.signal, 'erase');
    if (this.commands.includes(Cmd.ExtendedErase)) await this.session.extendedErase('global');
    else if (this.commands.includes(Cmd.Erase)) await this.session.erase('global');
    else throw new Stm32UnsupportedError(Cmd.Erase, this.commands);
    const region = mainFlash(this.requireTarget());
    options.onProgress?.(region.size);
  }

  /** Programs in 256-byte blocks; blocks that are all 0xFF are left alone (erased flash already reads so). */
  private async doProgramFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    this.requireOpen();
    const block = this.optionBlockAt(address);
    if (block) {
      // Option bytes are written as one block later (flushOptionBytes): the engine may hand
      // them over in pieces around erased bytes, but every Write Memory there rewrites the
      // whole block and resets the chip.
      const pending = this.pendingOptions ?? { region: block, data: await this.readOptionBlock(block) };
      pending.data.set(data, address - block.start);
      this.pendingOptions = pending;
      options.onProgress?.(data.length);
      return;
    }
    await this.flushOptionBytes();
    const erased = regionHolding(this.requireTarget(), address, 1, 'flash')?.erasedValue ?? 0xff;
    await programConfirmed(this.session, address, data, erased, options);
  }

  private async doWriteMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    await this.flushOptionBytes();
    this.requireOpen();
    const target = this.requireTarget();
    const inRam = regionHolding(target, address, data.length, 'ram') !== undefined;
    await forEachChunk(data.length, MAX_TRANSFER, (off, n) => this.session.writeMemory(address + off, data.subarray(off, off + n), inRam ? 'ram' : 'flash'), { ...options, what: 'write' });
  }

  /** Go to `address` (default: the flash start, where the vector table is). */
  async run(address?: number): Promise<void> {
    await this.tracked(() => this.flushOptionBytes());
    // Under read protection (a write with --protect) the bootloader refuses Go: the reset that
    // Readout Protect caused, plus any --exit sequence, starts the application.
    if (this.readProtected && this.protectedByUs) return;
    this.requireOpen();
    const region = mainFlash(this.requireTarget());
    await this.session.go(address ?? region.start);
  }

  /**
   * The ROM bootloader has no reset command: with an --exit DTR/RTS sequence (NRST wired) that
   * resets the chip; otherwise Go to the application's reset handler (AN3155 Go: MSP and PC from
   * the vector table at the flash start), which leaves the bootloader as a reset would.
   */
  async reset(mode: 'run' | 'halt', context: { signal?: AbortSignal } = {}): Promise<string> {
    if (mode === 'halt') throw new FlashwrightError('RESET_UNSUPPORTED', 'The STM32 ROM bootloader cannot reset and keep the core halted.', { hint: 'Use a debug-level way in (--via gdb or cmsis-dap) for --halt.' });
    await this.tracked(() => this.flushOptionBytes());
    if (this.options.exit?.length) {
      await runLineSequence(this.options.stream, this.options.exit, context.signal);
      this.exitRun = true;
      return 'the --exit DTR/RTS sequence';
    }
    this.requireOpen();
    const region = mainFlash(this.requireTarget());
    await this.session.go(region.start);
    return `Go to the reset handler (vector table at ${hex(region.start)})`;
  }

  eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    return this.tracked(() => this.doEraseSectors(sectors, options), options.signal);
  }

  eraseChip(options: OperationOptions = {}): Promise<void> {
    return this.tracked(() => this.doEraseChip(options), options.signal);
  }

  programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    return this.tracked(() => this.doProgramFlash(address, data, options), options.signal);
  }

  writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    return this.tracked(() => this.doWriteMemory(address, data, options), options.signal);
  }

  /** Records failures of operations that change the chip. */
  private async tracked<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      // The operation's signal reaches every wait inside it (a long erase's ACK included).
      return await this.session.during(signal, fn);
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  async close(): Promise<void> {
    try {
      if (!this.failed) await this.tracked(() => this.flushOptionBytes());
      if (this.options.exit?.length && !this.exitRun) await runLineSequence(this.options.stream, this.options.exit);
    } finally {
      if (this.options.closeStream ?? true) await this.options.stream.close();
    }
  }

  /** Family of the connected part, for messages. */
  get family(): Stm32Family | undefined {
    return this.target ? familyOf(this.target) : undefined;
  }

  /** The product ID read at connect. */
  get productId(): number {
    return this.pid;
  }

  /** Commands from the bootloader's Get list. */
  get bootloaderCommands(): readonly number[] {
    return this.commands;
  }
}
