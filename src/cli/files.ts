/**
 * Output files for every command: the path is checked before any device work starts (a read
 * that takes minutes must not end in "ENOENT"), and an I/O failure is one sentence plus a
 * hint, never a stack trace.
 */
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FlashwrightError, UsageError } from '../core/errors.js';

/** Why a Node I/O error code happened, in words. */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'the folder does not exist';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a directory';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'ENOSPC': return 'the disk is full';
    case 'EROFS': return 'the file system is read-only';
    case 'EDQUOT': return 'the disk quota is used up';
    default: return code ?? String((e as Error)?.message ?? e);
  }
}

/**
 * Throws a UsageError (exit 2) when `path` cannot be created or replaced: its folder is
 * missing or not writable, or the path is a directory. `what` names the file in the message
 * ("the output file", "the sim state file").
 */
export function checkOutputPath(path: string, what: string, option?: string): void {
  const dir = dirname(resolve(path));
  const named = `${what} ${path}${option ? ` (${option})` : ''}`;
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (e) {
    throw new UsageError(`Cannot write ${named}: the folder ${dir} does not exist.`, { hint: 'Create the folder first, or choose another path.', context: { path, code: (e as NodeJS.ErrnoException).code } });
  }
  if (!dirStat.isDirectory()) throw new UsageError(`Cannot write ${named}: ${dir} is not a folder.`, { hint: 'Choose a path inside an existing folder.', context: { path } });
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`Cannot write ${named}: it is a directory.`, { hint: 'Give a file name, not a folder.', context: { path } });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // Does not exist yet: the folder must be writable.
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`Cannot write ${named}: ${ioReason(e)} in ${dir}.`, { hint: 'Choose a folder you can write to.', context: { path, code: (e as NodeJS.ErrnoException).code } });
  }
}

/** Writes a whole file; a failure (disk full, …) becomes one sentence with a hint (exit 1). */
export function writeOutputFile(path: string, data: Uint8Array | string, what = 'the output file'): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new FlashwrightError('FILE_WRITE', `Cannot write ${what} ${path}: ${ioReason(e)}.`, { hint: 'Check the path, permissions and free space, then run the command again.', context: { path, code: (e as NodeJS.ErrnoException).code } });
  }
}

/**
 * Why an input file cannot be read, as the end of "The image file PATH …": the system's own
 * text ("ENOENT: no such file or directory, open …") would only repeat the sentence.
 */
export function inputReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'does not exist';
    case 'EACCES': case 'EPERM': return 'cannot be read (permission denied)';
    case 'EISDIR': return 'is a directory, not a file';
    case 'ENOTDIR': return 'cannot be reached: a part of its path is not a folder';
    default: return `cannot be read (${code ?? String((e as Error)?.message ?? e)})`;
  }
}

/**
 * Reads an input file given on the command line. Failing is a usage error (exit 2, as
 * documented for a missing or unreadable input file): one sentence naming the file and why,
 * plus `hint`; the errno code goes into the context only.
 */
export function readInputFile(path: string, what: string, hint: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    throw new UsageError(`${what.charAt(0).toUpperCase()}${what.slice(1)} ${path} ${inputReason(e)}.`, { hint, context: { path, ...(code ? { code } : {}) } });
  }
}
