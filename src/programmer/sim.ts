/**
 * The in-process `sim` way in: a Programmer over a SimMemory, with a CRC-32 device digest so
 * unchanged sectors are skipped and writes verified without reading back. Used by
 * `--via sim` and by the engine's tests; fault injection happens on the NOR models.
 */
import { crc32 } from '../core/crc.js';
import { throwIfAborted } from '../core/errors.js';
import { hex } from '../core/format.js';
import { nextTurn } from '../core/macrotask.js';
import type { SimMemory } from '../sim/sim-memory.js';
import { forEachChunk } from '../link/chunks.js';
import { SimAccessError } from '../sim/sim-memory.js';
import { inConnectPhase, type CallContext } from './events.js';
import type { DeviceDigest, DeviceInfo, OperationOptions, Programmer } from './types.js';

export interface SimProgrammerOptions {
  /** Offer a mass erase (default true). */
  chipErase?: boolean;
  /** Offer the CRC-32 digest (default true); without it the engine reads back. */
  digest?: boolean;
  /** Report the device as read-protected (reads then fail, as on a protected chip). */
  readProtected?: boolean;
}

/** One call the engine made, for tests and the `--json` trace. */
export type SimCall =
  | { op: 'read' | 'program' | 'write' | 'digest'; address: number; length: number }
  | { op: 'erase'; sectors: number[] }
  | { op: 'erase-chip' }
  | { op: 'reset'; mode: 'run' | 'halt' }
  | { op: 'run'; address?: number | undefined };

/** Bytes the simulated way in programs per step (as a bootloader's write command would). */
const SIM_PROGRAM_BLOCK = 256;

export class SimProgrammer implements Programmer {
  readonly kind = 'sim';
  readonly digest?: DeviceDigest;
  /** In-process memory: reads cost nothing and cannot be garbled. */
  readonly cheapReads = true;
  readonly checkedReads = true;
  readonly eraseChip?: (options?: OperationOptions) => Promise<void>;
  /** Every device operation, in order. */
  readonly calls: SimCall[] = [];
  /** Set by `run`. */
  lastRun?: { address?: number | undefined };
  private closed = false;

  constructor(readonly memory: SimMemory, private readonly options: SimProgrammerOptions = {}) {
    if (options.digest ?? true) {
      this.digest = {
        name: 'CRC-32 (simulated device)',
        alignment: 4,
        local: (data) => crc32(data),
        remote: async (address, length, opts) => {
          this.ready(opts?.signal);
          this.calls.push({ op: 'digest', address, length });
          return crc32(this.memory.read(address, length));
        },
      };
    }
    if (options.chipErase ?? true) {
      this.eraseChip = async (opts) => {
        this.ready(opts?.signal);
        this.calls.push({ op: 'erase-chip' });
        this.memory.eraseAllFlash();
      };
    }
  }

  async connect(context: CallContext = {}): Promise<DeviceInfo> {
    return inConnectPhase(context, `Connecting to the simulated ${this.memory.target.name}`, async () => this.describe(context.signal));
  }

  /** What connect reports: reads the simulated device only. */
  private describe(signal: AbortSignal | undefined): DeviceInfo {
    this.ready(signal);
    const target = this.memory.target;
    const wp = this.memory.regions.flatMap((r) => r.nor?.protectedSectors ?? []);
    const unconfigured = this.memory.regions.filter((r) => r.region.needsConfiguration && !r.configured).map((r) => r.region.name);
    return {
      target,
      ...(unconfigured.length ? { unconfiguredRegions: unconfigured } : {}),
      ids: { simulated: target.name },
      protection: {
        readProtected: this.options.readProtected ?? false,
        description: this.options.readProtected ? 'read-protected (simulated)' : wp.length ? `${wp.length} sector(s) write-protected` : 'none',
        writeProtectedSectors: wp,
      },
      details: {
        modeledMs: this.memory.clock.nowMs,
        regions: this.memory.regions.map((r) => ({ name: r.region.name, kind: r.region.kind, configured: r.configured })),
      },
    };
  }

  async readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    this.ready(options.signal);
    if (this.options.readProtected) {
      throw new SimAccessError('SIM_READ_ONLY', `The simulated device is read-protected: reading ${hex(address)} is refused.`, { address, length });
    }
    this.calls.push({ op: 'read', address, length });
    const data = this.memory.read(address, length);
    options.onProgress?.(length);
    return data;
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    this.ready(options.signal);
    this.calls.push({ op: 'erase', sectors: sectors.map((s) => s.address) });
    let done = 0;
    for (const s of sectors) {
      // Each sector is its own wait on real silicon: the event loop runs (a signal lands) in it.
      await nextTurn();
      throwIfAborted(options.signal, 'erase');
      this.memory.eraseSector(s.address);
      done += s.size;
      options.onProgress?.(done);
    }
  }

  async programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    this.ready(options.signal);
    this.calls.push({ op: 'program', address, length: data.length });
    // In blocks, reporting each, as real ways in do: a fault part-way leaves an exact record.
    // Each block yields to the event loop first, as a device's write command takes time: a
    // signal during the write stops it at a block boundary with a true record.
    await forEachChunk(data.length, SIM_PROGRAM_BLOCK, async (done, n) => {
      await nextTurn();
      throwIfAborted(options.signal, 'write');
      this.memory.program(address + done, data.subarray(done, done + n));
    }, {
      signal: options.signal, what: 'write', onProgress: (n) => { options.onProgress?.(n); options.onCommitted?.(n); },
    });
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    this.ready(options.signal);
    this.calls.push({ op: 'write', address, length: data.length });
    this.memory.write(address, data);
    options.onProgress?.(data.length);
  }

  async run(address?: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.ready(options.signal);
    this.calls.push({ op: 'run', address });
    this.lastRun = { address };
  }

  /** The simulated chip resets: memory stays, the call is recorded. */
  async reset(mode: 'run' | 'halt', options: { signal?: AbortSignal } = {}): Promise<string> {
    this.ready(options.signal);
    this.calls.push({ op: 'reset', mode });
    return `simulated ${mode === 'halt' ? 'reset and halt' : 'reset'}`;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private ready(signal?: AbortSignal): void {
    throwIfAborted(signal);
    if (this.closed) throw new SimAccessError('SIM_STATE', 'The simulated device was closed.', {});
  }
}
