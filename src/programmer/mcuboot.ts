/**
 * NXP MCUboot / KBOOT as a Programmer (UART or USB-HID): connect (ping, properties, packet
 * size), memory map from the device merged with the built-in target, security detected and
 * explained (unsecure only when told: backdoor key or FlashEraseAllUnsecure), i.MX RT
 * FlexSPI NOR configured from an option word before 0x60000000 is touched, erase by region,
 * WriteMemory in MaxPacketSize chunks, ReadMemory for verify, Reset to start the application.
 */
import { FlashwrightError, throwIfAborted } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { buildDeviceTarget, readDeviceProperties, type DeviceProperties } from '../protocol/mcuboot/memory-map.js';
import { commandAvailable, CommandTag, MemoryId, McubootSession, HidTransport, McubootStatusError, UartTransport, type McubootTransport } from '../protocol/mcuboot/index.js';
import { regionAt, regionHolding } from '../target/geometry.js';
import { checkMcubootIdentity } from './identity.js';
import type { TargetDescription } from '../target/types.js';
import type { LogContext } from './events.js';
import type { DeviceInfo, OperationOptions, Programmer } from './types.js';

export interface McubootProgrammerOptions {
  transport: McubootTransport;
  /** The built-in or user target (`--target`); merged with what the device reports. */
  target?: TargetDescription;
  /** Mass-erase a secured Kinetis with FlashEraseAllUnsecure (`--unsecure`). */
  unsecure?: boolean;
  /** 8-byte backdoor key for FlashSecurityDisable (`--backdoor-key`). */
  backdoorKey?: Uint8Array;
  /** FlexSPI NOR option words (`--flexspi-option 0xC0000007`): configure memory 9 on connect. */
  flexspiOption?: number[];
  /** RAM address for the option block (default 0x2000 when RAM is there, as NXP's examples). */
  flexspiConfigAddress?: number;
  /** Upper bound for the data packet size (default: what the device allows). */
  maxPacketSize?: number;
  /** Close the transport on close() (default true). */
  closeTransport?: boolean;
  /** How often PING is tried on connect (UART), default 3. */
  pingAttempts?: number;
  /**
   * Told when the programmer does something the user must know about outside a progress
   * phase (the deferred --unsecure mass erase). The CLI turns it into a 'log' warn event.
   */
  onWarning?: (message: string, context?: LogContext) => void;
}

/** What the deferred --unsecure reports once FlashEraseAllUnsecure has run. */
export const UNSECURE_WARNING = 'read protection removed: FlashEraseAllUnsecure mass-erased the whole flash';

/** FlashSecurityDisable failed: the key is wrong or the backdoor is disabled. */
export class McubootBackdoorKeyError extends FlashwrightError {
  constructor(status: number | undefined, cause: unknown) {
    super('MCUBOOT_BACKDOOR_REJECTED', `The device refused the backdoor key (FlashSecurityDisable failed${status !== undefined ? ` with status ${status}` : ''}), so it stays secure.`, {
      hint: 'Either the key does not match the bytes at 0x00000400–0x00000407 or the backdoor is disabled (FSEC.KEYEN is not 10); after a wrong key the chip blocks further tries until it is reset. Reset it and retry with the right key, or use --unsecure (erases ALL flash).',
      context: { ...(status !== undefined ? { status } : {}) }, cause,
    });
  }
}

/** The device is secure and the user asked neither --unsecure nor --backdoor-key. */
export class McubootSecureError extends FlashwrightError {
  constructor(operation: string) {
    super('MCUBOOT_SECURE', `The device is secure (FlashSecurityState = secure), so its bootloader refuses to ${operation}.`, {
      hint: 'Pass --backdoor-key KEY if the flash configuration field enables the backdoor, or --unsecure to mass-erase the chip (FlashEraseAllUnsecure); this erases ALL flash.',
      // Raised before any command is sent: the engine then knows nothing was erased.
      context: { operation, nothingSent: true },
    });
  }
}

export class McubootProgrammer implements Programmer {
  readonly kind = 'mcuboot';
  readonly session: McubootSession;
  /** Every data frame carries a CRC16 (UART) or travels in a CRC-checked USB report. */
  readonly checkedReads = true;
  readonly eraseChip?: (options?: OperationOptions) => Promise<void>;
  private properties?: DeviceProperties;
  private info?: DeviceInfo;
  /** --unsecure was asked on a secure chip: the mass erase waits for the first erase/program. */
  private unsecurePending = false;

  constructor(private readonly options: McubootProgrammerOptions) {
    this.session = new McubootSession(options.transport);
    this.eraseChip = async (opts) => {
      throwIfAborted(opts?.signal);
      if (!this.info?.target.regions.some((r) => r.kind === 'flash')) {
        throw new FlashwrightError('MCUBOOT_NO_INTERNAL_FLASH', 'This device has no internal flash to mass-erase.', { hint: 'Erase the external memory by sectors instead.' });
      }
      // The deferred FlashEraseAllUnsecure is itself the mass erase.
      if (this.unsecurePending) await this.unsecureNow(opts?.signal);
      else {
        this.guard('mass-erase flash', CommandTag.FlashEraseAll);
        await this.session.flashEraseAll(MemoryId.Internal, { signal: opts?.signal, timeoutMs: 60_000 });
      }
      opts?.onProgress?.(this.info.target.regions.filter((r) => r.kind === 'flash').reduce((n, r) => n + r.size, 0));
    };
  }

  async connect(options: { signal?: AbortSignal } = {}): Promise<DeviceInfo> {
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
    this.unsecurePending = false;
    if (props.secure) {
      if (this.options.backdoorKey) {
        // Not destructive, so it may happen on connect (plan/read/verify need it too).
        try {
          await this.session.flashSecurityDisable(this.options.backdoorKey, { signal });
        } catch (e) {
          if (e instanceof McubootStatusError) throw new McubootBackdoorKeyError(e.status, e);
          throw e;
        }
        log.push('Unlocked with the backdoor key (FlashSecurityDisable); the chip is secure again after reset.');
        props = await readDeviceProperties(this.session, { signal });
      } else if (this.options.unsecure) {
        // Destructive: recorded only; the first erase or program (after the plan) runs it.
        this.unsecurePending = true;
      }
    }
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
      this.options.onWarning?.(warnings[0]!, { property: 'FlashSize', reported: props.flashSize, described: described.size });
    }
    const unconfigured = target.regions.filter((r) => r.needsConfiguration && !(r.kind === 'external-nor' && props.flexspi?.configured)).map((r) => r.name);
    this.info = {
      target,
      ids: { bootloader: props.version ?? 'unknown', ...(ping ? { protocol: ping } : {}), ...(props.sdid !== undefined ? { sdid: props.sdid } : {}) },
      protection: this.unsecurePending
        ? {
          // Planning sees the flash as the mass erase will leave it (erased), so a write plans
          // programming only; nothing is erased until the plan is carried out.
          readProtected: false,
          description: 'secure (FlashSecurityState = 1); --unsecure will mass-erase all flash (FlashEraseAllUnsecure) before the first erase or program, so the flash is planned as erased',
        }
        : {
          readProtected: props.secure === true,
          description: props.secure === undefined ? 'unknown (FlashSecurityState not reported)' : props.secure ? 'secure (FlashSecurityState = 1): the bootloader refuses reads, writes and erases until unlocked with --backdoor-key or mass-erased with --unsecure' : 'unsecure',
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

  /** True until the deferred --unsecure mass erase has run (a secure chip, --unsecure given). */
  get unsecurePendingState(): boolean {
    return this.unsecurePending;
  }

  async readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    if (this.unsecurePending) {
      // Internal flash reads as the pending mass erase will leave it; nothing else is readable yet.
      const r = this.info && regionHolding(this.info.target, address, length, 'flash');
      if (r) {
        options.onProgress?.(length);
        const out = new Uint8Array(length).fill(r.erasedValue ?? 0xff);
        // FlashEraseAllUnsecure leaves FSEC (flash configuration field, flash start + 0x40C)
        // programmed to 0xFE (MCUBOOTRM "FlashEraseAllUnsecure"), so that sector is not blank.
        const fsecAt = r.start + 0x40c;
        if (this.info?.target.features?.kinetisFlashConfig && fsecAt >= address && fsecAt < address + length) out[fsecAt - address] = 0xfe;
        return out;
      }
    }
    this.guard('read memory', CommandTag.ReadMemory);
    return this.session.readMemory(address, length, this.memoryIdOf(address), { signal: options.signal, onProgress: options.onProgress, timeoutMs: 2000 + length / 4 });
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    if (this.unsecurePending) await this.unsecureNow(options.signal);
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
    if (this.unsecurePending) await this.unsecureNow(options.signal);
    this.guard('program flash', CommandTag.WriteMemory);
    await this.session.writeMemory(address, data, this.memoryIdOf(address), { signal: options.signal, onProgress: options.onProgress, timeoutMs: 5000 });
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    if (this.unsecurePending) await this.unsecureNow(options.signal);
    this.guard('write memory', CommandTag.WriteMemory);
    await this.session.writeMemory(address, data, MemoryId.Internal, { signal: options.signal, onProgress: options.onProgress });
  }

  /** MCUboot starts the application by resetting (the bootloader boots a valid image); the address is not needed. */
  async run(_address?: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.session.reset({ signal: options.signal });
  }

  async close(): Promise<void> {
    if (this.options.closeTransport ?? true) await this.options.transport.close();
  }

  /** The deferred --unsecure: FlashEraseAllUnsecure, then the properties again; reported as a warning. */
  private async unsecureNow(signal?: AbortSignal): Promise<void> {
    await this.session.flashEraseAllUnsecure({ signal, timeoutMs: 60_000 });
    this.unsecurePending = false;
    this.properties = await readDeviceProperties(this.session, { signal });
    if (this.info) {
      this.info.protection = { readProtected: this.properties.secure === true, description: this.properties.secure ? 'secure (FlashSecurityState = 1)' : 'unsecure (mass-erased with FlashEraseAllUnsecure)' };
      const details = (this.info.details ??= {});
      details.actions = [...((details.actions as string[] | undefined) ?? []), 'Mass-erased the chip with FlashEraseAllUnsecure; FSEC is now 0xFE (unsecure).'];
    }
    this.options.onWarning?.(UNSECURE_WARNING, { command: 'FlashEraseAllUnsecure' });
  }

  private async configureFlexspi(words: number[], props: DeviceProperties, signal?: AbortSignal): Promise<void> {
    const at = this.options.flexspiConfigAddress ?? scratchAddress(props, this.options.target);
    if (words.length === 1) await this.session.fillMemory(at, 4, words[0], { signal });
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
