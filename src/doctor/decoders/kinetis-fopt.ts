/**
 * Kinetis FOPT (flash option byte at 0x40D, loaded into FTFx_FOPT at reset; K64 Sub-Family
 * RM "Flash Option Register (FTFE_FOPT)" and "Boot options"): bit 0 LPBOOT (0 = boot in
 * low-power divider mode), bit 1 EZPORT_DIS (0 = EzPort enabled at reset), bit 2 NMI_DIS
 * (0 = NMI pin disabled). Other bits are reserved on K6x/K2x (kept as 1); parts with a ROM
 * bootloader use bits 7:6 (BOOTSRC_SEL) and bit 5 (BOOTPIN_OPT), per their own RM.
 */
import { hexByte } from '../../core/format.js';

export interface FoptDecoded { value: number; lines: string[] }

export function decodeFopt(value: number): FoptDecoded {
  const v = value & 0xff;
  const bit = (n: number) => (v >> n) & 1;
  const lines = [
    `LPBOOT (bit 0) = ${bit(0)}: ${bit(0) ? 'normal boot clock' : 'boots with the low-power clock divider'}`,
    `EZPORT_DIS (bit 1) = ${bit(1)}: ${bit(1) ? 'EzPort disabled' : 'EzPort enabled (EZP_CS low at reset enters EzPort mode)'}`,
    `NMI_DIS (bit 2) = ${bit(2)}: ${bit(2) ? 'NMI pin enabled' : 'NMI pin/interrupt disabled'}`,
    `bits 7:3 = ${(v >> 3).toString(2).padStart(5, '0')}: reserved on K2x/K6x; on parts with a ROM bootloader bit 5 is BOOTPIN_OPT and bits 7:6 BOOTSRC_SEL (see the part's RM)`,
  ];
  return { value: v, lines: [`FOPT ${hexByte(v)}`, ...lines] };
}
