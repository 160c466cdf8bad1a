// A CMSIS-Pack opened in the page (Chromium): the test builds the pack (test/pack/fixture.ts:
// a hand-written .pdsc and FLMs compiled from our nRF51 NVMC algorithm), the page reads it
// with src/pack, its parts join the target search, and the chosen part's memory map and
// default flash algorithm are what the CMSIS-DAP way in connects with and plans against.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildFlms, buildPack } from '../pack/fixture.js';
import { SHOTS, startHarness, type WebHarness } from './browser.js';
import { dropFile, pattern } from './page-helpers.js';

/** An nRF51 application: vector table (SP in RAM, Thumb handlers in flash) and data. */
function nrf51Image(size: number): MemoryImage {
  const data = pattern(size, 51);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0x20004000, true);
  for (let i = 1; i < 16; i++) v.setUint32(i * 4, 0x000000c1, true);
  return MemoryImage.fromSegments([{ address: 0, data }]);
}

type Fakes = { choose(id: string): void; chips: Array<{ id: string; sim: { target: { core: { peek(a: number, n: number): Uint8Array; poke(a: number, d: Uint8Array): void } } } }> };

async function simFlash(page: Page, address: number, length: number): Promise<Uint8Array> {
  const b64 = await page.evaluate(({ address, length }) => {
    const f = (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes;
    let s = '';
    for (const x of f.chips.find((c) => c.id === 'nrf51-dap-v1')!.sim.target.core.peek(address, length)) s += String.fromCharCode(x);
    return btoa(s);
  }, { address, length });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

const p = needs('chromium', 'arm-none-eabi-gcc');

describe.skipIf(p.skip)(p.title('CMSIS-Pack opened in the page (Chromium)'), () => {
  let h: WebHarness;
  let tc: Toolchain;
  let pack: Uint8Array;
  beforeAll(async () => {
    tc = new Toolchain();
    pack = buildPack(buildFlms(tc));
    h = await startHarness();
  });
  afterAll(async () => { await h?.close(); tc?.cleanup(); });

  async function openPackInPage(page: Page, bytes: Uint8Array, name = 'Flashwright.TestNRF51_DFP.1.2.0.pack'): Promise<string> {
    await page.setInputFiles('#pack', { name, mimeType: 'application/zip', buffer: Buffer.from(bytes) });
    await page.waitForFunction(() => (document.getElementById('pack-info')?.textContent ?? '').length > 0);
    return (await page.textContent('#pack-info'))!;
  }

  it('its parts join the target search; the part gives its memory map and default flash algorithm', async () => {
    const page = await h.page();
    await page.selectOption('#source', 'sim:nrf51-dap-v1');
    const info = await openPackInPage(page, pack);
    expect(info).toMatch(/pack Flashwright\.TestNRF51_DFP 1\.2\.0, 6 part\(s\) added to the search: nRF51822_xxAA, nRF51822-QFAA-R, nRF51822_xxAC, nRF51DUAL, nRF51DUAL:cm0a, nRF51DUAL:cm0b/);
    const options = await page.$$eval('#targets option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toContain('nRF51822_xxAC');
    expect(options).toContain('nRF51DUAL:cm0b');
    await page.fill('#target', 'nrf51822_xxaa');
    await page.dispatchEvent('#target', 'change');
    await page.waitForSelector('#pack-info .pack-part');
    const part = (await page.textContent('#pack-info .pack-part'))!;
    expect(part).toMatch(/nRF51822_xxAA from pack Flashwright\.TestNRF51_DFP 1\.2\.0/);
    expect(part).toMatch(/Flash algorithm: nRF51 256K \(pack default\)/);
    expect(part).toMatch(/flash flash: 0x00000000–0x0003FFFF \(algorithm Flash\/nRF51822_xxAA\.FLM\)/);

    await page.screenshot({ path: join(SHOTS, 'pack-plan-1280.png'), fullPage: true });
    await page.close();
  });

  it('flash through the pack\'s algorithm: plan picture from its geometry → write → verify → read-back, the algorithm running on the simulated nRF51 behind CMSIS-DAP v1 (WebHID)', async () => {
    const page = await h.page();
    await page.evaluate(() => {
      const f = (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes;
      f.choose('nrf51-dap-v1');
      // Old contents in the first page: the plan must erase it before programming.
      f.chips.find((c) => c.id === 'nrf51-dap-v1')!.sim.target.core.poke(0, new Uint8Array(64).fill(0x5a));
    });
    await page.selectOption('#way', 'cmsis-dap-v1');
    await openPackInPage(page, pack);
    await page.fill('#target', 'nRF51822_xxAA');
    await page.dispatchEvent('#target', 'change');
    const image = nrf51Image(3 * 1024);
    await dropFile(page, 'app.hex', encodeImage(image, 'hex'));
    await page.click('#plan');
    await page.waitForSelector('#plan-view .sector[data-mark="erase-program"], #result .failure', { timeout: 60_000 });
    expect(await page.textContent('#result')).toBe('');
    // The FLM's geometry: 1 KiB pages, 256 of them; page 0 holds old bytes, pages 1–2 are erased already.
    expect(await page.locator('#plan-view .sectors').first().locator('.sector').count()).toBe(256);
    expect(await page.locator('#plan-view .sector[data-mark="erase-program"]').count()).toBe(1);
    expect(await page.locator('#plan-view .sector[data-mark="program"]').count()).toBe(2);
    expect((await simFlash(page, 0, 64)).every((b) => b === 0x5a)).toBe(true);
    expect(await page.textContent('#device-info')).toMatch(/nRF51 256K \(pack default\)/);
    await page.screenshot({ path: join(SHOTS, 'pack-plan-1280.png'), fullPage: true });
    await page.click('#write');
    await page.waitForSelector('#result .ok, #result .failure', { timeout: 60_000 });
    expect(await page.textContent('#result')).toMatch(/Written and verified.*1 sector\(s\) erased, 3 written/);
    expect(await simFlash(page, 0, 3 * 1024)).toEqual(image.segments[0]!.data);
    await page.click('#verify');
    await page.waitForFunction(() => document.querySelector('#result .ok')?.textContent?.startsWith('Verified'), undefined, { timeout: 60_000 });
    expect(await page.textContent('#result')).toMatch(/3 range\(s\), digest/); // the runner's CRC-32 routine, run on the simulated core
    const download = page.waitForEvent('download', { timeout: 120_000 });
    await page.click('#read');
    const saved = readFileSync((await (await download).path())!);
    expect(saved.length).toBe(0x40000);
    expect(new Uint8Array(saved.subarray(0, 3 * 1024))).toEqual(image.segments[0]!.data);
    expect(saved.subarray(3 * 1024).every((b) => b === 0xff)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'pack-written-1280.png'), fullPage: true });
    await page.close();
  }, 180_000);

  it('unplug mid-write of flash (WebHID probe disconnects): explained, and the record matches the simulated flash', async () => {
    const page = await h.page(375);
    await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: Fakes }).flashwrightFakes.choose('nrf51-dap-v1'));
    await page.selectOption('#way', 'cmsis-dap-v1');
    await openPackInPage(page, pack);
    await page.fill('#target', 'nRF51822_xxAA');
    await page.dispatchEvent('#target', 'change');
    const image = nrf51Image(96 * 1024);
    await dropFile(page, 'big.hex', encodeImage(image, 'hex'));
    await page.click('#write');
    await page.waitForFunction(() => /program: [1-9]\d* \//.test(document.getElementById('progress-text')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.evaluate(() => (globalThis as unknown as { flashwrightFakes: { unplug(id: string): void } }).flashwrightFakes.unplug('nrf51-dap-v1'));
    await page.waitForSelector('#result .failure', { timeout: 60_000 });
    const text = (await page.textContent('#result'))!;
    expect(text).toMatch(/FLASH_INTERRUPTED/);
    expect(text).toMatch(/The CMSIS-DAP debug probe disappeared mid-operation/);
    type R = { address: number; size: number };
    const progress = JSON.parse((await page.getAttribute('#result .failure', 'data-progress'))!) as { programmed: R[]; maybeProgrammed?: R[]; pending: R[] };
    expect(progress.pending.length).toBeGreaterThan(0);
    for (const r of progress.programmed) expect(await simFlash(page, r.address, r.size)).toEqual(image.read(r.address, r.size));
    const maybe = progress.maybeProgrammed ?? [];
    for (const r of progress.pending) {
      if (maybe.some((m) => m.address < r.address + r.size && r.address < m.address + m.size)) continue;
      expect((await simFlash(page, r.address, r.size)).every((b) => b === 0xff)).toBe(true);
    }
    await page.screenshot({ path: join(SHOTS, 'pack-unplugged-375.png'), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.close();
  }, 180_000);

  it('the part picked from the pack sets what the target search resolves, core included (multi-core part)', async () => {
    const page = await h.page(375);
    await openPackInPage(page, pack);
    await page.fill('#target', 'nRF51DUAL:cm0b');
    await page.dispatchEvent('#target', 'change');
    await page.waitForSelector('#pack-info .pack-part');
    const part = (await page.textContent('#pack-info .pack-part'))!;
    expect(part).toMatch(/core cm0b, access port 1/);
    expect(part).toMatch(/ramb: 0x20002000–0x20003FFF/);
    expect(part).toMatch(/Flash algorithm: nRF51 128K/);
    await page.screenshot({ path: join(SHOTS, 'pack-part-375.png'), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.close();
  });

  it('a file that is not a pack, or a pack missing its FLM, is named in the page', async () => {
    const page = await h.page();
    expect(await openPackInPage(page, new TextEncoder().encode('not a zip'), 'notes.pack')).toMatch(/Cannot read notes\.pack: .*not a \.pack \(a zip archive\)/);
    const broken = buildPack(buildFlms(tc), undefined, ['Flash/nRF51822_xxAA.FLM']);
    await openPackInPage(page, broken, 'broken.pack');
    await page.fill('#target', 'nRF51822_xxAA');
    await page.dispatchEvent('#target', 'change');
    await page.waitForSelector('#pack-info .pack-part');
    expect(await page.textContent('#pack-info .pack-part')).toMatch(/nRF51822_xxAA\.FLM/i);
    await page.close();
  });
});
