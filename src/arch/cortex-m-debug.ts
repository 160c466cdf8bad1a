/**
 * Cortex-M debug facts: the debug registers of the System Control Space, the FPB, and the
 * CPUID part numbers (Armv6-M ARM DDI0419 §C1.6, Armv7-M ARM DDI0403E §C1.6 and §B3.2.3,
 * Armv8-M ARM DDI0553 §D1.2; part numbers from each core's Technical Reference Manual).
 */

export const DHCSR = 0xe000edf0;
export const DCRSR = 0xe000edf4;
export const DCRDR = 0xe000edf8;
export const DEMCR = 0xe000edfc;
export const AIRCR = 0xe000ed0c;
export const CPUID = 0xe000ed00;
export const DFSR = 0xe000ed30;

/** DHCSR writes need the key in [31:16]. */
export const DBGKEY = 0xa05f0000;
export const DHCSR_BITS = {
  C_DEBUGEN: 1 << 0, C_HALT: 1 << 1, C_STEP: 1 << 2, C_MASKINTS: 1 << 3,
  S_REGRDY: 1 << 16, S_HALT: 1 << 17, S_SLEEP: 1 << 18, S_LOCKUP: 1 << 19, S_RETIRE_ST: 1 << 24, S_RESET_ST: 1 << 25,
} as const;

/** DCRSR REGWnR (bit 16) and REGSEL numbers. */
export const DCRSR_WRITE = 1 << 16;
export const REGSEL: Readonly<Record<string, number>> = {
  r0: 0, r1: 1, r2: 2, r3: 3, r4: 4, r5: 5, r6: 6, r7: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12,
  sp: 13, lr: 14, pc: 15, xpsr: 16, msp: 17, psp: 18,
};

/** DEMCR VC_CORERESET (halt on reset vector) and TRCENA. */
export const DEMCR_BITS = { VC_CORERESET: 1 << 0, VC_HARDERR: 1 << 10, TRCENA: 1 << 24 } as const;

/** AIRCR: VECTKEY 0x05FA in [31:16], SYSRESETREQ bit 2. */
export const AIRCR_SYSRESETREQ = 0x05fa0004;

/** DFSR bits: HALTED, BKPT, DWTTRAP, VCATCH, EXTERNAL (write 1 to clear). */
export const DFSR_BITS = { HALTED: 1, BKPT: 2, DWTTRAP: 4, VCATCH: 8, EXTERNAL: 16 } as const;

/** Flash Patch and Breakpoint unit (Armv7-M §C1.11; Armv6-M BPU §C1.8). */
export const FP_CTRL = 0xe0002000;
export const FP_COMP0 = 0xe0002008;
export const FP_KEY_ENABLE = 0x3;

/** Comparators NUM_CODE = FP_CTRL[14:12]:[7:4]; REV = FP_CTRL[31:28] (0: rev 1, 1: rev 2). */
export function decodeFpCtrl(v: number): { codeComparators: number; revision: 1 | 2; enabled: boolean } {
  return { codeComparators: (((v >>> 12) & 0x7) << 4) | ((v >>> 4) & 0xf), revision: ((v >>> 28) & 0xf) === 0 ? 1 : 2, enabled: (v & 1) === 1 };
}

/**
 * FP_COMPn value enabling a breakpoint at `address`, or undefined where the revision cannot
 * (rev 1 matches only code below 0x20000000, by halfword in a word: REPLACE 01 lower, 10 upper).
 */
export function fpComparator(address: number, revision: 1 | 2): number | undefined {
  if (revision === 2) return ((address & ~1) | 1) >>> 0;
  if (address >= 0x20000000) return undefined;
  const replace = address & 2 ? 0x80000000 : 0x40000000;
  return ((address & 0x1ffffffc) | replace | 1) >>> 0;
}

/** CPUID: implementer [31:24], variant [23:20], architecture [19:16], part [15:4], revision [3:0]. */
export interface CpuId {
  raw: number;
  implementer: number;
  implementerName: string;
  part: number;
  /** "Cortex-M4", or "part 0xC2F" when unknown. */
  core: string;
  variant: number;
  revision: number;
  /** 'ARMv6-M' (arch 0xC) or 'ARMv7-M/ARMv8-M' (0xF). */
  architecture: string;
}

const ARM_PARTS: Record<number, string> = {
  0xc20: 'Cortex-M0', 0xc60: 'Cortex-M0+', 0xc21: 'Cortex-M1', 0xc23: 'Cortex-M3', 0xc24: 'Cortex-M4', 0xc27: 'Cortex-M7',
  0xd20: 'Cortex-M23', 0xd21: 'Cortex-M33', 0xd22: 'Cortex-M55', 0xd23: 'Cortex-M85', 0xd31: 'Cortex-M35P', 0xd24: 'Cortex-M52',
};
const IMPLEMENTERS: Record<number, string> = { 0x41: 'Arm', 0x63: 'Arm China' };

export function decodeCpuId(v: number): CpuId {
  const implementer = (v >>> 24) & 0xff;
  const part = (v >>> 4) & 0xfff;
  const arch = (v >>> 16) & 0xf;
  return {
    raw: v >>> 0, implementer, implementerName: IMPLEMENTERS[implementer] ?? `implementer 0x${implementer.toString(16)}`, part,
    core: (implementer === 0x41 ? ARM_PARTS[part] : undefined) ?? `part 0x${part.toString(16).toUpperCase()}`,
    variant: (v >>> 20) & 0xf, revision: v & 0xf,
    architecture: arch === 0xc ? 'ARMv6-M' : arch === 0xf ? 'ARMv7-M/ARMv8-M' : `architecture 0x${arch.toString(16)}`,
  };
}

/** `r0p1` style, as the TRMs write it. */
export function cpuRevision(c: CpuId): string {
  return `r${c.variant}p${c.revision}`;
}
