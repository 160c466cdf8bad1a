import { FlashwrightError, UsageError } from '../core/errors.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit.js';

/** Where the CLI writes: injectable so tests can capture output. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
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
