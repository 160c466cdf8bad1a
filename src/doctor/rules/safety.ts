/**
 * Rule patterns must not backtrack catastrophically: no quantified group that itself holds
 * a quantifier ((a+)+, (.*)*, (\s?x)+), no backreferences, no unbounded repeat of `.`
 * next to another unbounded repeat. Checked when rules load (and by a test over every rule).
 */
export function patternProblem(source: string): string | undefined {
  if (/\\[1-9]/.test(source)) return 'backreference';
  // Walk groups: find "( … )" followed by a quantifier where the inside holds a quantifier.
  const stack: Array<{ start: number; quantified: boolean }> = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') { i++; continue; }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') { inClass = true; continue; }
    if (c === '(') { stack.push({ start: i, quantified: false }); continue; }
    if (c === ')') {
      const g = stack.pop();
      const next = source[i + 1];
      const quantifiedGroup = next === '*' || next === '+' || next === '{' || next === '?';
      if (g && g.quantified && quantifiedGroup && next !== '?') return `nested quantifier in group at ${g.start}`;
      if (g && (g.quantified || quantifiedGroup) && stack.length) stack[stack.length - 1]!.quantified = true;
      continue;
    }
    const prev = source[i - 1];
    const isQuestionQuantifier = c === '?' && prev !== '(' && prev !== '*' && prev !== '+' && prev !== '?' && prev !== '}';
    if ((c === '*' || c === '+' || c === '{' || isQuestionQuantifier) && stack.length) stack[stack.length - 1]!.quantified = true;
  }
  if (/\.[*+][^|)]{0,20}\.[*+]/.test(source)) return 'two unbounded .* in a row';
  return undefined;
}

/**
 * The longest literal run a match must contain, lower-cased, for a cheap `includes` test
 * before the regular expression runs; '' when the pattern has a top-level alternation or
 * no literal worth using.
 */
export function requiredLiteral(source: string): string {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') { i++; continue; }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return '';
  }
  let best = '';
  let cur = '';
  let inClass = false;
  depth = 0;
  const flush = () => { if (cur.length > best.length) best = cur; cur = ''; };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') { flush(); inClass = true; continue; }
    if (c === '(') { flush(); depth++; continue; }
    if (c === ')') { flush(); depth--; continue; }
    if (depth > 0) continue; // inside a group: may be alternated or optional
    const next = source[i + 1];
    const optionalNext = next === '?' || next === '*' || next === '{';
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      i++;
      const after = source[i + 1];
      if (/[.()[\]{}*+?^$|\\/$-]/.test(e) && !(after === '?' || after === '*' || after === '{')) cur += e;
      else flush();
      continue;
    }
    if ('.^$*+?{}|'.includes(c)) { flush(); if (c === '{') { while (i < source.length && source[i] !== '}') i++; } continue; }
    if (optionalNext) { flush(); continue; }
    cur += c;
  }
  flush();
  return best.length >= 3 ? best.toLowerCase() : '';
}
