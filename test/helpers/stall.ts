// A device that goes quiet in the middle of an operation: wraps the HOST end of a link, and
// once the host has sent what `trigger` recognises (an erase command, a block of data), lets
// `pass` more answers through and then holds every further answer back, as a chip busy with
// a long erase does. Tests abort at that point and check the wait is cut short.
import type { ByteStream, PacketDevice } from '../../src/link/types.js';

export interface StallOptions {
  /** True for the host write after which the device goes quiet. */
  trigger: (sent: Uint8Array) => boolean;
  /** Answers still delivered after the trigger (an ACK the device sends before it starts working). */
  pass?: number;
}

interface Gate {
  onSent(data: Uint8Array): void;
  lets(): boolean;
  stalled: Promise<void>;
}

function gate(o: StallOptions): Gate {
  let armed = false;
  let passed = 0;
  let fire!: () => void;
  const stalled = new Promise<void>((r) => { fire = r; });
  return {
    stalled,
    onSent: (d) => { if (!armed && o.trigger(d)) { armed = true; fire(); } },
    lets: () => !armed || passed++ < (o.pass ?? 0),
  };
}

export function stallingStream(host: ByteStream, o: StallOptions): { stream: ByteStream; stalled: Promise<void> } {
  const g = gate(o);
  let listener: ((c: Uint8Array) => void) | undefined;
  host.onData((c) => { if (g.lets()) listener?.(c); });
  const stream: ByteStream = {
    write: (d) => { g.onSent(d); return host.write(d); },
    onData: (l) => { listener = l; },
    onClose: (l) => host.onClose(l),
    close: () => host.close(),
  };
  return { stream, stalled: g.stalled };
}

export function stallingDevice(host: PacketDevice, o: StallOptions): { device: PacketDevice; stalled: Promise<void> } {
  const g = gate(o);
  let listener: ((p: Uint8Array) => void) | undefined;
  host.onPacket((p) => { if (g.lets()) listener?.(p); });
  const device: PacketDevice = {
    maxPacketSize: host.maxPacketSize,
    write: (p) => { g.onSent(p); return host.write(p); },
    onPacket: (l) => { listener = l; },
    onClose: (l) => host.onClose(l),
    close: () => host.close(),
  };
  return { device, stalled: g.stalled };
}

/** Whether `d` starts with `prefix`. */
export function startsWith(d: Uint8Array, ...prefix: number[]): boolean {
  return prefix.every((b, i) => d[i] === b);
}
