/**
 * The contract's QEMU way in: the real GdbProgrammer with our nRF51 NVMC flash algorithm
 * (an .FLM built here) against QEMU's micro:bit through its GDB stub. The rig's view of the
 * device does not go through the stub under test: it is QEMU's own monitor (`pmemsave`) for
 * reads and QEMU's generic loader (at start) for older contents, so a record is checked
 * against what QEMU's flash really holds. QEMU starts on first use, after any `load`.
 */
import { openTcp } from '../../src/link/node-tcp.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';
import { loadFlm } from '../../src/protocol/flash-algo/flm.js';
import { findTarget } from '../../src/target/lookup.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { startQemu, type QemuInstance } from '../gdb/qemu.js';
import type { Rig } from './rigs.js';

export const QEMU_PEERS = needs('qemu-system-arm', 'arm-none-eabi-gcc');

/** nRF51822 flash: 256 KiB from 0 in 1 KiB pages (nRF51 Series Reference Manual v3.0, §6 NVMC); UICR is left alone. */
const FLASH = { start: 0, size: 0x40000 };

/** `flm`: an algorithm built already (property tests start many instances); else one is built here. */
export function qemuRig(flm?: { path: string; data: Uint8Array }): Rig {
  const tc = flm ? undefined : new Toolchain();
  flm ??= tc!.flm();
  const preload: Array<{ address: number; data: Uint8Array }> = [];
  let started: Promise<QemuInstance> | undefined;
  const qemu = () => (started ??= startQemu('microbit', { monitor: true, preload }));
  const programmer = new GdbProgrammer({
    open: async () => { const q = await qemu(); return openTcp({ host: '127.0.0.1', port: q.port }); },
    description: 'qemu microbit', target: findTarget('nrf51822'), algorithm: loadFlm(flm.data, flm.path),
  });
  const read = async (a: number, n: number) => (await qemu()).physical(a, n);
  return {
    name: 'qemu-microbit', programmer,
    state: async () => Buffer.from(await read(FLASH.start, FLASH.size)).toString('base64'),
    read,
    load: (address, data) => {
      if (started) throw new Error('qemu rig: load() only before first use (it goes in through the loader at start)');
      preload.push({ address, data: data.slice() });
    },
    area: { start: 0x8000, size: 0x4000, sector: 0x400, erased: 0xff },
    // Over GDB (all-stop) the runner programs two pages per resume and reports once per pair:
    // the contract image's first two sectors are one event, so cancel there (before the last piece).
    cancelAt: 1,
    async dispose() {
      try { await programmer.close(); } catch { /* already closed by the test */ }
      if (started) await (await started).stop();
      tc?.cleanup();
    },
  };
}
