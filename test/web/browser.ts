// Test harness for the browser app: builds dist/web into a temp folder, serves it on port 0
// with the CLI's own server, and drives Debian's chromium through playwright-core (never a
// downloaded browser). Pages get the fake navigator.serial/hid as an init script, built here
// into a folder of its own (the served site never holds it), unless a test asks for the
// page as shipped ({ fakes: false }).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { bundleWeb } from '../../scripts/bundle-web.mjs';
import { startWebServer, type WebServer } from '../../src/cli/commands/web.js';

export const SHOTS = join(process.cwd(), '.test-results', 'web');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface PageOptions { width?: number; fakes?: boolean; url?: string }

export interface WebHarness {
  url: string; context: BrowserContext; outdir: string;
  /** A new page at `url` (default the harness's site), 1280 px wide unless told, with the fake navigator unless fakes: false. */
  page(width?: number | PageOptions): Promise<Page>;
  /** A fresh build of the site in a folder and server of its own (for tests that rebuild or stop it), at `under/` on that server if given. */
  site(under?: string): Promise<{ outdir: string; server: WebServer; version: string; url: string }>;
  close(): Promise<void>;
}

/** Builds the tests' init script (test/web/fake-navigator.ts) into dir; returns its path. */
export async function buildFakeNavigator(dir: string): Promise<string> {
  const outfile = join(dir, 'fake-navigator.js');
  await build({ entryPoints: ['test/web/fake-navigator.ts'], outfile, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'warning' });
  return outfile;
}

export async function startHarness(): Promise<WebHarness> {
  const outdir = mkdtempSync(join(tmpdir(), 'fw-web-'));
  const fakesDir = mkdtempSync(join(tmpdir(), 'fw-web-fakes-'));
  const profile = mkdtempSync(join(tmpdir(), 'fw-chromium-'));
  mkdirSync(SHOTS, { recursive: true });
  await bundleWeb(outdir, { quiet: true });
  const fakes = await buildFakeNavigator(fakesDir);
  const server: WebServer = await startWebServer(outdir, 0);
  const sites: Array<{ root: string; server: WebServer }> = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: CHROMIUM_ARGS,
  });
  return {
    url: server.url, context, outdir,
    async page(options = {}) {
      const o: PageOptions = typeof options === 'number' ? { width: options } : options;
      const width = o.width ?? 1280;
      const page = await context.newPage();
      await page.setViewportSize({ width, height: width < 500 ? 800 : 900 });
      if (o.fakes !== false) await page.addInitScript({ path: fakes });
      await page.goto(o.url ?? server.url);
      return page;
    },
    async site(under) {
      const root = mkdtempSync(join(tmpdir(), 'fw-web-site-'));
      const dir = under ? join(root, under) : root;
      const { version } = await bundleWeb(dir, { quiet: true });
      const server = await startWebServer(root, 0);
      const site = { outdir: dir, server, version, url: under ? `${server.url}${under}/` : server.url };
      sites.push({ server, root });
      return site;
    },
    async close() {
      await context.close();
      await server.close();
      for (const s of sites) { await s.server.close(); rmSync(s.root, { recursive: true, force: true }); }
      for (const d of [outdir, fakesDir, profile]) rmSync(d, { recursive: true, force: true });
    },
  };
}
