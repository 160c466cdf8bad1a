import { createPipe } from '../../src/link/pipe.js';
import { HidTransport } from '../../src/protocol/mcuboot/hid.js';
import { McubootSession } from '../../src/protocol/mcuboot/session.js';
import { UartTransport } from '../../src/protocol/mcuboot/transport.js';
import { mcubootChip } from '../../src/sim/mcuboot/chips.js';
import { McubootHidSim } from '../../src/sim/mcuboot/hid.js';
import { McubootSimTarget, type SimTargetOptions } from '../../src/sim/mcuboot/target.js';
import { McubootUartSim } from '../../src/sim/mcuboot/uart.js';

export function simTarget(chip: string, options: SimTargetOptions = {}): McubootSimTarget {
  const profile = mcubootChip(chip);
  if (!profile) throw new Error(`no chip ${chip}`);
  return new McubootSimTarget(profile, options);
}

/** A UART session against a simulated chip over the in-process pipe. */
export function uartRig(chip = 'MK64FN1M0', options: SimTargetOptions & { timeoutMs?: number } = {}) {
  const pipe = createPipe();
  const target = simTarget(chip, options);
  const sim = new McubootUartSim(pipe.device, target);
  const transport = new UartTransport(pipe.host, { timeoutMs: options.timeoutMs ?? 2000 });
  const session = new McubootSession(transport);
  return { pipe, target, sim, transport, session };
}

export function hidRig(chip = 'MK64FN1M0', reportSize = 64) {
  const target = simTarget(chip, { maxPacketSize: reportSize - 4 });
  const sim = new McubootHidSim(target, reportSize);
  const transport = new HidTransport(sim.host, { timeoutMs: 2000, padReports: true });
  const session = new McubootSession(transport);
  return { target, sim, transport, session };
}

/** Deterministic pseudo-random bytes. */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
