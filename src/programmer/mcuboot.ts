/**
 * NXP MCUboot / KBOOT as a Programmer (UART or USB-HID): connect (ping, properties, packet
 * size), memory map from the device merged with the built-in target, security detected and
 * explained (unlocks — backdoor key, FlashEraseAllUnsecure — are plan operations), i.MX RT
 * FlexSPI NOR configured from an option word before 0x60000000 is touched, erase by region,
 * WriteMemory in MaxPacketSize chunks, ReadMemory for verify, Reset to start the application.
 */
import { FlashwrightError, RefusedBeforeSendingError, throwIfAborted } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { buildDeviceTarget, readDeviceProperties, type DeviceProperties } from '../protocol/mcuboot/memory-map.js';
import { commandAvailable, CommandTag, MemoryId, McubootSession, HidTransport, McubootStatusError, UartTransport, type McubootTransport } from '../protocol/mcuboot/index.js';
import { FSEC_UNSECURE, KINETIS_FCF } from '../target/facts/kinetis-fcf.js';
import { regionAt } from '../target/geometry.js';
import { checkMcubootIdentity } from './identity.js';
import type { TargetDescription } from '../target/types.js';
import type { CallContext, DeviceChange, DeviceChangeKind, DeviceInfo, OperationOptions, Programmer, ProtectionState } from './types.js';
import { inConnectPhase } from './events.js';

export interface McubootProgrammerOptions {
  transport: McubootTransport;
  /** The built-in or user target (`--target`); merged with what the device reports. */
  target?: TargetDescription | undefined;
  /** 8-byte backdoor key for FlashSecurityDisable (`--backdoor-key`), used by the 'backdoor-unlock' change. */
  backdoorKey?: Uint8Array | undefined;
  /** FlexSPI NOR option words (`--flexspi-option 0xC0000007`): configure memory 9 on connect. */
  flexspiOption?: number[] | undefined;
  /** RAM address for the option block (default 0x2000 when RAM is there, as NXP's examples). */
  flexspiConfigAddress?: number;
  /** Upper bound for the data packet size (default: what the device allows). */
  maxPacketSize?: number | undefined;
  /** Close the transport on close() (default true). */
  closeTransport?: boolean;
  /** How often PING is tried on connect (UART), default 3. */
  pingAttempts?: number;
}

// FlashEraseAllUnsecure leaves FSEC = 0xFE (MCUBOOTRM "FlashEraseAllUnsecure"): FSEC_UNSECURE at KINETIS_FCF.fsec.

/** FlashSecurityDisable failed: the key is wrong or the backdoor is disabled. */
export class McubootBackdoorKeyError extends FlashwrightError {
  constructor(status: number | undefined, cause: unknown) {
    super('MCUBOOT_BACKDOOR_REJECTED', `The device refused the backdoor key (FlashSecurityDisable failed${status !== undefined ? ` with status ${status}` : ''}), so it stays secure.`, {
      hint: 'Either the key does not match the bytes at 0x00000400–0x00000407 or the backdoor is disabled (FSEC.KEYEN is not 10); after a wrong key the chip blocks further tries until it is reset. Reset it and retry with the right key, or use --unsecure (erases ALL flash).',
      context: { ...(status !== undefined ? { status } : {}) }, cause,
    });
  }
}

/** The device is secure and no unlock ran; raised before any command is sent. */
export class McubootSecureError extends RefusedBeforeSendingError {
  constructor(operation: string) {
    super('MCUBOOT_SECURE', `The device is secure (FlashSecurityState = secure), so its bootloader refuses to ${operation}.`, {
      hint: 'Write with --backdoor-key KEY if the flash configuration field enables the backdoor, or with --unsecure to mass-erase the chip (FlashEraseAllUnsecure); this erases ALL flash.',
      context: { operation },
    });
  }
}

export class McubootProgrammer implements Programmer {
  readonly kind = 'mcuboot';
  readonly session: McubootSession;
  /** Every data frame carries a CRC16 (UART) or travels in a CRC-checked USB report. */
  readonly checkedReads = true;
  readonly eraseChip?: (options?: OperationOptions) => Promise<void>;
  /** FlashEraseAllUnsecure (0x0D) and FlashSecurityDisable (0x06), MCUBOOTRM. */
  readonly changes: readonly DeviceChangeKind[];
  private properties?: DeviceProperties;
  private info?: DeviceInfo;

  constructor(private readonly options: McubootProgrammerOptions) {
    this.session = new McubootSession(options.transport);
    this.changes = options.backdoorKey ? ['mass-erase-unsecure', 'backdoor-unlock'] : ['mass-erase-unsecure'];
    this.eraseChip = async (opts) => {
      throwIfAborted(opts?.signal);
      if (!this.info?.target.regions.some((r) => r.kind === 'flash')) {
        throw new FlashwrightError('MCUBOOT_NO_INTERNAL_FLASH', 'This device has no internal flash to mass-erase.', { hint: 'Erase the external memory by sectors instead.' });
      }
      this.guard('mass-erase flash', CommandTag.FlashEraseAll);
      await this.session.flashEraseAll(MemoryId.Internal, { signal: opts?.signal, timeoutMs: 60_000 });
      opts?.onProgress?.(this.info.target.regions.filter((r) => r.kind === 'flash').reduce((n, r) => n + r.size, 0));
    };
  }

  async connect(options: CallContext = {}): Promise<DeviceInfo> {
    return inConnectPhase(options, 'Asking the MCUboot bootloader for its properties', () => this.learnDevice(options));
  }

  /** Connect's work: ping (UART), read the properties, configure FlexSPI when asked; reads only otherwise. */
  private async learnDevice(options: CallContext): Promise<DeviceInfo> {
    const { signal } = options;
    const log: string[] = [];
    let ping: string | undefined;
    if (this.options.transport instanceof UartTransport) {
      const attempts = this.options.pingAttempts ?? 3;
      for (let i = 1; ; i++) {
        try {
          const p = (await this.session.ping({ signal }))!;
          ping = `${p.name}${p.major}.${p.minor}.${p.bugfix}`;
          break;
        } catch (e) {
          // No (or a garbled) answer: an interrupted session may have left a frame half-sent,
          // which swallows the PING. Complete it with filler (the device NAKs its CRC), then ping again.
          if (i === 1 && !signal?.aborted) {
            if (await this.options.transport.unstick({ signal })) log.push('Recovered a bootloader left in the middle of a frame by an earlier session (it answered filler with NAK).');
          }
          if (i >= attempts || signal?.aborted) {
            throw new FlashwrightError('MCUBOOT_NO_PING', `The device did not answer ${attempts} pings: no MCUboot bootloader is listening.`, {
              hint: 'Put the chip into its bootloader (ISP pin / boot mode pins, then reset), check TX/RX and the baud rate (--baud); i.MX RT in serial-download mode needs the flashloader loaded first.',
              context: { attempts }, cause: e,
            });
          }
        }
      }
    }
    let props = await readDeviceProperties(this.session, { signal });
    // Before anything is changed (backdoor unlock, FlexSPI configuration): the named target must be this chip.
    checkMcubootIdentity(this.options.target, props);
    const transportCap = this.options.transport instanceof HidTransport ? this.options.transport.maxPayload : Infinity;
    this.session.maxPacketSize = Math.max(32, Math.min(props.maxPacketSize ?? 32, this.options.maxPacketSize ?? Infinity, transportCap));
    // Reads only: unlocks are plan operations (describeChange / applyChange).
    if (this.options.flexspiOption && props.flexspi?.configured !== true) {
      await this.configureFlexspi(this.options.flexspiOption, props, signal);
      log.push(`Configured FlexSPI NOR with option ${this.options.flexspiOption.map((w) => hex(w)).join(' ')}.`);
      props = await readDeviceProperties(this.session, { signal });
    }
    this.properties = props;
    const target = buildDeviceTarget(props, this.options.target);
    // FlashSize from the device wins over the description (buildDeviceTarget); say when they differ.
    const described = this.options.target?.regions.find((r) => r.kind === 'flash' && r.start === props.flashStart);
    const warnings: string[] = [];
    if (described && props.flashSize && described.size !== props.flashSize) {
      warnings.push(`The bootloader reports FlashSize ${formatSize(props.flashSize)}; ${this.options.target!.name} describes ${formatSize(described.size)} at ${hex(described.start)}: using ${formatSize(props.flashSize)}.`);
      options.emit?.({ type: 'log', level: 'warn', message: warnings[0]!, context: { property: 'FlashSize', reported: props.flashSize, described: described.size } });
    }
    const unconfigured = target.regions.filter((r) => r.needsConfiguration && !(r.kind === 'external-nor' && props.flexspi?.configured)).map((r) => r.name);
    this.info = {
      target,
      ids: { bootloader: props.version ?? 'unknown', ...(ping ? { protocol: ping } : {}), ...(props.sdid !== undefined ? { sdid: props.sdid } : {}) },
      protection: {
        readProtected: props.secure === true,
        description: props.secure === undefined ? 'unknown (FlashSecurityState not reported)' : props.secure ? 'secure (FlashSecurityState = 1): the bootloader refuses reads, writes and erases until a write unlocks it with --backdoor-key or mass-erases it with --unsecure' : 'unsecure',
      },
      ...(unconfigured.length ? { unconfiguredRegions: unconfigured } : {}),
      details: {
        transport: this.options.transport.kind, maxPacketSize: this.session.maxPacketSize, ...props.formatted,
        ...(log.length ? { actions: log } : {}),
        ...(warnings.length ? { warnings } : {}),
      },
    };
    return this.info;
  }

  /**
   * What an unlock would do to this device. FlashEraseAllUnsecure erases all internal flash
   * and then programs FSEC = 0xFE (MCUBOOTRM), so the sector holding the flash configuration
   * field is not blank afterwards; the backdoor key unsecures until the next reset and
   * erases nothing.
   */
  describeChange(kind: DeviceChangeKind, device: DeviceInfo): DeviceChange | undefined {
    if (!device.protection?.readProtected) return undefined;
    const open: ProtectionState = { readProtected: false, description: 'unsecure' };
    if (kind === 'backdoor-unlock' && this.options.backdoorKey) {
      return { kind, stage: 'unlock', description: 'FlashSecurityDisable with the backdoor key (secure again after the next reset)', protectionAfter: { ...open, description: 'unsecure until reset (backdoor key)' } };
    }
    if (kind === 'mass-erase-unsecure') {
      const flash = device.target.regions.filter((r) => r.kind === 'flash');
      if (!flash.length) return undefined;
      const size = flash.reduce((n, r) => n + r.size, 0);
      const first = flash[0]!;
      return {
        kind, stage: 'unlock', description: 'FlashEraseAllUnsecure: unsecures the chip (FSEC = 0xFE)',
        destroys: `mass erase: all ${formatSize(size)} of internal flash`,
        erases: flash.map((r) => ({ start: r.start, size: r.size })),
        ...(device.target.features?.kinetisFlashConfig ? { leaves: [{ address: first.start + KINETIS_FCF.fsec, data: Uint8Array.of(FSEC_UNSECURE) }] } : {}),
        protectionAfter: { ...open, description: 'unsecure (mass-erased with FlashEraseAllUnsecure)' },
      };
    }
    return undefined;
  }

  async applyChange(change: DeviceChange, options: OperationOptions = {}): Promise<void> {
    const { signal } = options;
    if (change.kind === 'backdoor-unlock') {
      try {
        await this.session.flashSecurityDisable(this.options.backdoorKey!, { signal });
      } catch (e) {
        if (e instanceof McubootStatusError) throw new McubootBackdoorKeyError(e.status, e);
        throw e;
      }
    } else if (change.kind === 'mass-erase-unsecure') {
      await this.session.flashEraseAllUnsecure({ signal, timeoutMs: 60_000 });
      options.onProgress?.((change.erases ?? []).reduce((n, e) => n + e.size, 0));
    } else {
      throw new FlashwrightError('CHANGE_UNSUPPORTED', `The mcuboot way in cannot ${change.kind}.`, { context: { change: change.kind } });
    }
    this.properties = await readDeviceProperties(this.session, { signal });
  }

  async readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    this.guard('read memory', CommandTag.ReadMemory);
    return this.session.readMemory(address, length, this.memoryIdOf(address), { signal: options.signal, onProgress: options.onProgress, timeoutMs: 2000 + length / 4 });
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    this.guard('erase flash', CommandTag.FlashEraseRegion);
    let done = 0;
    for (const run of mergeRuns(sectors)) {
      throwIfAborted(options.signal);
      await this.session.flashEraseRegion(run.address, run.size, this.memoryIdOf(run.address), { signal: options.signal, timeoutMs: 5000 + run.count * 500 });
      done += run.size;
      options.onProgress?.(done);
    }
  }

  async programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    this.guard('program flash', CommandTag.WriteMemory);
    await this.session.writeMemory(address, data, this.memoryIdOf(address), { signal: options.signal, onProgress: options.onProgress, timeoutMs: 5000 });
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    this.guard('write memory', CommandTag.WriteMemory);
    await this.session.writeMemory(address, data, MemoryId.Internal, { signal: options.signal, onProgress: options.onProgress });
  }

  /** MCUboot starts the application by resetting (the bootloader boots a valid image); the address is not needed. */
  async run(_address?: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.session.reset({ signal: options.signal });
  }

  /** MCUboot Reset: the chip restarts (its bootloader's caches with it) and boots a valid image. */
  async reset(mode: 'run' | 'halt', context: { signal?: AbortSignal } = {}): Promise<string> {
    if (mode === 'halt') throw new FlashwrightError('RESET_UNSUPPORTED', 'MCUboot cannot reset and keep the core halted.', { hint: 'Use a debug-level way in (--via gdb or cmsis-dap) for --halt.' });
    await this.session.reset({ signal: context.signal });
    return 'MCUboot Reset command';
  }

  async close(): Promise<void> {
    if (this.options.closeTransport ?? true) await this.options.transport.close();
  }

  private async configureFlexspi(words: number[], props: DeviceProperties, signal?: AbortSignal): Promise<void> {
    const at = this.options.flexspiConfigAddress ?? scratchAddress(props, this.options.target);
    if (words.length === 1) await this.session.fillMemory(at, 4, words[0]!, { signal });
    else {
      const block = new Uint8Array(words.length * 4);
      words.forEach((w, i) => new DataView(block.buffer).setUint32(i * 4, w, true));
      await this.session.writeMemory(at, block, MemoryId.Internal, { signal });
    }
    try {
      await this.session.configureMemory(MemoryId.FlexSpiNor, at, { signal, timeoutMs: 10_000 });
    } catch (e) {
      if (e instanceof McubootStatusError) Object.assign(e.context, { optionWords: words.map((w) => hex(w)), configAddress: at });
      throw e;
    }
  }

  private memoryIdOf(address: number): number {
    const r = this.info && regionAt(this.info.target, address);
    return r?.kind === 'external-nor' ? MemoryId.FlexSpiNor : MemoryId.Internal;
  }

  private guard(operation: string, tag: number): void {
    if (!this.info || !this.properties) throw new FlashwrightError('MCUBOOT_NOT_CONNECTED', `Cannot ${operation} before connect().`, { hint: 'Call connect() first.' });
    if (this.properties.secure) throw new McubootSecureError(operation);
    const mask = this.properties.availableCommands;
    if (mask !== undefined && !commandAvailable(mask, tag)) {
      throw new FlashwrightError('MCUBOOT_COMMAND_UNAVAILABLE', `This bootloader does not offer the command needed to ${operation}.`, {
        hint: 'Check AvailableCommands with flashwright info; a flashloader may be needed.', context: { operation, command: tag },
      });
    }
  }
}

/** Contiguous sectors as single FlashEraseRegion runs. */
export function mergeRuns(sectors: ReadonlyArray<{ address: number; size: number }>): Array<{ address: number; size: number; count: number }> {
  const sorted = [...sectors].sort((a, b) => a.address - b.address);
  const out: Array<{ address: number; size: number; count: number }> = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.address + last.size === s.address) { last.size += s.size; last.count++; } else out.push({ address: s.address, size: s.size, count: 1 });
  }
  return out;
}

/** 0x2000 when it is RAM and not reserved (NXP's examples use it on i.MX RT), else the first free RAM. */
function scratchAddress(props: DeviceProperties, target?: TargetDescription): number {
  const rams = (target?.regions ?? []).filter((r) => r.kind === 'ram');
  if (props.ramStart !== undefined && props.ramSize) rams.push({ name: 'ram', kind: 'ram', start: props.ramStart, size: props.ramSize });
  const free = (a: number) => !props.reserved.some((r) => a + 64 > r.start && a <= r.end);
  if (rams.some((r) => 0x2000 >= r.start && 0x2040 <= r.start + r.size) && free(0x2000)) return 0x2000;
  for (const r of rams) for (let a = r.start; a + 64 <= r.start + r.size; a += 0x1000) if (free(a)) return a;
  throw new FlashwrightError('MCUBOOT_NO_SCRATCH_RAM', `No free RAM for the FlexSPI option block (${formatSize(64)} needed).`, { hint: 'Pass the address explicitly (flexspiConfigAddress).' });
}
