import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import type { OperationOptions, Programmer } from '../../src/programmer/types.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';

const target = requireTarget('stm32f103xb');
const FLASH = 0x08000000;

/**
 * A slow, unchecked way in (like a UART bootloader without Get Checksum) over a simulated
 * chip, whose reads can be garbled on demand.
 */
function slowLink(garble: (address: number, call: number) => boolean) {
  const memory = new SimMemory(target);
  const inner = new SimProgrammer(memory, { digest: false });
  let reads = 0;
  const readLog: number[] = [];
  const p: Programmer = {
    kind: 'test-uart',
    connect: () => inner.connect(),
    async readMemory(address: number, length: number, o?: OperationOptions) {
      const data = await inner.readMemory(address, length, o);
      readLog.push(address);
      if (garble(address, ++reads)) data[3]! ^= 0x10;
      return data;
    },
    eraseSectors: (s, o) => inner.eraseSectors(s, o),
    programFlash: (a, d, o) => inner.programFlash(a, d, o),
    writeMemory: (a, d, o) => inner.writeMemory(a, d, o),
    close: () => inner.close(),
  };
  return { memory, p, readLog };
}

const image = (address: number, length: number, seed = 1) =>
  MemoryImage.fromSegments([{ address, data: Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff) }]);

describe('what the engine reads before writing', () => {
  it('does not read fully covered sectors first over a slow unchecked link, unless skipping is asked for', async () => {
    const { p, readLog } = slowLink(() => false);
    const dev = await p.connect();
    const s = await writeImage(p, dev, image(FLASH, 4096), { verify: 'none', allowUnbootable: true });
    expect(readLog).toEqual([]);
    expect(s.sectorsErased).toBe(4);
    const again = await writeImage(p, dev, image(FLASH, 4096), { verify: 'none', skipUnchanged: true, allowUnbootable: true });
    expect(again.sectorsSkipped).toBe(4);
  });

  it('reads cheap ways in first by default and skips what already matches', async () => {
    const inner = new SimProgrammer(new SimMemory(target), { digest: false });
    const dev = await inner.connect();
    await writeImage(inner, dev, image(FLASH, 4096), { allowUnbootable: true });
    const again = await writeImage(inner, dev, image(FLASH, 4096), { allowUnbootable: true });
    expect(again.sectorsSkipped).toBe(4);
  });

  it('reads bytes to preserve twice over an unchecked link and re-reads when a byte was garbled', async () => {
    const { memory, p } = slowLink((address, call) => address === FLASH + 0x400 && call === 1);
    memory.program(FLASH + 0x400, new Uint8Array(1024).fill(0x5a)); // old data in the partly covered page
    const dev = await p.connect();
    const events: string[] = [];
    await writeImage(p, dev, image(FLASH + 0x400, 16), { onEvent: (e) => { if (e.type === 'log') events.push(e.message); } });
    expect(Array.from(memory.read(FLASH + 0x410, 16))).toEqual(new Array(16).fill(0x5a)); // preserved exactly
    expect(events.some((m) => m.includes('Two reads of 0x08000403 differ'))).toBe(true);
  });

  it('refuses to preserve when reads never agree, before erasing anything', async () => {
    const { memory, p } = slowLink((address, call) => address === FLASH + 0x400 && call % 2 === 0);
    memory.program(FLASH + 0x400, new Uint8Array(1024).fill(0x5a));
    const dev = await p.connect();
    const err = await writeImage(p, dev, image(FLASH + 0x400, 16), {}).catch((e) => e);
    expect(err.code).toBe('PRESERVE_READ_UNSTABLE');
    expect(err.hint).toMatch(/--no-preserve/);
    expect(Array.from(memory.read(FLASH + 0x400, 4))).toEqual([0x5a, 0x5a, 0x5a, 0x5a]); // nothing erased
  });
});
