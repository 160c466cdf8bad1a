/**
 * One entry point for every image format: detection from content (the extension is only a
 * tie-breaker), loading into a MemoryImage, and encoding back to bytes.
 */
import { UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import { binaryChunks, readBinary, writeBinary } from './binary.js';
import { elfToImage, isElf, parseElf, type ElfFile } from './elf.js';
import { ImageParseError } from './errors.js';
import { intelHexChunks, IntelHexParser, writeIntelHex } from './intel-hex.js';
import type { MemoryImage } from './memory-image.js';
import { SrecParser, srecChunks, writeSrec } from './srec.js';
import { HEX_VALUE } from './text-records.js';

export type ImageFormat = 'elf' | 'hex' | 'srec' | 'bin';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['elf', 'hex', 'srec', 'bin'];

const EXTENSIONS: Record<string, ImageFormat> = {
  elf: 'elf', axf: 'elf', out: 'elf', flm: 'elf', o: 'elf',
  hex: 'hex', ihex: 'hex', ihx: 'hex', h86: 'hex', a43: 'hex',
  srec: 'srec', s19: 'srec', s28: 'srec', s37: 'srec', mot: 'srec', mhx: 'srec', s: 'srec', sx: 'srec', s3: 'srec', srecord: 'srec',
  bin: 'bin', raw: 'bin', img: 'bin', dat: 'bin',
};

/** The format a file name's extension suggests, if any. */
export function formatFromName(name: string): ImageFormat | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? EXTENSIONS[m[1]!.toLowerCase()] : undefined;
}

/** Parses a user-given format name ("ihex", "s19", "binary" are accepted too). */
export function parseFormatName(name: string): ImageFormat | undefined {
  const n = name.toLowerCase();
  if (n === 'binary') return 'bin';
  if (n === 'intel' || n === 'intelhex') return 'hex';
  if (n === 'motorola') return 'srec';
  return (IMAGE_FORMATS as readonly string[]).includes(n) ? (n as ImageFormat) : EXTENSIONS[n];
}

/**
 * The format the content shows: ELF by its magic number, Intel HEX by `:` and hex digits,
 * S-record by `S` + digit + hex digits (after optional blank lines), else undefined.
 */
export function detectFormat(data: Uint8Array): ImageFormat | undefined {
  if (isElf(data)) return 'elf';
  let i = 0;
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) i = 3; // UTF-8 byte order mark
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0d || data[i] === 0x0a)) i++;
  const hexRun = (from: number, n: number) => {
    for (let k = from; k < from + n; k++) if (k >= data.length || HEX_VALUE[data[k]!]! < 0) return false;
    return true;
  };
  if (data[i] === 0x3a && hexRun(i + 1, 10)) return 'hex';
  if ((data[i] === 0x53 || data[i] === 0x73) && data[i + 1]! >= 0x30 && data[i + 1]! <= 0x39 && hexRun(i + 2, 6)) return 'srec';
  return undefined;
}

/** True when the first bytes look like text (so a file is more likely a broken HEX than a binary). */
function looksLikeText(data: Uint8Array): boolean {
  const n = Math.min(data.length, 512);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = data[i]!;
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c > 0x7e) return false;
  }
  return true;
}

export interface LoadOptions {
  /** File name, used in messages and origins. */
  source: string;
  /** Format, when known; otherwise detected from content (then from the name). */
  format?: ImageFormat | undefined;
  /** Where a raw binary goes (--base). Only for raw binaries. */
  base?: number | undefined;
  /**
   * Where a raw binary goes when `base` is not given: the target's boot flash. Without either
   * a binary is placed at 0x00000000 with a warning, or refused when `requireBase` is set.
   */
  defaultBase?: { address: number; what: string } | undefined;
  /** A raw binary with neither `base` nor `defaultBase` is an error (device operations). */
  requireBase?: boolean | undefined;
}

export interface LoadedImage {
  image: MemoryImage;
  format: ImageFormat;
  warnings: string[];
  /** The parsed ELF, for ELF inputs (sections, symbols). */
  elf?: ElfFile;
  /** S-record S0 header text, when present. */
  header?: string | undefined;
  /** A HEX/S-record file without its end record (see ParsedImage.incomplete). */
  incomplete?: { line: number; message: string } | undefined;
  /** Where a raw binary was placed and why, for the plan's first line. */
  placement?: { address: number; by: 'base' | 'boot' | 'zero'; text: string };
}

/**
 * Decides the format for `data` (its first bytes suffice): an explicit format wins; else the
 * content; else the extension; else, for non-text content, raw binary. Warnings explain guesses.
 */
export function chooseFormat(head: Uint8Array, options: LoadOptions, warnings: string[]): ImageFormat {
  if (options.format) return options.format;
  const byContent = detectFormat(head);
  const byName = formatFromName(options.source);
  if (byContent) {
    if (byName && byName !== byContent && byName !== 'bin') warnings.push(`${options.source} holds ${formatLabel(byContent)} despite its name; reading it as ${formatLabel(byContent)}.`);
    return byContent;
  }
  if (byName && byName !== 'bin' && byName !== 'elf') return byName; // parse it and report the real error
  if (byName === 'elf' && head.length > 0) return 'elf';
  if (options.base !== undefined || byName === 'bin' || !looksLikeText(head)) return 'bin';
  throw new ImageParseError('IMAGE_UNKNOWN_FORMAT', { source: options.source, line: 1 }, 'the content is text but neither Intel HEX nor S-record',
    { expected: "':' or 'S0'–'S9' at the start", found: JSON.stringify(new TextDecoder().decode(head.subarray(0, 16))) });
}

/** A base address only makes sense for raw binaries: the other formats carry addresses. */
export function checkBaseApplies(format: ImageFormat, options: LoadOptions): void {
  if (options.base !== undefined && format !== 'bin') {
    throw new UsageError(`--base places raw binaries only, but ${options.source} is ${formatLabel(format)} and carries its own addresses.`, {
      hint: 'Leave out --base, or say the input format is bin to read the file as raw bytes.', context: { base: options.base, format },
    });
  }
}

/** Where a raw binary goes: --base, else the boot flash, else 0 (or an error when a device needs to know). */
export function binaryPlacement(options: LoadOptions): NonNullable<LoadedImage['placement']> {
  if (options.base !== undefined) return { address: options.base, by: 'base', text: `${options.source} (raw binary) is placed at ${hex(options.base)} (--base).` };
  if (options.defaultBase) {
    return { address: options.defaultBase.address, by: 'boot', text: `${options.source} (raw binary) goes to ${hex(options.defaultBase.address)}, ${options.defaultBase.what} (give --base to place it elsewhere).` };
  }
  if (options.requireBase) {
    throw new UsageError(`${options.source} is a raw binary with no addresses, and neither --base nor a target with a boot flash says where it goes.`, {
      hint: 'Give --target NAME (a binary goes to the target\'s boot flash) or --base ADDRESS.', context: { source: options.source },
    });
  }
  return { address: 0, by: 'zero', text: `${options.source} is a raw binary with no addresses; it was placed at ${hex(0)} (give --base to place it).` };
}

export function formatLabel(format: ImageFormat): string {
  return { elf: 'ELF', hex: 'Intel HEX', srec: 'S-record', bin: 'raw binary' }[format];
}

/** Loads an image from bytes held in memory. */
export function loadImage(data: Uint8Array, options: LoadOptions): LoadedImage {
  const warnings: string[] = [];
  const format = chooseFormat(data.subarray(0, 4096), options, warnings);
  checkBaseApplies(format, options);
  switch (format) {
    case 'elf': {
      const elf = parseElf(data, options.source);
      const image = elfToImage(elf, options.source);
      return { image, format, warnings: [...warnings, ...elf.warnings], elf };
    }
    case 'hex': {
      const r = new IntelHexParser(options.source).push(data).finish();
      return { image: r.image, format, warnings: [...warnings, ...r.warnings], ...(r.incomplete ? { incomplete: r.incomplete } : {}) };
    }
    case 'srec': {
      const r = new SrecParser(options.source).push(data).finish();
      return { image: r.image, format, warnings: [...warnings, ...r.warnings], header: r.header, ...(r.incomplete ? { incomplete: r.incomplete } : {}) };
    }
    case 'bin': {
      const placement = binaryPlacement(options);
      if (placement.by === 'zero') warnings.push(placement.text);
      return { image: readBinary(data, placement.address, options.source), format, warnings, placement };
    }
  }
}

export interface EncodeOptions {
  /** Data bytes per record for hex/srec: 16 (default) or 32. */
  recordSize?: number;
  /** Gap fill for bin; default 0xFF. */
  fill?: number;
  /** Write a bin even with more than 256 MiB of gaps. */
  force?: boolean;
  crlf?: boolean;
  /** S0 header text for srec. */
  header?: string;
}

/** Encodes an image as a file of the given format (ELF output is not supported). */
export function encodeImage(image: MemoryImage, format: Exclude<ImageFormat, 'elf'>, options: EncodeOptions = {}): Uint8Array {
  switch (format) {
    case 'hex': return writeIntelHex(image, options);
    case 'srec': return writeSrec(image, options);
    case 'bin': return writeBinary(image, options);
  }
}

/**
 * {@link encodeImage} as pieces of about 1 MiB (binary: segment data and fill blocks), for
 * writing a file without holding all of it. Each piece is the caller's once yielded.
 */
export function encodeImageChunks(image: MemoryImage, format: Exclude<ImageFormat, 'elf'>, options: EncodeOptions = {}): Iterable<Uint8Array> {
  switch (format) {
    case 'hex': return intelHexChunks(image, options);
    case 'srec': return srecChunks(image, options);
    case 'bin': return binaryChunks(image, options);
  }
}

/** Same as {@link encodeImage} (the name the image API uses; the flash engine has its own writeImage). */
export const writeImage = encodeImage;

/**
 * Estimates the data bytes in a HEX/SREC file of `fileSize` bytes from its first lines (the
 * ratio of data to text there), so a parser can size its buffer once. 0 when unsure.
 */
export function estimateDataBytes(head: Uint8Array, fileSize: number, format: 'hex' | 'srec'): number {
  let data = 0;
  let lineStart = 0;
  let lastEnd = 0;
  const limit = Math.min(head.length, 256 * 1024);
  for (let i = 0; i < limit; i++) {
    if (head[i] !== 0x0a) continue;
    const c0 = head[lineStart];
    const count = (HEX_VALUE[head[lineStart + (format === 'hex' ? 1 : 2)]!]! << 4) | HEX_VALUE[head[lineStart + (format === 'hex' ? 2 : 3)]!]!;
    if (count > 0) {
      if (format === 'hex' && c0 === 0x3a && head[lineStart + 7] === 0x30 && head[lineStart + 8] === 0x30) data += count;
      else if (format === 'srec' && c0 === 0x53 && head[lineStart + 1]! >= 0x31 && head[lineStart + 1]! <= 0x33) data += count - (head[lineStart + 1]! - 0x30 + 1) - 1;
    }
    lineStart = i + 1;
    lastEnd = i + 1;
  }
  if (lastEnd === 0 || data === 0) return 0;
  return Math.ceil((data / lastEnd) * fileSize * 1.01) + 4096;
}
