/**
 * STM32 parts whose system bootloader speaks USART, by the product ID that Get ID returns.
 *
 * Sources: ST AN2606 "STM32 microcontroller system memory boot mode" (product IDs, the RAM
 * the bootloader keeps for itself, system-memory ranges, which USARTs it listens on and the
 * BOOT pin pattern), and each line's reference manual for the flash organisation and option
 * bytes (RM0360/RM0091 F0, RM0008 F1, RM0033 F2, RM0316/RM0313 F3, RM0090/RM0368/RM0383/
 * RM0390/RM0401/RM0402/RM0430 F4, RM0385/RM0410/RM0431 F7, RM0444/RM0454 G0, RM0440 G4,
 * RM0481/RM0492 H5, RM0433/RM0455/RM0468 H7, RM0377/RM0367/RM0376 L0, RM0038 L1,
 * RM0351/RM0394/RM0432 L4, RM0438 L5, RM0456 U5, RM0434/RM0473 WB, RM0453 WL, RM0490 C0).
 *
 * Flash sizes are the largest of each ID's line (several flash sizes share one PID); give
 * `--target` for a smaller part, or let the built-in target descriptions (which win when
 * they carry the same `stm32Pid`) describe it exactly.
 */
import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { MemoryRegion, SectorRun, TargetDescription } from './types.js';

const K = 1024;
const M = 1024 * 1024;

export type Stm32Family = 'F0' | 'F1' | 'F2' | 'F3' | 'F4' | 'F7' | 'G0' | 'G4' | 'H5' | 'H7' | 'L0' | 'L1' | 'L4' | 'L5' | 'U5' | 'WB' | 'WL' | 'C0';

export interface Stm32DeviceRow {
  pid: number;
  family: Stm32Family;
  /** The parts sharing this PID. */
  parts: string;
  flashSize: number;
  /** Erase units in bootloader page-number order (page n of Erase/Extended Erase = sector n). */
  sectors: SectorRun[];
  /** Program unit in bytes (half-word F1, word F4, double-word L4/G0/G4, flash word H7). */
  programUnit: number;
  ramSize: number;
  /** Bytes at the start of RAM the bootloader uses while it runs (AN2606). */
  bootloaderRam: number;
  systemMemory: { start: number; size: number };
  /** Option-byte block as the bootloader exposes it; absent where option bytes are registers only. */
  optionBytes?: { start: number; size: number; rdpOffset: number } | undefined;
  /** Bank 2 starts at this page number on dual-bank parts (Extended Erase 0xFFFD). */
  bank2FirstPage?: number | undefined;
}

/** How to enter the bootloader and where it listens, per family (AN2606 "bootloader configuration" tables). */
export const FAMILY_BOOT: Record<Stm32Family, { pattern: string; usarts: string; hasRdpLevel2: boolean }> = {
  F0: { pattern: 'BOOT0 = 1 (nBOOT1 option bit = 1), then reset', usarts: 'USART1 PA9 (TX) / PA10 (RX); USART2 PA14 / PA15 on some parts', hasRdpLevel2: true },
  F1: { pattern: 'BOOT0 = 1 and BOOT1 (PB2) = 0, then reset', usarts: 'USART1 PA9 (TX) / PA10 (RX); connectivity line also USART2 PD5 / PD6', hasRdpLevel2: false },
  F2: { pattern: 'BOOT0 = 1 and BOOT1 (PB2) = 0, then reset', usarts: 'USART1 PA9 / PA10, USART3 PB10 / PB11 or PC10 / PC11', hasRdpLevel2: true },
  F3: { pattern: 'BOOT0 = 1 (nBOOT1 option bit = 1), then reset', usarts: 'USART1 PA9 / PA10, USART2 PD5 / PD6', hasRdpLevel2: true },
  F4: { pattern: 'BOOT0 = 1 and BOOT1 (PB2) = 0, then reset', usarts: 'USART1 PA9 / PA10, USART3 PB10 / PB11 or PC10 / PC11 (USART2 PD5 / PD6 on some)', hasRdpLevel2: true },
  F7: { pattern: 'BOOT0 = 1 (boot address option BOOT_ADD1 = system memory), then reset', usarts: 'USART1 PA9 / PA10, USART3 PB10 / PB11 or PC10 / PC11', hasRdpLevel2: true },
  G0: { pattern: 'BOOT0 = 1 with nBOOT_SEL = 0, or an empty flash with the empty check on, then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3', hasRdpLevel2: true },
  G4: { pattern: 'BOOT0 = 1 with nSWBOOT0 = 1, then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3 or PB3 / PB4, USART3 PC10 / PC11', hasRdpLevel2: true },
  H5: { pattern: 'BOOT0 = 1, then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3, USART3 PD8 / PD9', hasRdpLevel2: false },
  H7: { pattern: 'BOOT0 = 1 (BOOT_ADD1 = system memory), then reset', usarts: 'USART1 PA9 / PA10 or PB14 / PB15, USART2 PA2 / PA3, USART3 PB10 / PB11', hasRdpLevel2: true },
  L0: { pattern: 'BOOT0 = 1 (nBOOT1 = 1), then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3', hasRdpLevel2: true },
  L1: { pattern: 'BOOT0 = 1 and BOOT1 = 0, then reset', usarts: 'USART1 PA9 / PA10, USART2 PD5 / PD6', hasRdpLevel2: true },
  L4: { pattern: 'BOOT0 = 1 (nBOOT1 = 1), then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3, USART3 PC10 / PC11', hasRdpLevel2: true },
  L5: { pattern: 'BOOT0 = 1 (with TrustZone off), then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3, USART3 PC10 / PC11', hasRdpLevel2: true },
  U5: { pattern: 'BOOT0 = 1 (with TrustZone off), then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3, USART3 PC10 / PC11', hasRdpLevel2: true },
  WB: { pattern: 'BOOT0 = 1 (nBOOT1 = 1), then reset', usarts: 'USART1 PA9 / PA10, LPUART1 PA2 / PA3', hasRdpLevel2: true },
  WL: { pattern: 'BOOT0 = 1 (nBOOT1 = 1), then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3', hasRdpLevel2: true },
  C0: { pattern: 'BOOT0 = 1 with nBOOT_SEL = 0, or an empty flash, then reset', usarts: 'USART1 PA9 / PA10, USART2 PA2 / PA3', hasRdpLevel2: true },
};

const u = (size: number, page: number): SectorRun[] => [{ size: page, count: size / page }];
/** F2/F4 sector map: 4 × 16 KiB, 1 × 64 KiB, then 128 KiB sectors; twice on dual-bank parts. */
const f4 = (size: number): SectorRun[] => [{ size: 16 * K, count: 4 }, { size: 64 * K, count: 1 }, ...(size > 128 * K ? [{ size: 128 * K, count: (size - 128 * K) / (128 * K) }] : [])];
/** F7 (F74x/75x, F76x/77x single bank): 4 × 32 KiB, 1 × 128 KiB, then 256 KiB sectors. */
const f7 = (size: number): SectorRun[] => [{ size: 32 * K, count: 4 }, { size: 128 * K, count: 1 }, { size: 256 * K, count: (size - 256 * K) / (256 * K) }];

type Opt = Stm32DeviceRow['optionBytes'];
const OB_F1: Opt = { start: 0x1ffff800, size: 16, rdpOffset: 0 };
const OB_F4: Opt = { start: 0x1fffc000, size: 16, rdpOffset: 1 };
const OB_F7: Opt = { start: 0x1fff0000, size: 32, rdpOffset: 1 };
const OB_L4: Opt = { start: 0x1fff7800, size: 16, rdpOffset: 0 };
const OB_L0: Opt = { start: 0x1ff80000, size: 32, rdpOffset: 0 };
const SYS_L4 = { start: 0x1fff0000, size: 28 * K };

function row(pid: number, family: Stm32Family, parts: string, flashSize: number, sectors: SectorRun[], programUnit: number,
  ramSize: number, bootloaderRam: number, systemMemory: { start: number; size: number }, optionBytes?: Opt, bank2FirstPage?: number): Stm32DeviceRow {
  return { pid, family, parts, flashSize, sectors, programUnit, ramSize, bootloaderRam, systemMemory, optionBytes, bank2FirstPage };
}

/** AN2606 "Bootloader device-dependent parameters"; flash layouts from the reference manuals. */
export const STM32_DEVICES: readonly Stm32DeviceRow[] = [
  row(0x440, 'F0', 'STM32F030x8, STM32F05x', 64 * K, u(64 * K, 1 * K), 2, 8 * K, 2 * K, { start: 0x1fffec00, size: 3 * K }, OB_F1),
  row(0x444, 'F0', 'STM32F03x', 32 * K, u(32 * K, 1 * K), 2, 4 * K, 2 * K, { start: 0x1fffec00, size: 3 * K }, OB_F1),
  row(0x445, 'F0', 'STM32F04x, STM32F070x6', 32 * K, u(32 * K, 1 * K), 2, 6 * K, 2 * K, { start: 0x1fffc400, size: 13 * K }, OB_F1),
  row(0x448, 'F0', 'STM32F07x, STM32F070xB', 128 * K, u(128 * K, 2 * K), 2, 16 * K, 6 * K, { start: 0x1fffc800, size: 12 * K }, OB_F1),
  row(0x442, 'F0', 'STM32F09x, STM32F030xC', 256 * K, u(256 * K, 2 * K), 2, 32 * K, 6 * K, { start: 0x1fffd800, size: 8 * K }, OB_F1),
  row(0x412, 'F1', 'STM32F10x low density', 32 * K, u(32 * K, 1 * K), 2, 10 * K, 512, { start: 0x1ffff000, size: 2 * K }, OB_F1),
  row(0x410, 'F1', 'STM32F10x medium density', 128 * K, u(128 * K, 1 * K), 2, 20 * K, 512, { start: 0x1ffff000, size: 2 * K }, OB_F1),
  row(0x414, 'F1', 'STM32F10x high density', 512 * K, u(512 * K, 2 * K), 2, 64 * K, 512, { start: 0x1ffff000, size: 2 * K }, OB_F1),
  row(0x420, 'F1', 'STM32F100 value line medium density', 128 * K, u(128 * K, 1 * K), 2, 8 * K, 512, { start: 0x1ffff000, size: 2 * K }, OB_F1),
  row(0x428, 'F1', 'STM32F100 value line high density', 512 * K, u(512 * K, 2 * K), 2, 32 * K, 512, { start: 0x1ffff000, size: 2 * K }, OB_F1),
  row(0x418, 'F1', 'STM32F105/F107 connectivity line', 256 * K, u(256 * K, 2 * K), 2, 64 * K, 4 * K, { start: 0x1fffb000, size: 18 * K }, OB_F1),
  row(0x430, 'F1', 'STM32F10x XL density', 1 * M, u(1 * M, 2 * K), 2, 96 * K, 2 * K, { start: 0x1fffe000, size: 6 * K }, OB_F1, 256),
  row(0x411, 'F2', 'STM32F2xx', 1 * M, f4(1 * M), 4, 128 * K, 8 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x432, 'F3', 'STM32F37x', 256 * K, u(256 * K, 2 * K), 2, 32 * K, 5 * K, { start: 0x1fffd800, size: 8 * K }, OB_F1),
  row(0x422, 'F3', 'STM32F30xB/C, STM32F358', 256 * K, u(256 * K, 2 * K), 2, 40 * K, 5 * K, { start: 0x1fffd800, size: 8 * K }, OB_F1),
  row(0x439, 'F3', 'STM32F301x6/8, STM32F302x6/8, STM32F318', 64 * K, u(64 * K, 2 * K), 2, 16 * K, 6 * K, { start: 0x1fffd800, size: 8 * K }, OB_F1),
  row(0x438, 'F3', 'STM32F303x6/8, STM32F334, STM32F328', 64 * K, u(64 * K, 2 * K), 2, 12 * K, 6 * K, { start: 0x1fffd800, size: 8 * K }, OB_F1),
  row(0x446, 'F3', 'STM32F302xD/E, STM32F303xD/E, STM32F398', 512 * K, u(512 * K, 2 * K), 2, 64 * K, 6 * K, { start: 0x1fffd800, size: 8 * K }, OB_F1),
  row(0x413, 'F4', 'STM32F405/407/415/417', 1 * M, f4(1 * M), 4, 128 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x419, 'F4', 'STM32F42x/43x', 2 * M, [...f4(1 * M), ...f4(1 * M)], 4, 192 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4, 12),
  row(0x423, 'F4', 'STM32F401xB/C', 256 * K, f4(256 * K), 4, 64 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x433, 'F4', 'STM32F401xD/E', 512 * K, f4(512 * K), 4, 96 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x431, 'F4', 'STM32F411xC/E', 512 * K, f4(512 * K), 4, 128 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x421, 'F4', 'STM32F446', 512 * K, f4(512 * K), 4, 128 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x458, 'F4', 'STM32F410', 128 * K, f4(128 * K), 4, 32 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x441, 'F4', 'STM32F412', 1 * M, f4(1 * M), 4, 256 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x463, 'F4', 'STM32F413/423', 1536 * K, f4(1536 * K), 4, 320 * K, 12 * K, { start: 0x1fff0000, size: 30 * K }, OB_F4),
  row(0x449, 'F7', 'STM32F74x/75x', 1 * M, f7(1 * M), 4, 320 * K, 16 * K, { start: 0x1ff00000, size: 60 * K }, OB_F7),
  row(0x451, 'F7', 'STM32F76x/77x', 2 * M, f7(2 * M), 4, 512 * K, 16 * K, { start: 0x1ff00000, size: 60 * K }, OB_F7),
  row(0x452, 'F7', 'STM32F72x/73x', 512 * K, f4(512 * K), 4, 256 * K, 16 * K, { start: 0x1ff00000, size: 60 * K }, OB_F7),
  row(0x466, 'G0', 'STM32G03x/04x', 64 * K, u(64 * K, 2 * K), 8, 8 * K, 4 * K, { start: 0x1fff0000, size: 8 * K }, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
  row(0x456, 'G0', 'STM32G05x/06x', 64 * K, u(64 * K, 2 * K), 8, 18 * K, 4 * K, { start: 0x1fff0000, size: 8 * K }, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
  row(0x460, 'G0', 'STM32G07x/08x', 128 * K, u(128 * K, 2 * K), 8, 36 * K, 6 * K, { start: 0x1fff0000, size: 28 * K }, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
  row(0x467, 'G0', 'STM32G0B1/G0C1', 512 * K, u(512 * K, 2 * K), 8, 144 * K, 6 * K, { start: 0x1fff0000, size: 28 * K }, { start: 0x1fff7800, size: 128, rdpOffset: 0 }, 128),
  row(0x468, 'G4', 'STM32G431/441', 128 * K, u(128 * K, 2 * K), 8, 22 * K, 16 * K, SYS_L4, { start: 0x1fff7800, size: 48, rdpOffset: 0 }),
  row(0x469, 'G4', 'STM32G47x/48x', 512 * K, u(512 * K, 2 * K), 8, 96 * K, 16 * K, SYS_L4, { start: 0x1fff7800, size: 48, rdpOffset: 0 }, 128),
  row(0x479, 'G4', 'STM32G491/4A1', 512 * K, u(512 * K, 2 * K), 8, 112 * K, 16 * K, SYS_L4, { start: 0x1fff7800, size: 48, rdpOffset: 0 }),
  row(0x478, 'H5', 'STM32H503', 128 * K, u(128 * K, 8 * K), 16, 32 * K, 16 * K, { start: 0x0bf80000, size: 32 * K }, undefined, 8),
  row(0x484, 'H5', 'STM32H56x/57x', 2 * M, u(2 * M, 8 * K), 16, 640 * K, 16 * K, { start: 0x0bf80000, size: 32 * K }, undefined, 128),
  row(0x450, 'H7', 'STM32H74x/75x', 2 * M, u(2 * M, 128 * K), 32, 128 * K, 0x4100, { start: 0x1ff00000, size: 0x1e800 }, undefined, 8),
  row(0x480, 'H7', 'STM32H7A3/7B3', 2 * M, u(2 * M, 8 * K), 16, 128 * K, 0x4100, { start: 0x1ff00000, size: 0x1e800 }, undefined, 128),
  row(0x483, 'H7', 'STM32H72x/73x', 1 * M, u(1 * M, 128 * K), 32, 128 * K, 0x4100, { start: 0x1ff00000, size: 0x1e800 }),
  row(0x457, 'L0', 'STM32L01x/02x (category 1)', 16 * K, u(16 * K, 128), 4, 2 * K, 1 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x425, 'L0', 'STM32L031/041 (category 2)', 32 * K, u(32 * K, 128), 4, 8 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x417, 'L0', 'STM32L05x/06x (category 3)', 64 * K, u(64 * K, 128), 4, 8 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x447, 'L0', 'STM32L07x/08x (category 5)', 192 * K, u(192 * K, 128), 4, 20 * K, 8 * K, { start: 0x1ff00000, size: 8 * K }, OB_L0),
  row(0x416, 'L1', 'STM32L1 category 1', 128 * K, u(128 * K, 256), 4, 16 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x429, 'L1', 'STM32L1 category 2', 128 * K, u(128 * K, 256), 4, 32 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x427, 'L1', 'STM32L1 category 3', 256 * K, u(256 * K, 256), 4, 32 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x436, 'L1', 'STM32L1 category 4 / category 3 high density', 384 * K, u(384 * K, 256), 4, 48 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x437, 'L1', 'STM32L1 category 5/6', 512 * K, u(512 * K, 256), 4, 80 * K, 4 * K, { start: 0x1ff00000, size: 4 * K }, OB_L0),
  row(0x464, 'L4', 'STM32L41x/42x', 128 * K, u(128 * K, 2 * K), 8, 40 * K, 0x3100, SYS_L4, OB_L4),
  row(0x435, 'L4', 'STM32L43x/44x', 256 * K, u(256 * K, 2 * K), 8, 48 * K, 0x3100, SYS_L4, OB_L4),
  row(0x462, 'L4', 'STM32L45x/46x', 512 * K, u(512 * K, 2 * K), 8, 128 * K, 0x3100, SYS_L4, OB_L4),
  row(0x415, 'L4', 'STM32L47x/48x', 1 * M, u(1 * M, 2 * K), 8, 96 * K, 0x3100, SYS_L4, OB_L4, 256),
  row(0x461, 'L4', 'STM32L496/4A6', 1 * M, u(1 * M, 2 * K), 8, 256 * K, 0x3100, SYS_L4, OB_L4, 256),
  row(0x470, 'L4', 'STM32L4R/L4S', 2 * M, u(2 * M, 4 * K), 8, 640 * K, 0x3100, SYS_L4, OB_L4, 256),
  row(0x472, 'L5', 'STM32L55x/56x', 512 * K, u(512 * K, 2 * K), 8, 256 * K, 16 * K, { start: 0x0bf90000, size: 32 * K }, undefined, 128),
  row(0x455, 'U5', 'STM32U535/545', 512 * K, u(512 * K, 8 * K), 16, 256 * K, 16 * K, { start: 0x0bf90000, size: 32 * K }, undefined, 32),
  row(0x482, 'U5', 'STM32U575/585', 2 * M, u(2 * M, 8 * K), 16, 768 * K, 16 * K, { start: 0x0bf90000, size: 32 * K }, undefined, 128),
  row(0x481, 'U5', 'STM32U59x/5Ax', 4 * M, u(4 * M, 8 * K), 16, 2496 * K, 16 * K, { start: 0x0bf90000, size: 32 * K }, undefined, 256),
  row(0x494, 'WB', 'STM32WB10/15', 320 * K, u(320 * K, 2 * K), 8, 48 * K, 16 * K, SYS_L4, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
  row(0x496, 'WB', 'STM32WB30/35/50', 512 * K, u(512 * K, 4 * K), 8, 96 * K, 16 * K, SYS_L4, { start: 0x1fff8000, size: 128, rdpOffset: 0 }),
  row(0x495, 'WB', 'STM32WB55', 1 * M, u(1 * M, 4 * K), 8, 192 * K, 16 * K, SYS_L4, { start: 0x1fff8000, size: 128, rdpOffset: 0 }),
  row(0x497, 'WL', 'STM32WLE5/WL55', 256 * K, u(256 * K, 2 * K), 8, 64 * K, 8 * K, SYS_L4, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
  row(0x443, 'C0', 'STM32C011', 32 * K, u(32 * K, 2 * K), 8, 6 * K, 3 * K, { start: 0x1fff0000, size: 6 * K }, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
  row(0x453, 'C0', 'STM32C031', 32 * K, u(32 * K, 2 * K), 8, 12 * K, 3 * K, { start: 0x1fff0000, size: 6 * K }, { start: 0x1fff7800, size: 128, rdpOffset: 0 }),
];

export function findStm32Device(pid: number): Stm32DeviceRow | undefined {
  return STM32_DEVICES.find((d) => d.pid === pid);
}

/** Get ID returned a product ID that neither the table nor a built-in target knows. */
export class UnknownStm32PidError extends FlashwrightError {
  constructor(pid: number) {
    super('STM32_UNKNOWN_PID', `The bootloader reports product ID ${hex(pid, 3)}, which flashwright does not know.`, {
      hint: 'Give the memory map with --target NAME or --target-file FILE (see `flashwright targets`), and please report the part and its ID.',
      context: { pid },
    });
  }
}

const FLASH_BASE = 0x08000000;
const RAM_BASE = 0x20000000;

/** A target description built from a table row, for parts without a built-in description. */
export function describeStm32Device(d: Stm32DeviceRow): TargetDescription {
  const regions: MemoryRegion[] = [
    // L0/L1 program memory reads 0x00 when erased (RM0377 §3.3.4, PM0062 §3.1); others 0xFF.
    { name: 'flash', kind: 'flash', start: FLASH_BASE, size: d.flashSize, sectors: d.sectors, pageSize: d.programUnit, erasedValue: d.family === 'L0' || d.family === 'L1' ? 0x00 : 0xff,
      note: d.bank2FirstPage !== undefined ? `bank 2 starts at page ${d.bank2FirstPage}` : undefined },
    { name: 'sram', kind: 'ram', start: RAM_BASE, size: d.ramSize },
    { name: 'system-memory', kind: 'rom', start: d.systemMemory.start, size: d.systemMemory.size, note: 'STM32 system bootloader' },
  ];
  if (d.optionBytes) regions.push({ name: 'option-bytes', kind: 'option-bytes', start: d.optionBytes.start, size: d.optionBytes.size });
  const boot = FAMILY_BOOT[d.family];
  return {
    name: `STM32 PID ${hex(d.pid, 3)}`,
    aliases: [],
    vendor: 'STMicroelectronics',
    family: `STM32${d.family}`,
    core: { F0: 'cortex-m0', C0: 'cortex-m0+', G0: 'cortex-m0+', L0: 'cortex-m0+', F1: 'cortex-m3', F2: 'cortex-m3', L1: 'cortex-m3', F7: 'cortex-m7', H7: 'cortex-m7', H5: 'cortex-m33', L5: 'cortex-m33', U5: 'cortex-m33' }[d.family as string] ?? 'cortex-m4',
    source: `AN2606 (PID ${hex(d.pid, 3)}: ${d.parts}; largest flash of the line) and the ${d.family} reference manual`,
    regions,
    reserved: [{ start: RAM_BASE, size: d.bootloaderRam, owner: 'STM32 system bootloader (while it runs)' }],
    // RDP level 0 is 0xA5 on F1 (RM0008 §2.5, PM0075), 0xAA on every other line (e.g. RM0090 §3.7.3).
    features: d.optionBytes ? { stm32OptionBytes: { address: d.optionBytes.start, rdpOffset: d.optionBytes.rdpOffset, hasLevel2: boot.hasRdpLevel2, rdpLevel0: d.family === 'F1' ? 0xa5 : 0xaa } } : undefined,
    ids: { stm32Pid: d.pid },
  };
}

/**
 * The flash size data register (16 bits, KiB) of each line's device electronic signature,
 * readable through the bootloader's Read Memory. Several KiB-sized parts share a product ID,
 * so this is what tells an STM32F103C8 (64) from an STM32F103CB (128).
 */
export const STM32_FLASH_SIZE_REGISTER: Partial<Record<Stm32Family, { address: number; source: string }>> = {
  F0: { address: 0x1ffff7cc, source: 'RM0360 §27.1 / RM0091 §33.1 Flash size data register' },
  F1: { address: 0x1ffff7e0, source: 'RM0008 Rev 21 §30.1 Flash size register' },
  F2: { address: 0x1fff7a22, source: 'RM0033 §32.2 Flash size' },
  F3: { address: 0x1ffff7cc, source: 'RM0316 §34.2 Memory size data register' },
  F4: { address: 0x1fff7a22, source: 'RM0090 Rev 19 §39.2 Flash size' },
  F7: { address: 0x1ff0f442, source: 'RM0410 §45.2 / RM0385 §41.2 Flash size' },
  G0: { address: 0x1fff75e0, source: 'RM0444 §38.2 Flash size data register' },
  G4: { address: 0x1fff75e0, source: 'RM0440 §48.2 Flash size data register' },
  L0: { address: 0x1ff8007c, source: 'RM0377 §28.1.2 Flash size register' },
  L4: { address: 0x1fff75e0, source: 'RM0351 Rev 9 §50.2 Flash size data register' },
  H7: { address: 0x1ff1e880, source: 'RM0433 §61.2 Flash size' },
  WB: { address: 0x1fff75e0, source: 'RM0434 §39.1.2 Flash size data register' },
  WL: { address: 0x1fff75e0, source: 'RM0453 §41.1.2 Flash size data register' },
};

/** The family code of an STM32 target ("STM32F103xB" family "STM32F1" → "F1"). */
export function stm32FamilyOf(target: { family: string }): Stm32Family | undefined {
  const m = /^STM32([A-Z]\d|W[BL])/i.exec(target.family);
  return m ? (m[1]!.toUpperCase() as Stm32Family) : undefined;
}

/**
 * The target with its main flash resized to what the device reports: sector runs cut to a
 * smaller size, the last run extended for a larger one. Undefined when the sizes cannot be
 * reconciled (not a whole number of sectors).
 */
export function withFlashSize(target: TargetDescription, size: number): TargetDescription | undefined {
  const i = target.regions.findIndex((r) => r.kind === 'flash' && r.start === FLASH_BASE);
  const r = target.regions[i];
  if (!r?.sectors || r.size === size) return r ? target : undefined;
  const runs: SectorRun[] = [];
  let left = size;
  for (const s of r.sectors) {
    if (left <= 0) break;
    const n = Math.min(s.count, Math.floor(left / s.size));
    if (n > 0) runs.push({ size: s.size, count: n });
    left -= n * s.size;
    if (n < s.count) break;
  }
  const last = runs[runs.length - 1] ?? r.sectors[0]!;
  if (left > 0 && size > r.size && left % last.size === 0) {
    if (runs.length) runs[runs.length - 1] = { size: last.size, count: last.count + left / last.size };
    else runs.push({ size: last.size, count: left / last.size });
    left = 0;
  }
  if (left !== 0) return undefined;
  const regions = target.regions.slice();
  regions[i] = { ...r, size, sectors: runs };
  return { ...target, regions };
}
