/** `flashwright read ADDR LEN OUT --via NAME`: read memory into a file (raw binary, or Intel HEX / S-record by extension or --format). */
import { UsageError } from '../../core/errors.js';
import { formatSize, hex, parseNumber } from '../../core/format.js';
import { readMemoryRange } from '../../flash/engine.js';
import { encodeImage, formatFromName, type ImageFormat } from '../../image/formats.js';
import { MemoryImage } from '../../image/memory-image.js';
import { addDeviceOptions, withDevice, type DeviceOptions } from '../device.js';
import { checkOutputPath, writeOutputFile } from '../files.js';
import { parseImageFormatOption } from '../load-image.js';
import type { CommandModule } from './index.js';

function number(text: string, what: string): number {
  const v = parseNumber(text);
  if (v === undefined || v < 0 || v > 0x1_0000_0000) throw new UsageError(`${what} must be a number such as 0x08000000 or 64K, not '${text}'.`);
  return v;
}

export const readCommand: CommandModule = (program, io) => {
  const cmd = program.command('read <address> <length> <out>').description('Read device memory into a file (bin; hex/srec by extension or --format).')
    .option('--format <format>', 'output format: bin, hex or srec (default: from the file name, else bin)');
  addDeviceOptions(cmd);
  cmd.action(async (a: string, l: string, out: string, opts: DeviceOptions & { format?: string }) => {
    const address = number(a, 'The address');
    const length = number(l, 'The length');
    if (length === 0 || address + length > 0x1_0000_0000) throw new UsageError(`Cannot read ${length} bytes at ${hex(address)}.`, { hint: 'Give a positive length that stays inside 32-bit memory.' });
    const format: ImageFormat = parseImageFormatOption(opts.format) ?? formatFromName(out) ?? 'bin';
    if (format === 'elf') throw new UsageError('read cannot write ELF files.', { hint: 'Use bin, hex or srec.' });
    checkOutputPath(out, 'the output file'); // before the device is read, which may take minutes
    await withDevice(opts, io, async ({ programmer, device, signal, onEvent }) => {
      const data = await readMemoryRange(programmer, device, address, length, { signal, onEvent });
      const bytes = format === 'bin' ? data : encodeImage(MemoryImage.fromSegments([{ address, data }]), format);
      writeOutputFile(out, bytes);
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'read', address, length, file: out, format }) + '\n');
      else io.out(`read ${formatSize(length)} from ${hex(address)} into ${out} (${format})\n`);
    });
  });
};
