import type { Command } from 'commander';
import { crc32 } from '../../core/crc.js';
import { formatSize, hex } from '../../core/format.js';
import type { Segment } from '../../image/memory-image.js';
import { formatLabel, type LoadedImage } from '../../image/formats.js';
import { UsageError } from '../../core/errors.js';
import { addDeviceOptions, showDeviceInfo, type DeviceOptions } from '../device.js';
import type { Io } from '../output.js';
import { emptyImageError } from '../image-input.js';
import { loadImageFile, parseAddressOption, parseImageFormatOption } from '../load-image.js';
import type { CommandModule } from './index.js';

export interface InfoOptions {
  json?: boolean;
  format?: string;
  base?: string;
  via?: string;
}

/** One segment as `info` reports it. */
function describeSegment(loaded: LoadedImage, s: Segment) {
  const { image, elf } = loaded;
  return {
    start: s.address,
    end: s.address + s.data.length,
    size: s.data.length,
    crc32: crc32(s.data),
    ...(elf ? { sections: image.sourcesIn(s.address, s.address + s.data.length).map((n) => n.slice(n.lastIndexOf(':') + 1)) } : {}),
  };
}

/** What `info` reports about an image, as JSON and as the source of the text output. */
export function describeImage(path: string, loaded: LoadedImage) {
  const { image, elf } = loaded;
  return {
    type: 'image' as const,
    file: path,
    format: loaded.format,
    ...(elf ? { machine: elf.machineName, bigEndian: elf.bigEndian } : {}),
    ...(loaded.header !== undefined ? { header: loaded.header } : {}),
    entryPoint: image.entryPoint ?? null,
    start: image.start ?? null,
    end: image.end ?? null,
    size: image.size,
    crc32: image.crc32(),
    segments: Array.from(image.eachSegment(), (seg) => describeSegment(loaded, seg)),
    warnings: loaded.warnings,
  };
}

/** `info <image>`: format, segments (with ELF sections), entry point, CRC-32. */
export async function showImageInfo(path: string, options: InfoOptions, io: Io): Promise<void> {
  const loaded = loadImageFile(path, { format: parseImageFormatOption(options.format), base: parseAddressOption(options.base, '--base') });
  // An empty image is an error for every command (exit 1), after its description.
  if (options.json) {
    io.out(JSON.stringify(describeImage(path, loaded), null, 2) + '\n');
    if (loaded.image.isEmpty) throw emptyImageError(path);
    return;
  }
  const { image, elf } = loaded;
  const n = image.segmentCount;
  const kind = formatLabel(loaded.format) + (elf ? `, ${elf.machineName}${elf.bigEndian ? ' big-endian' : ''}` : '');
  io.out([
    `file:        ${path} (${kind})`,
    ...(loaded.header ? [`header:      ${JSON.stringify(loaded.header)}`] : []),
    `entry point: ${image.entryPoint === undefined ? 'none' : hex(image.entryPoint)}`,
    `data:        ${formatSize(image.size)} (${image.size} bytes) in ${n} segment${n === 1 ? '' : 's'}` +
      (image.start !== undefined ? `, ${hex(image.start)}–${hex(image.end! - 1)}` : ''),
    `CRC-32:      ${hex(image.crc32())} (data bytes in address order, gaps skipped)`,
  ].join('\n') + '\n');
  if (n) {
    // Line by line, a few thousand at a time: a file of a million scattered records lists a
    // million segments, and holding them all (as objects, then as one text) cost gigabytes.
    let lines = ['segments:'];
    for (const seg of image.eachSegment()) {
      const s = describeSegment(loaded, seg);
      const sections = s.sections?.length ? `  ${s.sections.join(', ')}` : '';
      lines.push(`  ${hex(s.start)}–${hex(s.end - 1)}  ${formatSize(s.size).padStart(9)}  CRC-32 ${hex(s.crc32)}${sections}`);
      if (lines.length >= 4096) { io.out(lines.join('\n') + '\n'); lines = []; }
    }
    if (lines.length) io.out(lines.join('\n') + '\n');
  }
  for (const w of loaded.warnings) io.err(`warning: ${w}\n`);
  if (image.isEmpty) throw emptyImageError(path);
}

export const infoCommand: CommandModule = (program: Command, io: Io) => {
  const cmd = program.command('info [image]')
    .description('Show an image file (format, segments and the ELF sections behind them, entry point, CRC-32), or a device with --via.')
    .option('--format <format>', 'input format (elf, hex, srec, bin); default: detected from the content')
    .option('--base <address>', 'load address for a raw binary input');
  addDeviceOptions(cmd); // --via NAME (and --json, --target…): show a live device instead
  cmd.action(async (path: string | undefined, opts: InfoOptions & DeviceOptions) => {
    if (opts.via) {
      await showDeviceInfo(opts, io);
      if (path) await showImageInfo(path, opts, io);
      return;
    }
    if (!path) throw new UsageError('info needs an image file, or --via NAME to show a device.', { hint: 'Example: flashwright info firmware.elf' });
    await showImageInfo(path, opts, io);
  });
};
