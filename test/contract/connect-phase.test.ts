/**
 * Issue 9 item 2: every way in reports its connect as the 'connect' phase through the call
 * context's emit — one 'start', then one 'finish' — and a way in composed inside another
 * (the flash algorithm inside GDB or CMSIS-DAP) does not report a second one.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../../src/programmer/events.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { FakeProbe } from '../cmsis-dap/fake-probe.js';
import { makeRig, type RigName } from './rigs.js';

function connectEvents(events: DeviceEvent[]) {
  return events.filter((e) => e.type !== 'log' && e.phase === 'connect').map((e) => e.type);
}

describe('the connect phase is reported by every way in', () => {
  const rigs: RigName[] = ['stm32-uart', 'mcuboot-uart', 'mcuboot-hid', 'gdb-fake'];
  for (const name of rigs) {
    it(`${name}: one start and one finish`, async () => {
      const rig = makeRig(name);
      const events: DeviceEvent[] = [];
      await rig.programmer.connect({ emit: (e) => events.push(e) });
      expect(connectEvents(events)).toEqual(['start', 'finish']);
      await rig.programmer.close();
      await rig.dispose?.();
    });
  }

  it('cmsis-dap: one start and one finish', async () => {
    const p = new CmsisDapProgrammer({ open: async () => new FakeProbe(), description: 'fake' });
    const events: DeviceEvent[] = [];
    await p.connect({ emit: (e) => events.push(e) });
    expect(connectEvents(events)).toEqual(['start', 'finish']);
    await p.close();
  });

  it('cmsis-dap: a connect that fails ends its phase with fail and the message', async () => {
    const p = new CmsisDapProgrammer({ open: async () => { throw new Error('the probe was unplugged'); }, description: 'fake' });
    const events: DeviceEvent[] = [];
    await expect(p.connect({ emit: (e) => events.push(e) })).rejects.toThrow('the probe was unplugged');
    expect(connectEvents(events)).toEqual(['start', 'fail']);
    expect(events.find((e) => e.type === 'fail')).toMatchObject({ phase: 'connect', message: 'the probe was unplugged' });
  });
});
