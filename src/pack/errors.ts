import type { ErrorContext } from '../core/errors.js';
import { FlashwrightError } from '../core/errors.js';

/** A pack (or one of its files) is malformed or incomplete: the message names the file and what is wrong. */
export class PackFormatError extends FlashwrightError {
  constructor(source: string, message: string, context: ErrorContext = {}, hint?: string, cause?: unknown) {
    super('PACK_FORMAT', `${source} ${message}`, {
      hint: hint ?? 'The pack is damaged or not a CMSIS-Pack; download it again, or report it to its vendor.',
      context: { source, ...context },
      cause,
    });
  }
}

/** A file the .pdsc names (an .FLM) is not in the pack. */
export class PackFileMissingError extends FlashwrightError {
  constructor(pack: string, path: string, device: string) {
    super('PACK_FILE_MISSING', `${pack}: the flash algorithm ${path} that device ${device} names is not in the pack.`, {
      hint: 'The pack is incomplete: install the full .pack from its vendor (a .pdsc alone does not carry the .FLM files).',
      context: { pack, path, device },
    });
  }
}

/** No installed pack (and no built-in description) knows the part. */
export class PackDeviceUnknownError extends FlashwrightError {
  constructor(name: string, near: string[], where: string) {
    super('TARGET_UNKNOWN', `No ${where} is called '${name}'.`, {
      hint: near.length ? `Did you mean ${near.join(', ')}? \`flashwright targets\` lists all.` : 'Run `flashwright targets` to list them, `flashwright pack add FILE.pack` to install a pack, or pass --target-file.',
      context: { name, near },
    });
  }
}
