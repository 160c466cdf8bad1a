/** `flashwright check <image> --target NAME`: the pre-flight checks and placement refusals, without a device. */
import { runChecks, type CheckFinding } from '../../flash/checks/index.js';
import { FlashwrightError } from '../../core/errors.js';
import { placeImage } from '../../flash/placement.js';
import { EXIT_FAILED } from '../exit.js';
import { requireTargetOption } from '../device.js';
import type { CommandModule } from './index.js';
import { loadDeviceImage } from '../image-input.js';
import type { ImageOptions } from './plan.js';

export const checkCommand: CommandModule = (program, io, setExit) => {
  program.command('check <image>').description('Run the pre-flight checks a write runs (placement, boot vector table, Kinetis FSEC, i.MX RT boot header, STM32 RDP); exit 1 when the chip would not boot it or a write would be refused.')
    .option('--target <name>', 'target name (see `flashwright targets`)')
    .option('--target-file <path>', 'target description file')
    .option('--format <format>', 'input format (elf, hex, srec, bin); default: detected')
    .option('--base <address>', 'load address for a raw binary (default: the target\'s boot flash)')
    .option('--allow-permanent-lock', 'treat a permanent lock as a warning')
    .option('--allow-secure', 'treat a secure Kinetis FSEC as a warning')
    .option('--allow-unbootable', 'treat an image the chip would not boot as a warning')
    .option('--allow-incomplete', 'accept a HEX or S-record file without its end record')
    // Accepted so a write's command line can be checked as it stands (check changes nothing).
    .option('--yes', 'the confirmation `write` needs with --allow-permanent-lock (check itself changes nothing)')
    .option('--json', 'machine-readable output')
    .action(async (path: string, opts: ImageOptions & { allowUnbootable?: boolean }) => {
      const target = requireTargetOption(opts);
      // An incomplete file is a finding here (check predicts the write, which refuses it).
      const loaded = loadDeviceImage(path, { ...opts, allowIncomplete: true }, target, 'check');
      const { image } = loaded;
      const findings: CheckFinding[] = [];
      if (loaded.placement) findings.push({ id: 'image.placement', severity: 'info', message: loaded.placement.text, context: { address: loaded.placement.address } });
      if (loaded.incomplete) {
        findings.push({ id: 'image.incomplete', severity: opts.allowIncomplete ? 'warning' : 'error', message: loaded.incomplete.message,
          hint: 'Build or copy the file again; --allow-incomplete accepts it as it is.', context: { lastLine: loaded.incomplete.line } });
      }
      try {
        placeImage(image, target);
      } catch (e) {
        if (!(e instanceof FlashwrightError)) throw e;
        findings.push({ id: `placement.${e.code.toLowerCase()}`, severity: 'error', message: e.message, hint: e.hint, context: e.context });
      }
      findings.push(...runChecks(image, target, { allowPermanentLock: opts.allowPermanentLock, allowSecure: opts.allowSecure, allowUnbootable: opts.allowUnbootable }));
      const errors = findings.filter((f) => f.severity === 'error').length;
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'check', target: target.name, ok: errors === 0, findings }) + '\n');
      else {
        for (const f of findings) {
          io.out(`${f.severity === 'info' ? 'note' : f.severity}: ${f.message}\n`);
          if (f.hint) io.out(`  hint: ${f.hint}\n`);
        }
        const notes = findings.filter((f) => f.severity !== 'info').length;
        io.out(errors ? `check: ${errors} problem(s): ${target.name} would not boot this image or a write would be refused\n` : `check: OK for ${target.name}${notes ? ` (${notes} warning(s))` : ''}\n`);
      }
      if (errors) setExit(EXIT_FAILED);
    });
};
