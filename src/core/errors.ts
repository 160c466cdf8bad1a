/** What an error's context may hold: JSON values, so a record prints and parses back as it was. */
export type ContextValue = string | number | boolean | null | undefined | readonly ContextValue[] | { readonly [key: string]: ContextValue };
/** The evidence an error carries (addresses, bytes as numbers, names). */
export type ErrorContext = Record<string, ContextValue>;

/**
 * Typed errors. Every error flashwright raises is a FlashwrightError with a stable `code`,
 * a one-sentence message (addresses in hex), an optional `hint` saying what to do, a
 * `context` record with the evidence, and the underlying `cause` when there is one.
 * The library never prints: the CLI renders these.
 */
export interface ErrorDetails {
  /** What the user can do about it, one sentence. */
  hint?: string | undefined;
  /** Evidence: addresses, expected/actual values, command names, status codes. */
  context?: ErrorContext;
  cause?: unknown;
}

/** Every stable error code flashwright raises (the `code` of a FlashwrightError). */
export type ErrorCode =
  | 'ALGO_CRASHED'
  | 'ALGO_FAILED'
  | 'ALGO_FORMAT'
  | 'ALGO_RAM'
  | 'ALGO_RANGE'
  | 'ALGO_STACK_OVERFLOW'
  | 'ALGO_TIMEOUT'
  | 'CANCELLED'
  | 'CHANGE_UNSUPPORTED'
  | 'CHECK_REFUSED'
  | 'CORE'
  | 'DAP_COMMAND'
  | 'DAP_LINK'
  | 'DAP_NO_TRANSPORT'
  | 'DAP_RESPONSE'
  | 'DAP_TCP_FRAMING'
  | 'DEBUG_PORT'
  | 'FILE_WRITE'
  | 'FLASH_INTERRUPTED'
  | 'FLASH_STALE_CACHE'
  | 'FLEXSPI_OPTION'
  | 'GDB_ERROR_REPLY'
  | 'GDB_PROTOCOL'
  | 'GDB_RESET'
  | 'GDB_UNSUPPORTED'
  | 'HID_OPEN'
  | 'IMAGE_ADDRESS_RANGE'
  | 'IMAGE_BAD_ELF'
  | 'IMAGE_BINARY_GAP'
  | 'IMAGE_EMPTY'
  | 'IMAGE_FILE_WRITE'
  | 'IMAGE_INCOMPLETE'
  | 'IMAGE_OVERLAP'
  | 'IMAGE_TRUNCATED'
  | 'IMAGE_UNKNOWN_FORMAT'
  | 'IMAGE_UNSUPPORTED'
  | 'IMXRT_BOOT_IMAGE'
  | 'INTERNAL'
  | 'KINETIS_MASS_ERASE_DISABLED'
  | 'KINETIS_SECURED'
  | 'LINK_CLOSED'
  | 'MCUBOOT_BACKDOOR_REJECTED'
  | 'MCUBOOT_COMMAND_UNAVAILABLE'
  | 'MCUBOOT_FRAMING'
  | 'MCUBOOT_LINK'
  | 'MCUBOOT_NOT_CONNECTED'
  | 'MCUBOOT_NO_INTERNAL_FLASH'
  | 'MCUBOOT_NO_PING'
  | 'MCUBOOT_NO_SCRATCH_RAM'
  | 'MCUBOOT_PACKET'
  | 'MCUBOOT_SECURE'
  | 'MCUBOOT_SHORT_READ'
  | 'MCUBOOT_STATUS'
  | 'NOR_ADDRESS'
  | 'NOR_FAULT'
  | 'NOR_PROGRAM_NOT_ERASED'
  | 'NOR_RESET'
  | 'NOR_WRITE_PROTECTED'
  | 'NOT_CONNECTED'
  | 'NO_MEM_AP'
  | 'NO_PROBE'
  | 'PACKET_TOO_LARGE'
  | 'PACK_DOWNLOAD'
  | 'PACK_FILE_MISSING'
  | 'PACK_FORMAT'
  | 'PTY'
  | 'PLAN_CHIP_ERASE'
  | 'PLAN_INCOMPLETE'
  | 'PLAN_NOT_CONFIGURED'
  | 'PLAN_OUTSIDE_MEMORY'
  | 'PLAN_READ_ONLY'
  | 'PLAN_RESERVED'
  | 'PLAN_TOO_LARGE'
  | 'PLAN_UNALIGNED'
  | 'PLAN_WRITE_PROTECTED'
  | 'PRESERVE_READ_UNSTABLE'
  | 'PRESERVE_UNREADABLE'
  | 'PROBE_ACCESS'
  | 'PROBE_UNPLUGGED'
  | 'RESET_UNSUPPORTED'
  | 'SERIAL_PORT'
  | 'SIM_NOT_CONFIGURED'
  | 'SIM_NOT_FLASH'
  | 'SIM_READ_ONLY'
  | 'SIM_STATE'
  | 'SIM_STATE_LOCKED'
  | 'SIM_UNMAPPED'
  | 'STM32_ARGUMENT'
  | 'STM32_BAD_FRAME'
  | 'STM32_DEVICE_RESET'
  | 'STM32_NACK'
  | 'STM32_NOT_A_PAGE'
  | 'STM32_NOT_CONNECTED'
  | 'STM32_NO_ANSWER'
  | 'STM32_NO_FLASH'
  | 'STM32_READ_GARBLED'
  | 'STM32_READ_PROTECTED'
  | 'STM32_UNEXPECTED_BYTE'
  | 'STM32_UNKNOWN_PID'
  | 'STM32_UNSUPPORTED'
  | 'STM32_WRITE_UNCERTAIN'
  | 'TARGET_INVALID'
  | 'TARGET_MISMATCH'
  | 'TARGET_UNKNOWN'
  | 'TCP_CONNECT'
  | 'TIMEOUT'
  | 'USAGE'
  | 'IMXRT_HAB_CLOSED'
  | 'IMXRT_IVT_IMAGE'
  | 'IMXRT_RECOVER_LOAD_ADDRESS'
  | 'IMXRT_ROM_SILENT'
  | 'SDP_JUMP_FAILED'
  | 'SDP_LINK'
  | 'SDP_PACKET'
  | 'SDP_STATUS'
  | 'STLDR_FORMAT'
  | 'WEB_SERIAL'
  | 'WEB_SERVER'
  | 'IMAGE_BAD_CHECKSUM'
  | 'IMAGE_BAD_RECORD'
  | 'IMAGE_UNKNOWN_RECORD'
  | 'IMAGE_LENGTH_MISMATCH'
  | 'DAP_PROTOCOL_ERROR'
  | 'DAP_VALUE_MISMATCH'
  | 'DAP_BAD_ACK'
  | 'DAP_WAIT'
  | 'DAP_FAULT'
  | 'DAP_NO_ACK'
  | 'USB_TRANSFER'
  | 'VERIFY_IMPOSSIBLE'
  | 'VERIFY_MISMATCH'
  | 'VERIFY_READS_UNSTABLE'
  | 'WL';

export class FlashwrightError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string | undefined;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = details.hint;
    this.context = details.context ?? {};
  }

  /** A plain object for JSON output. */
  toJSON(): Record<string, unknown> {
    const cause = this.cause instanceof FlashwrightError ? this.cause.toJSON()
      : this.cause instanceof Error ? { message: this.cause.message } : undefined;
    return { name: this.name, code: this.code, message: this.message, hint: this.hint, context: this.context, cause };
  }
}

/**
 * A way in refused an operation before sending anything to the device (a read-protected
 * STM32, a secure Kinetis): the failed call cannot have changed the chip.
 */
export class RefusedBeforeSendingError extends FlashwrightError {}

/** The user asked for something that cannot be done as asked (bad option, bad value). */
export class UsageError extends FlashwrightError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('USAGE', message, details);
  }
}

/** An operation was cancelled through its AbortSignal. */
export class CancelledError extends FlashwrightError {
  constructor(what = 'operation', cause?: unknown) {
    super('CANCELLED', `The ${what} was cancelled.`, { cause });
  }
}

/** A device or peer did not answer in time. */
export class TimeoutError extends FlashwrightError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('TIMEOUT', message, details);
  }
}

/** Throws CancelledError if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what, signal.reason);
}
