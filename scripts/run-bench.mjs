// Runs the benchmarks in bench/ (all, or those whose names contain an argument), one after
// another so they do not disturb each other's timings. Each bench prints one PASS/FAIL line
// per target and exits non-zero when one is missed (bench/_targets.ts); so does this script.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filters = process.argv.slice(2);
const files = readdirSync(new URL('../bench/', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const failed = [];
for (const f of files) {
  console.log(`\n=== bench/${f} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${f}`], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(f);
}
console.log(`\nbench: ${files.length - failed.length} of ${files.length} met every target${failed.length ? `; missed or failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length || files.length === 0 ? 1 : 0);
