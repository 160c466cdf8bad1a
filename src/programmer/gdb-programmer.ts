/**
 * Programming through any GDB server. connect() picks one of three ways:
 *  - 'algorithm': an AlgorithmProgrammer over the server's CoreAccess (a CMSIS flash
 *    algorithm in target RAM; works with every server, QEMU included) does the work;
 *  - 'vflash': the server programs flash itself (vFlashErase/vFlashWrite/vFlashDone),
 *    planned with the sector map the server publishes (OpenOCD, J-Link, pyOCD, BMP);
 *  - 'ram': plain memory writes, for RAM-only targets.
 * The flash engine plans; this class only moves bytes.
 */
import { FlashwrightError, UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { ByteStream } from '../link/types.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import type { FlashAlgoRunner } from '../protocol/flash-algo/runner.js';
import { GdbClient } from '../protocol/gdb-rsp/client.js';
import { gdbCrc32 } from '../protocol/gdb-rsp/commands.js';
import type { WireLogEntry } from '../protocol/gdb-rsp/connection.js';
import { GdbUnsupportedError } from '../protocol/gdb-rsp/errors.js';
import type { MemoryMapRegion } from '../protocol/gdb-rsp/xml.js';
import type { TargetDescription } from '../target/types.js';
import { AlgorithmProgrammer, startApplication } from './algorithm.js';
import { GdbCoreAccess, type GdbCoreAccessOptions } from './gdb-core-access.js';
import { targetForRamOnly, targetFromMemoryMap } from './gdb-target.js';
import type { CallContext, DetailValue, DeviceDigest, DeviceInfo, OperationOptions, Programmer } from './types.js';
import { inConnectPhase, nestedConnect } from './events.js';

export type GdbStrategy = 'algorithm' | 'vflash' | 'ram';

export interface GdbProgrammerOptions extends GdbCoreAccessOptions {
  /** Opens the byte stream to the server (TCP socket, BMP serial port, test pipe). */
  open: (signal?: AbortSignal) => Promise<ByteStream>;
  /** "localhost:3333", for messages. */
  description: string;
  /** One flash algorithm, or one per flash region (each region served by the one whose flash holds it). */
  algorithm?: FlashAlgorithm | readonly FlashAlgorithm[] | undefined;
  target?: TargetDescription | undefined;
  /** RAM for the algorithm when neither the algorithm nor the target says. */
  ram?: { start: number; size: number } | undefined;
  /** Force a way ('auto' by default: algorithm if given, else vFlash if the server has a flash map, else RAM). */
  strategy?: (GdbStrategy | 'auto') | undefined;
  doubleBuffer?: boolean | undefined;
  stackSize?: number | undefined;
  /** Offer the on-target CRC-32 as the device digest with a flash algorithm (default true). */
  targetCrc?: boolean | undefined;
  /** Reset and halt before running the algorithm (default true; falls back to a plain halt). */
  resetOnConnect?: boolean | undefined;
  timeoutMs?: number | undefined;
  onWire?: ((entry: WireLogEntry) => void) | undefined;
  onConsole?: ((text: string) => void) | undefined;
}

export class GdbProgrammer implements Programmer {
  readonly kind = 'gdb';
  /** A debug probe reads memory far faster than flash erases and programs, and RSP packets carry checksums. */
  readonly cheapReads = true;
  readonly checkedReads = true;
  client?: GdbClient | undefined;
  core?: GdbCoreAccess | undefined;
  /** The flash-algorithm way in over this server's core, in 'algorithm' mode. */
  algorithmProgrammer?: AlgorithmProgrammer | undefined;
  strategy?: GdbStrategy | undefined;
  private map?: MemoryMapRegion[] | undefined;
  private ran = false;
  private target?: TargetDescription | undefined;

  constructor(readonly options: GdbProgrammerOptions) {}

  /** The algorithm runner, in 'algorithm' mode (tests and benches count its calls). */
  get runner(): FlashAlgoRunner | undefined {
    return this.algorithmProgrammer?.runner;
  }

  private need(): { client: GdbClient; core: GdbCoreAccess } {
    if (!this.client || !this.core) throw new FlashwrightError('NOT_CONNECTED', 'The GDB programmer is not connected.', { hint: 'Call connect() first.' });
    return { client: this.client, core: this.core };
  }

  async connect(context: CallContext = {}): Promise<DeviceInfo> {
    return inConnectPhase(context, `Connecting to the GDB server ${this.options.description}`, async () => {
      const options = { signal: context.signal };
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
      const details: Record<string, DetailValue> = {
        server: o.description, strategy, packetSize: client.packetSize, offered: client.offered, haltedBy: stop.raw,
      };
      if (strategy === 'algorithm') {
        const algo = new AlgorithmProgrammer(this.core, o.algorithm!, {
          target: o.target, ram: o.ram, doubleBuffer: o.doubleBuffer, stackSize: o.stackSize, targetCrc: o.targetCrc, resetOnConnect: o.resetOnConnect, closeCore: false,
        });
        this.algorithmProgrammer = algo;
        const info = await algo.connect(nestedConnect(context));
        target = info.target;
        Object.assign(details, info.details);
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
    });
  }

  /** With a flash algorithm, the target's own CRC-32; else the server's qCRC when it answered one at connect. */
  get digest(): DeviceDigest | undefined {
    if (this.algorithmProgrammer) return this.algorithmProgrammer.digest;
    const client = this.client;
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

  explainMismatch(address: number, expected: Uint8Array, actual: Uint8Array): string | undefined {
    return this.algorithmProgrammer?.explainMismatch(address, expected, actual);
  }

  /** True when the server answered qCRC during connect. */
  private serverCrc = false;

  readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    const { core } = this.need();
    // Through the algorithm: an external loader's memory is readable only after its Init.
    if (this.algorithmProgrammer) return this.algorithmProgrammer.readMemory(address, length, options);
    return core.readMemory(address, length, options);
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    const { client } = this.need();
    if (this.algorithmProgrammer) return this.algorithmProgrammer.eraseSectors(sectors, options);
    if (this.strategy === 'vflash') {
      let done = 0;
      for (const s of sectors) {
        await client.flashErase(s.address, s.size, options);
        done += s.size;
        options.onProgress?.(done);
      }
      // No vFlashDone here: OpenOCD 0.12 erases at vFlashErase and dereferences a NULL image on
      // a vFlashDone that follows no vFlashWrite (it segfaults; seen driving the simulated probe).
      // The vFlashDone after the writes in programFlash closes the sequence, as GDB's own load does.
      return;
    }
    throw this.noFlash('erase', sectors[0]?.address ?? 0);
  }

  /** A mass erase: the algorithm's EraseChip, or vFlashErase over every flash region of the server's map. */
  get eraseChip(): ((options?: OperationOptions) => Promise<void>) | undefined {
    if (this.algorithmProgrammer) return this.algorithmProgrammer.eraseChip;
    if (this.strategy !== 'vflash') return undefined;
    return async (options = {}) => {
      const { client } = this.need();
      // No vFlashDone without a vFlashWrite: see eraseSectors.
      for (const r of this.map!.filter((m) => m.type === 'flash')) await client.flashErase(r.start, r.length, options);
    };
  }

  async programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const { client } = this.need();
    if (this.algorithmProgrammer) return this.algorithmProgrammer.programFlash(address, data, options);
    if (this.strategy === 'vflash') {
      await client.flashWrite(address, data, options);
      await client.flashDone(options);
      return;
    }
    throw this.noFlash('program', address);
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const { core } = this.need();
    if (this.algorithmProgrammer) return this.algorithmProgrammer.writeMemory(address, data, options);
    await core.writeMemory(address, data, options);
  }

  /** Starts the application (see startApplication): reset-and-run for flash, a direct jump into a RAM image. */
  async run(address?: number, context: CallContext = {}): Promise<void> {
    const { core } = this.need();
    if (this.algorithmProgrammer) await this.algorithmProgrammer.run(address, context);
    else await startApplication(core, this.target, address, context);
    this.ran = true;
  }

  /** A reset through the GDB server: `monitor reset run|halt` (or QEMU's system_reset), i.e. SYSRESETREQ on most probes. */
  async reset(mode: 'run' | 'halt', context: CallContext = {}): Promise<string> {
    const { core } = this.need();
    await core.reset(mode, context.signal ? { signal: context.signal } : {});
    if (mode === 'run') this.ran = true;
    return 'GDB server monitor reset';
  }

  async close(): Promise<void> {
    if (!this.core) return;
    try {
      // A dead connection or a running core: nothing to unload.
      if (this.algorithmProgrammer && !this.core.client.connection.closed && !this.core.client.running) await this.algorithmProgrammer.close();
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
