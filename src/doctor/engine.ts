/**
 * The rule engine: compiles the data rules once (pattern safety checked, a required literal
 * found for a cheap pre-test), then for one log matches each rule's patterns against the
 * distinct lines, checks its fact conditions, fills in its templates and ranks the causes.
 */
import { hex } from '../core/format.js';
import { patternProblem, requiredLiteral } from './rules/safety.js';
import type { FactCondition, RuleData } from './rules/schema.js';
import { CATEGORIES, type Cause, type Facts, type LogLine } from './types.js';

interface Pattern { re: RegExp; literal: string; source: string }
export interface CompiledRule { data: RuleData; any: Pattern[]; all: Pattern[]; none: Pattern[] }

export class RuleError extends Error {}

function compile(source: string, rule: string): Pattern {
  const problem = patternProblem(source);
  if (problem) throw new RuleError(`Rule ${rule}: pattern /${source}/ is unsafe (${problem}).`);
  let re: RegExp;
  try { re = new RegExp(source, 'i'); } catch (e) { throw new RuleError(`Rule ${rule}: pattern /${source}/ does not compile: ${(e as Error).message}`); }
  return { re, literal: requiredLiteral(source), source };
}

export function compileRules(rules: readonly RuleData[]): CompiledRule[] {
  const ids = new Set<string>();
  return rules.map((r) => {
    if (ids.has(r.id)) throw new RuleError(`Rule id ${r.id} appears twice.`);
    ids.add(r.id);
    if (!(CATEGORIES as readonly string[]).includes(r.category)) throw new RuleError(`Rule ${r.id}: unknown category '${r.category}'.`);
    if (!(r.confidence > 0 && r.confidence <= 1)) throw new RuleError(`Rule ${r.id}: confidence must be in (0, 1].`);
    if (!r.source || !r.fix.length || !r.example.length) throw new RuleError(`Rule ${r.id}: needs a source, fix steps and an example.`);
    if (!r.any?.length && !r.all?.length && !r.facts?.length) throw new RuleError(`Rule ${r.id}: matches nothing (no any/all/facts).`);
    return { data: r, any: (r.any ?? []).map((s) => compile(s, r.id)), all: (r.all ?? []).map((s) => compile(s, r.id)), none: (r.none ?? []).map((s) => compile(s, r.id)) };
  });
}

export function getPath(facts: Facts, path: string): unknown {
  let v: unknown = facts;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function factHolds(facts: Facts, c: FactCondition): boolean {
  const v = getPath(facts, c.path);
  if (c.exists !== undefined) return (v !== undefined) === c.exists;
  if (v === undefined) return false;
  if (c.equals !== undefined) return v === c.equals || String(v).toLowerCase() === String(c.equals).toLowerCase();
  if (c.matches !== undefined) return new RegExp(c.matches, 'i').test(typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (c.lt !== undefined) return typeof v === 'number' && v < c.lt;
  if (c.gt !== undefined) return typeof v === 'number' && v > c.gt;
  return true;
}

/** The distinct lines of a log, lower-cased once for the literal pre-test. */
export interface LineIndex {
  lines: LogLine[];
  distinct: Array<{ text: string; lower: string; first: number }>;
  /** All distinct lines lower-cased and joined: one `includes` tells whether a literal occurs at all. */
  lowerText: string;
  /** Offset in lowerText where each distinct line starts. */
  starts: number[];
  present: Map<string, boolean>;
}

export function indexLines(lines: readonly LogLine[]): LineIndex {
  const seen = new Map<string, number>();
  const distinct: LineIndex['distinct'] = [];
  lines.forEach((l, i) => {
    if (seen.has(l.text)) return;
    seen.set(l.text, i);
    distinct.push({ text: l.text, lower: l.text.toLowerCase(), first: i });
  });
  const starts: number[] = [];
  let at = 0;
  for (const d of distinct) { starts.push(at); at += d.lower.length + 1; }
  return { lines: [...lines], distinct, lowerText: distinct.map((d) => d.lower).join('\n'), starts, present: new Map() };
}

/** The line (index into starts) holding offset pos. */
function lineAt(starts: readonly number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** Positions (into distinct) of lines matching p. */
function matching(p: Pattern, idx: LineIndex, stopAfter: number): number[] {
  const out: number[] = [];
  if (p.literal) {
    // Most patterns' literals occur nowhere in a log: one scan of the whole text settles it.
    let here = idx.present.get(p.literal);
    if (here === undefined) { here = idx.lowerText.includes(p.literal); idx.present.set(p.literal, here); }
    if (!here) return out;
    // Otherwise only the lines holding the literal are candidates: find them with indexOf.
    let from = 0;
    let last = -1;
    while (out.length < stopAfter) {
      const pos = idx.lowerText.indexOf(p.literal, from);
      if (pos < 0) break;
      const line = lineAt(idx.starts, pos);
      from = (idx.starts[line + 1] ?? idx.lowerText.length); // next line
      if (line !== last && p.re.test(idx.distinct[line]!.text)) out.push(line);
      last = line;
    }
    return out;
  }
  for (let i = 0; i < idx.distinct.length && out.length < stopAfter; i++) {
    const d = idx.distinct[i]!;
    if (p.literal && !d.lower.includes(p.literal)) continue;
    if (p.re.test(d.text)) out.push(i);
  }
  return out;
}

const TEMPLATE = /\{([A-Za-z0-9_.]{1,60})(?::(hex|hex2))?(?:\|([^{}]{0,80}))?\}/g;

export function fillTemplate(text: string, facts: Facts): string {
  return text.replace(TEMPLATE, (_m, path: string, fmt: string | undefined, fallback: string | undefined) => {
    const v = getPath(facts, path);
    if (v === undefined || v === null) return fallback ?? `<${path}>`;
    if (typeof v === 'number' && fmt === 'hex') return hex(v);
    if (typeof v === 'number' && fmt === 'hex2') return hex(v, 2);
    if (typeof v === 'number' && fmt === undefined && path.toLowerCase().includes('address')) return hex(v);
    if (Array.isArray(v)) return v.map(String).join(', ');
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Evidence lines the fact conditions point at (the line a mismatch came from, …). */
function factEvidence(facts: Facts, conds: readonly FactCondition[]): string[] {
  const out: string[] = [];
  for (const c of conds) {
    const top = c.path.split('.')[0]!;
    const v = getPath(facts, top) as Record<string, unknown> | undefined;
    if (top === 'mismatch' && facts.mismatch) out.push(facts.mismatch.line);
    else if (top === 'fsecRewrite' && facts.mismatch) out.push(facts.mismatch.line);
    else if (top === 'flashwright' && facts.flashwright) out.push(`error: ${facts.flashwright.message}`);
    else if (v && typeof v === 'object' && typeof v.summary === 'string') out.push(v.summary);
  }
  return out;
}

const ERRORISH = /\b(?:error|fail|failed|failure|fatal|cannot|can ?not|unable|refused|mismatch|expected|nack|timeout|timed out|not)\b/i;

/**
 * Up to six evidence lines: tool output before prose (a pasted thread quotes the log among
 * sentences), error-looking lines first, shown in log order.
 */
function pickEvidence(at: number[], idx: LineIndex): string[] {
  const score = (i: number) => {
    const t = idx.distinct[i]!.text;
    return (ERRORISH.test(t) ? 2 : 0) + (t.length <= 160 ? 2 : 0) + (t.length <= 100 ? 1 : 0);
  };
  return at.map((i) => ({ i, s: score(i) })).sort((a, b) => b.s - a.s || a.i - b.i).slice(0, 6)
    .sort((a, b) => a.i - b.i).map(({ i }) => idx.distinct[i]!.text.trim());
}

export function runRules(rules: readonly CompiledRule[], idx: LineIndex, facts: Facts, tool: string | null, anyTool = false): Cause[] {
  const found: Cause[] = [];
  for (const r of rules) {
    const d = r.data;
    if (d.tools && !anyTool && !(tool && d.tools.includes(tool))) continue;
    if (d.facts && !d.facts.every((c) => factHolds(facts, c))) continue;
    if (r.none.some((p) => matching(p, idx, 1).length > 0)) continue;
    const evidenceAt = new Set<number>();
    let ok = true;
    for (const p of r.all) {
      const m = matching(p, idx, 3);
      if (!m.length) { ok = false; break; }
      m.forEach((i) => evidenceAt.add(i));
    }
    if (!ok) continue;
    if (r.any.length) {
      const m = r.any.flatMap((p) => matching(p, idx, 3));
      if (!m.length) continue;
      m.forEach((i) => evidenceAt.add(i));
    }
    const lineEvidence = pickEvidence([...evidenceAt], idx);
    const fromFacts = factEvidence(facts, d.facts ?? []).filter((e) => !e.split(' / ').every((part) => lineEvidence.includes(part)));
    const evidence = [...new Set([...lineEvidence, ...fromFacts])].slice(0, 8);
    found.push({
      rule: d.id, category: d.category, summary: fillTemplate(d.summary, facts), evidence,
      fix: d.fix.map((s) => fillTemplate(s, facts)), confidence: d.confidence, source: d.source,
    });
  }
  const dropped = new Set(found.flatMap((c) => rules.find((r) => r.data.id === c.rule)?.data.supersedes ?? []));
  // Stable: confidence first, then the order of the rule files (specific rules come first).
  return found.filter((c) => !dropped.has(c.rule)).sort((a, b) => b.confidence - a.confidence);
}
