// The browser app in a real Chromium (also MCUboot over a fake navigator.hid): image drop → plan picture → write → verify →
// read-back download over the simulated STM32 bootloader behind a fake navigator.serial;
// a Kinetis FSEC refusal before anything is written; cancel and unplug mid-write with the
// record checked against the simulator's flash; the doctor on a pasted seed log.
// Layout, 375 px and the keyboard: layout.test.ts; offline: offline.test.ts.
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

/** A Kinetis image whose flash configuration field sets FSEC = 0x7B (secure), or 0xFE (unsecure). */
function kinetisSecureImage(fsec = 0x7b): MemoryImage {
  const data = pattern(0x1000, 3);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0x20020000, true);
  for (let i = 1; i < 16; i++) v.setUint32(i * 4, 0x00000411, true);
  data.fill(0xff, 0x400, 0x410);
  data[0x40c] = fsec;
  return MemoryImage.fromSegments([{ address: 0, data }]);
}

async function simFlash(page: Page, chip: string, address: number, length: number): Promise<Uint8Array> {
  const b64 = await page.evaluate(({ chip, address, length }) => {
    const fakes = (globalThis as unknown as { flashwrightFakes: { chips: Array<{ id: string; sim: Sim }> } }).flashwrightFakes;
    type Sim = { memory?: Mem; target?: { memory: Mem } };
    type Mem = { nor(n: string): { read(a: number, l: number): Uint8Array } };
    const c = fakes.chips.find((x) => x.id === chip)!;
    const bytes = (c.sim.memory ?? c.sim.target!.memory).nor('flash').read(address, length);
    let s = '';
    for (const x of bytes) s += String.fromCharCode(x);
    return btoa(s);
  }, { chip, address, length });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

const choose = (page: Page, chip: string) => page.evaluate((c) => (globalThis as unknown as { flashwrightFakes: { choose(id: string): void } }).flashwrightFakes.choose(c), chip);

describe.skipIf(p.skip)(p.title('web app in Chromium (fake navigator.serial/hid → simulators)'), () => {
  let h: WebHarness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('drop → plan picture (nothing written) → write → verify → read-back download, STM32F103 over Web Serial', async () => {
    const page = await h.page();
    await choose(page, 'stm32f103xb');
    const image = stm32Image(6 * 1024);
    await dropFile(page, 'app.hex', encodeImage(image, 'hex'));
    expect(await page.textContent('#image-info')).toContain(`CRC-32 0x${image.crc32().toString(16).toUpperCase().padStart(8, '0')}`);
    await page.click('#plan');
    await page.waitForSelector('#plan-view .sector[data-mark="erase-program"]');
    expect(await page.locator('#plan-view .sector[data-mark="erase-program"]').count()).toBe(6); // 1 KiB pages
    expect((await simFlash(page, 'stm32f103xb', 0x08000000, 6 * 1024)).every((b) => b === 0xff)).toBe(true);
    expect(await page.textContent('#plan-view')).toContain('Nothing has been written yet.');
    await page.screenshot({ path: join(SHOTS, 'plan-1280.png'), fullPage: true });
    await page.click('#write');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await page.textContent('#result')).toContain('Written and verified');
    expect(await simFlash(page, 'stm32f103xb', 0x08000000, 6 * 1024)).toEqual(image.segments[0]!.data);
    await page.click('#verify');
    await page.waitForFunction(() => document.querySelector('#result .ok')?.textContent?.startsWith('Verified'));
    const download = page.waitForEvent('download');
    await page.click('#read');
    const file = await download;
    const saved = readFileSync((await file.path())!);
    expect(saved.length).toBe(128 * 1024);
    expect(new Uint8Array(saved.subarray(0, 6 * 1024))).toEqual(image.segments[0]!.data);
    expect(saved.subarray(6 * 1024).every((b) => b === 0xff)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'written-1280.png'), fullPage: true });
    await page.locator('#plan-box').screenshot({ path: join(SHOTS, 'plan-box-1280.png') });
    await page.close();
  });

  it('refuses a Kinetis image with FSEC 0x7B before anything is written (MCUboot UART)', async () => {
    const page = await h.page(375);
    await choose(page, 'mk64fn1m0');
    await page.selectOption('#way', 'mcuboot-uart');
    await page.fill('#baud', '57600');
    await dropFile(page, 'secure.srec', encodeImage(kinetisSecureImage(), 'srec'));
    const before = await simFlash(page, 'mk64fn1m0', 0, 0x1000);
    await page.click('#write');
    await page.waitForSelector('#result .failure', { timeout: 30_000 });
    const text = (await page.textContent('#result'))!;
    expect(text).toMatch(/CHECK_REFUSED/);
    expect(text).toMatch(/FSEC/);
    expect(await simFlash(page, 'mk64fn1m0', 0, 0x1000)).toEqual(before);
    expect(before[0x40c]).not.toBe(0x7b);
    await page.screenshot({ path: join(SHOTS, 'refusal-375.png'), fullPage: true });
    await page.close();
  });

  interface Progress { phase: string; erased: number[]; programmed: Range[]; maybeProgrammed?: Range[]; pending: Range[] }
  interface Range { address: number; size: number }

  /** The record the page shows must be what the simulated flash really holds. */
  async function checkRecord(page: Page, chip: string, image: MemoryImage): Promise<Progress> {
    const json = await page.getAttribute('#result .failure', 'data-progress');
    expect(json).toBeTruthy();
    const progress = JSON.parse(json!) as Progress;
    const data = image.segments[0]!.data;
    const base = image.segments[0]!.address;
    for (const r of progress.programmed) {
      expect(await simFlash(page, chip, r.address, r.size)).toEqual(data.subarray(r.address - base, r.address - base + r.size));
    }
    const maybe = progress.maybeProgrammed ?? [];
    for (const r of progress.pending) {
      if (maybe.some((m) => m.address < r.address + r.size && r.address < m.address + m.size)) continue;
      expect((await simFlash(page, chip, r.address, r.size)).every((b) => b === 0xff)).toBe(true);
    }
    return progress;
  }

  async function startWriteAndWaitForProgramming(page: Page, chip: string, image: MemoryImage): Promise<void> {
    await choose(page, chip);
    await dropFile(page, 'big.hex', encodeImage(image, 'hex'));
    await page.click('#write');
    await page.waitForFunction(() => /program: [1-9]\d* \//.test(document.getElementById('progress-text')?.textContent ?? ''), undefined, { timeout: 30_000 });
  }

  it('cancel mid-write: the page says what the chip holds, and the chip holds exactly that', async () => {
    const page = await h.page();
    const image = stm32Image(24 * 1024);
    await startWriteAndWaitForProgramming(page, 'stm32f103xb', image);
    await page.click('#cancel');
    await page.waitForSelector('#result .failure', { timeout: 30_000 });
    expect(await page.textContent('#result')).toMatch(/FLASH_INTERRUPTED/);
    const progress = await checkRecord(page, 'stm32f103xb', image);
    expect(progress.programmed.length + (progress.maybeProgrammed?.length ?? 0)).toBeGreaterThan(0);
    expect(progress.pending.length).toBeGreaterThan(0);
    expect(await page.isEnabled('#write')).toBe(true);
    expect(await page.isDisabled('#cancel')).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'cancelled-1280.png'), fullPage: true });
    await page.close();
  });

  it('unplug mid-write: the fake port disconnects, the page explains it and keeps a true record', async () => {
    const page = await h.page(375);
    const image = stm32Image(24 * 1024);
    await startWriteAndWaitForProgramming(page, 'stm32f103xb', image);
    await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: { unplug(id: string): void } }).flashwrightFakes.unplug('stm32f103xb'));
    await page.waitForSelector('#result .failure', { timeout: 30_000 });
    const text = (await page.textContent('#result'))!;
    expect(text).toMatch(/FLASH_INTERRUPTED/);
    expect(text).toMatch(/unplugged|disconnected|lost/i);
    expect(text).toContain('Doctor');
    expect(text).toMatch(/USB serial device disappeared mid-operation/);
    await checkRecord(page, 'stm32f103xb', image);
    await page.screenshot({ path: join(SHOTS, 'unplugged-375.png'), fullPage: true });
    await page.close();
  });

  it('doctor page: a pasted seed log (J-Link verify of FSEC at 0x40C) is explained', async () => {
    const page = await h.page();
    await page.click('#nav-doctor');
    await page.waitForSelector('#doctor-log', { state: 'visible' });
    const seed = readSeed('002');
    await page.fill('#doctor-log', seed);
    await page.click('#doctor-run');
    await page.waitForSelector('#doctor-out .cause');
    const text = (await page.textContent('#doctor-out'))!;
    expect(text).toMatch(/FSEC|flash configuration/i);
    await page.screenshot({ path: join(SHOTS, 'doctor-1280.png'), fullPage: true });
    await page.close();
  });

  it('"try it without hardware": a simulated STM32L476 picked in the page, written then skipped as unchanged', async () => {
    const page = await h.page();
    await page.selectOption('#source', 'sim:stm32l476xg');
    const image = stm32Image(8 * 1024);
    await dropFile(page, 'l4.bin', image.segments[0]!.data);
    expect(await page.textContent('#image-info')).toMatch(/0x00000000|warning|placed/i);
    await page.fill('#target', 'STM32L476xG');
    await page.fill('#base', '0x08000000');
    await page.dispatchEvent('#base', 'change');
    await page.waitForFunction(() => document.getElementById('image-info')?.textContent?.includes('0x08000000'));
    await page.click('#write');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await page.textContent('#result')).toMatch(/4 written, 0 skipped/);
    await page.click('#plan');
    await page.waitForFunction(() => document.querySelectorAll('#plan-view .sector[data-mark="skip"]').length === 4);
    await page.screenshot({ path: join(SHOTS, 'skip-plan-1280.png'), fullPage: true });
    await page.close();
  });

  it('MCUboot over USB-HID (fake navigator.hid → simulated K64): plan, write, verify', async () => {
    const page = await h.page();
    await choose(page, 'mk64fn1m0-hid');
    await page.selectOption('#way', 'mcuboot-hid');
    const image = kinetisSecureImage(0xfe);
    await dropFile(page, 'k64.hex', encodeImage(image, 'hex'));
    await page.click('#plan');
    await page.waitForSelector('#plan-view .sector[data-mark="erase-program"]');
    await page.click('#write');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await simFlash(page, 'mk64fn1m0-hid', 0, 0x1000)).toEqual(image.segments[0]!.data);
    await page.click('#verify');
    await page.waitForFunction(() => document.querySelector('#result .ok')?.textContent?.startsWith('Verified'));
    const reports = await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: { hid: { devices: Array<{ reportsOut: number }> } } }).flashwrightFakes.hid.devices[0]!.reportsOut);
    expect(reports).toBeGreaterThan(4096 / 64);
    await page.close();
  });
});
