// The static site (as `npm run build` writes it) offline: loaded once from a static server,
// then the server is stopped and the browser set offline, and the page still loads (from its
// service worker) and writes, verifies and reads back a simulated STM32 — with the page as
// shipped, no fake navigator (the "Try it without hardware" simulators are the page's own).
// A new build is a new cache: the open page is told, a reload runs it, the old cache is gone.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { writeServiceWorker } from '../../scripts/bundle-web.mjs';
import { needs } from '../helpers/peers.js';
import { SHOTS, startHarness, type WebHarness } from './browser.js';
import { dropFile, stm32Image } from './page-helpers.js';

const p = needs('chromium');

/** Every cache of the origin with the paths it holds. */
const cacheContents = (page: Page) => page.evaluate(async () => {
  const out: Record<string, string[]> = {};
  for (const k of await caches.keys()) out[k] = (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname).sort();
  return out;
});

/** Waits until a service worker controls the page and the footer names the build it keeps. */
async function keptBuild(page: Page): Promise<string> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null && Boolean(document.getElementById('offline-status')?.dataset.version), undefined, { timeout: 30_000 });
  return (await page.getAttribute('#offline-status', 'data-version'))!;
}

describe.skipIf(p.skip)(p.title('the static site offline (service worker, no fake navigator)'), () => {
  let h: WebHarness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('loaded once from a folder of a static host, it reloads and writes a simulated STM32F103 with the server stopped and the browser offline', async () => {
    // Under a path, as on a project's pages site: everything is relative to the page.
    const site = await h.site('tools/flashwright');
    const page = await h.page({ url: site.url, fakes: false });
    expect(await keptBuild(page)).toBe(site.version);
    expect(await page.textContent('#offline-status')).toContain(`Works offline · build ${site.version} · 3 files kept`);
    expect(await cacheContents(page)).toEqual({ [`flashwright-web-${site.version}`]: ['/tools/flashwright/app.js', '/tools/flashwright/index.html', '/tools/flashwright/style.css'] });
    expect(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.scope))).toBe(site.url);

    await site.server.close();
    await h.context.setOffline(true);
    try {
      expect(await page.evaluate((u) => fetch(`${u}not-cached.txt`).then(() => 'reached', () => 'unreachable'), site.url)).toBe('unreachable');
      const response = await page.reload();
      expect(response?.fromServiceWorker()).toBe(true);
      expect(await page.evaluate(() => 'flashwrightFakes' in globalThis)).toBe(false);
      await page.selectOption('#source', 'sim:stm32f103xb');
      const image = stm32Image(6 * 1024);
      await dropFile(page, 'app.bin', image.segments[0]!.data);
      await page.fill('#base', '0x08000000');
      await page.dispatchEvent('#base', 'change');
      await page.click('#write');
      await page.waitForSelector('#result .ok', { timeout: 30_000 });
      expect(await page.textContent('#result')).toMatch(/Written and verified\. 6144 image bytes on STM32F103xB: 6 sector\(s\) erased, 6 written/);
      const download = page.waitForEvent('download');
      await page.click('#read');
      const saved = readFileSync((await (await download).path())!);
      expect(new Uint8Array(saved.subarray(0, 6 * 1024))).toEqual(image.segments[0]!.data);
      expect(saved.subarray(6 * 1024).every((b) => b === 0xff)).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'offline-written-1280.png'), fullPage: true });
    } finally {
      await h.context.setOffline(false);
    }
    await page.close();
  });

  it('a new build is a new cache: the open page says so, its reload runs the new build, the old cache is deleted', async () => {
    const site = await h.site();
    const page = await h.page({ url: site.url, fakes: false });
    const first = await keptBuild(page);
    // A new build: a changed page and the service worker the build writes for it.
    const html = join(site.outdir, 'index.html');
    writeFileSync(html, readFileSync(html, 'utf8').replace('<title>flashwright', '<title>flashwright build 2'));
    const second = (await writeServiceWorker(site.outdir)).version;
    expect(second).not.toBe(first);
    await page.reload(); // served from the old cache; the browser fetches sw.js and finds it changed
    expect(await page.title()).not.toContain('build 2');
    await page.waitForFunction((v) => document.getElementById('offline-status')?.textContent?.includes(`New build ${v} installed`), second, { timeout: 30_000 });
    // The new worker controls the page as it activates; its activate step then deletes the old cache.
    await expect.poll(() => cacheContents(page), { timeout: 20_000 }).toEqual({ [`flashwright-web-${second}`]: ['/app.js', '/index.html', '/style.css'] });
    await Promise.all([page.waitForNavigation(), page.click('#offline-status button')]);
    expect(await page.title()).toContain('build 2');
    expect(await keptBuild(page)).toBe(second);
    await site.server.close();
    const offline = await page.reload();
    expect(offline?.fromServiceWorker()).toBe(true);
    expect(await page.title()).toContain('build 2');
    await page.close();
  });

  it('a build whose files cannot all be fetched is not kept, and the page says so', async () => {
    const site = await h.site();
    rmSync(join(site.outdir, 'style.css'));
    const page = await h.page({ url: site.url, fakes: false });
    await page.waitForFunction(() => document.getElementById('offline-status')?.textContent?.startsWith('Not kept for offline use'), undefined, { timeout: 30_000 });
    expect(await page.textContent('#offline-status')).toContain('could not all be fetched');
    expect(await cacheContents(page)).toEqual({});
    expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    await page.close();
  });
});
