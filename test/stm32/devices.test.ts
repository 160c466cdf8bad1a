import { describe, it, expect } from 'vitest';
import { FAMILY_BOOT, STM32_DEVICES, describeStm32Device, findStm32Device } from '../../src/protocol/stm32-uart/devices.js';
import { validateTarget } from '../../src/target/validate.js';
import { findTargetById } from '../../src/target/lookup.js';

describe('STM32 device table (AN2606)', () => {
  it('has unique PIDs and covers every family whose bootloader speaks USART', () => {
    const pids = STM32_DEVICES.map((d) => d.pid);
    expect(new Set(pids).size).toBe(pids.length);
    const families = new Set(STM32_DEVICES.map((d) => d.family));
    for (const f of Object.keys(FAMILY_BOOT)) expect(families, f).toContain(f);
  });

  it('builds a valid target description for every row, sectors covering the flash exactly', () => {
    for (const d of STM32_DEVICES) {
      const covered = d.sectors.reduce((n, r) => n + r.size * r.count, 0);
      expect(covered, `PID 0x${d.pid.toString(16)}`).toBe(d.flashSize);
      expect(d.bootloaderRam).toBeLessThan(d.ramSize);
      const t = validateTarget(describeStm32Device(d));
      expect(t.ids?.stm32Pid).toBe(d.pid);
      expect(t.reserved?.[0]).toMatchObject({ start: 0x20000000, size: d.bootloaderRam });
    }
  });

  it('agrees with the built-in targets on the PIDs both know', () => {
    for (const pid of [0x410, 0x413, 0x415, 0x414]) {
      const builtin = findTargetById('stm32Pid', pid)!;
      const row = findStm32Device(pid)!;
      const flash = builtin.regions.find((r) => r.kind === 'flash')!;
      expect(flash.size).toBe(row.flashSize);
      expect(builtin.reserved?.[0]?.size).toBe(row.bootloaderRam);
    }
  });

  it('describes the F1 medium-density row as PROTOCOL-FACTS gives it', () => {
    const t = describeStm32Device(findStm32Device(0x410)!);
    expect(t.regions.find((r) => r.kind === 'flash')).toMatchObject({ start: 0x08000000, size: 0x20000, sectors: [{ size: 1024, count: 128 }] });
    expect(t.regions.find((r) => r.kind === 'option-bytes')).toMatchObject({ start: 0x1ffff800, size: 16 });
    expect(t.regions.find((r) => r.kind === 'rom')).toMatchObject({ start: 0x1ffff000, size: 0x800 });
    expect(t.features?.stm32OptionBytes?.hasLevel2).toBe(false);
  });
});
