/**
 * A debug target as the simulated probe sees it: the SWD wire, the DP behind it, the APs,
 * the nRESET pin. Built the same way for the in-process memory model and the QEMU bridge,
 * so both are reached through the same wire-level rules.
 */
import { CortexDebug, type CoreControl, type CortexProfile } from './cortex-m.js';
import { DebugPort, type AccessPort, type DpOptions } from './dp.js';
import { JtagTap } from './jtag-tap.js';
import { MemAp, type MemoryBus } from './mem-ap.js';
import { SwdTargetWire, type WireMode } from './swd-wire.js';

export interface DapTarget {
  readonly name: string;
  readonly wire: SwdTargetWire;
  readonly jtag: JtagTap;
  readonly dp: DebugPort;
  readonly debug: CortexDebug;
  /** Drives nRESET (true = asserted, low). */
  setReset(asserted: boolean): void | Promise<void>;
  /** Waits for anything the target still does asynchronously. */
  settle(): Promise<void>;
  /** After each probe command: work the target may defer no longer (combined writes to a running core). */
  endOfCommand(): Promise<void>;
  close(): Promise<void>;
}

export interface TargetParts {
  name: string;
  dp: DpOptions;
  apIdr: number;
  packed: boolean;
  profile: CortexProfile;
  core: CoreControl;
  memory: MemoryBus;
  /** More APs by number (a Kinetis MDM-AP is AP 1). */
  extraAps?: Map<number, AccessPort> | undefined;
  deviceEnabled?: () => boolean;
  /** SWJ-DP (starts in JTAG, switched by 0xE79E) or SW-DP only. */
  swj?: boolean;
  /** Starts in the dormant state (SWJ-DP v2 parts that power up dormant). */
  dormant?: boolean | undefined;
  /** JTAG IDCODE of the JTAG-DP (SWJ-DP only). */
  jtagIdcode?: number;
  setReset(asserted: boolean): void | Promise<void>;
  endOfCommand?(): Promise<void>;
  close?(): Promise<void>;
}

export function assembleTarget(p: TargetParts): DapTarget {
  const debug = new CortexDebug(p.core, p.memory, p.profile);
  const aps = new Map<number, AccessPort>([[0, new MemAp(debug, { idr: p.apIdr, romBase: p.profile.romTable, packed: p.packed, deviceEnabled: p.deviceEnabled, autoIncrementBlock: p.profile.tarBlock })]]);
  for (const [n, ap] of p.extraAps ?? []) aps.set(n, ap);
  const dp = new DebugPort(aps, p.dp);
  const mode: WireMode = p.dormant ? 'dormant' : p.swj ? 'jtag' : 'swd';
  const wire = new SwdTargetWire(dp, mode);
  const jtag = new JtagTap(dp, p.jtagIdcode ?? 0x4ba00477, () => wire.mode === 'jtag');
  return {
    name: p.name,
    wire,
    jtag,
    dp,
    debug,
    setReset: (a) => p.setReset(a),
    settle: () => dp.settle(),
    endOfCommand: async () => { await dp.settle(); await p.endOfCommand?.(); },
    close: async () => { await p.close?.(); },
  };
}
