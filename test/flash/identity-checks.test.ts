/** A user target file cannot switch off the brick checks (issue 10 §5). */
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { requireTarget } from '../../src/target/lookup.js';
import type { TargetDescription } from '../../src/target/types.js';
import { uartRig } from '../mcuboot/helpers.js';
import { programmer, rig } from '../stm32/helpers.js';

function vectors(base: number, sp: number): Uint8Array {
  const d = new Uint8Array(0x100).fill(0x33);
  new DataView(d.buffer).setUint32(0, sp, true);
  new DataView(d.buffer).setUint32(4, base + 0x41, true);
  return d;
}

describe('brick checks follow the chip the device reports', () => {
  it('F407: a file describing the option block as RAM does not let RDP = 0xCC through', async () => {
    const f407 = requireTarget('stm32f407xg');
    const file: TargetDescription = {
      ...f407, name: 'MY-F407', features: undefined,
      regions: f407.regions.map((r) => (r.name === 'option-bytes' ? { name: 'option-bytes', kind: 'ram', start: r.start, size: r.size } : r)),
    };
    const r = rig('stm32f407xg');
    const p = programmer(r, { target: file });
    const device = await p.connect();
    const ob = r.sim.memory.read(0x1fffc000, 16);
    const evil = new Uint8Array(ob);
    evil[1] = 0xcc;
    const image = MemoryImage.fromSegments([{ address: 0x08000000, data: vectors(0x08000000, 0x20010000) }, { address: 0x1fffc000, data: evil }]);
    const err = await writeImage(p, device, image, {}).catch((e) => e);
    expect(err.code).toBe('CHECK_REFUSED');
    expect(err.message).toMatch(/RDP = 0xCC.*level 2.*checked for the chip the device reports, STM32F407xG/);
    expect(r.sim.memory.read(0x1fffc000, 16)).toEqual(ob);
    expect(r.sim.readProtected).toBe(false);
    await p.close();
  });

  it('K64 over MCUboot: a file without the Kinetis features does not let FSEC = 0x64 (permanent lock) through', async () => {
    const k64 = requireTarget('MK64FN1M0');
    const file: TargetDescription = { ...k64, name: 'MY-K64', features: undefined };
    const rigs = uartRig('MK64FN1M0');
    const p = new McubootProgrammer({ transport: rigs.transport, target: file });
    const device = await p.connect();
    expect(device.target.features?.kinetisFlashConfig).toBe(true);
    const d = new Uint8Array(0x800).fill(0x44);
    d.set(vectors(0, 0x20010000).subarray(0, 8));
    d.set([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0x64, 0xff, 0xff, 0xff], 0x400);
    const err = await writeImage(p, device, MemoryImage.fromSegments([{ address: 0, data: d }]), { allowSecure: true }).catch((e) => e);
    expect(err.code).toBe('CHECK_REFUSED');
    expect(err.context.check).toBe('kinetis.fsec-permanent-lock');
    expect(rigs.target.memory.read(0x40c, 1)[0]).toBe(0xfe);
    await p.close();
  });
});
