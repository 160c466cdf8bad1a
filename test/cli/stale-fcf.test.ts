/**
 * QA follow-up of issue 10 §2: MCUboot 10203 (stale cache) on a Kinetis whose sector 0 — the
 * flash configuration field at 0x400–0x40F — this run erased. A reset latches FSEC = 0xFF there,
 * so "reset, then --skip" leads into a secured part: the text must say so and name the way out
 * that really works. Every claim of the hint is checked against the simulated device.
 */
import { describe, expect, it } from 'vitest';
import { errorLines } from '../../src/cli/output.js';
import type { FlashwrightError } from '../../src/core/errors.js';
import { deviceStatusIn } from '../../src/flash/diagnose.js';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { uartRig } from '../mcuboot/helpers.js';

/** A bootable K64 image of 8 KiB from 0, with the unsecure default flash configuration field. */
function boot(fill: number): MemoryImage {
  const d = new Uint8Array(0x2000).fill(fill);
  const v = new DataView(d.buffer);
  v.setUint32(0, 0x20010000, true);
  v.setUint32(4, 0x00000411, true);
  d.fill(0xff, 0x400, 0x410);
  d[0x40c] = 0xfe;
  return MemoryImage.fromSegments([{ address: 0, data: d }]);
}

describe('10203 stale cache with the flash configuration field erased', () => {
  it('warns that a reset secures the part, and the way it names (reset, then --unsecure --skip) works', async () => {
    const rigU = uartRig('MK64FN1M0');
    rigU.target.staleCache.enabled = true;
    const prog = new McubootProgrammer({ transport: rigU.transport });
    const failed = await writeImage(prog, await prog.connect(), boot(0x22), {}).catch((e: unknown) => e) as FlashwrightError;
    expect(failed.code).toBe('FLASH_INTERRUPTED');
    const stale = failed.cause as FlashwrightError;
    expect(stale.code).toBe('FLASH_STALE_CACHE');
    expect(stale.context).toMatchObject({ securedAfterReset: true, fsecAddress: 0x40c });
    const text = errorLines(failed).join('\n');
    expect(text).toContain('SECURED');
    expect(text).toContain('0x00000400–0x0000040F');
    expect(text).toContain('--unsecure --skip');
    expect(text).toContain('ALL 1024 KiB of flash');
    expect(text).not.toContain('A reset clears the stale view: run');
    // True: FSEC reads erased now, and a retry in this session meets the stale view again.
    expect(rigU.target.memory.read(0x40c, 1)[0]).toBe(0xff);
    const retry = await writeImage(prog, await prog.connect(), boot(0x22), { skipUnchanged: true }).catch((e: unknown) => e) as FlashwrightError;
    expect(retry.code).toBe('FLASH_INTERRUPTED');
    expect(deviceStatusIn(retry)?.context.status ?? (deviceStatusIn(retry)?.cause as FlashwrightError | undefined)?.context.status).toBe(10203);
    // True: the reset secures the part; a plain resume is refused.
    await prog.reset('run');
    expect(rigU.target.secure).toBe(true);
    expect(rigU.target.fsec).toBe(0xff);
    await expect(writeImage(prog, await prog.connect(), boot(0x22), { skipUnchanged: true })).rejects.toThrow(/secure/);
    // The way out it names: --unsecure --skip writes the whole image, and the part stays unsecure.
    const done = await writeImage(prog, await prog.connect(), boot(0x22), { skipUnchanged: true, changes: ['mass-erase-unsecure'] });
    expect(done.bytesVerified).toBe(0x2000);
    await prog.reset('run');
    expect(rigU.target.secure).toBe(false);
    expect(rigU.target.memory.read(0, 0x2000)).toEqual(boot(0x22).slice(0, 0x2000).segments[0]!.data);
    await prog.close();
  });

  it('an application behind the field (sector 0 untouched) keeps the plain reset advice', async () => {
    const rigU = uartRig('MK64FN1M0');
    rigU.target.staleCache.enabled = true;
    const prog = new McubootProgrammer({ transport: rigU.transport });
    const app = (fill: number) => MemoryImage.fromSegments([{ address: 0x1000, data: new Uint8Array(0x1000).fill(fill) }]);
    await writeImage(prog, await prog.connect(), app(0x11), {});
    const failed = await writeImage(prog, await prog.connect(), app(0x22), {}).catch((e: unknown) => e) as FlashwrightError;
    const stale = failed.cause as FlashwrightError;
    expect(stale.code).toBe('FLASH_STALE_CACHE');
    expect(stale.context.securedAfterReset).toBeUndefined();
    expect(stale.hint).toContain('A reset clears the stale view');
    await prog.close();
  });
});
