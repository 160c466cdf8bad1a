/** A bootloader whose AvailableCommands lacks a command: the programmer says so before sending it. */
import { describe, expect, it } from 'vitest';
import { createPipe } from '../../src/link/pipe.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { CommandTag } from '../../src/protocol/mcuboot/commands.js';
import { UartTransport } from '../../src/protocol/mcuboot/transport.js';
import { mcubootChip } from '../../src/sim/mcuboot/chips.js';
import { McubootSimTarget } from '../../src/sim/mcuboot/target.js';
import { McubootUartSim } from '../../src/sim/mcuboot/uart.js';
import { requireTarget } from '../../src/target/lookup.js';

describe('MCUBOOT_COMMAND_UNAVAILABLE', () => {
  it('reading from a bootloader without ReadMemory names the operation and the command', async () => {
    const base = mcubootChip('MK64FN1M0')!;
    const pipe = createPipe();
    const target = new McubootSimTarget({ ...base, commands: base.commands.filter((t) => t !== CommandTag.ReadMemory) });
    const sim = new McubootUartSim(pipe.device, target);
    const prog = new McubootProgrammer({ transport: new UartTransport(pipe.host, { timeoutMs: 150 }), target: requireTarget('MK64FN1M0') });
    await prog.connect();
    const before = sim.counters.framesIn;
    const err = await prog.readMemory(0, 16).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_COMMAND_UNAVAILABLE');
    expect(err.message).toBe('This bootloader does not offer the command needed to read memory.');
    expect(err.hint).toMatch(/AvailableCommands/);
    expect(err.context).toMatchObject({ operation: 'read memory', command: CommandTag.ReadMemory });
    expect(sim.counters.framesIn).toBe(before);
    await prog.close();
  });
});
