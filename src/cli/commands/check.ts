/** `flashwright check <image> --target NAME`: the pre-flight checks and placement refusals, without a device. */
import { runChecks, type CheckFinding } from '../../flash/checks/index.js';
import { FlashwrightError } from '../../core/errors.js';
import { placeImage } from '../../flash/placement.js';
import { EXIT_FAILED } from '../exit.js';
import { requireTargetOption } from '../device.js';
import type { CommandModule } from './index.js';
import { loadImageOption, type ImageOptions } from './plan.js';

export const checkCommand: CommandModule = (program, io, setExit) => {
  program.command('check <image>').description('Run the pre-flight checks a write runs (placement, vector table, Kinetis FSEC, i.MX RT boot header, STM32 RDP).')
    .option('--target <name>', 'target name (see `flashwright targets`)')
    .option('--target-file <path>', 'target description file')
    .option('--format <format>', 'input format (elf, hex, srec, bin); default: detected')
    .option('--base <address>', 'load address for a raw binary')
    .option('--allow-permanent-lock', 'treat a permanent lock as a warning')
    .option('--allow-secure', 'treat a secure Kinetis FSEC as a warning')
    // Accepted so a write's command line can be checked as it stands (check changes nothing).
    .option('--yes', 'the confirmation `write` needs with --allow-permanent-lock (check itself changes nothing)')
    .option('--json', 'machine-readable output')
    .action(async (path: string, opts: ImageOptions) => {
      const target = requireTargetOption(opts);
      const { image } = loadImageOption(path, opts);
      const findings: CheckFinding[] = [];
      try {
        placeImage(image, target);
      } catch (e) {
        if (!(e instanceof FlashwrightError)) throw e;
        findings.push({ id: `placement.${e.code.toLowerCase()}`, severity: 'error', message: e.message, hint: e.hint, context: e.context });
      }
      findings.push(...runChecks(image, target, { allowPermanentLock: opts.allowPermanentLock, allowSecure: opts.allowSecure }));
      const errors = findings.filter((f) => f.severity === 'error').length;
      if (opts.json) io.out(JSON.stringify({ type: 'result', command: 'check', target: target.name, ok: errors === 0, findings }) + '\n');
      else {
        for (const f of findings) {
          io.out(`${f.severity}: ${f.message}\n`);
          if (f.hint) io.out(`  hint: ${f.hint}\n`);
        }
        io.out(errors ? `check: ${errors} problem(s) would stop a write to ${target.name}\n` : `check: OK for ${target.name}${findings.length ? ` (${findings.length} note(s))` : ''}\n`);
      }
      if (errors) setExit(EXIT_FAILED);
    });
};
