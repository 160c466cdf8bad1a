/** Parts by their real names (issue 10 §4): ST's ordering scheme, Kinetis and i.MX RT prefixes. */
import { describe, expect, it } from 'vitest';
import { findTarget, requireTarget, UnknownTargetError } from '../../src/target/lookup.js';
import { parseStm32PartNumber } from '../../src/target/parts.js';
import type { TargetDescription } from '../../src/target/types.js';
import { validateTarget } from '../../src/target/validate.js';
import { bootloaderPageAt } from '../../src/programmer/stm32-uart.js';
import { resolvableStm32Parts } from '../../src/target/parts.js';

const flashOf = (t: TargetDescription) => t.regions.find((r) => r.kind === 'flash')!;
const ramAt2 = (t: TargetDescription) => t.regions.find((r) => r.kind === 'ram' && r.start === 0x20000000)!;

describe('STM32 part numbers', () => {
  it('splits the ordering code: line, pin count, flash size', () => {
    expect(parseStm32PartNumber('STM32F103C8T6')).toEqual({ line: 'f103', pins: 'c', sizeCode: '8', flashSize: 64 * 1024 });
    expect(parseStm32PartNumber('stm32g0b1ret6')).toMatchObject({ line: 'g0b1', sizeCode: 'e', flashSize: 512 * 1024 });
    expect(parseStm32PartNumber('stm32f103')).toBeUndefined();
  });

  it('stm32f103c8 (the Blue Pill) is a 64 KiB medium-density F103 with 20 KiB SRAM', () => {
    for (const name of ['stm32f103c8', 'STM32F103C8T6', 'stm32f103c8t6tr']) {
      const t = requireTarget(name);
      expect(t.name).toBe('STM32F103C8');
      expect(t.family).toBe('STM32F1');
      expect(t.ids?.stm32Pid).toBe(0x410);
      expect(flashOf(t)).toMatchObject({ start: 0x08000000, size: 64 * 1024, sectors: [{ size: 1024, count: 64 }], pageSize: 2 });
      expect(ramAt2(t).size).toBe(20 * 1024);
      expect(t.features?.stm32OptionBytes).toMatchObject({ address: 0x1ffff800, hasLevel2: false });
      expect(t.source).toMatch(/DS5319.*size code 8 = 64 KiB.*AN2606/);
    }
  });

  it('every F1 density gets its own page size and PID', () => {
    expect(flashOf(requireTarget('stm32f103c6t6'))).toMatchObject({ size: 32 * 1024, sectors: [{ size: 1024, count: 32 }] });
    expect(requireTarget('stm32f103c6t6').ids?.stm32Pid).toBe(0x412);
    expect(requireTarget('stm32f103cbt6').name).toBe('STM32F103xB'); // the built-in wins where it is the same part
    expect(flashOf(requireTarget('stm32f103rct6'))).toMatchObject({ size: 256 * 1024, sectors: [{ size: 2048, count: 128 }] });
    const xl = requireTarget('stm32f103zgt6');
    expect(xl.ids?.stm32Pid).toBe(0x430);
    expect(flashOf(xl)).toMatchObject({ size: 1024 * 1024, sectors: [{ size: 2048, count: 512 }] });
    expect(flashOf(requireTarget('stm32f103vft6')).note).toMatch(/bank 2 starts at page 256/);
    expect(requireTarget('stm32f100rbt6').ids?.stm32Pid).toBe(0x420);
    expect(requireTarget('stm32f107vct6').ids?.stm32Pid).toBe(0x418);
  });

  it('F0, F4, F7, L4, H7 lines get the right size and sector map', () => {
    expect(flashOf(requireTarget('stm32f030f4p6')).size).toBe(16 * 1024);
    expect(flashOf(requireTarget('stm32f030cct6')).sectors).toEqual([{ size: 2048, count: 128 }]);
    expect(flashOf(requireTarget('stm32f407vet6')).sectors).toEqual([{ size: 16384, count: 4 }, { size: 65536, count: 1 }, { size: 131072, count: 3 }]);
    expect(requireTarget('stm32f407vgt6').name).toBe('STM32F407xG');
    expect(flashOf(requireTarget('stm32f401ccu6')).size).toBe(256 * 1024);
    expect(flashOf(requireTarget('stm32f746zgt6')).sectors).toEqual([{ size: 32768, count: 4 }, { size: 131072, count: 1 }, { size: 262144, count: 3 }]);
    expect(flashOf(requireTarget('stm32l476ret6'))).toMatchObject({ size: 512 * 1024, note: 'bank 2 starts at page 128' });
    expect(requireTarget('stm32h743zit6').name).toBe('STM32H743xI');
  });

  it('1 MiB STM32H743/753 (size code G) resolve onto two 512 KiB banks with a hole between them (RM0433 Table 16)', () => {
    for (const name of ['stm32h743zg', 'STM32H743VGT6', 'stm32h753zgt6', 'stm32h743igk6']) {
      const t = validateTarget(requireTarget(name));
      expect(t.name).toMatch(/^STM32H7[45]3[A-Z]G$/);
      expect(t.ids?.stm32Pid).toBe(0x450);
      const flash = t.regions.filter((r) => r.kind === 'flash');
      expect(flash).toEqual([
        expect.objectContaining({ start: 0x08000000, size: 512 * 1024, sectors: [{ size: 128 * 1024, count: 4 }], pageSize: 32, boot: true }),
        expect.objectContaining({ start: 0x08100000, size: 512 * 1024, sectors: [{ size: 128 * 1024, count: 4 }], pageSize: 32 }),
      ]);
      expect(t.regions.filter((r) => r.boot)).toHaveLength(1);
      // Nothing is described in the hole 0x08080000–0x080FFFFF.
      expect(t.regions.some((r) => r.start <= 0x08080000 && 0x08080000 < r.start + r.size)).toBe(false);
      // Same die as the 2 MiB part: the same RAMs and system memory.
      const full = requireTarget('stm32h743zit6');
      expect(t.regions.filter((r) => r.kind !== 'flash')).toEqual(full.regions.filter((r) => r.kind !== 'flash'));
      expect(t.source).toMatch(/RM0433.*Table 16/);
    }
    expect(resolvableStm32Parts()).toEqual(expect.arrayContaining(['STM32H743xG', 'STM32H743xI', 'STM32H753xG']));
  });

  it('the bootloader numbers bank 2 of a 1 MiB H743 from page 8, as on the 2 MiB part', () => {
    const g = requireTarget('stm32h743zg');
    expect([0x08000000, 0x08020000, 0x08060000].map((a) => bootloaderPageAt(g, a))).toEqual([0, 1, 3]);
    expect([0x08100000, 0x08120000, 0x08160000].map((a) => bootloaderPageAt(g, a))).toEqual([8, 9, 11]);
    const i = requireTarget('stm32h743zi');
    expect(bootloaderPageAt(i, 0x08100000)).toBe(8);
    // Not the start of a sector, or in the hole between the banks: no page.
    expect(bootloaderPageAt(g, 0x08100004)).toBeUndefined();
    expect(bootloaderPageAt(g, 0x08080000)).toBeUndefined();
  });

  it('G0, G4, L0 and F3 are families of their own', () => {
    expect(requireTarget('stm32g071rbt6').name).toBe('STM32G071xB');
    expect(flashOf(requireTarget('stm32g071rbt6'))).toMatchObject({ size: 128 * 1024, pageSize: 8 });
    expect(flashOf(requireTarget('stm32g031k8t6')).size).toBe(64 * 1024);
    expect(flashOf(requireTarget('stm32g431cbu6'))).toMatchObject({ size: 128 * 1024, sectors: [{ size: 2048, count: 64 }] });
    expect(requireTarget('stm32g474ret6').family).toBe('STM32G4');
    const l0 = flashOf(requireTarget('stm32l073rzt6'));
    expect(l0).toMatchObject({ size: 192 * 1024, sectors: [{ size: 128, count: 1536 }], erasedValue: 0x00, pageSize: 4 });
    expect(requireTarget('stm32l011f4p6').ids?.stm32Pid).toBe(0x457);
    expect(requireTarget('stm32f303cct6').name).toBe('STM32F303xC');
    expect(flashOf(requireTarget('stm32f303k8t6'))).toMatchObject({ size: 64 * 1024, sectors: [{ size: 2048, count: 32 }] });
  });

  it('an unknown name still suggests the nearest', () => {
    const err = (() => { try { requireTarget('stm32h745vgt6'); } catch (e) { return e; } })() as UnknownTargetError;
    expect(err).toBeInstanceOf(UnknownTargetError);
    expect(err.hint).toMatch(/Did you mean/);
    expect(findTarget('stm32f103cq')).toBeUndefined(); // q is no flash-size code
  });
});

describe('Kinetis and i.MX RT part numbers', () => {
  it('resolve by their ordering prefix', () => {
    expect(requireTarget('MK64FN1M0VLL12').name).toBe('MK64FN1M0');
    const fx = requireTarget('mk64fx512vll12');
    expect(fx.name).toBe('MK64FX512');
    expect(flashOf(fx).size).toBe(512 * 1024);
    expect(fx.regions.find((r) => r.name === 'flexnvm')).toMatchObject({ start: 0x10000000, size: 128 * 1024 });
    expect(requireTarget('MIMXRT1021DAG5A').name).toBe('MIMXRT1021');
    expect(requireTarget('mimxrt1062dvl6b').name).toBe('MIMXRT1062');
  });
});
