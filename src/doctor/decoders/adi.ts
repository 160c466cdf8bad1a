/**
 * Debug identification registers, decoded field by field:
 * - DPIDR (ARM Debug Interface Architecture Specification ADIv5.0–5.2, IHI0031, §B2.2.5
 *   "DPIDR"): REVISION [31:28], PARTNO [27:20], MIN [16], VERSION [15:12], DESIGNER [11:1]
 *   (JEP106 continuation [11:8], identity [7:1]), RAO [0].
 * - AP IDR (IHI0031 §C1.2.1 "IDR, Identification Register"): REVISION [31:28], JEP106
 *   continuation [27:24], identity [23:17], CLASS [16:13] (0 = no defined class, 8 = MEM-AP),
 *   VARIANT [7:4], TYPE [3:0] (MEM-AP: 1 AHB3, 2 APB2/3, 4 AXI3/4, 5 AHB5, 6 APB4/5, 7 AXI5, 8 AHB5+HPROT).
 * - CPUID (ARMv7-M ARM DDI0403E §B3.2.3; ARMv8-M DDI0553 §D1.2.46): IMPLEMENTER [31:24],
 *   VARIANT [23:20], ARCHITECTURE [19:16], PARTNO [15:4], REVISION [3:0]; part numbers from
 *   each core's Technical Reference Manual.
 */
import { hex } from '../../core/format.js';

/** JEP106 designers seen on Cortex-M parts, keyed (continuation << 7) | identity (JEP106 list). */
const DESIGNERS: Record<number, string> = {
  0x23b: 'ARM Ltd', 0x020: 'STMicroelectronics', 0x015: 'NXP (Philips)', 0x00e: 'Freescale (NXP)',
  0x01f: 'Atmel (Microchip)', 0x017: 'Texas Instruments',
};

export function designerName(code: number): string {
  return DESIGNERS[code] ?? `JEP106 ${hex(code, 3)}`;
}

export interface DpidrDecoded {
  value: number;
  revision: number;
  partno: number;
  min: boolean;
  version: number;
  designer: number;
  designerName: string;
  valid: boolean;
  summary: string;
}

/** The DP part numbers ARM documents for its own SW-DP/JTAG-DP implementations (IHI0031 notes). */
const DP_PARTS: Record<number, string> = { 0xba: 'SW-DP/JTAG-DP of Cortex-M3/M4 class', 0xbb: 'MINDP of Cortex-M0', 0xbc: 'MINDP of Cortex-M0+' };

export function decodeDpidr(value: number): DpidrDecoded {
  const v = value >>> 0;
  const revision = v >>> 28;
  const partno = (v >>> 20) & 0xff;
  const min = ((v >>> 16) & 1) === 1;
  const version = (v >>> 12) & 0xf;
  const designer = (v >>> 1) & 0x7ff;
  const valid = (v & 1) === 1 && version >= 1 && version <= 3;
  const name = designerName(designer);
  const part = DP_PARTS[partno];
  const summary = valid
    ? `DPIDR ${hex(v)}: DPv${version} by ${name}, part ${hex(partno, 2)}${part ? ` (${part})` : ''}, revision ${revision}${min ? ', minimal DP' : ''}`
    : `DPIDR ${hex(v)} is not a valid DP ID (bit 0 must read 1 and VERSION 1–3): the probe read garbage, usually a wiring, speed or power problem`;
  return { value: v, revision, partno, min, version, designer, designerName: name, valid, summary };
}

export interface ApIdrDecoded {
  value: number;
  revision: number;
  designer: number;
  designerName: string;
  apClass: number;
  variant: number;
  type: number;
  kind: string;
  summary: string;
}

const MEM_AP_TYPES: Record<number, string> = { 1: 'AHB-AP (AHB3)', 2: 'APB-AP (APB2/3)', 4: 'AXI-AP (AXI3/4)', 5: 'AHB-AP (AHB5)', 6: 'APB-AP (APB4/5)', 7: 'AXI-AP (AXI5)', 8: 'AHB-AP (AHB5, enhanced HPROT)' };

export function decodeApIdr(value: number): ApIdrDecoded {
  const v = value >>> 0;
  const revision = v >>> 28;
  const designer = (((v >>> 24) & 0xf) << 7) | ((v >>> 17) & 0x7f);
  const apClass = (v >>> 13) & 0xf;
  const variant = (v >>> 4) & 0xf;
  const type = v & 0xf;
  const name = designerName(designer);
  let kind: string;
  if (v === 0) kind = 'no AP here (IDR reads 0)';
  else if (apClass === 8) kind = `MEM-AP, ${MEM_AP_TYPES[type] ?? `type ${type}`}`;
  else if (apClass === 0 && type === 0 && designer === 0x23b) kind = 'JTAG-AP';
  // Kinetis MDM-AP (K64 RM §10.4.2 "MDM-AP ID register" reads 0x001C0000): security and mass erase.
  else if (designer === 0x00e && apClass === 0) kind = 'Kinetis MDM-AP (security status and mass erase)';
  else kind = `class ${apClass}, type ${type}`;
  const summary = `AP IDR ${hex(v)}: ${kind}${v === 0 ? '' : ` by ${name}, revision ${revision}`}`;
  return { value: v, revision, designer, designerName: name, apClass, variant, type, kind, summary };
}

/** Cortex-M part numbers (CPUID PARTNO) from the cores' TRMs. */
const CORES: Record<number, string> = {
  0xc20: 'Cortex-M0', 0xc60: 'Cortex-M0+', 0xc21: 'Cortex-M1', 0xc23: 'Cortex-M3', 0xc24: 'Cortex-M4', 0xc27: 'Cortex-M7',
  0xd20: 'Cortex-M23', 0xd21: 'Cortex-M33', 0xd22: 'Cortex-M55', 0xd23: 'Cortex-M85', 0xd31: 'Cortex-M35P',
};

export interface CpuidDecoded {
  value: number;
  implementer: number;
  variant: number;
  architecture: number;
  partno: number;
  revision: number;
  core: string | null;
  summary: string;
}

/**
 * A full CPUID, or the bare part number some tools print (LinkServer's "CPU ID 00000C27"):
 * a value below 0x1000 is read as PARTNO alone.
 */
export function decodeCpuid(value: number): CpuidDecoded {
  const v = value >>> 0;
  const bare = v < 0x1000;
  const partno = bare ? v : (v >>> 4) & 0xfff;
  const implementer = bare ? 0x41 : v >>> 24;
  const variant = bare ? 0 : (v >>> 20) & 0xf;
  const architecture = bare ? 0 : (v >>> 16) & 0xf;
  const revision = bare ? 0 : v & 0xf;
  const core = implementer === 0x41 ? CORES[partno] ?? null : null;
  const impl = implementer === 0x41 ? 'ARM' : hex(implementer, 2);
  const summary = core
    ? `CPUID ${hex(v)}: ${core}${bare ? '' : ` r${variant}p${revision}`} (implementer ${impl})`
    : `CPUID ${hex(v)}: part ${hex(partno, 3)} by implementer ${impl}, not a Cortex-M core this table knows`;
  return { value: v, implementer, variant, architecture, partno, revision, core, summary };
}
