/**
 * The peer helper and the summary run-tests.mjs prints: a skip names the test and the
 * missing tool, and in CI any skip fails the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPeer, needs, SKIP_MARK } from './peers.js';
import { peersRequired, SKIP_MARK as SUMMARY_MARK, summarize } from '../../scripts/test-summary.mjs';

function report(tests: { fullName: string; status: string }[]) {
  return {
    numPassedTests: tests.filter((t) => t.status === 'passed').length,
    numFailedTests: tests.filter((t) => t.status === 'failed').length,
    numFailedTestSuites: 0,
    testResults: [{ assertionResults: tests }],
  };
}

describe('needs()', () => {
  it('leaves the title alone when the peer is there and appends the reason when it is not', () => {
    const sh = needs('sh');
    expect(sh).toMatchObject({ skip: false, missing: [], reason: '' });
    expect(sh.title('runs sh')).toBe('runs sh');
    const gone = needs('sh', 'fw-no-such-tool-9f3', 'stm32flash-hidden-for-test');
    expect(gone.skip).toBe(true);
    expect(gone.missing).toEqual(['fw-no-such-tool-9f3', 'stm32flash-hidden-for-test']);
    expect(gone.title('talks to it')).toBe(`talks to it${SKIP_MARK}fw-no-such-tool-9f3 (not on PATH), stm32flash-hidden-for-test (not on PATH)]`);
  });

  it('names the Debian package of a known peer; FLASHWRIGHT_HIDE_PEERS makes an installed one count as missing', () => {
    expect(SUMMARY_MARK).toBe(SKIP_MARK);
    const before = process.env.FLASHWRIGHT_HIDE_PEERS;
    process.env.FLASHWRIGHT_HIDE_PEERS = 'stm32flash,python3-pyocd';
    try {
      expect(needs('stm32flash', 'python3-pyocd').reason).toBe('stm32flash (Debian package stm32flash), python3-pyocd (Debian package python3-pyocd)');
      expect(hasPeer('stm32flash')).toBe(false);
    } finally {
      if (before === undefined) delete process.env.FLASHWRIGHT_HIDE_PEERS; else process.env.FLASHWRIGHT_HIDE_PEERS = before;
    }
  });
});

describe('the test summary', () => {
  const skipped = `tool tests${needs('fw-no-such-tool-9f3').title('')}`;
  const base = [
    { fullName: 'a passes', status: 'passed' },
    { fullName: `${skipped} talks to the tool`, status: 'skipped' },
    { fullName: 'plain skip', status: 'skipped' },
  ];

  it('prints each skip on its own line with its reason and counts it in the closing line', () => {
    const s = summarize(report(base), false);
    expect(s.ok).toBe(true);
    expect(s.lines).toEqual([
      'skipped: tool tests talks to the tool — missing fw-no-such-tool-9f3 (not on PATH)',
      'skipped: plain skip — no reason given (skipped without test/helpers/peers.ts)',
      'tests: 1 passed, 0 failed, 2 skipped',
    ]);
  });

  it('fails the run in CI when anything skipped, and passes it when nothing did', () => {
    const s = summarize(report(base), true);
    expect(s.ok).toBe(false);
    expect(s.lines[0]).toBe('SKIPPED (fails in CI): tool tests talks to the tool — missing fw-no-such-tool-9f3 (not on PATH)');
    expect(s.lines.at(-1)).toBe('tests: 1 passed, 0 failed, 2 skipped');
    expect(summarize(report(base.slice(0, 1)), true)).toMatchObject({ ok: true, lines: ['tests: 1 passed, 0 failed, 0 skipped'] });
  });

  it('fails on a failed test, a failed file, no tests, or no report', () => {
    expect(summarize(report([...base, { fullName: 'b', status: 'failed' }]), false).ok).toBe(false);
    expect(summarize({ ...report(base), numFailedTestSuites: 1 }, false).ok).toBe(false);
    expect(summarize(report([]), false).ok).toBe(false);
    expect(summarize(undefined, false)).toMatchObject({ ok: false, lines: ['vitest wrote no JSON report', 'tests: 0 passed, 1 failed, 0 skipped'] });
  });

  it('names every file that failed to load even when tests failed too (their tests never ran)', () => {
    const r = {
      numPassedTests: 1, numFailedTests: 1, numFailedTestSuites: 2,
      testResults: [
        { name: '/x/a.test.ts', status: 'failed', assertionResults: [{ fullName: 'a', status: 'failed' }] },
        { name: '/x/b.test.ts', status: 'failed', message: "Cannot find package 'fflate'\nat …", assertionResults: [] },
        { name: '/x/c.test.ts', status: 'passed', assertionResults: [{ fullName: 'c', status: 'passed' }] },
      ],
    };
    const s = summarize(r, false);
    expect(s.ok).toBe(false);
    expect(s.lines).toEqual([
      "FAILED FILE: /x/b.test.ts — Cannot find package 'fflate'",
      '1 test file(s) failed outside any test (their tests did not run)',
      'tests: 1 passed, 1 failed, 0 skipped',
    ]);
  });

  it('reads CI=true and FLASHWRIGHT_REQUIRE_PEERS=1 as "every peer required"', () => {
    expect(peersRequired({ CI: 'true' })).toBe(true);
    expect(peersRequired({ FLASHWRIGHT_REQUIRE_PEERS: '1' })).toBe(true);
    expect(peersRequired({})).toBe(false);
    expect(peersRequired({ CI: 'false' })).toBe(false);
  });
});

describe('scripts/run-tests.mjs end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-run-tests-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Runs the script on one peer test file with socat hidden; CI / REQUIRE_PEERS as given. */
  function run(env: Record<string, string>) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'FLASHWRIGHT_REQUIRE_PEERS'));
    const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', 'test/stm32/node-pty-serial.test.ts'], {
      encoding: 'utf8', env: { ...base, FLASHWRIGHT_HIDE_PEERS: 'socat', FLASHWRIGHT_TEST_REPORT: join(dir, `${Object.keys(env).join('-') || 'local'}.json`), ...env },
    });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  it('locally: passes, prints each skip with the missing peer, and counts them', () => {
    const r = run({});
    expect(r.out).toMatch(/^skipped: exposeOnPty \+ openSerialPort over socat bridges .* — missing socat \(Debian package socat\)$/m);
    expect(r.out).toMatch(/^tests: 1 passed, 0 failed, 3 skipped$/m);
    expect(r.status, r.out).toBe(0);
  }, 60_000);

  it('in CI (FLASHWRIGHT_REQUIRE_PEERS=1 or CI=true): the same skips fail the run', () => {
    for (const env of [{ FLASHWRIGHT_REQUIRE_PEERS: '1' }, { CI: 'true' }] as Array<Record<string, string>>) {
      const r = run(env);
      expect(r.out).toMatch(/^SKIPPED \(fails in CI\): exposeOnPty \+ openSerialPort over socat refuses .* — missing socat \(Debian package socat\)$/m);
      expect(r.out).toMatch(/^tests: 1 passed, 0 failed, 3 skipped$/m);
      expect(r.status, r.out).toBe(1);
    }
  }, 120_000);
});
