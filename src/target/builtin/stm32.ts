import type { TargetDescription } from '../types.js';
import { resolveStm32Part } from '../parts.js';
import { flash, KiB, MiB, ram, rom, uniform } from './helpers.js';

/*
 * STM32 descriptions. Flash/RAM layouts from each part's reference manual; the bootloader
 * product ID, the RAM the system bootloader keeps for itself and the system-memory range
 * from ST AN2606 ("STM32 microcontroller system memory boot mode"), device-dependent
 * bootloader parameters table. Option-byte RDP: 0xAA level 0, 0xCC level 2 (permanent),
 * except on STM32F1, where level 0 is 0xA5 and there is no level 2 (RM0008 Rev 21 §2.5 and
 * the PM0075 option byte description: "unprotect by programming 0x00A5").
 */

/** RDP byte meaning level 0 on STM32F1 (RM0008 §2.5; PM0075 option byte description). */
export const STM32F1_RDP_LEVEL0 = 0xa5;
/** RDP byte meaning level 0 on every other STM32 family (e.g. RM0090 §3.7.3). */
export const STM32_RDP_LEVEL0 = 0xaa;

/** The RDP level-0 value for a family name such as "STM32F1" (descriptions without rdpLevel0). */
export function stm32RdpLevel0(family: string): number {
  return /^stm32f1/i.test(family) ? STM32F1_RDP_LEVEL0 : STM32_RDP_LEVEL0;
}

const F2F4_SECTORS = [{ size: 16 * KiB, count: 4 }, { size: 64 * KiB, count: 1 }];

export const stm32Targets: TargetDescription[] = [
  {
    name: 'STM32F030x8', vendor: 'STMicroelectronics', family: 'STM32F0', core: 'cortex-m0',
    source: 'RM0360 Rev 5 §3.2 (64 × 1 KiB pages), §2.2 memory map; AN2606 (PID 0x440, bootloader RAM 0x20000000–0x200007FF)',
    regions: [
      flash(0x08000000, 64 * KiB, uniform(64 * KiB, 1 * KiB), 2),
      ram('sram', 0x20000000, 8 * KiB),
      { name: 'option-bytes', kind: 'option-bytes', start: 0x1ffff800, size: 16 },
      rom('system-memory', 0x1fffec00, 3 * KiB, 'STM32 system bootloader'),
    ],
    reserved: [{ start: 0x20000000, size: 2 * KiB, owner: 'STM32 system bootloader (while it runs)' }],
    features: { stm32OptionBytes: { address: 0x1ffff800, rdpOffset: 0, hasLevel2: true, rdpLevel0: STM32_RDP_LEVEL0 } },
    ids: { stm32Pid: 0x440 },
  },
  {
    name: 'STM32F103xB', vendor: 'STMicroelectronics', family: 'STM32F1', core: 'cortex-m3',
    source: 'RM0008 Rev 21 §3.3.3 (medium density: 128 × 1 KiB pages); AN2606 (PID 0x410, bootloader RAM 0x20000000–0x200001FF)',
    regions: [
      flash(0x08000000, 128 * KiB, uniform(128 * KiB, 1 * KiB), 2),
      ram('sram', 0x20000000, 20 * KiB),
      { name: 'option-bytes', kind: 'option-bytes', start: 0x1ffff800, size: 16 },
      rom('system-memory', 0x1ffff000, 2 * KiB, 'STM32 system bootloader'),
    ],
    reserved: [{ start: 0x20000000, size: 512, owner: 'STM32 system bootloader (while it runs)' }],
    features: { stm32OptionBytes: { address: 0x1ffff800, rdpOffset: 0, hasLevel2: false, rdpLevel0: STM32F1_RDP_LEVEL0 } },
    ids: { stm32Pid: 0x410 },
  },
  {
    name: 'STM32F103xE', vendor: 'STMicroelectronics', family: 'STM32F1', core: 'cortex-m3',
    source: 'RM0008 Rev 21 §3.3.3 (high density: 256 × 2 KiB pages); AN2606 (PID 0x414, bootloader RAM 0x20000000–0x200001FF)',
    regions: [
      flash(0x08000000, 512 * KiB, uniform(512 * KiB, 2 * KiB), 2),
      ram('sram', 0x20000000, 64 * KiB),
      { name: 'option-bytes', kind: 'option-bytes', start: 0x1ffff800, size: 16 },
      rom('system-memory', 0x1ffff000, 2 * KiB, 'STM32 system bootloader'),
    ],
    reserved: [{ start: 0x20000000, size: 512, owner: 'STM32 system bootloader (while it runs)' }],
    features: { stm32OptionBytes: { address: 0x1ffff800, rdpOffset: 0, hasLevel2: false, rdpLevel0: STM32F1_RDP_LEVEL0 } },
    ids: { stm32Pid: 0x414 },
  },
  {
    name: 'STM32F407xG', vendor: 'STMicroelectronics', family: 'STM32F4', core: 'cortex-m4',
    source: 'RM0090 Rev 19 §3.3 Table 5 (sectors 4×16K, 1×64K, 7×128K); AN2606 (PID 0x413, bootloader RAM 0x20000000–0x20002FFF)',
    regions: [
      flash(0x08000000, 1 * MiB, [...F2F4_SECTORS, { size: 128 * KiB, count: 7 }], 4),
      ram('sram', 0x20000000, 128 * KiB, 'SRAM1 112 KiB + SRAM2 16 KiB'),
      ram('ccm', 0x10000000, 64 * KiB, 'CCM data RAM: CPU only, not reachable by DMA'),
      { name: 'otp', kind: 'option-bytes', start: 0x1fff7800, size: 528, note: 'one-time programmable area + lock bytes' },
      { name: 'option-bytes', kind: 'option-bytes', start: 0x1fffc000, size: 16 },
      rom('system-memory', 0x1fff0000, 30 * KiB, 'STM32 system bootloader'),
      rom('device-signature', 0x1fff7a10, 0x14, 'unique ID (0x1FFF7A10) and flash size in KiB (0x1FFF7A22), RM0090 §39'),
    ],
    reserved: [{ start: 0x20000000, size: 12 * KiB, owner: 'STM32 system bootloader (while it runs)' }],
    features: { stm32OptionBytes: { address: 0x1fffc000, rdpOffset: 1, hasLevel2: true, rdpLevel0: STM32_RDP_LEVEL0 } },
    ids: { stm32Pid: 0x413 },
  },
  {
    name: 'STM32F767xI', vendor: 'STMicroelectronics', family: 'STM32F7', core: 'cortex-m7',
    source: 'RM0410 Rev 4 §3.3.2 Table 4 (single bank: 4×32K, 1×128K, 7×256K); AN2606 (PID 0x451, bootloader RAM 0x20000000–0x20003FFF)',
    regions: [
      flash(0x08000000, 2 * MiB, [{ size: 32 * KiB, count: 4 }, { size: 128 * KiB, count: 1 }, { size: 256 * KiB, count: 7 }], 4),
      ram('dtcm', 0x20000000, 128 * KiB),
      ram('sram1', 0x20020000, 368 * KiB),
      ram('sram2', 0x2007c000, 16 * KiB),
      ram('itcm', 0x00000000, 16 * KiB),
      { name: 'option-bytes', kind: 'option-bytes', start: 0x1fff0000, size: 32 },
      rom('system-memory', 0x1ff00000, 0xedc0, 'STM32 system bootloader'),
    ],
    reserved: [{ start: 0x20000000, size: 16 * KiB, owner: 'STM32 system bootloader (while it runs)' }],
    features: { stm32OptionBytes: { address: 0x1fff0000, rdpOffset: 1, hasLevel2: true, rdpLevel0: STM32_RDP_LEVEL0 } },
    ids: { stm32Pid: 0x451 },
  },
  {
    name: 'STM32L476xG', vendor: 'STMicroelectronics', family: 'STM32L4', core: 'cortex-m4',
    source: 'RM0351 Rev 9 §3.3.1 (2 banks × 256 pages of 2 KiB, 64-bit programming); AN2606 (PID 0x415, bootloader RAM 0x20000000–0x200030FF)',
    regions: [
      flash(0x08000000, 1 * MiB, uniform(1 * MiB, 2 * KiB), 8, { note: 'bank 1 at 0x08000000, bank 2 at 0x08080000' }),
      ram('sram1', 0x20000000, 96 * KiB),
      ram('sram2', 0x10000000, 32 * KiB, 'also aliased at 0x20018000'),
      { name: 'option-bytes', kind: 'option-bytes', start: 0x1fff7800, size: 16, note: 'bank 2 option bytes at 0x1FFFF800' },
      rom('system-memory', 0x1fff0000, 28 * KiB, 'STM32 system bootloader'),
      rom('device-signature', 0x1fff7500, 0x100, 'package (0x1FFF7500), unique ID (0x1FFF7590) and flash size in KiB (0x1FFF75E0), RM0351 §50'),
    ],
    reserved: [{ start: 0x20000000, size: 0x3100, owner: 'STM32 system bootloader (while it runs)' }],
    features: { stm32OptionBytes: { address: 0x1fff7800, rdpOffset: 0, hasLevel2: true, rdpLevel0: STM32_RDP_LEVEL0 } },
    ids: { stm32Pid: 0x415 },
  },
  {
    name: 'STM32H743xI', vendor: 'STMicroelectronics', family: 'STM32H7', core: 'cortex-m7',
    source: 'RM0433 Rev 7 §4.3.4 (2 banks × 8 sectors of 128 KiB, 256-bit flash word); AN2606 (PID 0x450, bootloader RAM 0x20000000–0x200040FF)',
    regions: [
      flash(0x08000000, 2 * MiB, uniform(2 * MiB, 128 * KiB), 32, { note: 'bank 1 at 0x08000000, bank 2 at 0x08100000' }),
      ram('dtcm', 0x20000000, 128 * KiB),
      ram('axi-sram', 0x24000000, 512 * KiB),
      ram('sram1', 0x30000000, 128 * KiB),
      ram('sram2', 0x30020000, 128 * KiB),
      ram('sram3', 0x30040000, 32 * KiB),
      ram('sram4', 0x38000000, 64 * KiB),
      ram('itcm', 0x00000000, 64 * KiB),
      rom('system-memory', 0x1ff00000, 0x1e800, 'STM32 system bootloader'),
    ],
    reserved: [{ start: 0x20000000, size: 0x4100, owner: 'STM32 system bootloader (while it runs)' }],
    ids: { stm32Pid: 0x450 },
  },
  // G0, G4, L0 and F3: one canonical part per family, built from the device rows (AN2606
  // product ID, the reference manual's flash organisation) and the line's datasheet RAM
  // (src/target/parts.ts); other sizes of these lines resolve by part number.
  ...['STM32G071xB', 'STM32G474xE', 'STM32L073xZ', 'STM32F303xC'].map((n) => resolveStm32Part(n, [])!),
];
