/**
 * ADIv5 debug port and access port facts (Arm Debug Interface Architecture Specification
 * ADIv5.0 to ADIv5.2, IHI 0031; "DP register descriptions" B2.2, "MEM-AP" C2, "AP IDR" C1.2.5,
 * and the SWD/JTAG switching sequences of B5.2–B5.3).
 */

/** DP register byte addresses (A[3:2]); DPBANKSEL selects CTRL/STAT's bank on DPv1+. */
export const DP = { DPIDR: 0x0, ABORT: 0x0, CTRL_STAT: 0x4, SELECT: 0x8, RDBUFF: 0xc, TARGETSEL: 0xc } as const;

/** ABORT bits: DAPABORT, STKCMPCLR, STKERRCLR, WDERRCLR, ORUNERRCLR. */
export const ABORT = { DAPABORT: 1 << 0, STKCMPCLR: 1 << 1, STKERRCLR: 1 << 2, WDERRCLR: 1 << 3, ORUNERRCLR: 1 << 4 } as const;
export const ABORT_CLEAR_STICKY = ABORT.STKCMPCLR | ABORT.STKERRCLR | ABORT.WDERRCLR | ABORT.ORUNERRCLR;

/** CTRL/STAT bits. */
export const CTRL = {
  ORUNDETECT: 1 << 0, STICKYORUN: 1 << 1, STICKYCMP: 1 << 4, STICKYERR: 1 << 5, READOK: 1 << 6, WDATAERR: 1 << 7,
  CDBGRSTREQ: 1 << 26, CDBGRSTACK: 1 << 27, CDBGPWRUPREQ: 1 << 28, CDBGPWRUPACK: 1 << 29, CSYSPWRUPREQ: 1 << 30, CSYSPWRUPACK: 1 << 31,
} as const;

/** Names of CTRL/STAT's error bits, for messages. */
export function stickyErrors(ctrlStat: number): string[] {
  const out: string[] = [];
  if (ctrlStat & CTRL.STICKYERR) out.push('STICKYERR (an AP access hit a bus error)');
  if (ctrlStat & CTRL.STICKYORUN) out.push('STICKYORUN (overrun)');
  if (ctrlStat & CTRL.STICKYCMP) out.push('STICKYCMP (pushed compare matched)');
  if (ctrlStat & CTRL.WDATAERR) out.push('WDATAERR (write data parity or WAIT-abandoned write)');
  return out;
}

/** SELECT: APSEL [31:24], APBANKSEL [7:4], DPBANKSEL [3:0]. */
export function selectValue(apsel: number, apBank: number, dpBank = 0): number {
  return (((apsel & 0xff) << 24) | (apBank & 0xf0) | (dpBank & 0xf)) >>> 0;
}

/** MEM-AP register byte addresses. */
export const MEM_AP = { CSW: 0x00, TAR: 0x04, TAR_HI: 0x08, DRW: 0x0c, BD0: 0x10, BD1: 0x14, BD2: 0x18, BD3: 0x1c, CFG: 0xf4, BASE: 0xf8, IDR: 0xfc } as const;

/** CSW fields: Size [2:0], AddrInc [5:4], DeviceEn [6], TrInProg [7]. */
export const CSW = { SIZE8: 0, SIZE16: 1, SIZE32: 2, SIZE_MASK: 7, ADDRINC_OFF: 0, ADDRINC_SINGLE: 0x10, ADDRINC_PACKED: 0x20, ADDRINC_MASK: 0x30, DEVICE_EN: 0x40, TR_IN_PROG: 0x80 } as const;

/** Auto-increment is guaranteed only inside a 1 KiB block (ADIv5.2 C2.2.2): TAR is rewritten at each boundary. */
export const TAR_WRAP = 0x400;

/**
 * SWJ sequences, as bytes sent LSB first.
 * - line reset: ≥ 50 clocks with SWDIO high (56 sent);
 * - JTAG-to-SWD: 0xE79E, 16 bits (B5.2.1);
 * - JTAG-to-dormant: 0x33BBBBBA, 31 bits after ≥ 5 TMS-high clocks (B5.3.4);
 * - selection alert: 128 bits 0x19BC0EA2_E3DDAFE9_86852D95_6209F392 (B5.3.4);
 * - SWD activation code 0x1A, 8 bits, after 4 clocks low.
 */
export const SWJ = {
  LINE_RESET: { bits: 56, data: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) },
  JTAG_TO_SWD: { bits: 16, data: Uint8Array.of(0x9e, 0xe7) },
  IDLE: { bits: 8, data: Uint8Array.of(0x00) },
  JTAG_TO_DORMANT: { bits: 31, data: Uint8Array.of(0xba, 0xbb, 0xbb, 0x33) },
  SELECTION_ALERT_PRE: { bits: 8, data: Uint8Array.of(0xff) },
  SELECTION_ALERT: { bits: 128, data: Uint8Array.of(0x92, 0xf3, 0x09, 0x62, 0x95, 0x2d, 0x85, 0x86, 0xe9, 0xaf, 0xdd, 0xe3, 0xa2, 0x0e, 0xbc, 0x19) },
  ACTIVATION_SWD: { bits: 12, data: Uint8Array.of(0xa0, 0x01) }, // 4 clocks low, then 0x1A LSB first
  /** SWD-to-JTAG: 0xE73C, 16 bits (B5.2.2), after a line reset. */
  SWD_TO_JTAG: { bits: 16, data: Uint8Array.of(0x3c, 0xe7) },
  /** TMS high 7 clocks (Test-Logic-Reset from any state), then low once: Run-Test/Idle, where the probe's scans start. */
  TAP_RESET_TO_IDLE: { bits: 8, data: Uint8Array.of(0x7f) },
} as const;

/** The Arm JTAG-DP's instruction register is 4 bits (ADIv5.2 B3.3). */
export const JTAG_DP_IR_LENGTH = 4;

/** JTAG IDCODE fields (IEEE 1149.1): version [31:28], part [27:12], JEP106 designer [11:1]. */
export function decodeJtagIdcode(v: number): string {
  const designer = (v >>> 1) & 0x7ff;
  return `JTAG IDCODE 0x${(v >>> 0).toString(16).padStart(8, '0')} (part 0x${((v >>> 12) & 0xffff).toString(16)}, version ${(v >>> 28) & 0xf}${designer === 0x23b ? ', Arm JTAG-DP' : `, designer 0x${designer.toString(16)}`})`;
}

/** DPIDR fields (B2.2.5). */
export interface DpIdr {
  raw: number;
  version: number;
  designer: number;
  partNo: number;
  revision: number;
  minimal: boolean;
  description: string;
}

export function decodeDpidr(v: number): DpIdr {
  const designer = (v >>> 1) & 0x7ff;
  const version = (v >>> 12) & 0xf;
  const d: DpIdr = { raw: v >>> 0, version, designer, partNo: (v >>> 20) & 0xff, revision: (v >>> 28) & 0xf, minimal: !!((v >>> 16) & 1), description: '' };
  d.description = `DPv${version}${designer === 0x23b ? ' (Arm)' : ''}, part 0x${d.partNo.toString(16)}, revision ${d.revision}${d.minimal ? ', minimal DP' : ''}`;
  return d;
}

/** AP IDR fields (C1.2.5): revision, JEP106 designer, class, variant, type. */
export interface ApIdr {
  raw: number;
  revision: number;
  designer: number;
  apClass: number;
  variant: number;
  type: number;
  isMemAp: boolean;
  name: string;
}

/** Known APs that are not MEM-APs: vendor access ports matched by their IDR. */
const VENDOR_APS: ReadonlyArray<{ idr: number; mask: number; name: string; source: string }> = [
  // Kinetis reference manuals (e.g. K64 RM, "MDM-AP Status/Control"): MDM-AP IDR 0x001C0000 or 0x001C0020.
  { idr: 0x001c0000, mask: 0xffffff0f, name: 'Kinetis MDM-AP', source: 'NXP Kinetis reference manuals, chapter "Debug" / MDM-AP' },
];

const MEM_AP_TYPES: Record<number, string> = { 1: 'AHB-AP (AHB3)', 2: 'APB-AP (APB2/3)', 4: 'AXI-AP (AXI3/4)', 5: 'AHB-AP (AHB5)', 6: 'APB-AP (APB4/5)', 7: 'AXI-AP (AXI5)', 8: 'AHB-AP (AHB5, enhanced HPROT)' };

export function decodeApIdr(v: number): ApIdr {
  const designer = (v >>> 17) & 0x7ff;
  const apClass = (v >>> 13) & 0xf;
  const type = v & 0xf;
  const isMemAp = apClass === 8;
  const vendor = VENDOR_APS.find((k) => ((v >>> 0) & k.mask) === k.idr);
  const name = vendor ? vendor.name : isMemAp ? MEM_AP_TYPES[type] ?? `MEM-AP type ${type}` : apClass === 0 && type === 0 ? 'JTAG-AP' : `AP class ${apClass} type ${type}`;
  return { raw: v >>> 0, revision: (v >>> 28) & 0xf, designer, apClass, variant: (v >>> 4) & 0xf, type, isMemAp, name };
}
