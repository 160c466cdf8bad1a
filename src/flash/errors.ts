/** Typed errors of the flash engine: refusals before anything is touched, verify and interruption. */
import { FlashwrightError, type ErrorDetails } from '../core/errors.js';
import { hex, hexByte } from '../core/format.js';

/** The plan refuses the image: data outside programmable memory, on a reserved area, too large, protected. */
export class PlanRefusedError extends FlashwrightError {
  constructor(code: 'PLAN_OUTSIDE_MEMORY' | 'PLAN_NOT_CONFIGURED' | 'PLAN_READ_ONLY' | 'PLAN_RESERVED' | 'PLAN_TOO_LARGE' | 'PLAN_WRITE_PROTECTED' | 'PLAN_UNALIGNED' | 'PLAN_CHIP_ERASE',
    message: string, details: ErrorDetails) {
    super(code, message, details);
  }
}

/** A pre-flight check found something that must not be written without an explicit override. */
export class CheckRefusedError extends FlashwrightError {
  constructor(message: string, details: ErrorDetails) {
    super('CHECK_REFUSED', message, details);
  }
}

/** What the device holds differs from what was written. */
export class VerifyError extends FlashwrightError {
  constructor(readonly address: number, readonly expected: number | undefined, readonly actual: number | undefined, details: {
    sector?: { address: number; size: number };
    method: 'readback' | 'digest';
    digest?: { name: string; expected: number; actual: number; address: number; length: number };
    hint?: string;
    cause?: unknown;
  }) {
    const where = details.sector ? ` (sector ${hex(details.sector.address)}, ${details.sector.size} bytes)` : '';
    const message = expected !== undefined && actual !== undefined
      ? `Verify failed at ${hex(address)}${where}: expected ${hexByte(expected)}, read ${hexByte(actual)}.`
      : `Verify failed for ${hex(address)}${where}: the device's ${details.digest?.name ?? 'checksum'} is ${hex(details.digest?.actual ?? 0)}, expected ${hex(details.digest?.expected ?? 0)}.`;
    super('VERIFY_MISMATCH', message, {
      hint: details.hint ?? 'Write the image again; if it fails at the same address, the sector may be write-protected or worn.',
      context: { address, expected, actual, sector: details.sector, method: details.method, digest: details.digest },
      cause: details.cause,
    });
  }
}

/** Where a write stood when it stopped: what a resume needs to know. */
export interface WriteProgress {
  /** The phase that failed. */
  phase: string;
  /** Sector start addresses erased so far (or 'chip' when a mass erase ran). */
  erased: number[];
  chipErased: boolean;
  /** Ranges programmed completely. */
  programmed: Array<{ address: number; size: number }>;
  /** Ranges verified. */
  verified: Array<{ address: number; size: number }>;
  /** Ranges the plan still had to program. */
  pending: Array<{ address: number; size: number }>;
  /** Sectors of the erase call that failed: any of them may now be erased, wholly or partly. */
  maybeErased?: Array<{ address: number; size: number }>;
}

/** The link or device failed in the middle of a write; the context says what was done. */
export class FlashInterruptedError extends FlashwrightError {
  constructor(readonly progress: WriteProgress, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    const maybe = progress.maybeErased?.length ? ` (and ${progress.maybeErased.length} more possibly erased by the failed call)` : '';
    const erasedText = progress.chipErased ? 'the chip was mass-erased' : `${progress.erased.length} sector(s) erased${maybe}`;
    super('FLASH_INTERRUPTED',
      `The write stopped during ${progress.phase} after ${erasedText} and ${progress.programmed.length} range(s) programmed: ${inner}`,
      {
        hint: progress.erased.length || progress.chipErased || progress.maybeErased?.length
          ? 'The device is partly written and will not run as is: fix the link and run the same write again (sectors already correct are skipped).'
          : 'Nothing was erased yet; fix the link and run the write again.',
        context: {
          ...progress,
          erasedHex: progress.erased.map((a) => hex(a)),
          maybeErasedHex: (progress.maybeErased ?? []).map((r) => `${hex(r.address)}+${hex(r.size)}`),
          pendingHex: progress.pending.map((r) => `${hex(r.address)}+${hex(r.size)}`),
        },
        cause,
      });
  }
}
