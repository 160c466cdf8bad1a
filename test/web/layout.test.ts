// The page's layout in a real Chromium: no layout shift while a write runs (measured with a
// PerformanceObserver on 'layout-shift', every shift counted, also those right after the key
// or click that started it, which the CLS metric would forgive), nothing wider than a 375 px
// screen in any state of the main flow, and that flow done with the keyboard alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { needs } from '../helpers/peers.js';
import { readSeed } from '../helpers/seeds.js';
import { SHOTS, startHarness, type WebHarness } from './browser.js';
import { dropFile, pattern, stm32Image } from './page-helpers.js';

const p = needs('chromium');

interface Shift { value: number; recentInput: boolean; sources: string[] }

/** Starts recording layout shifts in the page. */
async function recordShifts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const shifts: Array<{ value: number; recentInput: boolean; sources: string[] }> = [];
    (globalThis as unknown as { layoutShifts: typeof shifts }).layoutShifts = shifts;
    type Entry = PerformanceEntry & { value: number; hadRecentInput: boolean; sources: Array<{ node?: Node | null; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly }> };
    const name = (n: Node | null | undefined) => (n instanceof Element ? `${n.tagName.toLowerCase()}${n.id ? `#${n.id}` : ''}${n.className ? `.${String(n.className).replace(/ /g, '.')}` : ''}` : String(n?.nodeName));
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Entry[]) {
        shifts.push({ value: e.value, recentInput: e.hadRecentInput, sources: e.sources.map((s) => `${name(s.node)} y ${s.previousRect.y.toFixed(0)} → ${s.currentRect.y.toFixed(0)}`) });
      }
    }).observe({ type: 'layout-shift' });
  });
}

const shiftsOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { layoutShifts: Shift[] }).layoutShifts);
const total = (shifts: Shift[]) => shifts.reduce((n, s) => n + s.value, 0);

/** What sticks out to the right of a screen `width` wide: the document, and any element not inside a scrolling box. */
const overflow = (page: Page) => page.evaluate(() => {
  const doc = document.documentElement;
  const out: string[] = [];
  if (doc.scrollWidth > doc.clientWidth) out.push(`document ${doc.scrollWidth} > ${doc.clientWidth}`);
  for (const e of Array.from(document.querySelectorAll('body *'))) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= doc.clientWidth + 0.5) continue;
    if (e.closest('.table-wrap')) continue; // scrolls by itself
    out.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className} right ${r.right.toFixed(0)}`);
  }
  return out;
});

describe.skipIf(p.skip)(p.title('web page layout: no shift during progress, 375 px, keyboard'), () => {
  let h: WebHarness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  for (const width of [1280, 375]) {
    it(`no layout shift while a write runs (connect, device info, plan, progress, summary), ${width} px`, async () => {
      const page = await h.page({ width, fakes: false });
      // The L476 simulator has Get Checksum: the second write is planned as all skipped.
      await page.selectOption('#source', 'sim:stm32l476xg');
      const image = stm32Image(24 * 1024);
      await dropFile(page, 'app.hex', encodeImage(image, 'hex'));
      // Scrolled so the action buttons, the progress and what is below them are on screen (a
      // shift is only seen where it happens in view).
      await page.locator('#plan-box').scrollIntoViewIfNeeded();
      for (const round of ['first write (device info and plan appear)', 'second write (all skipped, the plan redrawn)']) {
        await recordShifts(page);
        await page.click('#write');
        await page.waitForSelector('#result .ok', { timeout: 30_000 });
        const events = await page.evaluate(() => document.getElementById('progress-text')!.textContent);
        expect(events).toMatch(/done/);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const shifts = await shiftsOf(page);
        expect(total(shifts), `${round}: ${JSON.stringify(shifts, null, 1)}`).toBeLessThan(0.01);
      }
      expect(await page.textContent('#result')).toMatch(/0 written, 12 skipped/);
      expect(await overflow(page)).toEqual([]);
      await page.close();
    });
  }

  it('no layout shift while a CMSIS-DAP v2 write runs (simulated probe, K64 RAM), 375 px', async () => {
    const page = await h.page({ width: 375, fakes: false });
    await page.selectOption('#source', 'sim:k64-dap-v2');
    const image = MemoryImage.fromSegments([{ address: 0x20000000, data: pattern(24 * 1024, 5) }]);
    await dropFile(page, 'ram.hex', encodeImage(image, 'hex'));
    await page.locator('#plan-box').scrollIntoViewIfNeeded();
    for (const round of ['first write', 'second write']) {
      await recordShifts(page);
      await page.click('#write');
      await page.waitForSelector('#result .ok', { timeout: 60_000 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const shifts = await shiftsOf(page);
      expect(total(shifts), `${round}: ${JSON.stringify(shifts, null, 1)}`).toBeLessThan(0.01);
    }
    expect(await page.textContent('#result')).toContain('Written and verified');
    expect(await overflow(page)).toEqual([]);
    await page.close();
  });

  it('the recorder sees a shift when there is one (a block inserted above the buttons)', async () => {
    const page = await h.page({ width: 375, fakes: false });
    await page.locator('#plan-box').scrollIntoViewIfNeeded();
    await recordShifts(page);
    await page.evaluate(() => { const d = document.createElement('div'); d.style.height = '120px'; document.getElementById('plan-box')!.before(d); });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(total(await shiftsOf(page))).toBeGreaterThan(0.01);
    await page.close();
  });

  it('375 px: nothing wider than the screen on the flash page (image, plan, write, failure) and the doctor page', async () => {
    const page = await h.page(375);
    expect(await overflow(page)).toEqual([]);
    await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: { choose(id: string): void } }).flashwrightFakes.choose('stm32l476xg'));
    // Many segments: a long segment table and a 512-sector map.
    const image = stm32Image(8 * 1024);
    await dropFile(page, 'long-name-of-an-application-image-built-by-ci.hex', encodeImage(image, 'hex'));
    await page.fill('#target', 'STM32L476xG');
    await page.dispatchEvent('#target', 'change');
    await page.click('#plan');
    await page.waitForSelector('#plan-view .sector');
    expect(await overflow(page)).toEqual([]);
    await page.click('#write');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await overflow(page)).toEqual([]);
    // A failure: the doctor's explanation and the record.
    await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: { unplug(id: string): void } }).flashwrightFakes.unplug('stm32l476xg'));
    await page.click('#verify');
    await page.waitForSelector('#result .failure', { timeout: 30_000 });
    expect(await overflow(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'failure-375.png'), fullPage: true });
    await page.click('#nav-doctor');
    await page.fill('#doctor-log', 'Error: Data verification failed @ 0x0000040C. Expected 7B read 7A\n'.repeat(3) + 'x'.repeat(400));
    await page.click('#doctor-run');
    await page.waitForSelector('#doctor-out > *');
    expect(await overflow(page)).toEqual([]);
    await page.close();
  });

  it('keyboard alone: open an image, pick the simulated chip, write, verify and read back; then the doctor page', async () => {
    const page = await h.page({ width: 375, fakes: false });
    await page.bringToFront();
    const image = stm32Image(4 * 1024);
    const tabTo = async (id: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement?.id ?? '') === id) return;
      }
      throw new Error(`Tab never reached #${id}`);
    };
    // Listen before any key is pressed: Playwright turns on file-chooser interception
    // asynchronously, and a chooser opened before that completes is never reported.
    const chooser = page.waitForEvent('filechooser');
    await tabTo('drop');
    // The focused element is seen: a visible outline (the :focus-visible style).
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    const fc = await chooser;
    expect(fc.isMultiple()).toBe(false);
    await fc.setFiles({ name: 'app.hex', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeImage(image, 'hex')) });
    await page.waitForSelector('#image-info table');
    await tabTo('source');
    for (let i = 0; i < 10 && await page.inputValue('#source') !== 'sim:stm32f103xb'; i++) await page.keyboard.press('ArrowDown');
    expect(await page.inputValue('#source')).toBe('sim:stm32f103xb');
    await tabTo('write');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await page.textContent('#result')).toMatch(/Written and verified\. 4096 image bytes on STM32F103xB/);
    // Focus stays where it was (the button is enabled again), so the next action is one Tab away.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('write');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verify');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#result .ok')?.textContent?.startsWith('Verified'));
    const download = page.waitForEvent('download');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('read');
    await page.keyboard.press('Enter');
    const saved = readFileSync((await (await download).path())!);
    expect(new Uint8Array(saved.subarray(0, 4096))).toEqual(image.segments[0]!.data);
    expect(await overflow(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'keyboard-375.png'), fullPage: true });
    // The doctor page too: its link, the log box, the Explain button.
    await tabTo('nav-doctor');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#doctor-log', { state: 'visible' });
    await tabTo('doctor-log');
    await page.keyboard.insertText(readSeed('002'));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('doctor-run');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#doctor-out .cause');
    expect(await page.textContent('#doctor-out')).toMatch(/FSEC|flash configuration/i);
    expect(await overflow(page)).toEqual([]);
    await page.close();
  });
});
