/**
 * Reads an image file for any command. Intel HEX and S-record files are parsed as they are
 * read, in 4 MiB chunks, so memory stays near the image size rather than the (2–3× larger)
 * file size; ELF and raw binaries are read whole.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { parseNumber } from '../core/format.js';
import { checkBaseApplies, chooseFormat, estimateDataBytes, IMAGE_FORMATS, loadImage, parseFormatName, type ImageFormat, type LoadedImage, type LoadOptions } from '../image/formats.js';
import { IntelHexParser } from '../image/intel-hex.js';
import { SrecParser } from '../image/srec.js';
import { inputReason } from './files.js';

const CHUNK = 4 * 1024 * 1024;

export interface LoadImageFileOptions {
  format?: ImageFormat | undefined;
  base?: number | undefined;
  defaultBase?: LoadOptions['defaultBase'];
  requireBase?: boolean;
}

/** Loads `path` into a MemoryImage, detecting the format from content unless `format` is given. */
export function loadImageFile(path: string, options: LoadImageFileOptions = {}): LoadedImage {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`The image file ${path} ${inputReason(e)}.`, { hint: 'Check the path and permissions.', context: { path, ...(code ? { code } : {}) } });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const what = stat.isDirectory() ? 'a directory' : 'not a regular file';
      throw new UsageError(`${path} is ${what}, not an image file.`, { hint: 'Give the path of an ELF, Intel HEX, S-record or binary file.', context: { path } });
    }
    const head = new Uint8Array(CHUNK);
    const n = readFully(fd, head, path);
    const first = head.subarray(0, n);
    const loadOptions: LoadOptions = { source: path, format: options.format, base: options.base, defaultBase: options.defaultBase, requireBase: options.requireBase };
    const warnings: string[] = [];
    const format = chooseFormat(first.subarray(0, 4096), loadOptions, warnings);
    checkBaseApplies(format, loadOptions);
    if (format === 'hex' || format === 'srec') {
      const hint = estimateDataBytes(first, stat.size, format);
      const parser = format === 'hex' ? new IntelHexParser(path, hint) : new SrecParser(path, hint);
      parser.push(first);
      if (n === CHUNK) {
        for (;;) {
          const m = readFully(fd, head, path);
          if (m === 0) break;
          parser.push(head.subarray(0, m));
          if (m < CHUNK) break;
        }
      }
      const r = parser.finish();
      return { image: r.image, format, warnings: [...warnings, ...r.warnings], header: 'header' in r ? r.header as string | undefined : undefined, ...(r.incomplete ? { incomplete: r.incomplete } : {}) };
    }
    const data = n < CHUNK ? first.slice() : readWhole(path);
    return loadImage(data, { ...loadOptions, format });
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buf: Uint8Array, path: string): number {
  let n = 0;
  try {
    while (n < buf.length) {
      const m = readSync(fd, buf, n, buf.length - n, null);
      if (m === 0) break;
      n += m;
    }
  } catch (e) {
    throw unreadable(path, e);
  }
  return n;
}

function readWhole(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw unreadable(path, e);
  }
}

/** An input file that cannot be read is a usage problem (exit 2), like one that does not exist. */
function unreadable(path: string, cause: unknown): UsageError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new UsageError(`The image file ${path} ${inputReason(cause)}.`, { hint: 'Check that it is a regular, readable file.', context: { path, ...(code ? { code } : {}) } });
}

/** Parses a --format value for images, or throws a usage error listing the choices. */
export function parseImageFormatOption(value: string | undefined, option = '--format'): ImageFormat | undefined {
  if (value === undefined) return undefined;
  const f = parseFormatName(value);
  if (!f) throw new UsageError(`Unknown image format '${value}' for ${option}.`, { hint: `Choose one of: ${IMAGE_FORMATS.join(', ')}.` });
  return f;
}

/** Parses an address option such as --base 0x08000000. */
export function parseAddressOption(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const v = parseNumber(value);
  if (v === undefined || v < 0 || v > 0xffffffff) throw new UsageError(`${option} needs a 32-bit address such as 0x08000000, not '${value}'.`, { hint: 'Write addresses in hex (0x…) or decimal.' });
  return v;
}
