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
  context?: Record<string, unknown>;
  cause?: unknown;
}

export class FlashwrightError extends Error {
  readonly code: string;
  readonly hint?: string | undefined;
  readonly context: Record<string, unknown>;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
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
