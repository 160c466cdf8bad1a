/**
 * The modelled benches still run to their verdicts (a bench that throws is not a bench):
 * this checks they end with their targets line, not what the targets say — judging is
 * `npm run bench`'s job, and tests never assert on speed.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { needs } from '../helpers/peers.js';

function run(file: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${file}`], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('modelled benches run to the end', () => {
  it('flash-engine prints its figures', () => {
    const r = run('flash-engine.ts');
    expect(r.err).toBe('');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('no target is judged here');
  }, 120_000);

  it('mcuboot reaches its targets', () => {
    const r = run('mcuboot.ts');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^\d+ of \d+ targets met\.$/m);
  }, 120_000);

  const browser = needs('chromium');
  it.skipIf(browser.skip)(browser.title('web measures the page (size, time to interactive in headless Chromium) and reaches its verdict'), () => {
    const r = run('web.ts');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^bench web-tti: interactive \(median of 7\) cold \d+ ms/m);
    expect(r.out).toMatch(/^\d+ of 4 targets met\.$/m);
  }, 120_000);

  const peers = needs('stm32flash', 'socat');
  it.skipIf(peers.skip)(peers.title('stm32-uart reaches its targets (stm32flash over a pty)'), () => {
    const r = run('stm32-uart.ts');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^\d+ of \d+ targets met\.$/m);
  }, 120_000);
});
