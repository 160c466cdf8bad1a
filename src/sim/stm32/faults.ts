/**
 * Link faults for the simulated bootloader: what a flaky USB-serial adapter, a loose wire
 * or a brown-out does to a UART conversation. Counters are 1-based and count bytes (or
 * ACKs) from the moment the fault is set; each fault fires once and clears itself.
 */
import { ACK } from '../../protocol/stm32-uart/commands.js';
import type { ByteStream } from '../../link/types.js';

export interface Stm32LinkFaults {
  /** Host → device: the Nth byte is lost. */
  dropToDevice?: number;
  /** Host → device: the Nth byte arrives with its bits inverted. */
  corruptToDevice?: number;
  /** Host → device: the Nth byte arrives twice. */
  duplicateToDevice?: number;
  /** Device → host: the Nth byte is lost. */
  dropToHost?: number;
  /** Device → host: the Nth byte arrives with its bits inverted. */
  corruptToHost?: number;
  /** Device → host: the Nth byte arrives twice. */
  duplicateToHost?: number;
  /** A stray 0x00 (a framing error on a glitching line) goes out before the Nth ACK. */
  strayZeroBeforeAck?: number;
  /** The device resets right after receiving the Nth byte (brown-out, NRST glitch). */
  resetAfterBytes?: number;
}

/** Counts down a 1-based fault counter; true when it fires. */
function fires(faults: Stm32LinkFaults, key: keyof Stm32LinkFaults): boolean {
  const n = faults[key];
  if (n === undefined) return false;
  if (n <= 1) { delete faults[key]; return true; }
  faults[key] = n - 1;
  return false;
}

export class FaultyLink {
  faults: Stm32LinkFaults = {};
  /** Faults that fired, in order, for test assertions and logs. */
  readonly fired: string[] = [];

  constructor(private readonly stream: ByteStream, deliver: (byte: number) => void, onReset: () => void) {
    stream.onData((chunk) => {
      for (const b of chunk) {
        if (fires(this.faults, 'dropToDevice')) { this.fired.push('dropToDevice'); continue; }
        let v = b;
        if (fires(this.faults, 'corruptToDevice')) { this.fired.push('corruptToDevice'); v = ~b & 0xff; }
        deliver(v);
        if (fires(this.faults, 'duplicateToDevice')) { this.fired.push('duplicateToDevice'); deliver(v); }
        if (fires(this.faults, 'resetAfterBytes')) { this.fired.push('resetAfterBytes'); onReset(); }
      }
    });
  }

  /** Sends one burst from the device, applying device → host faults. */
  send(bytes: Uint8Array): Promise<void> {
    const out: number[] = [];
    for (const b of bytes) {
      if (b === ACK && fires(this.faults, 'strayZeroBeforeAck')) { this.fired.push('strayZeroBeforeAck'); out.push(0x00); }
      if (fires(this.faults, 'dropToHost')) { this.fired.push('dropToHost'); continue; }
      let v = b;
      if (fires(this.faults, 'corruptToHost')) { this.fired.push('corruptToHost'); v = ~b & 0xff; }
      out.push(v);
      if (fires(this.faults, 'duplicateToHost')) { this.fired.push('duplicateToHost'); out.push(v); }
    }
    if (out.length === 0) return Promise.resolve();
    return this.stream.write(new Uint8Array(out)).catch(() => undefined);
  }
}
