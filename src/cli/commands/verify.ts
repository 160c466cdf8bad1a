/** `flashwright verify <image> --via NAME`: compare the device with the image (device checksum or read-back). */
import { formatSize } from '../../core/format.js';
import { verifyImage } from '../../flash/engine.js';
import { UsageError } from '../../core/errors.js';
import { addDeviceOptions, withDevice } from '../device.js';
import type { CommandModule } from './index.js';
import { loadImageOption, type ImageOptions } from './plan.js';

export const verifyCommand: CommandModule = (program, io) => {
  const cmd = program.command('verify <image>').description('Check that the device holds the image (by device checksum when the way in has one, else by reading back).')
    .option('--format <format>', 'input format (elf, hex, srec, bin); default: detected')
    .option('--base <address>', 'load address for a raw binary (default: the target\'s boot flash)')
    .option('--allow-incomplete', 'accept a HEX or S-record file without its end record')
    .option('--method <method>', 'auto, digest or readback', 'auto');
  addDeviceOptions(cmd);
  cmd.action(async (path: string, opts: ImageOptions & { method?: string }) => {
    const method = opts.method ?? 'auto';
    if (method !== 'auto' && method !== 'digest' && method !== 'readback') throw new UsageError(`Unknown --method '${method}'.`, { hint: 'Choose auto, digest or readback.' });
    const loaded = loadImageOption(path, opts, 'verify');
    const { image } = loaded;
    if (loaded.placement && !opts.json) io.err(`note: ${loaded.placement.text}\n`);
    for (const w of loaded.warnings) io.err(`warning: ${w}\n`);
    await withDevice(opts, io, async ({ programmer, device, signal, onEvent }) => {
      const s = await verifyImage(programmer, device, image, { verify: method, signal, onEvent });
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'verify', ...s }) + '\n');
      else io.out(`verified ${formatSize(s.bytesVerified)} in ${s.ranges} range(s) on ${s.target} by ${s.method}: OK (${Math.round(s.elapsedMs)} ms)\n`);
    });
  });
};
