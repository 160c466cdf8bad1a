/** The device-reported flash size wins over the description, and the disagreement is shown (issue 10 §4). */
import { describe, expect, it } from 'vitest';
import { requireTarget } from '../../src/target/lookup.js';
import { programmer, rig } from './helpers.js';

describe('STM32 flash size register through the bootloader', () => {
  it('an F103 reporting 64 KiB under PID 0x410 is planned as 64 KiB, with a warning naming both sizes', async () => {
    const r = rig('stm32f103xb', { flashSizeKiB: 64 });
    const p = programmer(r);
    const device = await p.connect();
    expect(device.target.regions.find((x) => x.kind === 'flash')).toMatchObject({ size: 64 * 1024, sectors: [{ size: 1024, count: 64 }] });
    expect(device.details?.warnings).toEqual([expect.stringMatching(/flash size register \(0x1FFFF7E0\) says 64 KiB of flash; STM32F103xB describes 128 KiB: using 64 KiB/)]);
    expect(device.details?.flashSizeRegister).toBe('64 KiB (0x1FFFF7E0)');
    await p.close();
  });

  it('the register wins over --target too; agreeing sizes say nothing', async () => {
    const r = rig('stm32f103xb', { flashSizeKiB: 64 });
    const p = programmer(r, { target: requireTarget('stm32f103cb') });
    expect((await p.connect()).target.regions.find((x) => x.kind === 'flash')?.size).toBe(64 * 1024);
    await p.close();
    const same = rig('stm32f407xg');
    const q = programmer(same);
    const d = await q.connect();
    expect(d.details?.warnings).toBeUndefined();
    expect(d.details?.flashSizeRegister).toBe('1 MiB (0x1FFF7A22)');
    await q.close();
  });

  it('an L476 reporting 512 KiB shrinks to 256 pages', async () => {
    const r = rig('stm32l476xg', { flashSizeKiB: 512 });
    const p = programmer(r);
    expect((await p.connect()).target.regions.find((x) => x.kind === 'flash')?.sectors).toEqual([{ size: 2048, count: 256 }]);
    await p.close();
  });
});
