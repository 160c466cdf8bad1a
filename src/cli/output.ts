import { FlashwrightError, UsageError } from '../core/errors.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit.js';
import { doctorLines } from './commands/doctor.js';

/** Where the CLI writes: injectable so tests can capture output. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
  /** Terminal width (stderr), when it is a terminal: bars and the memory map fit it. */
  readonly columns?: number | undefined;
  /** Where SIGINT/SIGTERM/SIGHUP come from (default: the process); tests pass an emitter. */
  signals?: { on(event: string,listener: () => void): unknown; removeListener(event: string,listener: () => void): unknown } | undefined;
}

/**
 * A writer for stdout or stderr that stops quietly once the reader has gone (EPIPE, as in
 * `flashwright write … --json | head -3`): the command carries on and keeps its exit code,
 * instead of dying on an unhandled 'error' event. Other stream errors still surface.
 */
export function pipeSafeWriter(getStream: () => NodeJS.WritableStream): (text: string) => void {
  let gone = false;
  let stream: NodeJS.WritableStream | undefined;
  return (text) => {
    if (gone) return;
    if (!stream) {
      stream = getStream(); // on first use: the stream is created lazily by Node
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') { gone = true; return; }
        throw e;
      });
    }
    try {
      stream.write(text);
    } catch (e) {
      // A synchronous EPIPE (some stream types report it by throwing).
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') { gone = true; return; }
      throw e;
    }
  };
}

export const processIo: Io = {
  out: pipeSafeWriter(() => process.stdout),
  err: pipeSafeWriter(() => process.stderr),
  isTty: Boolean(process.stderr.isTTY),
  // Read at each use: the user may resize the terminal while a write runs.
  get columns() { return process.stderr.isTTY ? process.stderr.columns : undefined; },
};

/**
 * The name a user sees for an error: the class name without the prefixes and suffixes a
 * bundler adds when it renames classes (`_FlashwrightError`, `UsageError2`).
 */
export function publicErrorName(error: unknown): string {
  const raw = error instanceof Error ? error.name : 'Error';
  return raw.replace(/^_+/, '').replace(/\d+$/, '') || 'Error';
}

/** The error as JSON: FlashwrightError's fields with public names all down the cause chain. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof FlashwrightError) {
    const body = error.toJSON();
    return { ...body, name: publicErrorName(error), cause: error.cause === undefined ? undefined : errorJson(error.cause) };
  }
  if (error instanceof Error) return { name: publicErrorName(error), code: (error as NodeJS.ErrnoException).code ?? 'INTERNAL', message: error.message, cause: error.cause === undefined ? undefined : errorJson(error.cause) };
  return { name: 'Error', code: 'INTERNAL', message: String(error) };
}

/** Same text, ignoring case, spacing and a final full stop. */
function sameText(a: string, b: string): boolean {
  const norm = (t: string) => t.toLowerCase().replace(/\s+/g, ' ').replace(/[.\s]+$/, '').trim();
  const x = norm(a);
  const y = norm(b);
  return x === y || (y.length > 0 && x.includes(y));
}

/**
 * The text lines of an error: "error: message", "hint: …", then each cause that says
 * something new with its own hint ("caused by: …" / "  hint: …"). Never a stack trace: an
 * error that is not a FlashwrightError is a bug, and says so.
 */
export function errorLines(error: unknown): string[] {
  const lines: string[] = [];
  if (!(error instanceof FlashwrightError)) {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`error: ${message}`);
    lines.push('hint: This is an internal error in flashwright (no stack trace shown); please report it with the command line that caused it.');
    return lines;
  }
  lines.push(`error: ${error.message}`);
  if (error.hint) lines.push(`hint: ${error.hint}`);
  const said = [error.message];
  const hints = new Set(error.hint ? [error.hint] : []);
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 10; depth++) {
    const text = cause.message;
    if (!said.some((m) => sameText(m, text))) {
      lines.push(`  caused by: ${text}`);
      said.push(text);
    }
    const hint = cause instanceof FlashwrightError ? cause.hint : undefined;
    // A hint already printed, or quoted inside a printed hint (an interruption quotes the device's), is not repeated.
    if (hint && ![...hints].some((h) => h.includes(hint))) {
      lines.push(`    hint: ${hint}`);
      hints.add(hint);
    }
    cause = cause.cause;
  }
  return lines;
}

/** Renders an error as "error: message" + "hint: …" (or JSON) and returns the exit code. */
export function reportError(io: Io, error: unknown, json: boolean, doctor: { argv: readonly string[]; explain: boolean } = { argv: [], explain: false }): number {
  const code = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  if (json) {
    io.out(JSON.stringify({ type: 'error', error: errorJson(error) }) + '\n');
    return code;
  }
  io.err(errorLines(error).join('\n') + '\n');
  // A failure (not a usage error) ends with the way to its explanation (issue 11 §1).
  if (code === EXIT_FAILED) io.err(doctorLines(errorJson(error), doctor.argv, doctor.explain).join('\n') + '\n');
  return code;
}
