/**
 * Cortex-M architecture facts as data: System Control Block and debug register addresses,
 * their bit fields, and fault decoding. Shared by every debug-level way in (the flash
 * algorithm runner over GDB today, CMSIS-DAP + ADIv5 next), so none re-defines them.
 * Sources: ARMv7-M Architecture Reference Manual (DDI0403E), ARMv6-M (DDI0419E).
 */
import type { CoreAccess, CoreOptions } from './core-access.js';

/** CPUID Base Register and Vector Table Offset Register (DDI0403E §B3.2.3, §B3.2.5; VTOR is optional on ARMv6-M). */
export const CPUID = 0xe000ed00;
export const VTOR = 0xe000ed08;
/** CPUID.ARCHITECTURE [19:16]: 0xF on ARMv7-M and later ("see CPUID scheme"), 0xC on ARMv6-M. */
export const CPUID_ARCHITECTURE_V7M = 0xf;

/** Application Interrupt and Reset Control Register (DDI0403E §B3.2.6): writes need VECTKEY in [31:16]. */
export const AIRCR = { address: 0xe000ed0c, VECTKEY: 0x05fa0000, VECTRESET: 1 << 0, VECTCLRACTIVE: 1 << 1, SYSRESETREQ: 1 << 2 } as const;

/**
 * Debug Halting Control and Status Register (DDI0403E §C1.6.2): writes need DBGKEY in
 * [31:16]; C_* bits control the core, S_* bits (read-only) report its state.
 */
export const DHCSR = {
  address: 0xe000edf0,
  DBGKEY: 0xa05f0000,
  C_DEBUGEN: 1 << 0, C_HALT: 1 << 1, C_STEP: 1 << 2, C_MASKINTS: 1 << 3, C_SNAPSTALL: 1 << 5,
  S_REGRDY: 1 << 16, S_HALT: 1 << 17, S_SLEEP: 1 << 18, S_LOCKUP: 1 << 19, S_RETIRE_ST: 1 << 24, S_RESET_ST: 1 << 25,
} as const;

/** Debug Core Register Selector / Data registers (DDI0403E §C1.6.3–4): REGWnR is bit 16, REGSEL [6:0]. */
export const DCRSR = { address: 0xe000edf4, REGWnR: 1 << 16 } as const;
export const DCRDR = 0xe000edf8;

/** DCRSR.REGSEL values of the core registers (DDI0403E Table C1-6; 15 is DebugReturnAddress, i.e. the PC). */
export const REGSEL = { r0: 0, r1: 1, r2: 2, r3: 3, r4: 4, r5: 5, r6: 6, r7: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, sp: 13, lr: 14, pc: 15, xpsr: 16, msp: 17, psp: 18 } as const;

/** Debug Exception and Monitor Control Register (DDI0403E §C1.6.5): vector catches and TRCENA. */
export const DEMCR = {
  address: 0xe000edfc,
  VC_CORERESET: 1 << 0, VC_MMERR: 1 << 4, VC_NOCPERR: 1 << 5, VC_CHKERR: 1 << 6, VC_STATERR: 1 << 7,
  VC_BUSERR: 1 << 8, VC_INTERR: 1 << 9, VC_HARDERR: 1 << 10,
  MON_EN: 1 << 16, MON_PEND: 1 << 17, MON_STEP: 1 << 18, MON_REQ: 1 << 19, TRCENA: 1 << 24,
} as const;

/** xPSR.T (bit 24): must be set whenever the core runs Thumb code, i.e. always on Cortex-M. */
export const XPSR_THUMB = 0x01000000;

/** Exception numbers and names (DDI0403E §B1.5.2, Table B1-4). */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = { 2: 'NMI', 3: 'HardFault', 4: 'MemManage', 5: 'BusFault', 6: 'UsageFault', 7: 'SecureFault', 11: 'SVCall', 12: 'DebugMonitor', 14: 'PendSV', 15: 'SysTick' };

/**
 * Cortex-M System Control Block fault registers (ARMv7-M Architecture Reference Manual
 * DDI0403E §B3.2.2 and §C1.6.1; ARMv6-M DDI0419 has HFSR/DFSR only).
 */
export const FAULT_REGISTERS = { CFSR: 0xe000ed28, HFSR: 0xe000ed2c, DFSR: 0xe000ed30, MMFAR: 0xe000ed34, BFAR: 0xe000ed38 } as const;

/** Bit names of CFSR (MMFSR [7:0], BFSR [15:8], UFSR [31:16]), HFSR and DFSR, from DDI0403E §B3.2.15–17, §C1.6.1. */
const CFSR_BITS: ReadonlyArray<[number, string]> = [
  [0, 'IACCVIOL (instruction access violation)'], [1, 'DACCVIOL (data access violation)'], [3, 'MUNSTKERR'], [4, 'MSTKERR'], [5, 'MLSPERR'], [7, 'MMARVALID'],
  [8, 'IBUSERR (instruction bus error)'], [9, 'PRECISERR (precise data bus error)'], [10, 'IMPRECISERR (imprecise data bus error)'], [11, 'UNSTKERR'], [12, 'STKERR (bus error on exception entry stacking)'], [13, 'LSPERR'], [15, 'BFARVALID'],
  [16, 'UNDEFINSTR (undefined instruction)'], [17, 'INVSTATE (invalid state: Thumb bit clear)'], [18, 'INVPC (invalid EXC_RETURN)'], [19, 'NOCP (no coprocessor)'], [24, 'UNALIGNED'], [25, 'DIVBYZERO'],
];
const HFSR_BITS: ReadonlyArray<[number, string]> = [[1, 'VECTTBL (vector table read fault)'], [30, 'FORCED (escalated configurable fault)'], [31, 'DEBUGEVT (debug event, e.g. BKPT without a debugger)']];
const DFSR_BITS: ReadonlyArray<[number, string]> = [[0, 'HALTED'], [1, 'BKPT'], [2, 'DWTTRAP'], [3, 'VCATCH'], [4, 'EXTERNAL']];

function names(value: number, table: ReadonlyArray<[number, string]>): string[] {
  return table.filter(([bit]) => (value >>> bit) & 1).map(([, n]) => n);
}

/** Decoded fault status: each register's raw value and the names of the bits set. */
export type FaultStatus = {
  cfsr: number;
  hfsr: number;
  dfsr: number;
  /** MemManage fault address, when CFSR.MMARVALID says it is valid. */
  mmfar?: number | undefined;
  /** Bus fault address, when CFSR.BFARVALID says it is valid. */
  bfar?: number | undefined;
  decoded: { cfsr: string[]; hfsr: string[]; dfsr: string[] };
};

export function decodeFaultStatus(cfsr: number, hfsr: number, dfsr: number, mmfar?: number, bfar?: number): FaultStatus {
  const s: FaultStatus = { cfsr, hfsr, dfsr, decoded: { cfsr: names(cfsr, CFSR_BITS), hfsr: names(hfsr, HFSR_BITS), dfsr: names(dfsr, DFSR_BITS) } };
  if (mmfar !== undefined && (cfsr >>> 7) & 1) s.mmfar = mmfar;
  if (bfar !== undefined && (cfsr >>> 15) & 1) s.bfar = bfar;
  return s;
}

/** Reads and decodes CFSR/HFSR/DFSR/MMFAR/BFAR through a core (one 20-byte read). */
export async function readFaultStatus(core: CoreAccess, options?: CoreOptions): Promise<FaultStatus> {
  const b = await core.readMemory(FAULT_REGISTERS.CFSR, 20, options);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return decodeFaultStatus(v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true));
}

/** The exception number in IPSR (xPSR[8:0]); 0 = thread mode, 3 = HardFault. */
export function exceptionNumber(xpsr: number): number {
  return xpsr & 0x1ff;
}

/** Debug Fault Status Register bits (DDI0403E §C1.6.1; write 1 to clear). */
export const DFSR = { address: 0xe000ed30, HALTED: 1 << 0, BKPT: 1 << 1, DWTTRAP: 1 << 2, VCATCH: 1 << 3, EXTERNAL: 1 << 4, ALL: 0x1f } as const;

/**
 * Flash Patch and Breakpoint unit (DDI0403E §C1.11; the Armv6-M BPU, DDI0419 §C1.8, has the
 * same FP_CTRL/FP_COMPn layout as FPB rev 1): FP_CTRL KEY|ENABLE, comparators from 0xE0002008.
 */
export const FPB = { FP_CTRL: 0xe0002000, FP_COMP0: 0xe0002008, KEY_ENABLE: 0x3 } as const;

/** NUM_CODE = FP_CTRL[14:12]:[7:4]; REV = FP_CTRL[31:28] (0: rev 1, 1: rev 2, Armv8-M and newer v7-M parts). */
export function decodeFpCtrl(v: number): { codeComparators: number; revision: 1 | 2; enabled: boolean } {
  return { codeComparators: (((v >>> 12) & 0x7) << 4) | ((v >>> 4) & 0xf), revision: ((v >>> 28) & 0xf) === 0 ? 1 : 2, enabled: (v & 1) === 1 };
}

/**
 * FP_COMPn value enabling a breakpoint at `address`, or undefined where the revision cannot:
 * rev 1 matches only code below 0x20000000, a word address with REPLACE 01 (lower halfword)
 * or 10 (upper); rev 2 takes BPADDR[31:1] with BE (bit 0).
 */
export function fpComparator(address: number, revision: 1 | 2): number | undefined {
  if (revision === 2) return ((address & ~1) | 1) >>> 0;
  if (address >= 0x20000000) return undefined;
  const replace = address & 2 ? 0x80000000 : 0x40000000;
  return ((address & 0x1ffffffc) | replace | 1) >>> 0;
}

/** CPUID decoded: implementer [31:24], variant [23:20], architecture [19:16], part [15:4], revision [3:0]. */
export interface CpuId {
  raw: number;
  implementer: number;
  implementerName: string;
  part: number;
  /** "Cortex-M4", or "part 0xC2F" when unknown. */
  core: string;
  variant: number;
  revision: number;
  /** 'ARMv6-M' (0xC) or 'ARMv7-M/ARMv8-M' (0xF). */
  architecture: string;
}

/** Arm part numbers, from each core's Technical Reference Manual ("CPUID register"). */
const ARM_PARTS: Readonly<Record<number, string>> = {
  0xc20: 'Cortex-M0', 0xc60: 'Cortex-M0+', 0xc21: 'Cortex-M1', 0xc23: 'Cortex-M3', 0xc24: 'Cortex-M4', 0xc27: 'Cortex-M7',
  0xd20: 'Cortex-M23', 0xd21: 'Cortex-M33', 0xd22: 'Cortex-M55', 0xd23: 'Cortex-M85', 0xd31: 'Cortex-M35P', 0xd24: 'Cortex-M52',
};
const IMPLEMENTERS: Readonly<Record<number, string>> = { 0x41: 'Arm', 0x63: 'Arm China' };

export function decodeCpuId(v: number): CpuId {
  const implementer = (v >>> 24) & 0xff;
  const part = (v >>> 4) & 0xfff;
  const arch = (v >>> 16) & 0xf;
  return {
    raw: v >>> 0, implementer, implementerName: IMPLEMENTERS[implementer] ?? `implementer 0x${implementer.toString(16)}`, part,
    core: (implementer === 0x41 ? ARM_PARTS[part] : undefined) ?? `part 0x${part.toString(16).toUpperCase()}`,
    variant: (v >>> 20) & 0xf, revision: v & 0xf,
    architecture: arch === 0xc ? 'ARMv6-M' : arch === CPUID_ARCHITECTURE_V7M ? 'ARMv7-M/ARMv8-M' : `architecture 0x${arch.toString(16)}`,
  };
}
