/**
 * The rule format. Rules are data (the JSON files next to this one) so they can be extended
 * without code: line patterns (case-insensitive regular expressions, one line at a time),
 * conditions on facts, the fix steps, a confidence, the public source, and one example log
 * line set that must trigger the rule (test/doctor/rules.test.ts runs every example).
 */
import type { Category } from '../types.js';

export interface FactCondition {
  /** Dotted path into Facts: "mismatch.expected", "flashwright.code". */
  path: string;
  exists?: boolean;
  equals?: string | number | boolean;
  /** Regular expression (case-insensitive) the value's string form must match. */
  matches?: string;
  lt?: number;
  gt?: number;
}

export interface RuleData {
  id: string;
  category: Category;
  /** One sentence; `{path}` / `{path:hex}` / `{path|fallback}` fill in facts. */
  summary: string;
  /** Tool ids this rule applies to; absent = any tool. */
  tools?: string[];
  /** At least one line must match one of these. */
  any?: string[];
  /** Every pattern must match some line. */
  all?: string[];
  /** The rule stays silent if any line matches one of these. */
  none?: string[];
  facts?: FactCondition[];
  fix: string[];
  confidence: number;
  source: string;
  /** Rules this one makes redundant when both match (a specific cause beats a generic one). */
  supersedes?: string[];
  /** A minimal log (lines) that must make this rule fire. */
  example: string[];
}

export interface RuleFile {
  rules: RuleData[];
}
