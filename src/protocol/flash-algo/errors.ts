import type { ErrorContext } from '../../core/errors.js';
import { FlashwrightError } from '../../core/errors.js';
import { formatSize, hex } from '../../core/format.js';
import type { FaultStatus } from '../../arch/cortex-m.js';

/** The algorithm file or descriptor is malformed or incomplete. */
export class AlgorithmFormatError extends FlashwrightError {
  constructor(source: string, message: string, context: ErrorContext = {}, hint?: string) {
    super('ALGO_FORMAT', `${source}: ${message}`, {
      hint: hint ?? 'Use a CMSIS-Pack .FLM from the device family pack, or a descriptor made by `flashwright algo import-pyocd`.',
      context: { source, ...context },
    });
  }
}

/** Which kind of algorithm a message is about (an external loader's functions have other names and answer 1 = OK). */
export type AlgorithmKind = 'cmsis' | 'stldr';

const STLDR_FAILED_HINTS: Record<string, string> = {
  Init: 'The loader\'s Init returned LOADER_FAIL (0): its memory interface did not come up — check the QSPI/OSPI pins, clocks and the memory\'s ID read in Init against the board.',
  Write: 'The loader\'s Write returned LOADER_FAIL (0): the memory refused the program (not erased, write-protected, or a wrong command/address size in the driver).',
  SectorErase: 'The loader\'s SectorErase returned LOADER_FAIL (0): the memory may be write-protected (status-register block protection bits) or the erase command is wrong.',
  MassErase: 'The loader\'s MassErase returned LOADER_FAIL (0): the memory may be write-protected (status-register block protection bits).',
  Read: 'The loader\'s Read returned LOADER_FAIL (0).',
};

/** An algorithm function returned a failure code. */
export class AlgorithmFailedError extends FlashwrightError {
  constructor(fn: string, entry: number, result: number, args: number[], kind: AlgorithmKind = 'cmsis') {
    const argText = args.map((a) => hex(a)).join(', ');
    if (kind === 'stldr') {
      super('ALGO_FAILED', `The external loader's ${fn}(${argText}) at ${hex(entry)} returned ${result} (${hex(result)}; 1 = LOADER_OK, 0 = LOADER_FAIL).`, {
        hint: STLDR_FAILED_HINTS[fn] ?? 'Check that the external loader matches the board.',
        context: { function: fn, entry, result, args, convention: kind },
      });
      return;
    }
    super('ALGO_FAILED', `The flash algorithm's ${fn}(${argText}) at ${hex(entry)} returned ${result} (${hex(result)}).`, {
      hint: fn === 'ProgramPage' ? 'The page may not have been erased, or the flash is write-protected; erase first or check the protection bits.'
        : fn === 'EraseSector' || fn === 'EraseChip' ? 'The flash may be protected or locked; check the chip\'s protection settings.'
          : fn === 'Init' ? 'The algorithm may not match this chip (wrong clock, wrong flash controller); check --algo and --target.'
            : 'Check that the algorithm matches the chip.',
      context: { function: fn, entry, result, args },
    });
  }
}

/** Registers and fault status read when an algorithm misbehaved. */
export interface CoreSnapshot {
  pc?: number;
  lr?: number;
  sp?: number;
  xpsr?: number;
  faults?: FaultStatus | undefined;
}

function describeSnapshot(s: CoreSnapshot): string {
  const parts = [`PC=${s.pc === undefined ? '?' : hex(s.pc)}`, `LR=${s.lr === undefined ? '?' : hex(s.lr)}`, `xPSR=${s.xpsr === undefined ? '?' : hex(s.xpsr)}`];
  if (s.faults) {
    const names = [...s.faults.decoded.hfsr, ...s.faults.decoded.cfsr];
    parts.push(`CFSR=${hex(s.faults.cfsr)} HFSR=${hex(s.faults.hfsr)} DFSR=${hex(s.faults.dfsr)}${names.length ? ` [${names.join(', ')}]` : ''}`);
    if (s.faults.bfar !== undefined) parts.push(`BFAR=${hex(s.faults.bfar)}`);
    if (s.faults.mmfar !== undefined) parts.push(`MMFAR=${hex(s.faults.mmfar)}`);
  }
  return parts.join(' ');
}

/** The algorithm did not come back to its return breakpoint within its timeout. */
export class AlgorithmTimeoutError extends FlashwrightError {
  constructor(fn: string, entry: number, timeoutMs: number, snapshot: CoreSnapshot, kind: AlgorithmKind = 'cmsis') {
    const what = kind === 'stldr' ? 'external loader' : 'flash algorithm';
    super('ALGO_TIMEOUT', `The ${what}'s ${fn} at ${hex(entry)} did not return within ${timeoutMs} ms; halted it at ${describeSnapshot(snapshot)}.`, {
      hint: kind === 'stldr'
        ? (fn === 'Init'
          ? 'The loader\'s Init never returned. Under a debugger no SysTick interrupt reaches it, so a HAL_Delay/HAL_GetTick that waits for ticks spins for ever (ST\'s loaders replace both with plain loops); otherwise it waits on a clock (HSE/PLL ready) or a memory that never answers.'
          : `The loader's ${fn} did not finish: it may poll the memory's busy bit on a memory that never answers, or wait for ticks that never come (HAL_Delay without SysTick).`)
        : 'The algorithm may be waiting on a flash controller that never becomes ready (wrong chip, clock not running, flash locked) or be stuck in a fault handler.',
      context: { function: fn, entry, timeoutMs, ...snapshot, ...(kind === 'stldr' ? { convention: kind } : {}) },
    });
  }
}

/** The core halted somewhere other than the return breakpoint (a fault or a stray breakpoint). */
export class AlgorithmCrashedError extends FlashwrightError {
  constructor(fn: string, entry: number, snapshot: CoreSnapshot, why: string, kind: AlgorithmKind = 'cmsis') {
    super('ALGO_CRASHED', `The ${kind === 'stldr' ? 'external loader' : 'flash algorithm'}'s ${fn} at ${hex(entry)} ${why}: ${describeSnapshot(snapshot)}.`, {
      hint: kind === 'stldr'
        ? 'The faulting PC is in the loader (look it up with arm-none-eabi-addr2line -e loader.stldr ADDRESS). Common causes: code or data linked outside the RAM it runs in, a HAL call that needs an interrupt or a peripheral clock the loader never enabled, or a stack too small (--algo-stack).'
        : 'The algorithm may not match this chip or its RAM layout; check the stack size and that --algo fits the target.',
      context: { function: fn, entry, ...snapshot, ...(kind === 'stldr' ? { convention: kind } : {}) },
    });
  }
}

/** The algorithm's code, stack and page buffers do not fit the target RAM. */
export class AlgorithmRamError extends FlashwrightError {
  constructor(needed: number, ram: { start: number; size: number }, parts: Record<string, number>) {
    const detail = Object.entries(parts).map(([k, v]) => `${k} ${formatSize(v)}`).join(' + ');
    super('ALGO_RAM', `The flash algorithm needs ${formatSize(needed)} of RAM (${detail}) but ${hex(ram.start)}–${hex(ram.start + ram.size - 1)} has only ${formatSize(ram.size)}.`, {
      hint: 'Use a target description with the right RAM size, a smaller --algo stack, or an algorithm with a smaller page buffer.',
      context: { needed, ramStart: ram.start, ramSize: ram.size, ...parts },
    });
  }
}

/** Data to be written lies outside the flash the algorithm can program. */
export class AlgorithmRangeError extends FlashwrightError {
  constructor(address: number, length: number, flash: { start: number; size: number }, name: string) {
    super('ALGO_RANGE', `${hex(address)}–${hex(address + length - 1)} lies outside the flash the algorithm '${name}' programs (${hex(flash.start)}–${hex(flash.start + flash.size - 1)}).`, {
      hint: 'Check the image addresses and that --algo is the right algorithm for this memory (internal flash vs. external QSPI).',
      context: { address, length, flashStart: flash.start, flashSize: flash.size, algorithm: name },
    });
  }
}

/** The algorithm overwrote the guard word below its stack. */
export class AlgorithmStackError extends FlashwrightError {
  constructor(fn: string, canaryAddress: number, found: number, expected: number) {
    super('ALGO_STACK_OVERFLOW', `The flash algorithm's ${fn} overflowed its stack: the guard word at ${hex(canaryAddress)} reads ${hex(found)} instead of ${hex(expected)}.`, {
      hint: 'Give the algorithm a larger stack (--algo-stack) or more RAM.',
      context: { function: fn, canaryAddress, found, expected },
    });
  }
}
