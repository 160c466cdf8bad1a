/** The engine saves kept bytes before erasing, for sector and chip erases alike (issue 10 §5). */
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import type { KeptBytes, KeptBytesJournal } from '../../src/flash/journal.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';

class MemJournal implements KeptBytesJournal {
  readonly name = 'mem:journal';
  saved: KeptBytes[] = [];
  cleared = 0;
  /** What the device held in the kept ranges when save() ran (it must run before the erase). */
  seenOnDevice: Uint8Array[] = [];
  constructor(private readonly memory: SimMemory) {}
  async save(kept: readonly KeptBytes[]): Promise<void> {
    this.saved.push(...kept);
    this.seenOnDevice.push(...kept.map((k) => this.memory.read(k.address, k.data.length)));
  }
  async clear(): Promise<void> { this.cleared++; }
}

const f103 = requireTarget('stm32f103xb');
function app(): MemoryImage {
  const d = new Uint8Array(0x400).fill(0x42);
  new DataView(d.buffer).setUint32(0, 0x20004000, true);
  new DataView(d.buffer).setUint32(4, 0x08000101, true);
  return MemoryImage.fromSegments([{ address: 0x08000000, data: d }]);
}

describe('kept bytes journal in the engine', () => {
  it('--erase chip: what lies outside the image is saved before the mass erase, then cleared once verified', async () => {
    const memory = new SimMemory(f103);
    const cal = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    memory.program(0x0801f000, cal);
    const programmer = new SimProgrammer(memory);
    const journal = new MemJournal(memory);
    const s = await writeImage(programmer, await programmer.connect(), app(), { eraseMode: 'chip', journal });
    expect(s.chipErase).toBe(true);
    expect(s.journal).toBe('mem:journal');
    expect(journal.saved).toEqual([{ address: 0x0801f000, data: cal }]);
    expect(journal.seenOnDevice).toEqual([cal]); // saved while the device still held them
    expect(journal.cleared).toBe(1);
    expect(memory.read(0x0801f000, 64)).toEqual(cal);
  });

  it('an interrupted write lists the journal and the kept ranges, and does not clear it', async () => {
    const memory = new SimMemory(f103);
    memory.program(0x08000400, Uint8Array.from({ length: 16 }, (_, i) => 0x80 + i));
    const programmer = new SimProgrammer(memory);
    const device = await programmer.connect();
    const journal = new MemJournal(memory);
    const d = new Uint8Array(0x100).fill(0x55);
    memory.nor('flash').faults = { resetAfterBytes: 0 };
    const err = await writeImage(programmer, device, MemoryImage.fromSegments([{ address: 0x08000500, data: d }]), { journal }).catch((e) => e);
    expect(err.code).toBe('FLASH_INTERRUPTED');
    expect(err.context.kept).toEqual({ journal: 'mem:journal', ranges: [{ address: 0x08000400, size: 16 }] });
    expect(err.hint).toMatch(/were saved in mem:journal; the next write restores them/);
    expect(journal.cleared).toBe(0);
  });
});
