/**
 * The flash-algorithm way in: a CMSIS flash algorithm (FLM, descriptor or pyOCD import)
 * run in target RAM through any CoreAccess — a GDB server today, a CMSIS-DAP probe next, a
 * test double in tests. Nothing here knows what is underneath the core.
 *
 * API: `new AlgorithmProgrammer(core, algorithm, options)`, then the Programmer calls. The
 * caller owns the core's connection: connect() resets and halts it (or only halts, where
 * the core cannot reset) and describes the target from the algorithm's geometry;
 * close() unloads the algorithm and closes the core unless `closeCore: false`.
 */
import { crc32 } from '../core/crc.js';
import { throwIfAborted, UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { layoutAreas } from '../protocol/flash-algo/layout.js';
import { FlashAlgoRunner } from '../protocol/flash-algo/runner.js';
import { overlaps, regionAt, regionHolds } from '../target/geometry.js';
import type { TargetDescription } from '../target/types.js';
import { algorithmRam, checkAlgorithmsDisjoint, outside, targetForAlgorithms } from './algorithm-target.js';
import { ResetUnsupportedError, type CoreAccess } from '../arch/core-access.js';
import type { CallContext, DetailValue, DeviceDigest, DeviceInfo, OperationOptions, Programmer } from './types.js';
import { inConnectPhase } from './events.js';

export interface AlgorithmProgrammerOptions {
  /** The built-in or user target; its flash region takes the algorithm's geometry. */
  target?: TargetDescription | undefined;
  /** RAM for the algorithm when neither the algorithm nor the target says. */
  ram?: { start: number; size: number } | undefined;
  doubleBuffer?: boolean | undefined;
  stackSize?: number | undefined;
  /** Offer the on-target CRC-32 as the device digest (default true). */
  targetCrc?: boolean | undefined;
  /** Reset and halt on connect (default true; a core that cannot reset is only halted). */
  resetOnConnect?: boolean | undefined;
  /** Close the core on close() (default true). */
  closeCore?: boolean;
  /** Erase runs of sectors in one call of the core each (RunnerOptions.eraseLoop; default false). */
  eraseLoop?: boolean | undefined;
}

export class AlgorithmProgrammer implements Programmer {
  readonly kind = 'algorithm';
  /** Debug-level reads are fast next to erasing and programming. */
  readonly cheapReads = true;
  /** Core transports check their data (RSP checksums, USB CRC). */
  readonly checkedReads = true;
  /** One runner per algorithm, each with its own RAM layout, CRC routine and Init state; at most one is loaded at a time. */
  readonly runners: readonly FlashAlgoRunner[];
  readonly algorithms: readonly FlashAlgorithm[];
  private active?: FlashAlgoRunner | undefined;
  private target?: TargetDescription;
  private ran = false;

  /**
   * `algorithm` may be several (one per flash region: internal flash, a second bank, QSPI
   * behind its own loader). Each region is served by the algorithm whose flash holds it; the
   * other one is unloaded first, so the RAM they share holds one algorithm at a time.
   */
  constructor(readonly core: CoreAccess, algorithm: FlashAlgorithm | readonly FlashAlgorithm[], readonly options: AlgorithmProgrammerOptions = {}) {
    const algos: readonly FlashAlgorithm[] = Array.isArray(algorithm) ? algorithm : [algorithm as FlashAlgorithm];
    if (algos.length === 0) throw new UsageError('The flash-algorithm way in needs at least one flash algorithm.', { hint: 'Pass --algo FILE.FLM.' });
    checkAlgorithmsDisjoint(algos);
    this.algorithms = algos;
    const rams: Array<{ start: number; size: number }> = [];
    this.runners = algos.map((a) => {
      // RAM another algorithm programs (memory behind a loader) is not RAM to run in: the largest part left.
      const ram = outside(algorithmRam(a, options.ram, options.target), algos).sort((x, y) => y.size - x.size)[0];
      if (!ram) throw new UsageError(`The RAM for the flash algorithm '${a.name}' is all flash another algorithm programs.`, { hint: 'Give the algorithms RAM of their own (--target with a RAM region, or an algorithm with RAMstart).' });
      rams.push(ram);
      // The target's other RAM regions may hold a fixed-placement algorithm's page buffers.
      const otherRam = (options.target?.regions ?? []).filter((r) => r.kind === 'ram' && r.start !== ram.start).map((r) => ({ start: r.start, size: r.size }));
      return new FlashAlgoRunner(core, a, { ram, doubleBuffer: options.doubleBuffer, stackSize: options.stackSize, otherRam, eraseLoop: options.eraseLoop === true });
    });
    const base = targetForAlgorithms(algos, options.target, rams);
    const reserved = this.runners.flatMap((r) => layoutAreas(r.layout).map((a) => ({ start: a.start, size: a.end - a.start, owner: `${r.algo.convention === 'stldr' ? 'external loader' : 'flash algorithm'} '${r.algo.name}' while programming` })));
    this.target = { ...base, reserved: [...(base.reserved ?? []), ...reserved] };
  }

  /** The first (or only) algorithm. */
  get algorithm(): FlashAlgorithm {
    return this.algorithms[0]!;
  }

  /** The first algorithm's runner (tests and benches count its calls). */
  get runner(): FlashAlgoRunner {
    return this.runners[0]!;
  }

  async connect(context: CallContext = {}): Promise<DeviceInfo> {
    const names = this.algorithms.map((a) => a.name).join(', ');
    return inConnectPhase(context, `Loading the flash algorithm${this.algorithms.length > 1 ? 's' : ''} ${names}`, async () => {
      const details: Record<string, DetailValue> = {};
      this.runners.forEach((r, i) => {
        const l = r.layout;
        // One algorithm keeps the plain keys; several are numbered in the order given.
        const k = (key: string) => (this.runners.length === 1 ? key : `${key}${i + 1}`);
        Object.assign(details, {
          [k('algorithm')]: r.algo.name, [k('algorithmSource')]: r.algo.source, [k('algorithmFlash')]: `${hex(r.algo.flash.start)}–${hex(r.algo.flash.start + r.algo.flash.size - 1)}`,
          [k('loadAddress')]: hex(l.loadAddress), [k('returnBreakpoint')]: hex(l.breakpoint),
          [k('stack')]: `${hex(l.stackLimit)}–${hex(l.stackTop)}`, [k('pageBuffers')]: l.pageBuffers.map((b) => hex(b)), [k('doubleBuffered')]: l.pageBuffers.length > 1,
        });
        if (r.algo.convention === 'stldr') {
          details[k('convention')] = 'STM32CubeProgrammer external loader (1 = LOADER_OK), run where linked';
          // No RAM given: the one above the link address was assumed (algorithmRam); say so.
          if (!this.options.target && !this.options.ram) details[k('ramAssumed')] = `${hex(l.used.start)}–${hex(l.used.end - 1)} (no --target: pass one to check the loader against the chip's RAM)`;
        }
      });
      if (this.options.resetOnConnect !== false) {
        try {
          await this.core.reset('halt', { signal: context.signal });
        } catch (e) {
          if (!(e instanceof ResetUnsupportedError)) throw e;
          details.resetSkipped = e.message;
          context.emit?.({ type: 'log', level: 'info', message: `The core was not reset (${e.message}); halting it instead.` });
          await this.core.halt({ signal: context.signal });
        }
      }
      return { target: this.requireTarget(), ids: { core: this.core.description }, details };
    });
  }

  private requireTarget(): TargetDescription {
    return this.target!;
  }

  /** The runner whose algorithm's flash holds the range, or undefined. */
  private runnerHolding(address: number, length: number): FlashAlgoRunner | undefined {
    return this.runners.find((r) => regionHolds(r.algo.flash, address, length));
  }

  /**
   * The runner for a range, made the loaded one: another loaded algorithm is unloaded first
   * (UnInit, breakpoint and fault trap removed), since both may use the same RAM. A range no
   * algorithm holds throws AlgorithmRangeError naming the first (the plan refuses such data
   * before this is reached).
   */
  private async use(address: number, length: number, signal?: AbortSignal): Promise<FlashAlgoRunner> {
    const r = this.runnerHolding(address, length);
    if (!r) {
      this.runners[0]!.checkRange(address, length); // throws AlgorithmRangeError
      throw new Error('unreachable');
    }
    if (this.active && this.active !== r) await this.active.unload(signal);
    this.active = r;
    return r;
  }

  /** The target computes CRC-32s itself, with the routine of the algorithm whose flash holds the range (skip unchanged, verify by digest). */
  get digest(): DeviceDigest | undefined {
    if (this.options.targetCrc === false) return undefined;
    return {
      name: 'CRC-32 computed on the target',
      alignment: 1,
      local: (data) => crc32(data),
      // Elsewhere (RAM data, other regions, a range across two algorithms) the host checksums a read: the routine could fault there.
      remote: async (address, length, options) => {
        const r = this.runnerHolding(address, length);
        // An external loader with Read: its memory is not (reliably) memory-mapped, so the host checksums what Read gives.
        if (r?.hasRead) return crc32(await this.readMemory(address, length, options));
        if (r) return (await this.use(address, length, options?.signal)).crc32(address, length, options?.signal);
        return crc32(await this.core.readMemory(address, length, options));
      },
    };
  }

  /**
   * An external loader whose Write loses the start of the data: every differing byte lies in
   * the first bytes of a page (where each Write call starts) while the rest of those pages
   * matches — seed 004's "the first 2 bytes are always 0".
   */
  explainMismatch(address: number, expected: Uint8Array, actual: Uint8Array): string | undefined {
    const r = this.runnerHolding(address, expected.length);
    return r ? describeWriteStartLoss(r.algo, address, expected, actual) : undefined;
  }

  /**
   * Reads memory. An external loader's memory is read through its Read when it has one, else
   * over the bus once its Init has (re)established the memory-mapped mode; the rest directly.
   */
  async readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    const loader = this.runners.find((r) => r.algo.convention === 'stldr' && overlaps(r.algo.flash, address, length));
    if (!loader) return this.core.readMemory(address, length, options);
    const f = loader.algo.flash;
    const from = Math.max(address, f.start);
    const to = Math.min(address + length, f.start + f.size);
    const out = new Uint8Array(length);
    // Either side of the loader's memory is read on its own (it may be another loader's: read through this same method).
    if (from > address) out.set(await this.readMemory(address, from - address, options), 0);
    const runner = await this.use(from, to - from, options.signal);
    if (runner.hasRead) {
      out.set(await runner.read(from, to - from, options.signal), from - address);
    } else {
      await runner.prepareRead(options.signal);
      out.set(await this.core.readMemory(from, to - from, options), from - address);
    }
    if (to < address + length) out.set(await this.readMemory(to, address + length - to, options), to - address);
    return out;
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    let done = 0;
    let n = 0;
    // Consecutive sectors of one algorithm's flash go to its runner together (its erase loop runs them in one go).
    for (let i = 0; i < sectors.length;) {
      throwIfAborted(options.signal, 'erase');
      const runner = await this.use(sectors[i]!.address, 1, options.signal);
      let j = i + 1;
      while (j < sectors.length && this.runnerHolding(sectors[j]!.address, 1) === runner) j++;
      await runner.eraseSectors(sectors.slice(i, j), options.signal, (count) => {
        for (let k = 0; k < count; k++) done += sectors[n++]!.size;
        options.onProgress?.(done);
      });
      i = j;
    }
  }

  /**
   * Present only when every algorithm has EraseChip: a chip erase clears every flash region
   * the plan knows, so each algorithm erases its own, one after the other.
   */
  get eraseChip(): ((options?: OperationOptions) => Promise<void>) | undefined {
    if (!this.runners.every((r) => r.has('eraseChip'))) return undefined;
    return async (options = {}) => {
      for (const r of this.runners) {
        throwIfAborted(options.signal, 'chip erase');
        await (await this.use(r.algo.flash.start, 1, options.signal)).eraseChip(options.signal);
      }
    };
  }

  async programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    return (await this.use(address, data.length, options.signal)).program(address, data, options);
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    // RAM data over an algorithm's area: it must be unloaded first and is reloaded when needed again.
    const over = this.active && layoutAreas(this.active.layout).some((a) => address < a.end && address + data.length > a.start);
    if (over) await this.active!.unload(options.signal);
    await this.core.writeMemory(address, data, options);
  }

  private async unloadAll(signal?: AbortSignal): Promise<void> {
    for (const r of this.runners) await r.unload(signal);
    this.active = undefined;
  }

  async run(address?: number, context: CallContext = {}): Promise<void> {
    await this.unloadAll(context.signal);
    await startApplication(this.core, this.target, address, context);
    this.ran = true;
  }

  async close(): Promise<void> {
    try {
      await this.unloadAll().catch(() => undefined);
      // The core sits on the algorithm's return breakpoint in RAM; a debugger that lets it run
      // on disconnect would run into the BKPT and fault, so it is reset and left halted.
      if (this.runners.some((r) => r.calls > 0) && !this.ran) await this.core.reset('halt').catch(() => undefined);
    } finally {
      if (this.options.closeCore !== false) await this.core.close({ resume: this.ran });
    }
  }
}

/**
 * Starts the application through a core. A flash image (or no address) gets a reset-and-run;
 * a RAM image is entered directly: SP and PC from its vector table when `address` holds one,
 * else PC = address.
 */
export async function startApplication(core: CoreAccess, target: TargetDescription | undefined, address: number | undefined, context: CallContext = {}): Promise<void> {
  const options = { signal: context.signal };
  const region = address === undefined || !target ? undefined : regionAt(target, address);
  if (address === undefined || region?.kind === 'flash') {
    await core.reset('run', options);
    return;
  }
  const v = await core.readMemory(address, 8, options);
  const dv = new DataView(v.buffer, v.byteOffset);
  const sp = dv.getUint32(0, true);
  const pc = dv.getUint32(4, true);
  const looksLikeVectors = sp !== 0 && sp % 8 === 0 && (pc & 1) === 1 && pc > address && pc < address + 0x100000;
  await core.writeRegisters(looksLikeVectors ? { sp, pc: pc & ~1, xpsr: 0x01000000 } : { pc: address & ~1, xpsr: 0x01000000 }, options);
  await core.resume(options);
}

/** Bytes at the start of a page that count as "the start of a Write". */
const WRITE_HEAD = 4;

/** The sentence for explainMismatch (pure; exported for tests). */
export function describeWriteStartLoss(algo: FlashAlgorithm, address: number, expected: Uint8Array, actual: Uint8Array): string | undefined {
  const f = algo.flash;
  if (algo.convention !== 'stldr' || !regionHolds(f, address, expected.length)) return undefined;
  const page = f.pageSize;
  const diffs: number[] = [];
  let rightBeyondHead = false;
  for (let i = 0; i < expected.length; i++) {
    const inHead = (address + i - f.start) % page < WRITE_HEAD;
    if (expected[i] !== actual[i]) {
      if (!inHead) return undefined;
      diffs.push(i);
    } else if (!inHead) {
      rightBeyondHead = true;
    }
  }
  if (diffs.length === 0 || !rightBeyondHead) return undefined;
  const head = Math.max(...diffs.map((i) => (address + i - f.start) % page)) + 1;
  const zeros = diffs.every((i) => actual[i] === 0);
  const where = diffs.slice(0, 4).map((i) => hex(address + i)).join(', ') + (diffs.length > 4 ? ', …' : '');
  return `Every differing byte (${diffs.length}: ${where}) lies in the first ${head} byte(s) of a ${page}-byte page, where each call of the external loader's Write starts, and they read ${zeros ? '0x00' : 'wrong values'} while the rest of the page is right: the loader's Write (${algo.source}) loses the start of the data it is given — check its page-program command (address width, alternate bytes, dummy cycles) and how it indexes the buffer. If freshly erased memory reads the same there (\`flashwright erase\`, then \`flashwright read\`), the fault is in the read path Init sets up (the memory-mapped read command) instead.`;
}
