/** MCUboot FlashSize wins over the description, and the disagreement is shown (issue 10 §4). */
import { describe, expect, it } from 'vitest';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { requireTarget } from '../../src/target/lookup.js';
import { uartRig } from './helpers.js';

describe('MCUboot FlashSize against --target', () => {
  it('a 1 MiB K64 described as MK64FX512 is planned as 1 MiB, with a warning naming both', async () => {
    const rig = uartRig('MK64FN1M0');
    const warnings: string[] = [];
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('mk64fx512vll12') });
    // The warning travels as a 'log' event through the call context's emit.
    const device = await prog.connect({ emit: (e) => { if (e.type === 'log') warnings.push(e.message); } });
    expect(device.target.regions.find((r) => r.name === 'flash')?.size).toBe(1024 * 1024);
    expect(warnings).toEqual([expect.stringMatching(/reports FlashSize 1 MiB; MK64FX512 describes 512 KiB at 0x00000000: using 1 MiB/)]);
    expect(device.details?.warnings).toEqual(warnings);
    await prog.close();
  });

  it('agreeing sizes say nothing', async () => {
    const rig = uartRig('MK64FN1M0');
    const warnings: string[] = [];
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
    await prog.connect({ emit: (e) => { if (e.type === 'log') warnings.push(e.message); } });
    expect(warnings).toEqual([]);
    await prog.close();
  });
});
