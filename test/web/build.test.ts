// What `npm run build` puts in dist/web: the static site and its service worker, nothing
// test-only (the tests' fake navigator.* is built by the harness, elsewhere), and a cache
// version that follows the content: the same files give the same version, a changed file a new one.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWeb, writeServiceWorker, type WebBundle } from '../../scripts/bundle-web.mjs';
import { buildFakeNavigator } from './browser.js';

describe('the built static site (dist/web)', () => {
  let dir: string;
  let built: WebBundle;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-web-build-'));
    writeFileSync(join(dir, 'left-by-an-old-build.js'), 'old');
    built = await bundleWeb(dir, { quiet: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the page, its bundle, its service worker and nothing else (an older build\'s files are gone)', () => {
    expect(readdirSync(dir).sort()).toEqual(['app.js', 'app.js.map', 'index.html', 'style.css', 'sw.js']);
    expect(built.assets).toEqual(['app.js', 'index.html', 'style.css']);
    expect(built.line).toMatch(/^bench web-bundle: app\.js [\d.]+ KiB \(gzip [\d.]+ KiB\); page total [\d.]+ KiB \(gzip [\d.]+ KiB\) in 4 files; offline build [0-9a-f]{12}; built in \d+ ms$/);
  });

  it('ships no fake of navigator.serial/hid/usb, but keeps the page\'s own simulated chips', async () => {
    const app = readFileSync(join(dir, 'app.js'), 'utf8');
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/flashwrightFakes|defineProperty\(navigator/);
    expect(app).toContain('STM32F103 (128 KiB, bootloader v2.2)');
    // The harness's init script is what replaces navigator.*, and it is built outside dist/web.
    const fakesDir = mkdtempSync(join(tmpdir(), 'fw-web-fakes-'));
    try {
      expect(readFileSync(await buildFakeNavigator(fakesDir), 'utf8')).toMatch(/defineProperty\(navigator,\s*"serial"/);
    } finally { rmSync(fakesDir, { recursive: true, force: true }); }
  });

  it('the service worker caches exactly the built files under a version hashed from them', async () => {
    const sw = readFileSync(join(dir, 'sw.js'), 'utf8');
    expect(sw).toContain(JSON.stringify(built.assets));
    expect(sw).toContain(`flashwright-web-`);
    expect(sw).toContain(built.version);
    expect((await writeServiceWorker(dir)).version).toBe(built.version);
    writeFileSync(join(dir, 'style.css'), readFileSync(join(dir, 'style.css'), 'utf8') + '\n/* changed */');
    const changed = await writeServiceWorker(dir);
    expect(changed.version).not.toBe(built.version);
    expect(readFileSync(join(dir, 'sw.js'), 'utf8')).toContain(changed.version);
  });
});
