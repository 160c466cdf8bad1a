/**
 * Kinetis flash configuration field: 16 bytes at flash offset 0x400 (K64 Sub-Family
 * Reference Manual K64P144M120SF5RM §29.3.1, "Flash Configuration Field Description"), the
 * same layout on every Kinetis part with FTFA/FTFE/FTFL flash. One row for the checks, the
 * programmers, the simulators and the doctor alike.
 */
export const KINETIS_FCF = {
  /** Offset of the field from the start of program flash. */
  offset: 0x400,
  size: 16,
  /** 0x400–0x407: the 8-byte backdoor comparison key. */
  backdoorKey: 0x400,
  /** 0x408–0x40B: FPROT3..FPROT0 (program flash protection). */
  fprot: 0x408,
  /** 0x40C: FSEC — KEYEN [7:6], MEEN [5:4], FSLACC [3:2], SEC [1:0]. */
  fsec: 0x40c,
  /** 0x40D: FOPT — boot options (BOOTSRC_SEL [7:6], BOOTPIN_OPT [1] on parts with a ROM bootloader). */
  fopt: 0x40d,
  /** 0x40E / 0x40F: FEPROT, FDPROT (EEPROM / data flash protection). */
  feprot: 0x40e,
  fdprot: 0x40f,
  source: 'K64P144M120SF5RM §29.3.1',
} as const;

/** FSEC as FlashEraseAllUnsecure and NXP's startup files leave it: backdoor off, mass erase on, SEC = 10 (unsecure). */
export const FSEC_UNSECURE = 0xfe;

/** The unsecure default field as NXP's startup files ship it: no key, no FPROT protection, FSEC = 0xFE, the rest 0xFF. */
export const DEFAULT_UNSECURE_FCF: readonly number[] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, FSEC_UNSECURE, 0xff, 0xff, 0xff];
