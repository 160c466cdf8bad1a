/**
 * CoreAccess: debug-level control of one CPU core. The flash-algorithm runner sits on top
 * of it and does not care whether a GDB server, a CMSIS-DAP probe or a test double is
 * underneath. Registers use the Cortex-M names (r0–r12, sp, lr, pc, xpsr).
 */
import { FlashwrightError, type ErrorDetails } from '../core/errors.js';

/**
 * The core could not be reset the way asked (no reset command the debugger knows); callers
 * that only wanted a clean start may carry on after a plain halt.
 */
export class ResetUnsupportedError extends FlashwrightError {
  constructor(code: 'GDB_RESET' | 'RESET_UNSUPPORTED', message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

/** Core registers every implementation must provide. */
export type CoreRegister =
  | 'r0' | 'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'r7' | 'r8' | 'r9' | 'r10' | 'r11' | 'r12'
  | 'sp' | 'lr' | 'pc' | 'xpsr';

export interface CoreOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((bytesDone: number) => void) | undefined;
  /** Bus access width the memory needs (1, 2; default 4), where the implementation can choose it (CMSIS-DAP). */
  accessWidth?: 1 | 2 | 4 | undefined;
}

export interface RegisterWriteOptions extends CoreOptions {
  /**
   * Registers not listed may be overwritten with stale values (the caller is about to call
   * a function and needs none of them); lets a GDB core skip reading the block first.
   */
  othersAreScratch?: boolean;
}

export interface HaltWaitOptions extends CoreOptions {
  /**
   * Words to read once the core has halted (e.g. a stack guard), returned in
   * HaltState.words when the implementation can fetch them with the halt itself.
   */
  readWords?: readonly number[] | undefined;
}

/** Why the core stopped. */
export interface HaltState {
  /** 'breakpoint' / 'step' for a debug halt, 'interrupted' after halt(), 'signal' otherwise. */
  reason: 'breakpoint' | 'interrupted' | 'signal';
  /** Program counter at the halt, when the implementation learnt it cheaply. */
  pc?: number | undefined;
  /** Implementation detail (GDB stop reply, DHCSR value…). */
  detail?: string;
  /** The words HaltWaitOptions.readWords asked for, read at the halt (absent: read them yourself). */
  words?: number[] | undefined;
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
  /**
   * writeRegisters touches only the registers it is given (othersAreScratch changes
   * nothing), so a caller may leave out registers that still hold the values it wants.
   */
  readonly registersWrittenSingly?: boolean;
  /**
   * Changes whenever the core may have run or its registers changed (resume, step, reset,
   * halt, register writes): a caller that knows what a function it called preserved (the
   * AAPCS callee-saved registers and SP) can trust that only while this stays the same.
   */
  readonly registerEpoch?: number;
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
  waitForHalt(timeoutMs: number, options?: HaltWaitOptions): Promise<HaltState>;
  setBreakpoint(address: number, options?: CoreOptions): Promise<void>;
  clearBreakpoint(address: number, options?: CoreOptions): Promise<void>;
  /** Resets the chip; `halt` keeps the core stopped at the reset vector. */
  reset(mode: 'halt' | 'run', options?: CoreOptions): Promise<void>;
  /** Ends the session; `resume` lets the target run on (detach) instead of staying halted. */
  close(options?: { resume?: boolean }): Promise<void>;
}
