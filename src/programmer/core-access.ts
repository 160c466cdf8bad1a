/**
 * CoreAccess: debug-level control of one CPU core. The flash-algorithm runner sits on top
 * of it and does not care whether a GDB server, a CMSIS-DAP probe or a test double is
 * underneath. Registers use the Cortex-M names (r0–r12, sp, lr, pc, xpsr).
 */

/** Core registers every implementation must provide. */
export type CoreRegister =
  | 'r0' | 'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'r7' | 'r8' | 'r9' | 'r10' | 'r11' | 'r12'
  | 'sp' | 'lr' | 'pc' | 'xpsr';

export interface CoreOptions {
  signal?: AbortSignal;
  onProgress?: (bytesDone: number) => void;
}

export interface RegisterWriteOptions extends CoreOptions {
  /**
   * Registers not listed may be overwritten with stale values (the caller is about to call
   * a function and needs none of them); lets a GDB core skip reading the block first.
   */
  othersAreScratch?: boolean;
}

/** Why the core stopped. */
export interface HaltState {
  /** 'breakpoint' / 'step' for a debug halt, 'interrupted' after halt(), 'signal' otherwise. */
  reason: 'breakpoint' | 'interrupted' | 'signal';
  /** Program counter at the halt, when the implementation learnt it cheaply. */
  pc?: number;
  /** Implementation detail (GDB stop reply, DHCSR value…). */
  detail?: string;
}

export interface CoreAccess {
  /** "GDB server localhost:3333", "CMSIS-DAP …". */
  readonly description: string;
  /**
   * Whether memory can be read and written while the core runs (CMSIS-DAP over the AHB-AP
   * can; a GDB server in all-stop mode cannot). The flash-algorithm runner overlaps buffer
   * loads with ProgramPage only when this is true.
   */
  readonly memoryAccessWhileRunning: boolean;
  readMemory(address: number, length: number, options?: CoreOptions): Promise<Uint8Array>;
  writeMemory(address: number, data: Uint8Array, options?: CoreOptions): Promise<void>;
  readRegister(name: CoreRegister, options?: CoreOptions): Promise<number>;
  /** Writes several registers, in as few transactions as the transport allows. */
  writeRegisters(values: Partial<Record<CoreRegister, number>>, options?: RegisterWriteOptions): Promise<void>;
  /** Stops the core (no-op when halted). */
  halt(options?: CoreOptions): Promise<HaltState>;
  /** Lets the core run from its current PC. */
  resume(options?: CoreOptions): Promise<void>;
  /** Waits until the core halts; rejects with TimeoutError (the core keeps running). */
  waitForHalt(timeoutMs: number, options?: CoreOptions): Promise<HaltState>;
  setBreakpoint(address: number, options?: CoreOptions): Promise<void>;
  clearBreakpoint(address: number, options?: CoreOptions): Promise<void>;
  /** Resets the chip; `halt` keeps the core stopped at the reset vector. */
  reset(mode: 'halt' | 'run', options?: CoreOptions): Promise<void>;
  /** Ends the session; `resume` lets the target run on (detach) instead of staying halted. */
  close(options?: { resume?: boolean }): Promise<void>;
}

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
export interface FaultStatus {
  cfsr: number;
  hfsr: number;
  dfsr: number;
  /** MemManage fault address, when CFSR.MMARVALID says it is valid. */
  mmfar?: number;
  /** Bus fault address, when CFSR.BFARVALID says it is valid. */
  bfar?: number;
  decoded: { cfsr: string[]; hfsr: string[]; dfsr: string[] };
}

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
