/**
 * QA follow-up of issue 10 §1: an i.MX RT flashloader reports no SystemDeviceId, so without
 * --target nothing says where the chip boots. A write that starts a flash region (the FlexSPI
 * boot address) is refused instead of written unchecked; --target runs the real boot checks.
 */
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { requireTarget } from '../../src/target/lookup.js';
import { uartRig } from './helpers.js';

/** Data from the FlexSPI base whose "vector table" has a stack pointer in flash: unbootable. */
function badBoot(): MemoryImage {
  const d = new Uint8Array(0x3000).fill(0x5a);
  const v = new DataView(d.buffer);
  v.setUint32(0x2000, 0x60001000, true); // SP in flash, not RAM
  v.setUint32(0x2004, 0x60002401, true);
  return MemoryImage.fromSegments([{ address: 0x60000000, data: d, source: 'boot.bin' }]);
}

describe('an MCUboot device that does not identify itself', () => {
  it('without --target: a write from the FlexSPI base is refused (boot checks cannot run), nothing is written', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, flexspiOption: [0xc0000007] });
    const device = await prog.connect();
    expect(device.ids.sdid ?? 0).toBe(0);
    const before = rig.target.memory.read(0x60000000, 0x3000).slice();
    const e = await writeImage(prog, device, badBoot(), {}).catch((x: unknown) => x) as { code: string; context: Record<string, unknown>; message: string; hint: string };
    expect(e.code).toBe('CHECK_REFUSED');
    expect(e.context.check).toBe('vector-table.boot-unknown');
    expect(e.message).toContain('did not identify itself');
    expect(e.hint).toContain('--target');
    expect(rig.target.memory.read(0x60000000, 0x3000)).toEqual(before);
    // --allow-unbootable insists.
    const s = await writeImage(prog, device, badBoot(), { allowUnbootable: true });
    expect(s.bytesVerified).toBeGreaterThan(0);
    await prog.close();
  });

  it('with --target the built-in boot checks judge the same image', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MIMXRT1021'), flexspiOption: [0xc0000007] });
    const e = await writeImage(prog, await prog.connect(), badBoot(), {}).catch((x: unknown) => x) as { code: string; context: Record<string, unknown> };
    expect(e.code).toBe('CHECK_REFUSED');
    expect(e.context.check).not.toBe('vector-table.boot-unknown');
    await prog.close();
  });

  it('an application behind the boot header is not judged by the boot rules', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, flexspiOption: [0xc0000007] });
    const app = MemoryImage.fromSegments([{ address: 0x60002000, data: new Uint8Array(0x1000).fill(3), source: 'app.bin' }]);
    const s = await writeImage(prog, await prog.connect(), app, {});
    expect(s.bytesVerified).toBe(0x1000);
    await prog.close();
  });
});
