/**
 * The browser app's weight and time to interactive, measured on the built static site:
 * bundle sizes (raw and gzip) from the build, then Debian's headless Chromium loads the page
 * from the CLI's static server and the time from navigation start to the app's
 * 'flashwright-ready' mark (set when every handler is wired and the target list filled, so a
 * click does something) is read from the page's own Performance timeline:
 *   - cold: a fresh browser context each time (no HTTP cache, no service worker), as is and
 *     with the CPU slowed 4× (Chrome's DevTools CPU throttling, as Lighthouse's mobile run);
 *   - from the service worker's cache (a reload once the page is kept for offline use).
 * Judged against bounds (bench/_targets.ts): 1000 ms to interactive cold at full speed, the
 * RAIL model's "load within a second" for a page on a fast link (localhost here), and 3800 ms
 * at 4× CPU, Lighthouse's "fast" limit for TTI; 250 KiB gzip for the whole page, about 1.3 s
 * on Lighthouse's slow-4G link (1.6 Mbit/s).
 *
 *   node --import tsx bench/web.ts                 build into a temp folder, measure, judge
 *   node --import tsx bench/web.ts --built DIR --report   measure a built site, print only (npm run build)
 */
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bundleWeb, offlineAssets } from '../scripts/bundle-web.mjs';
import { startWebServer } from '../src/cli/commands/web.js';
import { finishTargets, machineLoad, target, unmeasured } from './_targets.js';

const CHROMIUM = '/usr/bin/chromium';
const args = process.argv.slice(2);
const builtAt = args.includes('--built') ? args[args.indexOf('--built') + 1] : undefined;
const reportOnly = args.includes('--report');
// The build's report takes fewer runs: it should not make `npm run build` slow.
const RUNS = reportOnly ? 3 : 7;

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const kib = (n: number) => n / 1024;

/** navigation start → the app's ready mark, and first contentful paint, from the page's timeline. */
async function timings(page: Page): Promise<{ ready: number; fcp: number }> {
  await page.waitForFunction(() => performance.getEntriesByName('flashwright-ready').length > 0, undefined, { timeout: 30_000 });
  return page.evaluate(() => ({
    ready: performance.getEntriesByName('flashwright-ready')[0]!.startTime,
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
  }));
}

async function cold(browser: Browser, url: string, cpuSlowdown: number): Promise<{ ready: number; fcp: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    if (cpuSlowdown > 1) await (await context.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
    await page.goto(url);
    return await timings(page);
  } finally {
    await context.close();
  }
}

async function fromServiceWorker(browser: Browser, url: string): Promise<number[]> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    const out: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const response = await page.reload();
      if (!response?.fromServiceWorker()) throw new Error('the reload did not come from the service worker');
      out.push((await timings(page)).ready);
    }
    return out;
  } finally {
    await context.close();
  }
}

const temp = builtAt ? undefined : mkdtempSync(join(tmpdir(), 'fw-bench-web-'));
const dir = builtAt ?? temp!;
try {
  if (temp) await bundleWeb(temp, { quiet: true });
  const files = [...offlineAssets(dir), 'sw.js'];
  const raw = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  const zipped = files.reduce((n, f) => n + gzipSync(readFileSync(join(dir, f))).length, 0);
  const app = readFileSync(join(dir, 'app.js'));
  // The build has printed its own size line already.
  if (!reportOnly) console.log(`bench web-bundle: app.js ${kib(app.length).toFixed(1)} KiB raw, ${kib(gzipSync(app).length).toFixed(1)} KiB gzip; page (${files.length} files) ${kib(raw).toFixed(1)} KiB raw, ${kib(zipped).toFixed(1)} KiB gzip`);
  if (!reportOnly) target('page size, gzip', kib(zipped), '<=', 250, { digits: 1, unit: ' KiB', note: 'the bound is about 1.3 s on a 1.6 Mbit/s slow-4G link' });
  if (!existsSync(CHROMIUM)) {
    if (reportOnly) console.log(`bench web-tti: not measured (no ${CHROMIUM})`);
    else unmeasured('time to interactive', `no ${CHROMIUM}`);
  } else {
    const server = await startWebServer(dir, 0);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      await cold(browser, server.url, 1); // a first launch warms the browser itself, not the page: not counted
      const fast: Array<{ ready: number; fcp: number }> = [];
      const slow: Array<{ ready: number; fcp: number }> = [];
      for (let i = 0; i < RUNS; i++) { fast.push(await cold(browser, server.url, 1)); slow.push(await cold(browser, server.url, 4)); }
      const cached = await fromServiceWorker(browser, server.url);
      const m = (xs: Array<{ ready: number; fcp: number }>, k: 'ready' | 'fcp') => median(xs.map((x) => x[k]));
      console.log(`bench web-tti: interactive (median of ${RUNS}) cold ${m(fast, 'ready').toFixed(0)} ms (first paint ${m(fast, 'fcp').toFixed(0)} ms), cold at 4× CPU slowdown ${m(slow, 'ready').toFixed(0)} ms (first paint ${m(slow, 'fcp').toFixed(0)} ms), from the service worker's cache ${median(cached).toFixed(0)} ms; headless Chromium, 127.0.0.1; ${machineLoad()}`);
      if (!reportOnly) {
        target('time to interactive, cold', m(fast, 'ready'), '<=', 1000, { digits: 0, unit: ' ms', note: `median of ${RUNS}, fresh context each` });
        target('time to interactive, cold, 4× CPU slowdown', m(slow, 'ready'), '<=', 3800, { digits: 0, unit: ' ms', note: 'Lighthouse\'s "fast" TTI limit' });
        target('time to interactive, from the service worker', median(cached), '<=', 1000, { digits: 0, unit: ' ms' });
      }
    } finally {
      await browser.close();
      await server.close();
    }
  }
} finally {
  if (temp) rmSync(temp, { recursive: true, force: true });
}
if (!reportOnly) finishTargets();
