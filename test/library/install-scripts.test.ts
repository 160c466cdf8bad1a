/**
 * `npm ci` on a fresh machine prints no warning about install scripts of our own dependencies:
 * npm 11 warns for every package in the lockfile with an install script that package.json's
 * `allowScripts` does not cover (docs: npm-approve-scripts, config `allow-scripts`). Checked
 * here from the lockfile, so a new dependency with a native build fails this test until it is
 * reviewed (`npm approve-scripts <pkg>`). A real `npm ci` in a fresh clone printed no warning.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('package.json allowScripts', () => {
  it('covers every locked dependency that has an install script', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    const allowed = Object.entries(pkg.allowScripts ?? {}).filter(([, v]) => v === true).map(([k]) => k.replace(/(.)@[^/@]*$/, '$1')); // 'pkg@1.2.3' pins count too
    for (const name of withScripts) expect(allowed, `${name} runs an install script that allowScripts does not cover`).toContain(name);
  });
});
