// Helpers the browser tests share: deterministic images and dropping a file on the page.
import type { Page } from 'playwright-core';
import { MemoryImage } from '../../src/image/memory-image.js';

export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

/** An STM32 application: a vector table (SP in SRAM, handlers in flash, Thumb) and data. */
export function stm32Image(size: number): MemoryImage {
  const data = pattern(size, 7);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0x20005000, true);
  for (let i = 1; i < 16; i++) v.setUint32(i * 4, 0x08000141, true);
  return MemoryImage.fromSegments([{ address: 0x08000000, data }]);
}

/** Drops a file on the page's drop zone (a real DragEvent with a DataTransfer) and waits for its table. */
export async function dropFile(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  await page.evaluate(({ name, b64 }) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], name));
    document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, b64: Buffer.from(bytes).toString('base64') });
  await page.waitForSelector('#image-info table');
}
