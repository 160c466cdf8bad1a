/** Issue 10 §2: `flashwright reset --via …` for every way in that can reset, and the stale-cache cure it is. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { writeImage } from '../../src/flash/engine.js';
import { parseLineSequence } from '../../src/link/line-sequence.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { uartRig } from '../mcuboot/helpers.js';
import { programmer, rig } from '../stm32/helpers.js';

async function run(args: string[]) {
  const out: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { out.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, text: out.join('') };
}

describe('reset through each way in', () => {
  it('sim: the CLI resets and says how', async () => {
    const r = await run(['reset', '--via', 'sim', '--target', 'stm32f103xb']);
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain('reset; the chip is running (simulated reset)');
    const j = await run(['reset', '--via', 'sim', '--target', 'stm32f103xb', '--json']);
    expect(JSON.parse(j.text)).toMatchObject({ command: 'reset', method: 'simulated reset' });
  });
  it('STM32: Go to the reset handler, or the --exit DTR/RTS sequence when NRST is wired', async () => {
    const r = rig('stm32f103xb');
    const p = programmer(r);
    await p.connect();
    expect(await p.reset('run')).toBe('Go to the reset handler (vector table at 0x08000000)');
    expect(r.sim.lastGo).toBe(0x08000000);
    await expect(p.reset('halt')).rejects.toMatchObject({ code: 'RESET_UNSUPPORTED' });
    await p.close();
    const wired = rig('stm32f103xb', { wiring: { reset: { line: 'rts', assertedWhen: true }, boot0: { line: 'dtr', highWhen: false } } });
    const q = programmer(wired, { entry: parseLineSequence('rts-reset-dtr-boot0', 'entry'), exit: parseLineSequence('rts-reset-dtr-boot0', 'exit') });
    await q.connect();
    const before = wired.sim.resets;
    expect(await q.reset('run')).toBe('the --exit DTR/RTS sequence');
    expect(wired.sim.resets).toBeGreaterThan(before);
    await q.close();
  });
  it('MCUboot: the Reset command clears the stale view of flash, and the write then succeeds', async () => {
    const rigU = uartRig('MK64FN1M0');
    rigU.target.staleCache.enabled = true;
    const prog = new McubootProgrammer({ transport: rigU.transport });
    // An application behind the flash configuration field (sector 0 stays as it is).
    const app = (fill: number) => MemoryImage.fromSegments([{ address: 0x1000, data: new Uint8Array(0x1000).fill(fill) }]);
    await writeImage(prog, await prog.connect(), app(0x11), {});
    // Rewriting it erases the sector, and the stale view then refuses the program.
    const failed = await writeImage(prog, await prog.connect(), app(0x22), {}).catch((e) => e);
    expect(failed.cause?.code).toBe('FLASH_STALE_CACHE');
    const resetsBefore = rigU.target.resets;
    expect(await prog.reset('run')).toBe('MCUboot Reset command');
    expect(rigU.target.resets).toBe(resetsBefore + 1);
    const again = await writeImage(prog, await prog.connect(), app(0x22), { skipUnchanged: true });
    expect(again.bytesVerified).toBeGreaterThan(0);
    await prog.close();
  });
});
