import type { TargetDescription } from '../target/types.js';
import type { CallContext } from './events.js';

export type { CallContext } from './events.js';

/** Options every device operation takes: the call context plus progress within the call. */
export interface OperationOptions extends CallContext {
  /** Bytes finished so far within this call (monotonic), for progress bars: may count bytes only sent. */
  onProgress?: ((bytesDone: number) => void) | undefined;
  /**
   * Bytes of this call the device has confirmed written (monotonic): a Write Memory the
   * bootloader ACKed after programming. Only these count as programmed in the resume record
   * when the call fails; a way in that cannot tell (data buffered until the call ends) never calls it.
   */
  onCommitted?: ((bytesDone: number) => void) | undefined;
}

/**
 * Changes to the chip beyond erasing and programming, which a way in may offer: unlocks
 * run before the erases, protections after the verify. They are plan operations: the engine
 * runs them only in a write (or erase) after the plan is shown, never in connect, plan, info,
 * read or verify.
 */
export type DeviceChangeKind =
  /** STM32 Readout Unprotect (mass-erases flash). */
  | 'read-unprotect'
  /** STM32 Write Unprotect (option bytes; chip resets). */
  | 'write-unprotect'
  /** MCUboot FlashEraseAllUnsecure (mass-erases flash, leaves FSEC unsecure). */
  | 'mass-erase-unsecure'
  /** MCUboot FlashSecurityDisable with the backdoor key (until the next reset). */
  | 'backdoor-unlock'
  /** STM32 Readout Protect: RDP level 1 (chip resets). */
  | 'read-protect';

/** One change the plan will make, as the way in describes it for this device. */
export interface DeviceChange {
  kind: DeviceChangeKind;
  /** 'unlock' runs before anything is erased; 'protect' after the verify. */
  stage: 'unlock' | 'protect';
  /** One line for the plan table: "Readout Unprotect (RDP level 1 → 0)". */
  description: string;
  /** What it destroys, or undefined: "mass erase: all 128 KiB of flash". */
  destroys?: string;
  /**
   * Memory this change leaves erased (a mass-erasing unlock), so the planner knows what
   * the sectors hold afterwards without reading a chip that still refuses reads.
   */
  erases?: ReadonlyArray<{ start: number; size: number }>;
  /** Bytes the change leaves programmed inside `erases` (Kinetis: FSEC = 0xFE after FlashEraseAllUnsecure). */
  leaves?: ReadonlyArray<{ address: number; data: Uint8Array }>;
  /** The device's protection once the change has run. */
  protectionAfter: ProtectionState;
}

/** Read-out / write protection as the device reports it. */
export interface ProtectionState {
  /** True when the device refuses reads (STM32 RDP level ≥ 1, Kinetis secured). */
  readProtected: boolean;
  /** Human description: "RDP level 1", "FSEC=0x7B (secure, backdoor enabled)". */
  description: string;
  /** Sector start addresses that are write-protected, where known. */
  writeProtectedSectors?: number[];
}

/** A value `info` can print and serialise. */
export type DetailValue = string | number | boolean | null | readonly DetailValue[] | { readonly [key: string]: DetailValue };

/** What `connect` learned about the device. */
export interface DeviceInfo {
  /** The memory map used for planning: built-in, from the device, or merged. */
  target: TargetDescription;
  /** Identifiers as reported: { pid: 0x410 }, { version: 'K3.0.0' }. */
  ids: Record<string, string | number>;
  protection?: ProtectionState;
  /**
   * Regions (by name) that need configuration and are not configured on this device yet
   * (e.g. FlexSPI NOR before ConfigureMemory). The engine refuses to plan writes there.
   */
  unconfiguredRegions?: string[];
  /** Extra facts for `info` (bootloader version, command list, properties…), JSON-ready. */
  details?: Record<string, DetailValue>;
}

/**
 * A checksum the device can compute over its own memory, so unchanged sectors can be
 * skipped and writes verified without reading every byte back over a slow link.
 */
export interface DeviceDigest {
  /** Name shown to users: "STM32 CRC-32 (Get Checksum)". */
  readonly name: string;
  /** Computes the same checksum on the host over bytes the device should hold. */
  local(data: Uint8Array): number;
  /** Asks the device for the checksum of [address, address+length). */
  remote(address: number, length: number, options?: OperationOptions): Promise<number>;
  /** Alignment `address` and `length` must have (e.g. 4). */
  readonly alignment: number;
}

/**
 * One way into a device (STM32 ROM bootloader, MCUboot, GDB server, simulator…). The
 * flash engine plans and drives; a Programmer only moves bytes. Addresses and lengths it
 * receives are already sector/page aligned by the plan.
 */
export interface Programmer {
  /** "stm32-uart", "mcuboot", "gdb", "sim"… */
  readonly kind: string;
  /** Identifies the device; reads only, never changes it (unlocks are plan operations). */
  connect(context?: CallContext): Promise<DeviceInfo>;
  readMemory(address: number, length: number, options?: OperationOptions): Promise<Uint8Array>;
  /** Erases whole sectors; each entry is one sector (address and size from the plan). */
  eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options?: OperationOptions): Promise<void>;
  /** Mass erase, where the device has one. */
  eraseChip?: ((options?: OperationOptions) => Promise<void>) | undefined;
  /** Programs erased flash; `data.length` is a multiple of the page size. */
  programFlash(address: number, data: Uint8Array, options?: OperationOptions): Promise<void>;
  /** Plain memory write (RAM). */
  writeMemory(address: number, data: Uint8Array, options?: OperationOptions): Promise<void>;
  /** Device-side checksum, when the way in has one. */
  readonly digest?: DeviceDigest | undefined;
  /**
   * Reading back is fast next to erasing and programming (a debug probe, a simulator), so by
   * default the engine reads touched sectors first and skips those already holding the image.
   * Over a slow UART bootloader with no checksum that read costs as much as the write.
   */
  readonly cheapReads?: boolean | undefined;
  /**
   * Read data arrives integrity-checked (packet checksums or a device CRC), so one read of the
   * bytes to preserve is enough; otherwise the engine reads them twice and compares, because
   * a byte garbled on the way would be written back as "preserved" data.
   */
  readonly checkedReads?: boolean | undefined;
  /**
   * What a verify mismatch points at in the way in's own code, when its pattern fits (an
   * external loader's Write losing the start of each page); one or two sentences, else undefined.
   * `expected` and `actual` are the same range, starting at `address`.
   */
  explainMismatch?(address: number, expected: Uint8Array, actual: Uint8Array): string | undefined;
  /** Starts the application (or resets the chip). `address` where the way in needs one. */
  run?(address?: number, context?: CallContext): Promise<void>;
  /**
   * Resets the chip without touching memory: 'run' lets it boot, 'halt' keeps the core at the
   * reset vector (debug-level ways in only; others throw). Each way in resets as it can:
   * MCUboot Reset, STM32 the --exit DTR/RTS sequence or Go to the reset handler, GDB monitor
   * reset / SYSRESETREQ, CMSIS-DAP SYSRESETREQ/nRESET. A reset also clears a bootloader's
   * stale view of flash (MCUboot 10203 after an erase). Resolves to how it was done, in words.
   */
  reset?(mode: 'run' | 'halt', context?: CallContext): Promise<string | void>;
  /** The unlocks and protections this way in can make. */
  readonly changes?: readonly DeviceChangeKind[] | undefined;
  /**
   * What `kind` would do to the connected device, or undefined when there is nothing to do
   * (unprotect on an open chip). Reads nothing; `device` is what connect returned.
   */
  describeChange?(kind: DeviceChangeKind, device: DeviceInfo): DeviceChange | undefined;
  /** Runs a change the plan listed. */
  applyChange?(change: DeviceChange, options?: OperationOptions): Promise<void>;
  close(): Promise<void>;
}
