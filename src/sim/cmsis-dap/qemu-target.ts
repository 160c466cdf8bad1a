/**
 * The QEMU bridge: a simulated debug target whose core and memory are QEMU's (through its
 * GDB stub), so flash algorithms and OpenOCD's own flash drivers run on QEMU's Cortex-M
 * and QEMU microbit's nRF51 NVMC really erases and programs. The DP, AP and debug
 * registers are the same models as the in-process target's.
 * Chips: QEMU `microbit` (nRF51822, Cortex-M0, SW-DP) and `mps2-an385` (Cortex-M3, SWJ-DP).
 */
import type { ByteStream } from '../../link/types.js';
import { GdbClient } from '../../protocol/gdb-rsp/client.js';
import { QemuCore, type QemuMemoryLayout } from './qemu-core.js';
import { assembleTarget, type DapTarget } from './target.js';
import type { CortexProfile } from './cortex-m.js';

export type QemuChip = 'nrf51' | 'mps2-an385';
export const QEMU_CHIPS: readonly QemuChip[] = ['nrf51', 'mps2-an385'];

interface QemuChipProfile {
  layout: QemuMemoryLayout;
  profile: CortexProfile;
  dpidr: number;
  apIdr: number;
  swj: boolean;
}

const CHIPS: Record<QemuChip, QemuChipProfile> = {
  // nRF51822 (nRF51 Series Reference Manual v3.0: code flash 0x0–0x3FFFF, FICR 0x10000000, UICR 0x10001000, RAM 16 KiB at 0x20000000).
  'nrf51': {
    layout: {
      ram: [[0x20000000, 0x20004000]],
      memory: [[0x00000000, 0x00040000], [0x10000000, 0x10000100], [0x10001000, 0x10001100], [0x20000000, 0x20004000]],
      scratch: 0x20003ffe,
      // QEMU's FICR table pre-programs CLENR0 = 0x2000 (a protected code region 0) and maps only
      // 0x000–0x0FF; an nRF51822 as sold (and on the micro:bit) reads CLENR0 = 0xFFFFFFFF (no region 0),
      // and the rest of the FICR page reads erased (nRF51 Series Reference Manual v3.0 §6.1, §8).
      readOverride: (a) => (a === 0x10000028 || (a >= 0x10000100 && a < 0x10000400) ? 0xffffffff : undefined),
    },
    profile: { cpuid: 0x410cc200, fpbRev: 0, fpbComparators: 4, romTable: 0xf0000000, tarBlock: 0x400 },
    dpidr: 0x0bb11477, apIdr: 0x04770021, swj: false,
  },
  // Arm MPS2 AN385 (Cortex-M3): SSRAM1 at 0x0 (4 MiB), SSRAM2/3 at 0x20000000 (4 MiB), PSRAM at 0x21000000 (16 MiB).
  'mps2-an385': {
    layout: {
      ram: [[0x00000000, 0x00400000], [0x20000000, 0x20400000], [0x21000000, 0x22000000]],
      memory: [[0x00000000, 0x00400000], [0x20000000, 0x20400000], [0x21000000, 0x22000000]],
      scratch: 0x203ffffe,
    },
    profile: { cpuid: 0x410fc231, fpbRev: 0, fpbComparators: 6, romTable: 0xe00ff000, tarBlock: 0x1000 },
    dpidr: 0x2ba01477, apIdr: 0x24770011, swj: true,
  },
};

export interface QemuTargetOptions {
  chip: QemuChip;
  /** Opens the connection to the GDB stub (e.g. openTcp for `-gdb tcp::PORT`). */
  open: () => Promise<ByteStream>;
  description?: string;
  timeoutMs?: number;
}

export interface QemuTarget extends DapTarget {
  readonly core: QemuCore;
}

export async function createQemuTarget(options: QemuTargetOptions): Promise<QemuTarget> {
  const chip = CHIPS[options.chip];
  const client = new GdbClient(await options.open(), { timeoutMs: options.timeoutMs ?? 10000 });
  await client.connect();
  // QEMU stops the machine when a debugger attaches; ask why, so the stub is in a known state.
  await client.haltReason().catch(() => undefined);
  const core = new QemuCore(client, chip.layout);
  const t = assembleTarget({
    name: `${options.chip} via QEMU GDB stub${options.description ? ` ${options.description}` : ''}`,
    dp: { dpidr: chip.dpidr },
    apIdr: chip.apIdr,
    packed: options.chip !== 'nrf51',
    profile: chip.profile,
    core,
    memory: core,
    swj: chip.swj,
    // nRESET: a system reset (QEMU has no separate pin); held reset is not modelled.
    setReset: (asserted) => (asserted ? undefined : t.debug.externalReset()),
    endOfCommand: () => (core.isRunning ? core.flush().catch((e) => t.dp.noteBusError(e)) : Promise.resolve()),
    close: async () => {
      await core.flush().catch(() => undefined);
      // `disconnect` rather than detach: a detached QEMU resumes, and an empty target may lock up (TEST-PEERS.md).
      await client.close();
    },
  });
  return Object.defineProperty(t, 'core', { value: core, enumerable: true }) as QemuTarget;
}
