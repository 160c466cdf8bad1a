import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The `flashwright` bin is the esbuild bundle `npm run build` makes: build it the same way and run it.
describe('the bundled CLI (package bin)', () => {
  // Inside the package, so the bundle resolves its npm dependencies as the installed bin does.
  mkdirSync('node_modules/.cache', { recursive: true });
  const dir = mkdtempSync(join('node_modules/.cache', 'fw-bundle-'));
  const bundle = join(dir, 'flashwright.js');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds, starts and runs a command with the documented exit codes', () => {
    const built = spawnSync(process.execPath, ['scripts/bundle-cli.mjs', bundle], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const info = spawnSync(process.execPath, [bundle, 'info', 'examples/blinky-stm32f103.hex', '--json'], { encoding: 'utf8' });
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).format).toBe('hex');
    const usage = spawnSync(process.execPath, [bundle, 'info', '--no-such-option'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    // An unknown target name is a bad argument value: a usage error too.
    const unknown = spawnSync(process.execPath, [bundle, 'targets', 'show', 'stm32f9'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/No built-in target is called 'stm32f9'/);
    const badFile = join(dir, 'bad.hex');
    writeFileSync(badFile, ':10000000ZZ\n');
    const failed = spawnSync(process.execPath, [bundle, 'info', badFile], { encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/not a hex digit/);
    // JSON errors carry the public class name, also where the bundler renamed the class (issue 10 §2).
    const badState = join(dir, 'bad-state.json');
    writeFileSync(badState, '{bad');
    const j = spawnSync(process.execPath, [bundle, 'read', '0x08000000', '16', join(dir, 'x.bin'), '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', badState, '--json'], { encoding: 'utf8' });
    expect(j.status).toBe(1);
    const body = JSON.parse(j.stdout.trim().split('\n').at(-1)!) as { error: { name: string; code: string } };
    expect(body.error).toMatchObject({ name: 'FlashwrightError', code: 'SIM_STATE' });
    expect(j.stderr + j.stdout).not.toMatch(/\n\s+at /);
  });
});
