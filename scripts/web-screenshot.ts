// Makes the README's screenshot of the browser app from the real page: builds the static
// site, serves it, and in Debian's headless Chromium opens examples/blinky-stm32f103.elf,
// picks the page's own simulated STM32F103 ("Try it without hardware", no test fakes),
// writes it and photographs the page. `npx tsx scripts/web-screenshot.ts [out.png]`
// (default docs/web-app.png); run it again when the page changes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { bundleWeb } from './bundle-web.mjs';
import { startWebServer } from '../src/cli/commands/web.js';

const out = process.argv[2] ?? 'docs/web-app.png';
const dir = mkdtempSync(join(tmpdir(), 'fw-web-shot-'));
await bundleWeb(dir, { quiet: true });
const server = await startWebServer(dir, 0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(server.url);
  await page.selectOption('#source', 'sim:stm32f103xb');
  await page.setInputFiles('#file', 'examples/blinky-stm32f103.elf');
  await page.waitForSelector('#image-info table');
  await page.click('#write');
  await page.waitForSelector('#result .ok', { timeout: 60_000 });
  await page.click('#device-more summary');
  await page.waitForFunction(() => document.getElementById('offline-status')?.dataset.version);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}: ${await page.textContent('#result')}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
