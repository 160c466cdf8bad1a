import type { TargetDescription } from '../types.js';
import { flash, KiB, MiB, ram } from './helpers.js';

/*
 * Kinetis descriptions, from the NXP sub-family reference manuals (memory map and flash
 * memory module chapters). Every part has the flash configuration field (backdoor key,
 * FPROT, FSEC, FOPT, FEPROT, FDPROT) at flash start + 0x400..0x40F.
 */
const fcf = { kinetisFlashConfig: true } as const;

export const kinetisTargets: TargetDescription[] = [
  {
    name: 'MK22FN512', aliases: ['MK22FN512VLH12', 'MK22FN512VLL12'], vendor: 'NXP', family: 'Kinetis K22', core: 'cortex-m4',
    source: 'K22P121M120SF7RM (K22 Sub-Family RM) Rev 1: memory map; FTFA: 2 KiB sectors, longword (4-byte) programming',
    regions: [
      flash(0x00000000, 512 * KiB, [{ size: 2 * KiB, count: 256 }], 4),
      ram('sram_l', 0x1fff0000, 64 * KiB),
      ram('sram_u', 0x20000000, 64 * KiB),
    ],
    features: fcf,
  },
  {
    name: 'MK24FN1M0', aliases: ['MK24FN1M0VLL12', 'MK24FN1M0VDC12'], vendor: 'NXP', family: 'Kinetis K24', core: 'cortex-m4',
    source: 'K24P144M120SF5RM (K24 Sub-Family RM) Rev 2: memory map; FTFE: 4 KiB sectors, phrase (8-byte) programming',
    regions: [
      flash(0x00000000, 1 * MiB, [{ size: 4 * KiB, count: 256 }], 8),
      ram('sram_l', 0x1fff0000, 64 * KiB),
      ram('sram_u', 0x20000000, 192 * KiB),
    ],
    features: fcf,
  },
  {
    name: 'MK64FN1M0', aliases: ['MK64FN1M0VLL12', 'MK64FN1M0VDC12', 'MK64FN1M0VMD12'], vendor: 'NXP', family: 'Kinetis K64', core: 'cortex-m4',
    source: 'K64P144M120SF5RM (K64 Sub-Family RM) Rev 2: memory map; FTFE: 4 KiB sectors, phrase (8-byte) programming',
    regions: [
      flash(0x00000000, 1 * MiB, [{ size: 4 * KiB, count: 256 }], 8),
      ram('sram_l', 0x1fff0000, 64 * KiB),
      ram('sram_u', 0x20000000, 192 * KiB),
    ],
    features: fcf,
  },
  {
    // K64 part numbers: MK64 F (FPU) N|X (program flash only | with FlexNVM) 1M0|512 (program
    // flash size) V (temperature) LL|DC|MD (package) 12 (120 MHz): K64P144M120SF5 ordering information.
    name: 'MK64FX512', aliases: ['MK64FX512VLL12', 'MK64FX512VDC12', 'MK64FX512VMD12'], vendor: 'NXP', family: 'Kinetis K64', core: 'cortex-m4',
    source: 'K64P144M120SF5 data sheet, ordering information (512 KiB program flash, 128 KiB FlexNVM, 4 KiB FlexRAM, 192 KiB SRAM); K64P144M120SF5RM Rev 2 memory map (FlexNVM at 0x10000000, FlexRAM at 0x14000000); FTFE 4 KiB sectors, phrase programming',
    regions: [
      flash(0x00000000, 512 * KiB, [{ size: 4 * KiB, count: 128 }], 8),
      flash(0x10000000, 128 * KiB, [{ size: 4 * KiB, count: 32 }], 8, { name: 'flexnvm', note: 'FlexNVM (data flash unless partitioned as EEPROM backup)' }),
      ram('flexram', 0x14000000, 4 * KiB, 'FlexRAM (EEPROM emulation or plain RAM)'),
      ram('sram_l', 0x1fff0000, 64 * KiB),
      ram('sram_u', 0x20000000, 128 * KiB),
    ],
    features: fcf,
  },
  {
    name: 'MKV58F1M0', aliases: ['MKV58F1M0VLQ24', 'MKV58F1M0VLL24', 'MKV58F1M0xxx24'], vendor: 'NXP', family: 'Kinetis KV5x', core: 'cortex-m7',
    source: 'KV5XP144M240RM (KV5x RM) Rev 3: program flash at 0x10000000, FTFE 8 KiB sectors, phrase (8-byte) programming; DTCM at 0x20000000',
    regions: [
      flash(0x10000000, 1 * MiB, [{ size: 8 * KiB, count: 128 }], 8),
      ram('dtcm', 0x20000000, 128 * KiB),
    ],
    features: fcf,
  },
];
