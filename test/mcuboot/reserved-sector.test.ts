/** A sector shared with a reserved bootloader region is never erased by the planner (issue 10 §5). */
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { requireTarget } from '../../src/target/lookup.js';
import { pattern, uartRig } from './helpers.js';

async function setup() {
  // A flash-resident bootloader ending at 0xBBFF: the sector 0xB000–0xBFFF is shared.
  const rig = uartRig('MK64FN1M0', { flashResidentBytes: 0xbc00 });
  rig.target.memory.program(0xb000, pattern(0xc00, 7)); // the bootloader's last bytes
  const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('MK64FN1M0') });
  const device = await prog.connect();
  return { rig, prog, device };
}

describe('sector shared with a flash-resident bootloader', () => {
  it('an app at 0xBC00 over erased pages is programmed without erasing the sector; the bootloader stays', async () => {
    const { rig, prog, device } = await setup();
    const app = MemoryImage.fromSegments([{ address: 0xbc00, data: pattern(0x800, 3), source: 'app.bin' }]);
    const s = await writeImage(prog, device, app, {});
    expect(s.plan.operations.filter((o) => o.kind === 'erase').map((o) => o.address)).not.toContain(0xb000);
    expect(s.plan.sectors.find((x) => x.address === 0xb000)?.action).toBe('program');
    expect(rig.target.memory.read(0xb000, 0xc00)).toEqual(pattern(0xc00, 7));
    expect(rig.target.memory.read(0xbc00, 0x800)).toEqual(app.read(0xbc00, 0x800));
    await prog.close();
  });

  it('over programmed pages the plan is refused before anything is sent, naming the sector and the bootloader', async () => {
    const { rig, prog, device } = await setup();
    rig.target.memory.program(0xbe00, pattern(16, 9)); // an old app's bytes
    const before = rig.pipe.counters.bytesToDevice;
    const app = MemoryImage.fromSegments([{ address: 0xbc00, data: pattern(0x800, 3), source: 'app.bin' }]);
    const err = await writeImage(prog, device, app, {}).catch((e) => e);
    expect(err.code).toBe('PLAN_RESERVED');
    expect(err.message).toMatch(/sector 0x0000B000–0x0000BFFF, which it shares with the MCUboot .* at 0x00000000–0x0000BBFF; those bytes are not erased/);
    expect(err.context.maybeErased).toBeUndefined();
    // Only the reads that learned what the sector holds went out: no erase, no write.
    expect(rig.pipe.counters.bytesToDevice - before).toBeLessThan(2000);
    expect(rig.target.memory.read(0xb000, 0xc00)).toEqual(pattern(0xc00, 7));
    await prog.close();
  });
});
