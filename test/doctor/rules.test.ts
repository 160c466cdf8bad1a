/** Issue 11 §3: rules are data, each with a test (its example), and every pattern is safe. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, compileRules, diagnose, RuleError, CATEGORIES } from '../../src/doctor/index.js';
import { patternProblem, requiredLiteral } from '../../src/doctor/rules/safety.js';

describe('rule data', () => {
  it('compiles: unique ids, known categories, sources, fixes, examples', () => {
    expect(compileRules(BUILTIN_RULES).length).toBe(BUILTIN_RULES.length);
    expect(BUILTIN_RULES.length).toBeGreaterThan(60);
    for (const r of BUILTIN_RULES) expect(CATEGORIES).toContain(r.category);
  });

  it('refuses an unsafe or broken rule', () => {
    const base = { id: 'x', category: 'other' as const, summary: 's', fix: ['f'], confidence: 0.5, source: 'test', example: ['e'] };
    expect(() => compileRules([{ ...base, any: ['(a+)+b'] }])).toThrow(RuleError);
    expect(() => compileRules([{ ...base, any: ['(x?y?)+z'] }])).toThrow(/unsafe/);
    expect(() => compileRules([{ ...base, any: ['(unclosed'] }])).toThrow(/does not compile/);
    expect(() => compileRules([{ ...base, any: ['ok'], category: 'nope' as 'other' }])).toThrow(/category/);
    expect(() => compileRules([{ ...base }])).toThrow(/matches nothing/);
    expect(() => compileRules([{ ...base, any: ['a'] }, { ...base, any: ['b'] }])).toThrow(/twice/);
  });

  it('every pattern passes the safety check', () => {
    for (const r of BUILTIN_RULES) for (const p of [...(r.any ?? []), ...(r.all ?? []), ...(r.none ?? [])]) expect(patternProblem(p), `${r.id}: /${p}/`).toBeUndefined();
  });

  it('required literals are really required (a line without it never matches)', () => {
    expect(requiredLiteral('Ef\\(11\\)')).toBe('ef(11)');
    expect(requiredLiteral('a|b')).toBe('');
    expect(requiredLiteral('No Algorithm found for:?')).toBe('no algorithm found for');
    expect(requiredLiteral('Verify error at address \\$[67]0')).toBe('verify error at address $');
    for (const r of BUILTIN_RULES) {
      for (const p of [...(r.any ?? []), ...(r.all ?? [])]) {
        const lit = requiredLiteral(p);
        if (!lit) continue;
        for (const line of r.example) if (new RegExp(p, 'i').test(line)) expect(line.toLowerCase(), `${r.id}: /${p}/ literal '${lit}'`).toContain(lit);
      }
    }
  });

  it.each(BUILTIN_RULES.map((r) => [r.id, r] as const))('%s fires on its example', (_id, rule) => {
    const report = diagnose(rule.example.join('\n'));
    const ids = report.causes.map((c) => c.rule);
    const found = report.causes.find((c) => c.rule === rule.id);
    // Either it fired, or a rule that names it in `supersedes` fired instead.
    const superseder = report.causes.find((c) => BUILTIN_RULES.find((r) => r.id === c.rule)?.supersedes?.includes(rule.id));
    expect(found ?? superseder, `${rule.id} not among ${ids.join(', ')}`).toBeDefined();
    if (found) {
      expect(found.category).toBe(rule.category);
      expect(found.evidence.length).toBeGreaterThan(0);
      expect(found.fix.join(' ')).not.toMatch(/<[a-zA-Z.]+>/); // every template filled
    }
  });
});
