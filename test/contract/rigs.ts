/**
 * One rig per way in for the contract suite: the real Programmer over the real protocol
 * code against an in-process simulator (or fake server), plus direct access to the
 * simulated device's state — its memory (flash and option bytes) and security — so tests
 * can compare what the engine reported with what the device really holds.
 */
import { createPipe } from '../../src/link/pipe.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';
import type { Programmer } from '../../src/programmer/types.js';
import type { NorFaults } from '../../src/sim/nor-flash.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';
import { FakeGdbServer, QEMU_LIKE_XML } from '../gdb/fake-server.js';
import { hidRig, uartRig } from '../mcuboot/helpers.js';
import { programmer as stm32Programmer, rig as stm32Rig } from '../stm32/helpers.js';

type Awaitable<T> = T | Promise<T>;

export interface Rig {
  name: string;
  programmer: Programmer;
  /** The device's whole state (memory incl. option bytes, security), serialised for comparison. */
  state(): Awaitable<string>;
  /** Flash bytes as the device holds them. */
  read(address: number, length: number): Awaitable<Uint8Array>;
  /** Puts bytes into flash directly (as if an earlier build were there). */
  load(address: number, data: Uint8Array): void;
  /** Where random images go (clear of vector tables, flash configuration fields and bootloaders). */
  area: { start: number; size: number; sector: number; erased: number };
  /** Injects NOR faults into the flash (where the simulator models them). */
  faults?(f: NorFaults): void;
  /**
   * The program-phase progress event at which the cancel test aborts (default 2). A way in
   * that reports progress only per algorithm call pair (two pages at once) has fewer events.
   */
  cancelAt?: number;
  /** Stops what the rig started (an emulator process). */
  dispose?(): Promise<void>;
}

/** Puts old contents into a simulated flash as a device would hold them, bypassing the program rules. */
function loadInto(memory: SimMemory, address: number, data: Uint8Array): void {
  const nor = memory.nor('flash');
  const snap = nor.snapshot();
  nor.restore({ ...snap, chunks: [...snap.chunks, { address, data: data.slice() }] });
}

export type RigName = 'sim' | 'stm32-uart' | 'mcuboot-uart' | 'mcuboot-hid' | 'gdb-fake';
export const RIG_NAMES: readonly RigName[] = ['sim', 'stm32-uart', 'mcuboot-uart', 'mcuboot-hid', 'gdb-fake'];

const VFLASH_MAP = '<memory-map><memory type="flash" start="0x8000000" length="0x10000"><property name="blocksize">0x400</property></memory><memory type="ram" start="0x20000000" length="0x5000"/></memory-map>';

export function makeRig(name: RigName): Rig {
  switch (name) {
    case 'sim': {
      const memory = new SimMemory(requireTarget('stm32f103xb'));
      return {
        name, programmer: new SimProgrammer(memory),
        state: () => JSON.stringify(memory.snapshot()), read: (a, n) => memory.read(a, n), load: (a, d) => loadInto(memory, a, d),
        area: { start: 0x08001000, size: 0x4000, sector: 0x400, erased: 0xff },
        faults: (f) => { memory.nor('flash').faults = { ...f }; },
      };
    }
    case 'stm32-uart': {
      const r = stm32Rig('stm32f103xb');
      return {
        name, programmer: stm32Programmer(r),
        state: () => JSON.stringify({ memory: r.sim.memory.snapshot(), rdp: r.sim.readProtected }), read: (a, n) => r.sim.memory.read(a, n), load: (a, d) => loadInto(r.sim.memory, a, d),
        area: { start: 0x08001000, size: 0x4000, sector: 0x400, erased: 0xff },
        faults: (f) => { r.sim.flash.faults = { ...f }; },
      };
    }
    case 'mcuboot-uart':
    case 'mcuboot-hid': {
      const r = name === 'mcuboot-uart' ? uartRig('MK64FN1M0') : hidRig('MK64FN1M0');
      const memory = r.target.memory;
      return {
        name, programmer: new McubootProgrammer({ transport: r.transport, target: requireTarget('MK64FN1M0'), closeTransport: false }),
        state: () => JSON.stringify({ memory: memory.snapshot(), secure: r.target.secure }), read: (a, n) => memory.read(a, n), load: (a, d) => loadInto(memory, a, d),
        area: { start: 0x10000, size: 0x8000, sector: 0x1000, erased: 0xff },
        faults: (f) => { memory.nor('flash').faults = { ...f }; },
      };
    }
    case 'gdb-fake': {
      const pipe = createPipe();
      const server = new FakeGdbServer(pipe.device, { targetXml: QEMU_LIKE_XML, memoryMap: VFLASH_MAP, noAck: true });
      for (let a = 0x8000000; a < 0x8010000; a++) server.memory.set(a, 0xff);
      return {
        name, programmer: new GdbProgrammer({ open: async () => pipe.host, description: 'fake' }),
        state: () => JSON.stringify([...server.memory.entries()].sort((x, y) => x[0] - y[0])),
        read: (a, n) => Uint8Array.from({ length: n }, (_, i) => server.memory.get(a + i) ?? 0),
        load: (a, d) => d.forEach((b, i) => server.memory.set(a + i, b)),
        area: { start: 0x08001000, size: 0x4000, sector: 0x400, erased: 0xff },
      };
    }
  }
}
