// A CMSIS-Pack opened in the page (Chromium): the test builds the pack (test/pack/fixture.ts:
// a hand-written .pdsc and FLMs compiled from our nRF51 NVMC algorithm), the page reads it
// with src/pack, its parts join the target search, and the chosen part's memory map and
// default flash algorithm are what the CMSIS-DAP way in connects with and plans against.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildFlms, buildPack } from '../pack/fixture.js';
import { SHOTS, startHarness, type WebHarness } from './browser.js';

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
