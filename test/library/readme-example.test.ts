import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadImage, requireTarget, SimMemory, SimProgrammer, writeImage } from '../../src/index.js';

// The README's library example, kept honest: the same calls on the shipped example firmware.
describe('README library example', () => {
  it('loads a HEX file and writes it to the simulated device through the public API', async () => {
    const { image } = loadImage(new Uint8Array(readFileSync('examples/blinky-stm32f103.hex')), { source: 'app.hex' });
    const programmer = new SimProgrammer(new SimMemory(requireTarget('stm32f103xb')));
    const device = await programmer.connect();
    const phases = new Set<string>();
    const summary = await writeImage(programmer, device, image, {
      onEvent: (e) => { if (e.type === 'progress') phases.add(e.phase); },
      signal: AbortSignal.timeout(60_000),
    });
    expect(summary.sectorsWritten).toBeGreaterThan(0);
    expect(summary.sectorsSkipped).toBe(0);
    expect(phases.has('program')).toBe(true);
    expect(Array.from(programmer.memory.read(0x08000000, 8))).toEqual(Array.from(image.read(0x08000000, 8)));
    await programmer.close();
  });
});
