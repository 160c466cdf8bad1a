/**
 * `flashwright doctor [FILE|-] [--json]`: read a flashing tool's log (or flashwright's own
 * --json failure record) and print the tool, the facts and the likely causes with evidence
 * and fixes. `flashwright explain TOKEN`: look up one code or value.
 */
import { readInputFile } from '../files.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../core/errors.js';
import { compileRules, diagnose, explainToken, RuleError, toDoctorJson, type DoctorReport, type Facts, type RuleData } from '../../doctor/index.js';
import { describeDeviceFacts } from '../../doctor/readers/flashwright.js';
import { EXIT_FAILED } from '../exit.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';

/** Reads FILE, or standard input for '-' (and when no file is given and stdin is not a terminal). */
export function readLogInput(file: string | undefined): string {
  if (file === undefined && process.stdin.isTTY) {
    throw new UsageError('doctor needs a log: a file, or `-` for standard input.', { hint: 'For example `flashwright doctor openocd.log`, or `pbpaste | flashwright doctor -`.' });
  }
  const hint = 'Give a saved log file, or `-` to read standard input.';
  if (file !== undefined && file !== '-') return readInputFile(file, 'the log', hint).toString('utf8');
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the log from standard input (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, { hint });
  }
}

const FACT_LABELS: Array<[keyof Facts, string]> = [
  ['chip', 'chip'], ['core', 'core'], ['probe', 'probe'], ['interface', 'interface'], ['speed', 'speed'], ['targetVoltage', 'target voltage'],
  ['port', 'port'], ['baud', 'baud'],
];

/** The report as text: tool, facts, then each cause with its evidence, fix and source. */
export function renderReport(r: DoctorReport): string {
  const out: string[] = [`tool: ${r.toolName ?? 'unknown'}`];
  const f = r.facts;
  for (const [key, label] of FACT_LABELS) if (f[key] !== undefined) out.push(`  ${label}: ${String(f[key])}${key === 'targetVoltage' ? ' V' : ''}`);
  if (f.dpidr) out.push(`  ${f.dpidr.summary}`);
  if (f.cpuid) out.push(`  ${f.cpuid.summary}`);
  for (const ap of f.apIdr ?? []) out.push(`  ${ap.summary}`);
  if (f.mismatch) out.push(`  mismatch at 0x${f.mismatch.address.toString(16).toUpperCase().padStart(8, '0')}: expected 0x${f.mismatch.expected.toString(16).toUpperCase().padStart(2, '0')}, read 0x${f.mismatch.read.toString(16).toUpperCase().padStart(2, '0')}`);
  for (const c of f.decodedCodes ?? []) out.push(`  ${c.code}: ${c.meaning}`);
  if (f.faults) out.push(`  fault bits: ${f.faults.bits.join(', ')}`);
  if (f.rdp) out.push(`  ${f.rdp.summary}`);
  if (f.optionBytes) out.push(`  option bytes: ${Object.entries(f.optionBytes).map(([k, v]) => `${k}=0x${v.toString(16).toUpperCase()}`).join(' ')}`);
  if (f.device) {
    out.push(`  device: ${describeDeviceFacts(f.device)}`);
    if (f.device.memory) out.push(`  memory: ${f.device.memory}`);
  }
  if (f.flashwright) out.push(`  flashwright error ${f.flashwright.code}${f.flashwright.target ? ` on ${f.flashwright.target}` : ''}${f.flashwright.via ? ` via ${f.flashwright.via}` : ''}`);
  if (!r.causes.length) {
    out.push('', 'no known cause: no rule matches this log. The facts above are what it shows; the error lines are:');
    for (const e of (f.errors ?? []).slice(0, 5)) out.push(`  > ${e}`);
    return out.join('\n') + '\n';
  }
  r.causes.forEach((c, i) => {
    out.push('', `${i + 1}. [${c.category}] ${c.summary} (confidence ${Math.round(c.confidence * 100)}%)`);
    for (const e of c.evidence) out.push(`   > ${e}`);
    c.fix.forEach((s, j) => out.push(`   ${j + 1}) ${s}`));
    out.push(`   source: ${c.source}`);
  });
  return out.join('\n') + '\n';
}

/** Extra rules from a JSON or YAML file in the bundled rules' format ({ rules: [...] }). */
export function loadRuleFile(path: string): RuleData[] {
  let data: unknown;
  const hint = 'Give a JSON or YAML file shaped like src/doctor/rules/*.json: { "rules": [ … ] }.';
  const text = readInputFile(path, 'the rule file', hint).toString('utf8');
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new UsageError(`Cannot read the rule file '${path}': ${(e as Error).message}`, { hint: 'Give a JSON or YAML file shaped like src/doctor/rules/*.json: { "rules": [ … ] }.' });
  }
  const rules = (data as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) throw new UsageError(`The rule file '${path}' has no "rules" list.`, { hint: 'Shape it like src/doctor/rules/*.json: { "rules": [ … ] }.' });
  try {
    compileRules(rules as RuleData[]);
  } catch (e) {
    if (e instanceof RuleError) throw new UsageError(`The rule file '${path}' is not valid: ${e.message}`, { hint: 'Each rule needs id, category, summary, any/all/facts, fix, confidence, source and example.' });
    throw e;
  }
  return rules as RuleData[];
}

export const doctorCommand: CommandModule = (program, io: Io, setExit) => {
  program.command('doctor [file]')
    .description('Explain a failed flashing run: read a log from any common tool (or flashwright --json output) and name causes, evidence and fixes.')
    .option('--json', 'one JSON object: { tool, facts, causes }')
    .option('--rules <file>', 'extra rules (JSON or YAML, same format as the bundled ones)')
    .action((file: string | undefined, opts: { json?: boolean; rules?: string }) => {
      const extra = opts.rules === undefined ? [] : loadRuleFile(opts.rules);
      const report = diagnose(readLogInput(file), { rules: extra });
      if (opts.json) io.out(JSON.stringify(toDoctorJson(report)) + '\n');
      else io.out(renderReport(report));
    });

  program.command('explain <token...>')
    .description('Look up one code or value: MCUboot status (10203, kStatusMemoryCumulativeWrite), LinkServer Ef/Ee/Wc, CFSR=/HFSR=/DFSR=, FSEC=/FOPT=, RDP=, a FlexSPI option word, DPIDR=/CPUID=/APIDR=, NACK:0x31[:step], or an error string.')
    .option('--json', 'the explanations as JSON')
    .action((parts: string[], opts: { json?: boolean }) => {
      const token = parts.join(' ');
      const found = explainToken(token);
      if (opts.json) io.out(JSON.stringify({ token, explanations: found }) + '\n');
      else if (!found.length) io.out(`explain: nothing known about '${token}'.\n`);
      else for (const e of found) io.out(`${e.title}\n${e.lines.map((l) => `  ${l}`).join('\n')}\n  source: ${e.source}\n`);
      if (!found.length) setExit(EXIT_FAILED);
    });
};

/** The value after `--flag` (or `--flag=value`) in an argument list. */
function argValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`${flag}=`));
  return eq?.slice(flag.length + 1);
}

/**
 * The lines that end a failed command's text output: a pointer to `flashwright doctor`, or
 * with `--explain` the doctor's causes for this very record (with the command's context).
 */
export function doctorLines(errorRecord: Record<string, unknown>, argv: readonly string[], explain: boolean): string[] {
  const code = typeof errorRecord.code === 'string' ? errorRecord.code : 'INTERNAL';
  // The code is on the line so doctor can read a pasted text transcript back, too.
  if (!explain) return [`doctor: error ${code}; for likely causes and fixes add --explain, or save the --json output and run \`flashwright doctor FILE\``];
  const start = { type: 'start', command: argv.find((a) => !a.startsWith('-')), target: argValue(argv, '--target'), via: argValue(argv, '--via') };
  const report = diagnose(`${JSON.stringify(start)}\n${JSON.stringify({ type: 'error', error: errorRecord })}\n`);
  if (!report.causes.length) return ['doctor: no known cause for this error beyond its hint.'];
  const text = renderReport({ ...report, facts: {} });
  return ['doctor:', ...text.split('\n').slice(2).filter((l) => l !== '').map((l) => `  ${l}`)];
}
