import type { TargetDescription } from '../types.js';
import { flash, KiB, ram, rom } from './helpers.js';

/*
 * nRF51822 (QFAA: 256 KiB flash, 16 KiB RAM), the chip QEMU's `microbit` machine emulates.
 * nRF51 Series Reference Manual v3.0 §6 (NVMC: 1 KiB pages, word writes) and nRF51822
 * Product Specification v3.1 (memory sizes, FICR at 0x10000000, UICR at 0x10001000).
 */
export const nordicTargets: TargetDescription[] = [
  {
    name: 'nRF51822', aliases: ['nRF51822_xxAA', 'nRF51822-QFAA', 'microbit'], vendor: 'Nordic Semiconductor', family: 'nRF51', core: 'cortex-m0',
    source: 'nRF51 Series Reference Manual v3.0 §6 NVMC (1 KiB pages, 32-bit writes); nRF51822 PS v3.1 memory map',
    regions: [
      flash(0x00000000, 256 * KiB, [{ size: 1 * KiB, count: 256 }], 4),
      ram('ram', 0x20000000, 16 * KiB),
      { name: 'uicr', kind: 'option-bytes', start: 0x10001000, size: 1 * KiB, erasedValue: 0xff, pageSize: 4, note: 'user information configuration registers (erased by ERASEUICR/ERASEALL)' },
      rom('ficr', 0x10000000, 1 * KiB, 'factory information, read-only'),
    ],
  },
];
