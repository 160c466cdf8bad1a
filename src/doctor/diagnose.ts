/**
 * `diagnose(text)`: the doctor as a library call. Reads the log (tool, facts), runs the rules
 * and returns the report; a log no rule explains gets its facts and no causes.
 */
import { compileRules, indexLines, runRules, type CompiledRule } from './engine.js';
import { readLog } from './readers/index.js';
import { BUILTIN_RULES, type RuleData } from './rules/index.js';
import type { DoctorReport } from './types.js';

let builtin: CompiledRule[] | undefined;

export interface DiagnoseOptions {
  /** Extra rules (same format as the bundled files), tried with the built-in ones. */
  rules?: readonly RuleData[];
  /** Replace the built-in rules instead of adding to them. */
  only?: boolean;
  /** Apply tool-specific rules whatever tool the log looks like (one line has no tool to detect). */
  anyTool?: boolean;
  /** At most this many causes (default 8). */
  maxCauses?: number;
}

export function diagnose(text: string, options: DiagnoseOptions = {}): DoctorReport {
  builtin ??= compileRules(BUILTIN_RULES);
  const extra = options.rules?.length ? compileRules(options.rules) : [];
  const rules = options.only ? extra : [...builtin, ...extra];
  const { tool, facts, lines } = readLog(text);
  const causes = runRules(rules, indexLines(lines), facts, tool?.id ?? null, options.anyTool ?? false).slice(0, options.maxCauses ?? 8);
  return { tool: tool?.id ?? null, toolName: tool?.name ?? null, facts, causes };
}
