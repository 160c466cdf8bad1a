/**
 * i.MX RT FlexSPI NOR boot facts, one row each (IMXRT1010RM / IMXRT1020RM / IMXRT1060RM /
 * IMXRT1170RM, "System Boot" → "FlexSPI NOR Flash Boot" and "Program image"): the FCB tag,
 * the Image Vector Table header and sizes, and where FCB, IVT and application sit per part.
 * Used by the pre-flight check, the vector-table check, the image builder and the targets.
 */

/** FlexSPI NOR Configuration Block tag "FCFB" (little-endian word at the FCB offset). */
export const FCB_TAG = 0x42464346;

/** Image Vector Table header word: tag 0xD1, length 0x0020, version 0x40. */
export const IVT_HEADER = 0x402000d1;
export const IVT_SIZE = 0x20;
/** Boot data (start, length, plugin, reserved) right after the IVT. */
export const BOOT_DATA_SIZE = 0x10;

/** Where the boot structures go for a part family (offsets from the FlexSPI base). */
export interface ImxrtBootLayout {
  part: string;
  flexspiBase: number;
  fcbOffset: number;
  ivtOffset: number;
  /** Where a plain application's vector table is expected (SDK linker scripts: base + 0x2000). */
  appOffset: number;
  source: string;
}

const RT10XX = 'IMXRT1020RM / IMXRT1060RM "FlexSPI NOR boot": FCB at offset 0, IVT at 0x1000; MCUXpresso SDK XIP linker scripts place the vector table at 0x2000';
const FCB_AT_400 = 'IMXRT1010RM / IMXRT1170RM "FlexSPI NOR boot": FCB at offset 0x400, IVT at 0x1000';

const RT10XX_ROW = { flexspiBase: 0x60000000, fcbOffset: 0, ivtOffset: 0x1000, appOffset: 0x2000, source: RT10XX } as const;

/** Parts by the short names people type (`--part rt1021`). */
export const IMXRT_BOOT_LAYOUTS: Record<string, ImxrtBootLayout> = Object.fromEntries([
  ...['rt1020', 'rt1021', 'rt1024', 'rt1050', 'rt1051', 'rt1052', 'rt1060', 'rt1061', 'rt1062', 'rt1064'].map((part) => [part, { part, ...RT10XX_ROW }]),
  ...['rt1010', 'rt1011'].map((part) => [part, { part, flexspiBase: 0x60000000, fcbOffset: 0x400, ivtOffset: 0x1000, appOffset: 0x2000, source: FCB_AT_400 }]),
  ...['rt1160', 'rt1166', 'rt1170', 'rt1176'].map((part) => [part, { part, flexspiBase: 0x30000000, fcbOffset: 0x400, ivtOffset: 0x1000, appOffset: 0x2000, source: FCB_AT_400 }]),
]);

/** `rt1021`, `RT1021`, `MIMXRT1021`, `mimxrt1021dag5a` → the layout. */
export function findBootLayout(name: string): ImxrtBootLayout | undefined {
  const m = /^(?:mimx)?(rt1\d{3})/i.exec(name.trim());
  return m ? IMXRT_BOOT_LAYOUTS[m[1]!.toLowerCase()] : undefined;
}

/** The FCB and IVT offsets the built-in RT1020/RT1060-class targets check (FlexSPI at 0x60000000). */
export const RT10XX_BOOT = { flexspiBase: RT10XX_ROW.flexspiBase, fcbOffset: RT10XX_ROW.fcbOffset, ivtOffset: RT10XX_ROW.ivtOffset } as const;
