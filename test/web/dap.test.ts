// CMSIS-DAP in the page, in a real Chromium: the CLI's CmsisDapProgrammer over a fake
// navigator.usb (v2 bulk) and navigator.hid (v1 reports) wired to the in-process simulated
// probe and memory target. That target executes no code, so — as behind `flashwright sim
// cmsis-dap --chip` — images go to RAM and flash without an algorithm is refused in the plan.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { needs } from '../helpers/peers.js';
import { SHOTS, startHarness, type WebHarness } from './browser.js';
import { dropFile, pattern } from './page-helpers.js';

const p = needs('chromium');

type Fakes = { chips: Array<{ id: string; sim: { target: { core: { peek(a: number, n: number): Uint8Array } }; probe: { stats: { packetsOut: number } } } }>; choose(id: string): void; unplug(id: string): void; usb: { devices: Array<{ transfersOut: number }> } };

/** What the simulated target's memory really holds (read past the debug path). */
async function simMemory(page: Page, chip: string, address: number, length: number): Promise<Uint8Array> {
  const b64 = await page.evaluate(({ chip, address, length }) => {
    const fakes = (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes;
    const bytes = fakes.chips.find((x) => x.id === chip)!.sim.target.core.peek(address, length);
    let s = '';
    for (const x of bytes) s += String.fromCharCode(x);
    return btoa(s);
  }, { chip, address, length });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

const choose = (page: Page, chip: string) => page.evaluate((c) => (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes.choose(c), chip);

describe.skipIf(p.skip)(p.title('CMSIS-DAP in Chromium (fake navigator.usb/hid → simulated probe and in-process target)'), () => {
  let h: WebHarness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('v2 over WebUSB: image → plan picture (nothing written) → write → verify → read-back download, K64 RAM', async () => {
    const page = await h.page();
    await choose(page, 'k64-dap-v2');
    await page.selectOption('#way', 'cmsis-dap-v2');
    await page.fill('#target', 'MK64FN1M0');
    const data = pattern(12 * 1024, 11);
    const image = MemoryImage.fromSegments([{ address: 0x20000000, data }]);
    await dropFile(page, 'ram.hex', encodeImage(image, 'hex'));
    await page.click('#plan');
    await page.waitForSelector('#plan-view .ram-write[data-mark="write-ram"]', { timeout: 30_000 });
    const plan = (await page.textContent('#plan-view'))!;
    expect(plan).toContain('Nothing has been written yet.');
    expect(plan).toMatch(/12288 byte\(s\) to write to RAM/);
    expect(plan).toMatch(/no flash algorithm/);
    expect((await simMemory(page, 'k64-dap-v2', 0x20000000, data.length)).every((b) => b === 0)).toBe(true);
    expect(await page.textContent('#device-info')).toMatch(/dpidr/i);
    await page.screenshot({ path: join(SHOTS, 'dap-plan-1280.png'), fullPage: true });
    await page.click('#write');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await page.textContent('#result')).toContain('Written and verified');
    expect(await simMemory(page, 'k64-dap-v2', 0x20000000, data.length)).toEqual(data);
    await page.click('#verify');
    await page.waitForFunction(() => document.querySelector('#result .ok')?.textContent?.startsWith('Verified'), undefined, { timeout: 30_000 });
    const download = page.waitForEvent('download');
    await page.click('#read');
    const saved = readFileSync((await (await download).path())!);
    expect(saved.length).toBe(0x30000); // SRAM_U of the K64, where the image is
    expect(new Uint8Array(saved.subarray(0, data.length))).toEqual(data);
    const transfers = await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes.usb.devices[0]!.transfersOut);
    expect(transfers).toBeGreaterThan(data.length / 64);
    await page.screenshot({ path: join(SHOTS, 'dap-written-1280.png'), fullPage: true });
    await page.close();
  });

  it('refuses a flash image in the plan: no flash algorithm, nothing sent to flash', async () => {
    const page = await h.page(375);
    await choose(page, 'k64-dap-v2');
    await page.selectOption('#way', 'cmsis-dap-v2');
    await page.fill('#target', 'MK64FN1M0');
    const data = pattern(4096, 5);
    await dropFile(page, 'flash.hex', encodeImage(MemoryImage.fromSegments([{ address: 0x1000, data }]), 'hex'));
    await page.click('#write');
    await page.waitForSelector('#result .failure', { timeout: 30_000 });
    const text = (await page.textContent('#result'))!;
    expect(text).toMatch(/PLAN_NOT_CONFIGURED/);
    expect(text).toMatch(/read-only: no flash algorithm|no flash algorithm/);
    // The doctor names the way out: the part's flash algorithm (a pack opened in the page), or a RAM image.
    expect(text).toMatch(/needs a flash algorithm/);
    expect(text).toMatch(/open the part's \.pack/);
    expect((await simMemory(page, 'k64-dap-v2', 0x1000, data.length)).every((b) => b === 0xff)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'dap-flash-refused-375.png'), fullPage: true });
    await page.close();
  });

  it('"try it without hardware": the simulated v1 probe (WebHID reports) with an nRF51 writes and verifies RAM', async () => {
    const page = await h.page(375);
    await page.selectOption('#source', 'sim:nrf51-dap-v1');
    expect(await page.inputValue('#way')).toBe('cmsis-dap-v1');
    expect(await page.inputValue('#target')).toBe('nRF51822');
    const data = pattern(6 * 1024, 21);
    await dropFile(page, 'ram.bin', data);
    await page.fill('#base', '0x20000400');
    await page.dispatchEvent('#base', 'change');
    await page.waitForFunction(() => document.getElementById('image-info')?.textContent?.includes('0x20000400'));
    await page.click('#write');
    await page.waitForSelector('#result .ok', { timeout: 30_000 });
    expect(await page.textContent('#result')).toContain('Written and verified');
    const download = page.waitForEvent('download');
    await page.click('#read');
    const saved = readFileSync((await (await download).path())!);
    expect(saved.length).toBe(0x4000);
    expect(new Uint8Array(saved.subarray(0x400, 0x400 + data.length))).toEqual(data);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(SHOTS, 'dap-v1-sim-375.png'), fullPage: true });
    await page.close();
  });

  it('unplug mid-write: the USB probe disconnects, the page explains it and its record is true', async () => {
    const page = await h.page();
    await choose(page, 'k64-dap-v2');
    await page.selectOption('#way', 'cmsis-dap-v2');
    await page.fill('#target', 'MK64FN1M0');
    const data = pattern(128 * 1024, 33);
    await dropFile(page, 'big.hex', encodeImage(MemoryImage.fromSegments([{ address: 0x20000000, data }]), 'hex'));
    await page.click('#write');
    await page.waitForFunction(() => /write-ram: [1-9]\d* \//.test(document.getElementById('progress-text')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes.unplug('k64-dap-v2'));
    await page.waitForSelector('#result .failure', { timeout: 30_000 });
    const text = (await page.textContent('#result'))!;
    expect(text).toMatch(/FLASH_INTERRUPTED/);
    expect(text).toMatch(/disconnected|unplug/i);
    expect(text).toContain('Doctor');
    expect(text).toMatch(/The CMSIS-DAP debug probe disappeared mid-operation/);
    expect(text).not.toMatch(/USB serial device disappeared/);
    const progress = JSON.parse((await page.getAttribute('#result .failure', 'data-progress'))!) as { phase: string; programmed: Array<{ address: number; size: number }>; maybeProgrammed?: Array<{ address: number; size: number }> };
    expect(progress.phase).toBe('write-ram');
    // RAM bytes are not confirmed one by one: the failed call's range is named as maybe written.
    expect(progress.maybeProgrammed).toEqual([{ address: 0x20000000, size: data.length }]);
    // The record claims only what the memory really holds.
    for (const r of progress.programmed) expect(await simMemory(page, 'k64-dap-v2', r.address, r.size)).toEqual(data.subarray(r.address - 0x20000000, r.address - 0x20000000 + r.size));
    const held = await simMemory(page, 'k64-dap-v2', 0x20000000, data.length);
    expect(held).not.toEqual(data); // the unplug really came mid-write
    await page.screenshot({ path: join(SHOTS, 'dap-unplugged-1280.png'), fullPage: true });
    await page.close();
  });
});
