import { FlashwrightError, UsageError } from '../core/errors.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit.js';

/** Where the CLI writes: injectable so tests can capture output. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
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
};

/** Renders an error as "error: message" + "hint: …" (or JSON) and returns the exit code. */
export function reportError(io: Io, error: unknown, json: boolean): number {
  const code = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  if (json) {
    const body = error instanceof FlashwrightError ? error.toJSON() : { name: 'Error', code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
    io.out(JSON.stringify({ type: 'error', error: body }) + '\n');
    return code;
  }
  if (error instanceof FlashwrightError) {
    io.err(`error: ${error.message}\n`);
    if (error.hint) io.err(`hint: ${error.hint}\n`);
    let cause = error.cause;
    while (cause instanceof Error) {
      io.err(`  caused by: ${cause.message}\n`);
      cause = cause.cause;
    }
  } else {
    io.err(`error: ${String((error as Error)?.stack ?? error)}\n`);
  }
  return code;
}
