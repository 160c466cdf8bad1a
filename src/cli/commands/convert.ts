import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { FlashwrightError, UsageError } from '../../core/errors.js';
import { formatSize, hex, parseNumber } from '../../core/format.js';
import { binaryChunks } from '../../image/binary.js';
import { EmptyImageError } from '../../image/errors.js';
import { encodeImageChunks, formatFromName, formatLabel, type ImageFormat } from '../../image/formats.js';
import type { Io } from '../output.js';
import { checkOutputPath, ioReason } from '../files.js';
import { loadImageFile, parseAddressOption, parseImageFormatOption } from '../load-image.js';
import type { CommandModule } from './index.js';

export interface ConvertOptions {
  format?: string;
  inFormat?: string;
  base?: string;
  fill?: string;
  recordSize?: string;
  force?: boolean;
  json?: boolean;
}

/** `convert <in> <out>`: reads any image format, writes hex, srec or bin. */
export async function convertImage(input: string, output: string, options: ConvertOptions, io: Io): Promise<void> {
  const outFormat = parseImageFormatOption(options.format) ?? formatFromName(output);
  if (!outFormat) throw new UsageError(`Cannot tell the output format from the name ${output}.`, { hint: 'Use a .hex, .srec/.s19/.s28/.s37 or .bin name, or give --format hex|srec|bin.' });
  if (outFormat === 'elf') throw new UsageError('flashwright does not write ELF files.', { hint: 'Convert to hex, srec or bin.' });
  const recordSize = options.recordSize === undefined ? 16 : parseNumber(options.recordSize);
  if (recordSize !== 16 && recordSize !== 32) {
    throw new UsageError(`--record-size must be 16 or 32, not '${options.recordSize}'.`,
      { hint: 'Give --record-size 16 (what most tools write, and the default) or --record-size 32.', context: { recordSize: options.recordSize } });
  }
  const fill = options.fill === undefined ? 0xff : parseNumber(options.fill);
  if (fill === undefined || fill > 0xff) {
    throw new UsageError(`--fill needs a byte value such as 0xFF, not '${options.fill}'.`,
      { hint: 'Give one byte from 0 to 255 (0x00–0xFF): 0xFF is erased flash and the default.', context: { fill: options.fill } });
  }
  checkOutputPath(output, 'the output file');
  const loaded = loadImageFile(input, { format: parseImageFormatOption(options.inFormat, '--in-format'), base: parseAddressOption(options.base, '--base') });
  const image = loaded.image;
  // An empty HEX/S-record/binary file is of no use to anyone, and would hide a wrong input.
  if (image.isEmpty) throw new EmptyImageError(input, output);
  const tmp = `${output}.tmp-${process.pid}`;
  // Written piece by piece: the text of a million scattered records is never held whole.
  const written = writeOutput(tmp, output, outFormat, () => outFormat === 'bin'
    ? binaryChunks(image, { fill, force: options.force })
    : encodeImageChunks(image, outFormat, { recordSize }));
  const crc = image.crc32();
  const range = `${hex(image.start!)}–${hex(image.end! - 1)}`;
  const notes = [...loaded.warnings];
  if (options.fill !== undefined && outFormat !== 'bin') notes.push(`--fill has no effect on ${formatLabel(outFormat)} output (gaps cost nothing there); it was ignored.`);
  if (outFormat === 'bin' && image.start !== 0) notes.push(`${output} starts at ${hex(image.start!)}: read it back with --base ${hex(image.start!)}.`);
  if (options.json) {
    io.out(JSON.stringify({ type: 'convert', input, inputFormat: loaded.format, output, outputFormat: outFormat, start: image.start ?? null, end: image.end ?? null, dataBytes: image.size, fileBytes: written, crc32: crc, warnings: notes }, null, 2) + '\n');
    return;
  }
  io.out(`wrote ${output}: ${formatLabel(outFormat)}, ${range}, ${formatSize(image.size)} of data from ${formatLabel(loaded.format)} ${input} (CRC-32 ${hex(crc)}).\n`);
  for (const n of notes) io.err(`warning: ${n}\n`);
}

/** Writes the chunks to a temp file, then renames it, so a failure never leaves half a file. */
function writeOutput(tmp: string, output: string, format: ImageFormat, chunks: () => Iterable<Uint8Array>): number {
  let fd: number | undefined;
  let total = 0;
  try {
    const it = chunks(); // may throw (e.g. the binary gap refusal) before anything is created
    fd = openSync(tmp, 'w');
    for (const c of it) {
      for (let o = 0; o < c.length;) o += writeSync(fd, c, o, c.length - o);
      total += c.length;
    }
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, output);
    return total;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    if (e instanceof FlashwrightError) throw e;
    throw new FlashwrightError('IMAGE_FILE_WRITE', `Cannot write ${formatLabel(format)} file ${output}: ${ioReason(e)}.`, { hint: 'Check the directory exists and is writable, and that there is space.', context: { output, code: (e as NodeJS.ErrnoException).code } });
  }
}

export const convertCommand: CommandModule = (program: Command, io: Io) => {
  program.command('convert <input> <output>')
    .description('Convert an image between ELF/HEX/S-record/binary (output: hex, srec or bin; by the output name unless --format).')
    .option('--format <format>', 'output format: hex, srec or bin (default: from the output file name)')
    .option('--in-format <format>', 'input format (elf, hex, srec, bin); default: detected from the content')
    .option('--base <address>', 'load address for a raw binary input')
    .option('--fill <byte>', 'gap fill for binary output (default: 0xFF)')
    .option('--record-size <n>', 'data bytes per HEX/S-record line: 16 or 32 (default: 16)')
    .option('--force', 'write a binary even when its gaps add up to more than 256 MiB')
    .option('--json', 'machine-readable output')
    .action(async (input: string, output: string, opts: ConvertOptions) => {
      await convertImage(input, output, opts, io);
    });
};
