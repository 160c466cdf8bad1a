/** bench/_targets.ts: one PASS/FAIL line per target with figure and bound; a miss makes the bench exit non-zero. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs a few target calls in a fresh node (they set process.exitCode) and returns its output and status. */
function bench(body: string) {
  const code = `const t = await import(${JSON.stringify(new URL('../../bench/_targets.ts', import.meta.url).href)}); ${body}; t.finishTargets();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('bench targets', () => {
  it('a met target prints PASS with figure and bound and the bench exits 0', () => {
    const r = bench(`t.target('ratio', 0.42, '<=', 0.5); t.target('speed', 1.83, '>=', 1, { unit: '×' })`);
    expect(r.out).toContain('  PASS  ratio: 0.42 (target ≤ 0.5)');
    expect(r.out).toContain('  PASS  speed: 1.83× (target ≥ 1×)');
    expect(r.out).toContain('2 of 2 targets met.');
    expect(r.status, r.out).toBe(0);
  }, 30_000);

  it('one missed or unmeasured target fails the bench', () => {
    let r = bench(`t.target('ratio', 0.57, '<=', 0.5); t.target('memory', 3.02, '<', 4, { unit: '×' })`);
    expect(r.out).toContain('  FAIL  ratio: 0.57 (target ≤ 0.5)');
    expect(r.out).toContain('1 of 2 targets met.');
    expect(r.status).toBe(1);
    r = bench(`t.unmeasured('peak RSS', '/usr/bin/time is not installed'); t.target('nan', NaN, '<', 4)`);
    expect(r.out).toContain('  FAIL  peak RSS: not measured — /usr/bin/time is not installed');
    expect(r.out).toContain('  FAIL  nan: NaN (target < 4)');
    expect(r.status).toBe(1);
  }, 30_000);
});
