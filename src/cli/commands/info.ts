import type { Command } from 'commander';
import { formatSize, hex } from '../../core/format.js';
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
    segments: Array.from(image.eachSegment(), (s) => ({
      start: s.address,
      end: s.address + s.data.length,
      size: s.data.length,
      crc32: image.crc32({ start: s.address, end: s.address + s.data.length }),
      ...(elf ? { sections: image.sourcesIn(s.address, s.address + s.data.length).map((n) => n.slice(n.lastIndexOf(':') + 1)) } : {}),
    })),
    warnings: loaded.warnings,
  };
}

/** `info <image>`: format, segments (with ELF sections), entry point, CRC-32. */
export async function showImageInfo(path: string, options: InfoOptions, io: Io): Promise<void> {
  const loaded = loadImageFile(path, { format: parseImageFormatOption(options.format), base: parseAddressOption(options.base, '--base') });
  const d = describeImage(path, loaded);
  // An empty image is an error for every command (exit 1), after its description.
  if (options.json) {
    io.out(JSON.stringify(d, null, 2) + '\n');
    if (loaded.image.isEmpty) throw emptyImageError(path);
    return;
  }
  const kind = formatLabel(d.format) + (d.machine ? `, ${d.machine}${d.bigEndian ? ' big-endian' : ''}` : '');
  const lines = [
    `file:        ${path} (${kind})`,
    ...(d.header ? [`header:      ${JSON.stringify(d.header)}`] : []),
    `entry point: ${d.entryPoint === null ? 'none' : hex(d.entryPoint)}`,
    `data:        ${formatSize(d.size)} (${d.size} bytes) in ${d.segments.length} segment${d.segments.length === 1 ? '' : 's'}` +
      (d.start !== null ? `, ${hex(d.start)}–${hex(d.end! - 1)}` : ''),
    `CRC-32:      ${hex(d.crc32)} (data bytes in address order, gaps skipped)`,
  ];
  if (d.segments.length) {
    lines.push('segments:');
    for (const s of d.segments) {
      const sections = s.sections?.length ? `  ${s.sections.join(', ')}` : '';
      lines.push(`  ${hex(s.start)}–${hex(s.end - 1)}  ${formatSize(s.size).padStart(9)}  CRC-32 ${hex(s.crc32)}${sections}`);
    }
  }
  io.out(lines.join('\n') + '\n');
  for (const w of d.warnings) io.err(`warning: ${w}\n`);
  if (loaded.image.isEmpty) throw emptyImageError(path);
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
