/**
 * `flashwright imxrt image app.elf --part rt1021 -o boot.bin`: wraps a plain XIP application
 * with FCB + IVT + boot data for FlexSPI NOR boot. `flashwright imxrt option …`: builds a
 * FlexSPI option word for `--flexspi-option` from named fields (or explains one).
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatSize, hex, parseNumber } from '../../core/format.js';
import { encodeImage, formatFromName } from '../../image/formats.js';
import { buildBootImage, findBootLayout, IMXRT_BOOT_LAYOUTS } from '../../imxrt/boot-image.js';
import { buildFlexspiOption, describeFlexspiOption, DeviceDetection, FREQUENCY_MHZ, QuadEnable, type DeviceDetectionName, type PadCount, type QuadEnableName } from '../../imxrt/flexspi-option.js';
import { checkOutputPath, writeOutputFile } from '../files.js';
import { loadImageFile } from '../load-image.js';
import { parseFlexspiOptionArg } from '../vias/mcuboot.js';
import type { Io } from '../output.js';
import { commandGroup } from './groups.js';
import { addRecoverCommand } from './imxrt-recover.js';
import type { CommandModule } from './index.js';

interface ImageOptions { part: string; output: string; flashSize?: string; frequency?: string; json?: boolean }
interface OptionOptions { detection?: string; queryPads?: string; commandPads?: string; quadEnable?: string; frequency?: string; explain?: string[]; json?: boolean }

function pads(text: string | undefined, name: string): PadCount | undefined {
  if (text === undefined) return undefined;
  if (text !== '1' && text !== '4' && text !== '8') throw new UsageError(`${name} must be 1, 4 or 8.`, { hint: 'QuadSPI NOR queries with 1 pad.' });
  return Number(text) as PadCount;
}

/** `--frequency` in MHz: one of the FlexSPI clock settings (never a silent default). */
function frequencyOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const mhz = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  const allowed = Object.values(FREQUENCY_MHZ);
  if (!allowed.includes(mhz)) throw new UsageError(`--frequency '${text}' is not a FlexSPI clock setting.`, { hint: `Choose one of ${allowed.join(', ')} (MHz).`, context: { frequency: text } });
  return mhz;
}

export const imxrtCommand: CommandModule = (program: Command, io: Io) => {
  const group = commandGroup(program, 'imxrt', 'i.MX RT boot tools: FlexSPI NOR boot images and option words');
  group.command('image')
    .description('Wrap a plain XIP application (linked at FlexSPI base + 0x2000) with FCB, IVT and boot data so the boot ROM boots it.')
    .argument('<app>', 'application image (ELF, HEX, S-record)')
    .requiredOption('--part <name>', `i.MX RT part (${Object.keys(IMXRT_BOOT_LAYOUTS).join(', ')})`)
    .requiredOption('-o, --output <file>', 'output file; .bin (raw from the FlexSPI base), .hex or .srec')
    .option('--flash-size <bytes>', 'QuadSPI NOR size (default 8M, IS25LP064A)')
    .option('--frequency <mhz>', 'FlexSPI clock in the FCB (default 133)')
    .option('--json', 'print the result as JSON')
    .action((path: string, opts: ImageOptions) => {
      const layout = findBootLayout(opts.part);
      if (!layout) throw new UsageError(`Unknown i.MX RT part '${opts.part}'.`, { hint: `Choose one of: ${Object.keys(IMXRT_BOOT_LAYOUTS).join(', ')}.` });
      const size = opts.flashSize === undefined ? undefined : parseNumber(opts.flashSize);
      if (opts.flashSize !== undefined && !size) throw new UsageError(`--flash-size '${opts.flashSize}' is not a size.`, { hint: 'For example 8M or 0x800000.' });
      const frequencyMhz = frequencyOption(opts.frequency);
      const format = formatFromName(opts.output) ?? 'bin';
      if (format === 'elf') throw new UsageError('ELF output is not supported.', { hint: 'Use .bin, .hex or .srec.' });
      checkOutputPath(opts.output, 'the output file', '-o');
      const app = loadImageFile(path).image;
      const boot = buildBootImage(app, layout, { flash: { size: size ?? 8 * 1024 * 1024, ...(frequencyMhz !== undefined ? { frequencyMhz } : {}) } });
      writeOutputFile(opts.output, encodeImage(boot.image, format));
      const summary = {
        type: 'imxrt-image', part: layout.part, output: opts.output, format, start: hex(layout.flexspiBase), length: boot.length,
        fcb: hex(layout.flexspiBase + layout.fcbOffset), ivt: hex(layout.flexspiBase + layout.ivtOffset), entry: hex(boot.entry), reset: hex(boot.reset),
      };
      io.out(opts.json ? JSON.stringify(summary) + '\n'
        : `${opts.output}: ${formatSize(boot.length)} boot image for ${layout.part.toUpperCase()} at ${summary.start} (FCB ${summary.fcb}, IVT ${summary.ivt}, entry ${summary.entry} = vector table, reset ${summary.reset}); write it with --via mcuboot --flexspi-option 0xC0000007\n`);
    });
  addRecoverCommand(group, io);
  group.command('option')
    .description('Build a FlexSPI NOR option word for --flexspi-option from named fields, or explain one (--explain 0xC0000007).')
    .option('--detection <type>', `device detection (${Object.keys(DeviceDetection).join(', ')})`, 'quadspi-sdr')
    .option('--query-pads <n>', 'pads for the SFDP query: 1, 4 or 8')
    .option('--command-pads <n>', 'pads for commands: 1, 4 or 8')
    .option('--quad-enable <type>', `quad-enable method (${Object.keys(QuadEnable).join(', ')})`)
    .option('--frequency <mhz>', 'maximum clock in MHz (30, 50, 60, 75, 80, 100, 133, 166)', '133')
    .option('--explain <words...>', 'decode existing option words instead, in the form --flexspi-option takes (0xC0000007, or 0xC1000007,0x20000000)')
    .option('--json', 'print as JSON')
    .action((opts: OptionOptions) => {
      if (opts.explain !== undefined) {
        // The same words --flexspi-option takes: option0 and the extra words its size field announces.
        const text = opts.explain.join(',');
        const words = parseFlexspiOptionArg(text, '--explain')!;
        const meaning = describeFlexspiOption(words[0]!);
        const extra = words.slice(1).map((w) => hex(w));
        io.out(opts.json ? JSON.stringify({ words: words.map((w) => hex(w)), meaning, ...(extra.length ? { extraWords: extra } : {}) }) + '\n'
          : `${words.map((w) => hex(w)).join(',')}: ${meaning}${extra.length ? ` (option1${extra.length > 1 ? '…' : ''} ${extra.join(', ')} passed on as given)` : ''}\n`);
        return;
      }
      if (!(opts.detection! in DeviceDetection)) throw new UsageError(`Unknown --detection '${opts.detection}'.`, { hint: `Choose one of: ${Object.keys(DeviceDetection).join(', ')}.` });
      if (opts.quadEnable !== undefined && !(opts.quadEnable in QuadEnable)) throw new UsageError(`Unknown --quad-enable '${opts.quadEnable}'.`, { hint: `Choose one of: ${Object.keys(QuadEnable).join(', ')}.` });
      const words = buildFlexspiOption({
        detection: opts.detection as DeviceDetectionName, queryPads: pads(opts.queryPads, '--query-pads'), commandPads: pads(opts.commandPads, '--command-pads'),
        quadEnable: opts.quadEnable as QuadEnableName | undefined, frequencyMhz: frequencyOption(opts.frequency ?? '133')!,
      });
      io.out(opts.json ? JSON.stringify({ words: words.map((w) => hex(w)), meaning: describeFlexspiOption(words[0]!) }) + '\n' : `${words.map((w) => hex(w)).join(',')}  (${describeFlexspiOption(words[0]!)})\n`);
    });
};
