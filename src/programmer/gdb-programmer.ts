/**
 * Programming through any GDB server. connect() picks one of three ways:
 *  - 'algorithm': a CMSIS flash algorithm (FLM / descriptor / pyOCD import) runs in target
 *    RAM through CoreAccess (works with every server, QEMU included);
 *  - 'vflash': the server programs flash itself (vFlashErase/vFlashWrite/vFlashDone),
 *    planned with the sector map the server publishes (OpenOCD, J-Link, pyOCD, BMP);
 *  - 'ram': plain memory writes, for RAM-only targets.
 * The flash engine plans; this class only moves bytes.
 */
import { crc32 } from '../core/crc.js';
import { FlashwrightError, throwIfAborted, UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { ByteStream } from '../link/types.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { layoutAreas } from '../protocol/flash-algo/layout.js';
import { FlashAlgoRunner } from '../protocol/flash-algo/runner.js';
import { GdbClient } from '../protocol/gdb-rsp/client.js';
import { gdbCrc32 } from '../protocol/gdb-rsp/commands.js';
import type { WireLogEntry } from '../protocol/gdb-rsp/connection.js';
import { GdbUnsupportedError } from '../protocol/gdb-rsp/errors.js';
import type { MemoryMapRegion } from '../protocol/gdb-rsp/xml.js';
import { regionAt, regionHolds } from '../target/geometry.js';
import type { TargetDescription } from '../target/types.js';
import { GdbCoreAccess, GdbResetError, type GdbCoreAccessOptions } from './gdb-core-access.js';
import { algorithmRam, targetForAlgorithm, targetForRamOnly, targetFromMemoryMap } from './gdb-target.js';
import type { DeviceDigest, DeviceInfo, OperationOptions, Programmer } from './types.js';

export type GdbStrategy = 'algorithm' | 'vflash' | 'ram';

export interface GdbProgrammerOptions extends GdbCoreAccessOptions {
  /** Opens the byte stream to the server (TCP socket, BMP serial port, test pipe). */
  open: (signal?: AbortSignal) => Promise<ByteStream>;
  /** "localhost:3333", for messages. */
  description: string;
  algorithm?: FlashAlgorithm;
  target?: TargetDescription;
  /** RAM for the algorithm when neither the algorithm nor the target says. */
  ram?: { start: number; size: number };
  /** Force a way ('auto' by default: algorithm if given, else vFlash if the server has a flash map, else RAM). */
  strategy?: GdbStrategy | 'auto';
  doubleBuffer?: boolean;
  stackSize?: number;
  /** Offer the on-target CRC-32 as the device digest with a flash algorithm (default true). */
  targetCrc?: boolean;
  /** Reset and halt before running the algorithm (default true; falls back to a plain halt). */
  resetOnConnect?: boolean;
  timeoutMs?: number;
  onWire?: (entry: WireLogEntry) => void;
  onConsole?: (text: string) => void;
}

export class GdbProgrammer implements Programmer {
  readonly kind = 'gdb';
  /** A debug probe reads memory far faster than flash erases and programs, and RSP packets carry checksums. */
  readonly cheapReads = true;
  readonly checkedReads = true;
  client?: GdbClient;
  core?: GdbCoreAccess;
  runner?: FlashAlgoRunner;
  strategy?: GdbStrategy;
  private map?: MemoryMapRegion[];
  private ran = false;
  private target?: TargetDescription;

  constructor(readonly options: GdbProgrammerOptions) {}

  private need(): { client: GdbClient; core: GdbCoreAccess } {
    if (!this.client || !this.core) throw new FlashwrightError('NOT_CONNECTED', 'The GDB programmer is not connected.', { hint: 'Call connect() first.' });
    return { client: this.client, core: this.core };
  }

  async connect(options: { signal?: AbortSignal } = {}): Promise<DeviceInfo> {
    const o = this.options;
    const stream = await o.open(options.signal);
    const client = new GdbClient(stream, { timeoutMs: o.timeoutMs, onWire: o.onWire, onConsole: o.onConsole });
    this.client = client;
    this.core = new GdbCoreAccess(client, `GDB server ${o.description}`, o);
    await client.connect(options);
    const stop = await client.haltReason(options);
    this.map = client.supports('qXfer:memory-map:read') ? await client.memoryMap(options) : undefined;
    const hasFlashMap = !!this.map?.some((r) => r.type === 'flash');
    const strategy: GdbStrategy = o.strategy && o.strategy !== 'auto' ? o.strategy : o.algorithm ? 'algorithm' : hasFlashMap ? 'vflash' : 'ram';
    if (strategy === 'vflash' && !hasFlashMap) {
      throw new GdbUnsupportedError('server-side flash programming (a memory map with flash regions and vFlash packets)', client.offered,
        'This server publishes no flash memory map (QEMU never does): pass --algo FILE.FLM|algo.json to program flash through a flash algorithm.');
    }
    if (strategy === 'algorithm' && !o.algorithm) throw new UsageError('The algorithm way in needs a flash algorithm.', { hint: 'Pass --algo FILE.FLM or algo.json.' });
    this.strategy = strategy;
    let target: TargetDescription;
    const details: Record<string, unknown> = {
      server: o.description, strategy, packetSize: client.packetSize, offered: client.offered, haltedBy: stop.raw,
    };
    if (strategy === 'algorithm') {
      const algo = o.algorithm as FlashAlgorithm;
      const ram = algorithmRam(algo, o.ram, o.target);
      // The target's other RAM regions may hold a fixed-placement algorithm's page buffers.
      const otherRam = (o.target?.regions ?? []).filter((r) => r.kind === 'ram' && r.start !== ram.start).map((r) => ({ start: r.start, size: r.size }));
      this.runner = new FlashAlgoRunner(this.core, algo, { ram, doubleBuffer: o.doubleBuffer, stackSize: o.stackSize, otherRam });
      target = targetForAlgorithm(algo, o.target, ram);
      const l = this.runner.layout;
      const owner = `flash algorithm '${algo.name}' while programming`;
      target = { ...target, reserved: [...(target.reserved ?? []), ...layoutAreas(l).map((a) => ({ start: a.start, size: a.end - a.start, owner }))] };
      if (o.resetOnConnect !== false) {
        try {
          await this.core.reset('halt', options);
        } catch (e) {
          if (!(e instanceof GdbResetError)) throw e;
          details.resetSkipped = e.message;
        }
      }
      Object.assign(details, {
        algorithm: algo.name, algorithmSource: algo.source, loadAddress: hex(l.loadAddress), returnBreakpoint: hex(l.breakpoint),
        stack: `${hex(l.stackLimit)}–${hex(l.stackTop)}`, pageBuffers: l.pageBuffers.map((b) => hex(b)), doubleBuffered: l.pageBuffers.length > 1,
      });
    } else if (strategy === 'vflash') {
      target = targetFromMemoryMap(this.map as MemoryMapRegion[], o.target, `GDB server ${o.description}`);
    } else {
      target = targetForRamOnly(o.target, this.map, `GDB server ${o.description}`, o.strategy === 'ram');
    }
    this.target = target;
    if (strategy !== 'algorithm') {
      // Probe qCRC on the first region: a server that has it lets the plan skip unchanged sectors without reading.
      const probe = target.regions.find((r) => r.kind === 'flash' || r.kind === 'ram');
      this.serverCrc = probe !== undefined && (await client.crc(probe.start, 4, options).catch(() => undefined)) !== undefined;
      details.serverCrc = this.serverCrc;
    }
    // Regions this way in cannot write (flash in RAM mode, memory outside the SRAM region with no map): the plan refuses data there.
    const unconfiguredRegions = target.regions.filter((r) => r.needsConfiguration).map((r) => r.name);
    return { target, ids: { server: o.description }, details, ...(unconfiguredRegions.length ? { unconfiguredRegions } : {}) };
  }

  /** With a flash algorithm loaded, the target computes CRC-32s itself (skip unchanged, verify by digest). */
  get digest(): DeviceDigest | undefined {
    const runner = this.runner;
    const client = this.client;
    if (this.strategy === 'algorithm' && runner && this.options.targetCrc !== false) {
      return {
        name: 'CRC-32 computed on the target',
        alignment: 1,
        local: (data) => crc32(data),
        // The core's routine only inside the algorithm's flash; elsewhere (RAM data, other regions) the host checksums a read.
        remote: async (address, length, options) => {
          const f = runner.algo.flash;
          if (regionHolds(f, address, length)) return runner.crc32(address, length, options?.signal);
          return crc32(await this.need().core.readMemory(address, length, options));
        },
      };
    }
    // Without an algorithm, the server's own qCRC when it answered one at connect.
    if (this.serverCrc && client) {
      return {
        name: 'CRC-32 by the GDB server (qCRC)',
        alignment: 1,
        local: (data) => gdbCrc32(data),
        remote: async (address, length, options) => {
          const v = await client.crc(address, length, options);
          if (v === undefined) throw new GdbUnsupportedError('qCRC', client.offered);
          return v;
        },
      };
    }
    return undefined;
  }

  /** True when the server answered qCRC during connect. */
  private serverCrc = false;

  readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    return this.need().core.readMemory(address, length, options);
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    const { client } = this.need();
    let done = 0;
    if (this.strategy === 'algorithm') {
      for (const s of sectors) {
        throwIfAborted(options.signal, 'erase');
        await this.runner!.eraseSector(s.address, options.signal);
        done += s.size;
        options.onProgress?.(done);
      }
      return;
    }
    if (this.strategy === 'vflash') {
      for (const s of sectors) {
        await client.flashErase(s.address, s.size, options);
        done += s.size;
        options.onProgress?.(done);
      }
      await client.flashDone(options);
      return;
    }
    throw this.noFlash('erase', sectors[0]?.address ?? 0);
  }

  async eraseChip(options: OperationOptions = {}): Promise<void> {
    if (this.strategy === 'algorithm' && this.runner!.has('eraseChip')) return this.runner!.eraseChip(options.signal);
    if (this.strategy === 'vflash') {
      const { client } = this.need();
      for (const r of this.map!.filter((m) => m.type === 'flash')) await client.flashErase(r.start, r.length, options);
      await client.flashDone(options);
      return;
    }
    throw new GdbUnsupportedError('chip erase', this.client?.offered ?? [], this.strategy === 'algorithm' ? 'The flash algorithm has no EraseChip; erase by sectors instead.' : undefined);
  }

  async programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const { client } = this.need();
    if (this.strategy === 'algorithm') return this.runner!.program(address, data, options);
    if (this.strategy === 'vflash') {
      await client.flashWrite(address, data, options);
      await client.flashDone(options);
      return;
    }
    throw this.noFlash('program', address);
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const { core } = this.need();
    const l = this.runner?.layout;
    // RAM data over the algorithm's area: the algorithm must be unloaded first and reloaded if needed again.
    if (l && layoutAreas(l).some((a) => address < a.end && address + data.length > a.start)) await this.runner!.unload(options.signal);
    await core.writeMemory(address, data, options);
  }

  /**
   * Starts the application. A flash image (or no address) gets a reset-and-run; a RAM image
   * is entered directly: SP and PC from its vector table when `address` holds one, else PC = address.
   */
  async run(address?: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { core } = this.need();
    await this.runner?.unload(options.signal);
    const region = address === undefined || !this.target ? undefined : regionAt(this.target, address);
    if (address === undefined || region?.kind === 'flash') {
      await core.reset('run', options);
    } else {
      const v = await core.readMemory(address, 8, options);
      const dv = new DataView(v.buffer, v.byteOffset);
      const sp = dv.getUint32(0, true);
      const pc = dv.getUint32(4, true);
      const looksLikeVectors = sp !== 0 && sp % 8 === 0 && (pc & 1) === 1 && pc > address && pc < address + 0x100000;
      await core.writeRegisters(looksLikeVectors ? { sp, pc: pc & ~1, xpsr: 0x01000000 } : { pc: address & ~1, xpsr: 0x01000000 }, options);
      await core.resume(options);
    }
    this.ran = true;
  }

  async close(): Promise<void> {
    if (!this.core) return;
    try {
      if (!this.core.client.connection.closed && !this.core.client.running && this.runner) {
        await this.runner.unload().catch(() => undefined);
        // The core sits on the algorithm's return breakpoint in RAM; a server that resumes on
        // disconnect (QEMU does when the next debugger detaches) would run into the BKPT and fault.
        if (this.runner.calls > 0 && !this.ran) await this.core.reset('halt').catch(() => undefined);
      }
    } finally {
      await this.core.close({ resume: this.ran });
      this.core = undefined;
      this.client = undefined;
    }
  }

  private noFlash(what: string, address: number): FlashwrightError {
    return new GdbUnsupportedError(`flash ${what} at ${hex(address)} without a flash algorithm`, this.client?.offered ?? [],
      'The server publishes no flash memory map: pass --algo FILE.FLM|algo.json (a CMSIS-Pack flash algorithm, or one imported with `flashwright algo import-pyocd`).');
  }
}
