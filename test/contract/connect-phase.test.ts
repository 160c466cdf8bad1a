/**
 * Issue 9 item 2: every way in reports its connect as the 'connect' phase through the call
 * context's emit — one 'start', then one 'finish' — and a way in composed inside another
 * (the flash algorithm inside GDB or CMSIS-DAP) does not report a second one.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../../src/programmer/events.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { FakeProbe } from '../cmsis-dap/fake-probe.js';
import { QEMU_PEERS, qemuRig } from './qemu-rig.js';
import { makeRig, RIG_NAMES, type Rig } from './rigs.js';

function connectEvents(events: DeviceEvent[]) {
  return events.filter((e) => e.type !== 'log' && e.phase === 'connect').map((e) => e.type);
}

describe('the connect phase is reported by every way in', () => {
  // Every way in of the contract suite: the in-process ones and QEMU's micro:bit (GDB + our flash algorithm).
  const ways: ReadonlyArray<{ name: string; make: () => Rig; skip: boolean }> = [
    ...RIG_NAMES.map((name) => ({ name, make: () => makeRig(name), skip: false })),
    { name: QEMU_PEERS.title('qemu-microbit'), make: qemuRig, skip: QEMU_PEERS.skip },
  ];
  for (const { name, make, skip } of ways) {
    it.skipIf(skip)(`${name}: one start and one finish, the start first`, async () => {
      const rig = make();
      const events: DeviceEvent[] = [];
      try {
        await rig.programmer.connect({ emit: (e) => events.push(e) });
        expect(connectEvents(events)).toEqual(['start', 'finish']);
        expect(events.find((e) => e.type !== 'log')).toMatchObject({ type: 'start', phase: 'connect' });
        await rig.programmer.close();
      } finally {
        await rig.dispose?.();
      }
    }, 30_000);
  }

  it('sim: a connect that fails (the device was closed) ends its phase with fail and the message', async () => {
    const rig = makeRig('sim');
    await rig.programmer.close();
    const events: DeviceEvent[] = [];
    await expect(rig.programmer.connect({ emit: (e) => events.push(e) })).rejects.toThrow('closed');
    expect(connectEvents(events)).toEqual(['start', 'fail']);
  });

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
