import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';

/** Where in a file a parse problem sits: a text line (HEX/SREC) or a byte offset (ELF). */
export interface ParseLocation {
  /** File name (or other label) as given by the caller. */
  readonly source: string;
  /** 1-based line number, for text formats. */
  readonly line?: number;
  /** Byte offset in the file, for binary formats (and the line start for text ones). */
  readonly offset?: number;
  /** The field that was wrong: "checksum", "e_phoff", "byte count"… */
  readonly field?: string;
}

/** Stable codes for the kinds of malformed input, so callers and tests can tell them apart. */
export type ImageParseCode =
  | 'IMAGE_BAD_CHECKSUM'
  | 'IMAGE_BAD_RECORD'
  | 'IMAGE_UNKNOWN_RECORD'
  | 'IMAGE_LENGTH_MISMATCH'
  | 'IMAGE_TRUNCATED'
  | 'IMAGE_BAD_ELF'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_UNKNOWN_FORMAT';

/** Formats a location as "app.hex line 12" or "fw.elf offset 0x00000034". */
export function describeLocation(loc: ParseLocation): string {
  if (loc.line !== undefined) return `${loc.source} line ${loc.line}`;
  if (loc.offset !== undefined) return `${loc.source} offset ${hex(loc.offset)}`;
  return loc.source;
}

/**
 * A file could not be read as the format it claims to be. The message names the file, line or
 * offset and field; `context` carries expected and found values (a bad checksum shows both).
 */
export class ImageParseError extends FlashwrightError {
  readonly location: ParseLocation;
  readonly expected?: string | undefined;
  readonly found?: string | undefined;

  constructor(code: ImageParseCode, location: ParseLocation, problem: string,
    details: { expected?: string | undefined; found?: string | undefined; hint?: string; cause?: unknown } = {}) {
    const where = describeLocation(location);
    const field = location.field ? ` (${location.field})` : '';
    const ef = details.expected !== undefined || details.found !== undefined
      ? `: expected ${details.expected ?? '?'}, found ${details.found ?? '?'}` : '';
    super(code, `${where}${field}: ${problem}${ef}.`, {
      hint: details.hint ?? defaultHint(code),
      cause: details.cause,
      context: { ...location, expected: details.expected, found: details.found },
    });
    this.location = location;
    this.expected = details.expected;
    this.found = details.found;
  }
}

function defaultHint(code: ImageParseCode): string {
  switch (code) {
    case 'IMAGE_BAD_CHECKSUM': return 'The file is corrupted (or was edited by hand): rebuild or re-download it.';
    case 'IMAGE_TRUNCATED': return 'The file ends early: it may have been cut short while copying or downloading.';
    case 'IMAGE_UNKNOWN_FORMAT': return 'Give the format with --format (hex, srec, elf or bin; bin needs --base).';
    case 'IMAGE_UNSUPPORTED': return 'flashwright reads 32-bit ELF, Intel HEX, S-record and raw binary images.';
    case 'IMAGE_BAD_ELF': return 'The ELF file is inconsistent: rebuild it, or check it with arm-none-eabi-readelf -a.';
    default: return 'Check that the file is complete and really in the format named; rebuild it if unsure.';
  }
}

/** An image holds no data bytes, so writing it out would make a file with nothing to program. */
export class EmptyImageError extends FlashwrightError {
  constructor(readonly source: string, readonly output: string) {
    super('IMAGE_EMPTY', `${source} holds no data, so there is nothing to write to ${output}.`, {
      hint: 'Check that this is the right file: a HEX/S-record file with only an end record, or an ELF with no loadable contents (a debug-only or stripped build), gives an empty image.',
      context: { source, output },
    });
  }
}
