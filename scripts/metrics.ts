// Prints the structure counts quoted in issue notes, reproducibly: `npx tsx scripts/metrics.ts [--list]`.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { floorViolations, longFiles, longFunctions } from './floors.js';

const src = resolve(import.meta.dirname, '..', 'src');
const list = process.argv.includes('--list');

const upward = floorViolations(src);
const files = longFiles(src, 400);
const fns = longFunctions(src, 80);
let dupLine = 'duplicates: command not found';
let dupRows: string[] = [];
try {
  const out = execFileSync('duplicates', ['--repo', src, '--most', '200'], { encoding: 'utf8' });
  dupRows = out.split('\n').filter((l) => /^D\d+ /.test(l));
  dupLine = out.split('\n')[0] ?? '';
} catch { /* reported as not found */ }

console.log(`upward imports:        ${upward.length}`);
if (list) for (const v of upward) console.log(`  ${v.file}:${v.line} ${v.spec} — ${v.why}`);
console.log(`files over 400 lines:  ${files.length}`);
if (list) for (const f of files) console.log(`  ${f.file} ${f.lines}`);
console.log(`functions over 80 lines: ${fns.length}`);
if (list) for (const f of fns) console.log(`  ${f.file}:${f.line} ${f.name} ${f.lines}`);
const m = /^(\d+) pairs/.exec(dupLine);
console.log(`duplicates pairs (src): ${m ? m[1] : dupLine.startsWith('no duplicates') ? 0 : dupLine}`);
if (list) for (const r of dupRows) console.log(`  ${r}`);
