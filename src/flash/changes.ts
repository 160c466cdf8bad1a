/**
 * Unlocks and protections as plan operations: which of the requested changes the way in
 * offers and which apply to this device (nothing to unlock on an open chip), what the
 * device looks like once the unlocks have run, and the resulting refusal when a way in does
 * not offer what was asked. Reads nothing and changes nothing.
 */
import { FlashwrightError } from '../core/errors.js';
import type { DeviceChange, DeviceChangeKind, DeviceInfo, Programmer } from '../programmer/types.js';

/** An unlock or protection that ran, as the summary and JSON report it. */
export interface ChangeReport {
  kind: DeviceChangeKind;
  description: string;
  destroys?: string;
}

export function changeReport(c: DeviceChange): ChangeReport {
  return { kind: c.kind, description: c.description, ...(c.destroys ? { destroys: c.destroys } : {}) };
}

/** Unlocks first (in this order), protections last. */
const ORDER: readonly DeviceChangeKind[] = ['backdoor-unlock', 'mass-erase-unsecure', 'read-unprotect', 'write-unprotect', 'read-protect'];

/** The user asked for a change this way in cannot make. */
export class ChangeUnsupportedError extends FlashwrightError {
  constructor(kind: DeviceChangeKind, programmer: Programmer) {
    super('CHANGE_UNSUPPORTED', `The ${programmer.kind} way in cannot ${kind.replace(/-/g, ' ')}.`, {
      hint: programmer.changes?.length ? `It offers: ${programmer.changes.join(', ')}.` : 'It offers no unlocks or protections.',
      context: { change: kind, via: programmer.kind },
    });
  }
}

/**
 * The changes a write will make, in order, each described against the device as the
 * previous ones leave it. A change with nothing to do (unprotect on an open chip) is left out.
 */
export function planChanges(programmer: Programmer, device: DeviceInfo, requested: readonly DeviceChangeKind[]): DeviceChange[] {
  const wanted = ORDER.filter((k) => requested.includes(k));
  for (const k of wanted) if (!programmer.changes?.includes(k) || !programmer.describeChange) throw new ChangeUnsupportedError(k, programmer);
  const out: DeviceChange[] = [];
  let d = device;
  for (const k of wanted) {
    const c = programmer.describeChange!(k, d);
    if (!c) continue;
    out.push(c);
    d = { ...d, protection: c.protectionAfter };
  }
  return out;
}

/** The device as the unlocks leave it (protection state), for planning the rest of the write. */
export function deviceAfterUnlocks(device: DeviceInfo, changes: readonly DeviceChange[]): DeviceInfo {
  const last = [...changes].reverse().find((c) => c.stage === 'unlock');
  return last ? { ...device, protection: last.protectionAfter } : device;
}

/** Whether a sector lies wholly inside memory an unlock mass-erases. */
export function erasedByUnlock(changes: readonly DeviceChange[], sector: { address: number; size: number }): boolean {
  return changes.some((c) => c.stage === 'unlock' && (c.erases ?? []).some((e) => sector.address >= e.start && sector.address + sector.size <= e.start + e.size));
}
