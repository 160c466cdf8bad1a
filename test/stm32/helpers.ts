import { createPipe, type Pipe } from '../../src/link/pipe.js';
import { Stm32BootloaderSim, type Stm32SimOptions } from '../../src/sim/stm32/bootloader.js';
import { findStm32SimProfile } from '../../src/sim/stm32/profiles.js';
import { DEFAULT_TIMEOUTS, Stm32UartSession } from '../../src/protocol/stm32-uart/session.js';
import { Stm32UartProgrammer, type Stm32UartProgrammerOptions } from '../../src/programmer/stm32-uart.js';

/**
 * The session's real-hardware timeouts. The in-process simulator answers within microtasks,
 * so a success path never waits on them; a test that expects a timeout pays the wait (or
 * runs on virtual time, test/helpers/virtual-time.ts). Short deadlines here would make a
 * loaded machine fail success paths.
 */
export const TIMEOUTS = { ...DEFAULT_TIMEOUTS };

export interface Rig {
  pipe: Pipe;
  sim: Stm32BootloaderSim;
}

export function rig(chip: string, options: Partial<Stm32SimOptions> = {}): Rig {
  const pipe = createPipe();
  const sim = new Stm32BootloaderSim(pipe.device, { profile: findStm32SimProfile(chip)!, ...options });
  return { pipe, sim };
}

export async function session(r: Rig): Promise<Stm32UartSession> {
  const s = new Stm32UartSession(r.pipe.host, { timeouts: TIMEOUTS });
  await s.init();
  return s;
}

export function programmer(r: Rig, options: Partial<Stm32UartProgrammerOptions> = {}): Stm32UartProgrammer {
  return new Stm32UartProgrammer({ stream: r.pipe.host, session: { timeouts: TIMEOUTS }, resetWaitMs: 1, ...options });
}

/** Deterministic pseudo-random bytes. */
export function pattern(length: number, seed = 1): Uint8Array {
  let x = seed >>> 0 || 1;
  return new Uint8Array(length).map(() => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x & 0xff;
  });
}
