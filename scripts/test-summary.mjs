// Turns vitest's JSON report into the lines scripts/run-tests.mjs prints: one line per
// skipped test with its reason, and the closing "tests: N passed, N failed, N skipped" line
// that CI reads. In CI a skipped test fails the run: the interoperability evidence lives in
// the peer tests, and a run where they silently skipped proves nothing about it.

/** Must match SKIP_MARK in test/helpers/peers.ts (test/helpers/peers.test.ts checks both). */
export const SKIP_MARK = ' [skipped, missing: ';

/** True when the run must treat a skip as a failure: CI=true or FLASHWRIGHT_REQUIRE_PEERS=1. */
export function peersRequired(env) {
  return env.CI === 'true' || env.CI === '1' || env.FLASHWRIGHT_REQUIRE_PEERS === '1';
}

/** Splits a skipped test's full name into its name (marks removed) and the missing peers. */
function skipReason(fullName) {
  const missing = [];
  let name = '';
  let rest = fullName;
  for (let at = rest.indexOf(SKIP_MARK); at >= 0; at = rest.indexOf(SKIP_MARK)) {
    name += rest.slice(0, at);
    const end = rest.indexOf(']', at + SKIP_MARK.length);
    const stop = end < 0 ? rest.length : end;
    missing.push(rest.slice(at + SKIP_MARK.length, stop));
    rest = rest.slice(stop + 1);
  }
  name += rest;
  return { name, reason: missing.length ? `missing ${[...new Set(missing)].join(', ')}` : 'no reason given (skipped without test/helpers/peers.ts)' };
}

/**
 * report: vitest's JSON report (or undefined when it could not be read); required: peersRequired().
 * Returns the lines to print and whether the run passes.
 */
export function summarize(report, required) {
  if (!report) return { lines: ['vitest wrote no JSON report', 'tests: 0 passed, 1 failed, 0 skipped'], ok: false, passed: 0, failed: 1, skipped: 0 };
  const lines = [];
  const skips = [];
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo') skips.push(skipReason(t.fullName));
    }
  }
  for (const s of skips) lines.push(`${required ? 'SKIPPED (fails in CI)' : 'skipped'}: ${s.name} — ${s.reason}`);
  const passed = report.numPassedTests ?? 0;
  const failed = report.numFailedTests ?? 0;
  const skipped = skips.length;
  const failedSuites = report.numFailedTestSuites ?? 0;
  // A file that fails to load (a missing package, a syntax error) has no failed test in it:
  // name every such file, whatever else failed, so a count of failed tests never hides them.
  const unloaded = (report.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((t) => t.status === 'failed'));
  for (const f of unloaded.slice(0, 20)) lines.push(`FAILED FILE: ${f.name} — ${String(f.message ?? '').split('\n')[0]}`);
  if (unloaded.length > 20) lines.push(`… and ${unloaded.length - 20} more`);
  if (unloaded.length) lines.push(`${unloaded.length} test file(s) failed outside any test (their tests did not run)`);
  else if (failedSuites && !failed) lines.push(`${failedSuites} test file(s) failed outside any test (see above)`);
  if (required && skipped) {
    lines.push(`${skipped} test(s) skipped: CI requires every peer (CI=true or FLASHWRIGHT_REQUIRE_PEERS=1); install the packages named above (.ci/run does)`);
  }
  lines.push(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  const ok = failed === 0 && failedSuites === 0 && passed > 0 && !(required && skipped > 0);
  return { lines, ok, passed, failed, skipped };
}
