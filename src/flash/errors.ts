/** Typed errors of the flash engine: refusals before anything is touched, verify and interruption. */
import { FlashwrightError, RefusedBeforeSendingError, type ErrorDetails } from '../core/errors.js';
import { deviceStatusIn } from './diagnose.js';
import { hex, hexByte } from '../core/format.js';
import type { Phase } from '../programmer/events.js';
import type { DeviceChangeKind } from '../programmer/types.js';

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

export interface VerifyErrorDetails {
  sector?: { address: number; size: number } | undefined;
  method: 'readback' | 'digest';
  digest?: { name: string; expected: number; actual: number; address: number; length: number };
  hint?: string;
  cause?: unknown;
  /** During a write: what was erased, programmed and verified before the mismatch. */
  record?: WriteProgress;
}

/** What the device holds differs from what was written. */
export class VerifyError extends FlashwrightError {
  constructor(readonly address: number, readonly expected: number | undefined, readonly actual: number | undefined, private readonly details: VerifyErrorDetails) {
    const where = details.sector ? ` (sector ${hex(details.sector.address)}, ${details.sector.size} bytes)` : '';
    const message = expected !== undefined && actual !== undefined
      ? `Verify failed at ${hex(address)}${where}: expected ${hexByte(expected)}, read ${hexByte(actual)}.`
      : `Verify failed for ${hex(address)}${where}: the device's ${details.digest?.name ?? 'checksum'} is ${hex(details.digest?.actual ?? 0)}, expected ${hex(details.digest?.expected ?? 0)}.`;
    const hint = details.hint ?? 'Write the image again; if it fails at the same address, the sector may be write-protected or worn.';
    super('VERIFY_MISMATCH', message, {
      hint: details.record ? `${hint} The write got this far: ${describeProgress(details.record, (details.record.maybeErased?.length ?? 0) > 0)}` : hint,
      context: { address, expected, actual, sector: details.sector, method: details.method, digest: details.digest, ...(details.record ? { record: details.record } : {}) },
      cause: details.cause,
    });
  }

  /** The same mismatch with the write's record (erased, programmed, verified) attached. */
  duringWrite(record: WriteProgress): VerifyError {
    return new VerifyError(this.address, this.expected, this.actual, { ...this.details, record: structuredClone(record) });
  }
}

/** How to lift read protection / security through a way in, for hints. */
export function protectionRemedy(kind: string): string {
  switch (kind) {
    case 'stm32-uart': return 'remove it with --unprotect (Readout Unprotect: the chip mass-erases all flash and resets)';
    case 'mcuboot': return 'unlock it with --backdoor-key KEY (keeps the flash; needs KEYEN=10 in FSEC) or --unsecure (FlashEraseAllUnsecure: mass-erases all flash)';
    default: return 'remove it with the chip\'s mass erase through the debug port (Kinetis MDM-AP, STM32 option bytes RDP back to level 0), which erases all flash';
  }
}

export type Range = {
  address: number;
  size: number;
};

/** Where a write stood when it stopped: what a resume needs to know. */
export type WriteProgress = {
  /** The phase that failed. */
  phase: Phase;
  /** Unlocks and protections that ran (a mass-erasing unlock also sets chipErased). */
  changes: DeviceChangeKind[];
  /** Sector start addresses erased so far. */
  erased: number[];
  /** A mass erase (or a mass-erasing unlock) ran. */
  chipErased: boolean;
  /** Byte ranges the way in reported programmed (or written, for RAM). */
  programmed: Range[];
  /** The rest of the program call that failed: some of these bytes may be programmed. */
  maybeProgrammed?: Range[] | undefined;
  /** Ranges verified. */
  verified: Range[];
  /** Ranges the plan still had to program (maybeProgrammed included). */
  pending: Range[];
  /** Memory of the erase (or unlock) call that failed: any of it may now be erased, wholly or partly. */
  maybeErased?: Range[] | undefined;
  /** Bytes to keep that were saved before their sectors were erased: where, and which ranges. */
  kept?: { journal: string; ranges: Range[] } | undefined;
};

/** At most this many ranges are listed per kind in the hint; the context has them all. */
const MAX_LISTED = 6;

function capped(parts: string[]): string {
  return parts.length <= MAX_LISTED ? parts.join(', ') : `${parts.slice(0, MAX_LISTED).join(', ')} and ${parts.length - MAX_LISTED} more`;
}

/** Ranges as `0x08000000-0x080007FF` (inclusive), adjacent ones merged. */
export function formatRanges(ranges: ReadonlyArray<{ address: number; size: number }>): string {
  const sorted = [...ranges].filter((r) => r.size > 0).sort((a, b) => a.address - b.address);
  const merged: Array<{ start: number; end: number }> = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.address <= last.end) last.end = Math.max(last.end, r.address + r.size);
    else merged.push({ start: r.address, end: r.address + r.size });
  }
  return capped(merged.map((m) => `${hex(m.start)}-${hex(m.end - 1)}`));
}

/**
 * Erased sectors as their start addresses (the record has no sizes): runs with an even
 * step are folded into `0x08000000 … 0x08001C00 (8 sectors, every 0x400)`.
 */
export function formatSectorStarts(starts: readonly number[]): string {
  const sorted = [...new Set(starts)].sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const a of sorted) {
    const run = runs[runs.length - 1];
    if (run && (run.length === 1 || a - run[run.length - 1]! === run[1]! - run[0]!)) run.push(a);
    else runs.push([a]);
  }
  // A two-element run whose step does not continue reads better as two plain addresses.
  return capped(runs.flatMap((r) => (r.length < 3
    ? r.map((a) => hex(a))
    : [`${hex(r[0]!)} … ${hex(r[r.length - 1]!)} (${r.length} sectors, every ${hex(r[1]! - r[0]!, 1)})`])));
}

/** The resume record as the hint prints it: what is erased, programmed, verified, still to do. */
function describeProgress(progress: WriteProgress, maybeErasedCounts: boolean): string {
  const parts: string[] = [];
  if (progress.changes.length) parts.push(`Done: ${progress.changes.join(', ')}.`);
  if (progress.chipErased) parts.push('Erased: the whole chip (mass erase).');
  else if (progress.erased.length) parts.push(`Erased: sectors at ${formatSectorStarts(progress.erased)}.`);
  if (progress.maybeErased?.length && maybeErasedCounts) parts.push(`Possibly erased by the failed call: ${formatRanges(progress.maybeErased)}.`);
  parts.push(`Programmed: ${progress.programmed.length ? formatRanges(progress.programmed) : 'nothing'}.`);
  if (progress.maybeProgrammed?.length) parts.push(`Possibly partly programmed by the failed call: ${formatRanges(progress.maybeProgrammed)}.`);
  parts.push(`Verified: ${progress.verified.length ? formatRanges(progress.verified) : 'nothing'}.`);
  if (progress.pending.length) parts.push(`Still to program: ${formatRanges(progress.pending)}.`);
  return parts.join(' ');
}

/** The link or device failed in the middle of a write; the context says what was done. */
export class FlashInterruptedError extends FlashwrightError {
  constructor(readonly progress: WriteProgress, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    // A way in that refused before sending anything (a read-protected STM32) raises a
    // RefusedBeforeSendingError: then the failed call cannot have erased anything.
    const refusedUpFront = cause instanceof RefusedBeforeSendingError;
    const maybeCount = refusedUpFront ? 0 : progress.maybeErased?.length ?? 0;
    const maybe = maybeCount ? ` (and ${maybeCount} more possibly erased by the failed call)` : '';
    const erasedText = progress.chipErased ? 'the chip was mass-erased' : `${progress.erased.length} sector(s) erased${maybe}`;
    const touched = progress.changes.length > 0 || progress.erased.length > 0 || progress.chipErased || maybeCount > 0 || progress.programmed.length > 0 || (progress.maybeProgrammed?.length ?? 0) > 0;
    // The device's own answer (a status, a NACK) is not a link problem: never say "fix the link" then.
    const status = deviceStatusIn(cause);
    const cancelled = cause instanceof FlashwrightError && cause.code === 'CANCELLED';
    const untouchedHint = refusedUpFront && cause.hint ? `Nothing was erased or programmed: ${cause.hint}`
      : status ? `Nothing was erased or programmed yet. The device refused (${status.code}): act on its message${status.hint ? ` — ${status.hint}` : ''} — then run the write again.`
        : cancelled ? 'Nothing was erased or programmed yet; run the write again when ready.'
          : 'Nothing was erased or programmed yet; fix the link and run the write again.';
    // A device hint that already says how to resume (--skip) is not followed by the same advice again.
    const statusSaysResume = status?.hint !== undefined && status.hint.includes('--skip');
    const next = status
      ? `The device itself refused (${status.code}; the link is fine): act on its message${status.hint ? ` — ${status.hint}` : ''}${statusSaysResume ? '' : ' — then run the same command again with --skip, so sectors already finished are found equal and skipped.'}`
      : cancelled
        ? 'Run the same command again with --skip to finish it: sectors already finished are found equal and skipped.'
        : 'Fix the link and run the same command again with --skip, so sectors already finished are found equal and skipped.';
    super('FLASH_INTERRUPTED',
      `The write stopped during ${progress.phase} after ${erasedText} and ${progress.programmed.length} range(s) programmed: ${inner}`,
      {
        // Without --skip a resumed write erases and programs every planned sector again
        // (correct, only slower); with it, sectors that already match are read and skipped.
        hint: touched
          ? `The device is partly written and will not run as is. ${describeProgress(progress, maybeCount > 0)}${progress.kept ? ` The bytes kept around the image (${formatRanges(progress.kept.ranges)}) were saved in ${progress.kept.journal}; the next write restores them.` : ''} ${next}`
          : untouchedHint,
        context: {
          ...progress,
          erasedHex: progress.erased.map((a) => hex(a)),
          maybeErasedHex: (progress.maybeErased ?? []).map((r) => `${hex(r.address)}+${hex(r.size)}`),
          pendingHex: progress.pending.map((r) => `${hex(r.address)}+${hex(r.size)}`),
          maybeProgrammedHex: (progress.maybeProgrammed ?? []).map((r) => `${hex(r.address)}+${hex(r.size)}`),
        },
        cause,
      });
  }
}
