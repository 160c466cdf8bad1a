import type { TargetDescription } from '../target/types.js';

/** Options every device operation takes. */
export interface OperationOptions {
  signal?: AbortSignal;
  /** Bytes finished so far within this call (monotonic). */
  onProgress?: (bytesDone: number) => void;
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
  /** Free-form extra facts for `info` (bootloader version, command list, properties…). */
  details?: Record<string, unknown>;
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
  connect(options?: { signal?: AbortSignal }): Promise<DeviceInfo>;
  readMemory(address: number, length: number, options?: OperationOptions): Promise<Uint8Array>;
  /** Erases whole sectors; each entry is one sector (address and size from the plan). */
  eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options?: OperationOptions): Promise<void>;
  /** Mass erase, where the device has one. */
  eraseChip?(options?: OperationOptions): Promise<void>;
  /** Programs erased flash; `data.length` is a multiple of the page size. */
  programFlash(address: number, data: Uint8Array, options?: OperationOptions): Promise<void>;
  /** Plain memory write (RAM). */
  writeMemory(address: number, data: Uint8Array, options?: OperationOptions): Promise<void>;
  /** Device-side checksum, when the way in has one. */
  readonly digest?: DeviceDigest;
  /**
   * Reading back is fast next to erasing and programming (a debug probe, a simulator), so by
   * default the engine reads touched sectors first and skips those already holding the image.
   * Over a slow UART bootloader with no checksum that read costs as much as the write.
   */
  readonly cheapReads?: boolean;
  /**
   * Read data arrives integrity-checked (packet checksums or a device CRC), so one read of the
   * bytes to preserve is enough; otherwise the engine reads them twice and compares, because
   * a byte garbled on the way would be written back as "preserved" data.
   */
  readonly checkedReads?: boolean;
  /** Starts the application (or resets the chip). `address` where the way in needs one. */
  run?(address?: number, options?: { signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}
