/**
 * The image of a device operation (write, verify, plan, check): a raw binary goes to the
 * target's boot flash unless --base says otherwise (never to RAM by default), a HEX or
 * S-record file without its end record is refused unless --allow-incomplete, and an empty
 * image is an error (exit 1) everywhere.
 */
import { FlashwrightError } from '../core/errors.js';
import type { LoadedImage } from '../image/formats.js';
import { bootRegion } from '../target/boot.js';
import type { TargetDescription } from '../target/types.js';
import { loadImageFile, parseAddressOption, parseImageFormatOption } from './load-image.js';

export interface ImageInputOptions {
  format?: string;
  base?: string;
  allowIncomplete?: boolean;
}

/** A file with data but no end record, used for a device operation. */
export class ImageIncompleteError extends FlashwrightError {
  constructor(source: string, incomplete: { line: number; message: string }) {
    super('IMAGE_INCOMPLETE', incomplete.message, {
      hint: 'Build or copy the file again; if it really is complete without an end record, pass --allow-incomplete.',
      context: { source, lastLine: incomplete.line },
    });
  }
}

/** The image holds no bytes at all: nothing to write, verify or check. */
export function emptyImageError(source: string, what?: string): FlashwrightError {
  return new FlashwrightError('IMAGE_EMPTY', `${source} holds no data${what ? ` to ${what}` : ''}.`, {
    hint: 'Check the file: an ELF with only NOBITS sections, a HEX/S-record file with only an end record, or an empty binary gives an empty image.',
    context: { source },
  });
}

/** Loads `path` for a device operation on `target` (undefined when none was named). */
export function loadDeviceImage(path: string, options: ImageInputOptions, target: TargetDescription | undefined, what: string): LoadedImage {
  const boot = target && bootRegion(target);
  const loaded = loadImageFile(path, {
    format: parseImageFormatOption(options.format),
    base: parseAddressOption(options.base, '--base'),
    defaultBase: boot && target ? { address: boot.start, what: `the boot ${boot.kind === 'flash' ? 'flash' : 'memory'} '${boot.name}' of ${target.name}` } : undefined,
    requireBase: true,
  });
  if (loaded.incomplete && !options.allowIncomplete) throw new ImageIncompleteError(path, loaded.incomplete);
  if (loaded.image.isEmpty) throw emptyImageError(path, what);
  return loaded;
}
