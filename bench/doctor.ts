/**
 * `flashwright doctor` on a 1 MiB log (issue 11 §6: "well under a second"). The log mixes the
 * test cases' real message formats with filler lines, so every reader and rule runs on every
 * line; a second run uses 1 MiB of hostile text (long runs that make naive patterns
 * backtrack). For scale the same run measures the floor of any line-based reader: splitting
 * the text into lines and lower-casing each once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../src/doctor/index.js';
import { finishTargets, target } from './_targets.js';

const MIB = 1024 * 1024;
const BOUND_S = 0.5;

const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, '../test/doctor/cases.json'), 'utf8')) as { cases: Array<{ log: string[] }> };
const sample = cases.flatMap((c) => c.log);

function realisticLog(): string {
  const out: string[] = [];
  let size = 0;
  let i = 0;
  while (size < MIB) {
    const line = i % 3 === 0 ? sample[(i / 3) % sample.length]! : `Info : [target.cpu${i % 4}] step ${i}: read 0x${(0x08000000 + i * 4).toString(16)} = 0x${(i * 2654435761 >>> 0).toString(16)}`;
    out.push(line);
    size += line.length + 1;
    i++;
  }
  return out.join('\n');
}

/** Lines of the longest length the readers look at, each a run that would make a naive pattern backtrack. */
function hostileLog(): string {
  const runs = ['a', ' ', '0x', '&#x', '<a ', 'Error: ', '9 ', 'Verify failed at 0x0', 'Expected 7B ', 'AP[0] ', 'kStatus_', '> ', '(((', 'RDP    '];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < MIB; i++) {
    const r = runs[i % runs.length]!;
    const line = r.repeat(Math.ceil(1900 / r.length)) + (i % 2 ? ':' : '') + String(i); // distinct, so nothing is skipped as a repeat
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(f: () => void, runs = 5): number {
  f(); // warm: compile rules, JIT
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

const real = realisticLog();
const hostile = hostileLog();
let causes = 0;
const tReal = time(() => { causes = diagnose(real).causes.length; });
const tHostile = time(() => { diagnose(hostile); });
const tFloor = time(() => { let n = 0; for (const l of real.split('\n')) n += l.toLowerCase().length; if (n < 0) throw new Error(); });

console.log(`doctor on ${(real.length / MIB).toFixed(2)} MiB (${real.split('\n').length} lines, ${causes} causes found): ${(tReal * 1000).toFixed(0)} ms; hostile 1 MiB: ${(tHostile * 1000).toFixed(0)} ms; split+lower-case floor: ${(tFloor * 1000).toFixed(1)} ms (doctor = ${(tReal / tFloor).toFixed(0)}× the floor)`);
target('doctor, 1 MiB realistic log', tReal, '<=', BOUND_S, { digits: 3, unit: ' s', note: 'issue 11 §6: well under a second' });
target('doctor, 1 MiB hostile log', tHostile, '<=', BOUND_S, { digits: 3, unit: ' s', note: 'no catastrophic backtracking' });
finishTargets();
