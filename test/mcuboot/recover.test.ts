/** Issue 10 §5: the next connect recovers an MCUboot bootloader an interrupted session left mid-frame or mid-command. */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameType } from '../../src/protocol/mcuboot/framing.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { uartRig } from './helpers.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('connect after an interrupted MCUboot session', () => {
  it('a frame cut off part-way (the host died mid-packet): the garbled ping answer is retried', async () => {
    const rig = uartRig('MK64FN1M0');
    const frame = encodeFrame(FrameType.Command, new Uint8Array(32).fill(0x11));
    await rig.pipe.host.write(frame.subarray(0, 12)); // the rest never came
    await settle();
    const prog = new McubootProgrammer({ transport: rig.transport });
    const dev = await prog.connect();
    expect(dev.ids.bootloader).toBeDefined();
    expect(await prog.readMemory(0, 16)).toHaveLength(16);
    await prog.close();
  });
  it('a WriteMemory left in its data phase: connect gets back in step, and nothing is written', async () => {
    const rig = uartRig('MK64FN1M0');
    const first = new McubootProgrammer({ transport: rig.transport, closeTransport: false });
    await first.connect();
    const before = rig.target.memory.read(0x8000, 0x1000);
    // Start a WriteMemory of 4 KiB and stop after the command phase (as a killed host would).
    await rig.session.command({ tag: 0x04, params: [0x8000, 0x1000], flags: 1 } as never).catch(() => undefined);
    await settle();
    const prog = new McubootProgrammer({ transport: rig.transport });
    const dev = await prog.connect();
    expect(dev.ids.bootloader).toBeDefined();
    expect(rig.target.memory.read(0x8000, 0x1000)).toEqual(before);
    await prog.close();
  });
});
