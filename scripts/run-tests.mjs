// Runs vitest, prints one line per skipped test with its reason, and closes with one plain
// "tests: N passed, N failed, N skipped" line, which CI reads. In CI (CI=true, or
// FLASHWRIGHT_REQUIRE_PEERS=1 as .ci/run sets) any skipped test fails the run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { peersRequired, summarize } from './test-summary.mjs';

// The report stays after the run (vitest prints its path): .test-results/ is git-ignored.
// FLASHWRIGHT_TEST_REPORT moves it (the test of this script runs it inside a run).
const out = process.env.FLASHWRIGHT_TEST_REPORT ?? join(fileURLToPath(new URL('../.test-results/', import.meta.url)), 'vitest.json');
mkdirSync(dirname(out), { recursive: true });
rmSync(out, { force: true });
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit' });
let report;
try { report = JSON.parse(readFileSync(out, 'utf8')); } catch { report = undefined; }
const s = summarize(report, peersRequired(process.env));
console.log(s.lines.join('\n'));
process.exit(run.status === 0 && s.ok ? 0 : 1);
