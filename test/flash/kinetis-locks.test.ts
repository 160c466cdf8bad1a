/**
 * Kinetis security, classified and never set by accident (issue 10 §5): KEYEN = 10 with a
 * backdoor key the controller never accepts is no backdoor; MEEN = 10 disables mass erase;
 * FOPT boot options; erasing or --no-preserve writing the flash configuration field.
 */
import { describe, expect, it } from 'vitest';
import { eraseRange, writeImage } from '../../src/flash/engine.js';
import { runChecks } from '../../src/flash/checks/index.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';

const k64 = requireTarget('MK64FN1M0');

/** A vector table and a flash configuration field with the given key, FSEC and FOPT. */
function app(fsec: number, key: number[] = [1, 2, 3, 4, 5, 6, 7, 8], fopt = 0xff): MemoryImage {
  const d = new Uint8Array(0x800).fill(0x11);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, 0x20010000, true);
  dv.setUint32(4, 0x00000411, true);
  d.set([...key, 0xff, 0xff, 0xff, 0xff, fsec, fopt, 0xff, 0xff], 0x400);
  return MemoryImage.fromSegments([{ address: 0, data: d }]);
}

const LISTED = [0xa0, 0xa1, 0xa3, 0xa4, 0xa5, 0xa7, 0xa8, 0xa9, 0xab, 0xac, 0xad, 0xaf];

describe('permanent locks', () => {
  it('KEYEN=10 with an all-0x00 or all-0xFF key is no backdoor: the listed FSEC values lock for good, --allow-secure alone does not pass them', () => {
    for (const fsec of LISTED) {
      for (const key of [new Array(8).fill(0), new Array(8).fill(0xff)]) {
        const f = runChecks(app(fsec, key), k64, { allowSecure: true });
        expect(f.map((x) => `${x.id}:${x.severity}`), `FSEC ${fsec.toString(16)}`).toContain('kinetis.fsec-permanent-lock:error');
        expect(f.find((x) => x.id === 'kinetis.fsec-permanent-lock')!.message).toMatch(/never accepts, locked for good/);
        expect(runChecks(app(fsec, key), k64, { allowPermanentLock: true }).some((x) => x.severity === 'error')).toBe(false);
      }
    }
  });

  it('with a real key they are secure, and the text says mass erase is disabled, not "until a mass erase"', () => {
    for (const fsec of LISTED) {
      const f = runChecks(app(fsec), k64);
      const secure = f.find((x) => x.id === 'kinetis.fsec-secure')!;
      expect(secure.message).toMatch(/mass erase is disabled \(MEEN=10\), so only the backdoor key/);
      expect(secure.message).not.toMatch(/until a mass erase/);
    }
    expect(runChecks(app(0xff), k64).find((x) => x.id === 'kinetis.fsec-secure')!.message).toMatch(/until a mass erase/);
  });

  it('FOPT that boots from flash and ignores the boot pin is named', () => {
    const f = runChecks(app(0xfe, undefined, 0x3f), k64);
    expect(f.find((x) => x.id === 'kinetis.fopt-rom-unreachable')?.message).toMatch(/FOPT=0x3F.*BOOTSRC_SEL=00.*BOOTPIN_OPT=1/);
    expect(runChecks(app(0xfe, undefined, 0x3d), k64).some((x) => x.id === 'kinetis.fopt-rom-unreachable')).toBe(false);
    expect(runChecks(app(0xfe), k64)).toEqual([]);
  });
});

describe('a Kinetis part is never secured by accident', () => {
  async function device() {
    const memory = new SimMemory(k64);
    memory.program(0x400, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff]));
    const programmer = new SimProgrammer(memory);
    return { memory, programmer, info: await programmer.connect() };
  }

  it('erase 0 0x1000 writes the unsecure default FCF back and says so; --allow-secure leaves FSEC 0xFF', async () => {
    const { memory, programmer, info } = await device();
    const events: string[] = [];
    const s = await eraseRange(programmer, info, { address: 0, length: 0x1000 }, { onEvent: (e) => { if (e.type === 'log') events.push(e.message); } });
    expect(s.unsecureFcfAt).toBe(0x400);
    expect(memory.read(0x40c, 1)[0]).toBe(0xfe);
    expect(events.join('\n')).toMatch(/wrote the unsecure default back \(FSEC=0xFE\)/);
    const again = await eraseRange(programmer, info, { address: 0, length: 0x1000 }, { allowSecure: true });
    expect(again.unsecureFcfAt).toBeUndefined();
    expect(memory.read(0x40c, 1)[0]).toBe(0xff);
  });

  it('erase of other sectors leaves the FCF alone', async () => {
    const { programmer, info } = await device();
    expect((await eraseRange(programmer, info, { address: 0x1000, length: 0x1000 })).unsecureFcfAt).toBeUndefined();
  });

  it('write --no-preserve of an image without the FCF is refused unless --allow-secure; preserving keeps the device field', async () => {
    const d = new Uint8Array(0x200).fill(0x22);
    new DataView(d.buffer).setUint32(0, 0x20010000, true);
    new DataView(d.buffer).setUint32(4, 0x00000101, true);
    const image = MemoryImage.fromSegments([{ address: 0, data: d }]);
    const { memory, programmer, info } = await device();
    const err = await writeImage(programmer, info, image, { preserve: false }).catch((e) => e);
    expect(err.code).toBe('CHECK_REFUSED');
    expect(err.message).toMatch(/--no-preserve erases it: FSEC would read 0xFF/);
    expect(memory.read(0x40c, 1)[0]).toBe(0xfe);
    await writeImage(programmer, info, image, {});
    expect(memory.read(0x40c, 1)[0]).toBe(0xfe);
    await writeImage(programmer, info, image, { preserve: false, allowSecure: true });
    expect(memory.read(0x40c, 1)[0]).toBe(0xff);
  });
});
