// Test harness for the browser app: builds dist/web into a temp folder, serves it on port 0
// with the CLI's own server, and drives Debian's chromium through playwright-core (never a
// downloaded browser). Pages get the fake navigator.serial as an init script.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { bundleWeb } from '../../scripts/bundle-web.mjs';
import { startWebServer, type WebServer } from '../../src/cli/commands/web.js';

export const SHOTS = join(process.cwd(), '.test-results', 'web');

export interface WebHarness { url: string; context: BrowserContext; outdir: string; close(): Promise<void>; page(width?: number): Promise<Page> }

export async function startHarness(): Promise<WebHarness> {
  const outdir = mkdtempSync(join(tmpdir(), 'fw-web-'));
  const profile = mkdtempSync(join(tmpdir(), 'fw-chromium-'));
  mkdirSync(SHOTS, { recursive: true });
  await bundleWeb(outdir, { quiet: true });
  const server: WebServer = await startWebServer(outdir, 0);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    url: server.url, context, outdir,
    async page(width = 1280) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: width < 500 ? 800 : 900 });
      await page.addInitScript({ path: join(outdir, 'fake-navigator.js') });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(server.url);
      return page;
    },
    async close() {
      await context.close();
      await server.close();
      rmSync(outdir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
