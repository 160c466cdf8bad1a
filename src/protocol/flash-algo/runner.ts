/**
 * Runs a flash algorithm through any CoreAccess: loads it into RAM, calls its functions
 * (r0–r3 = arguments, r9 = static base, SP = stack top, LR = return breakpoint | 1,
 * PC = entry), waits for the core to halt at the return breakpoint within the
 * FlashDevice timeout, and turns every way this can go wrong into a typed error with the
 * evidence (result code, PC/LR/xPSR, decoded fault registers, stack guard).
 */
import { TimeoutError, throwIfAborted } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import type { CoreAccess, CoreRegister } from '../../arch/core-access.js';
import { CPUID, CPUID_ARCHITECTURE_V7M, EXCEPTION_NAMES, exceptionNumber, readFaultStatus, VTOR, XPSR_THUMB } from '../../arch/cortex-m.js';
import { conventionOf, type AlgorithmFunction, type ConventionRules, type FlashAlgorithm } from './algorithm.js';
import { AlgorithmCrashedError, AlgorithmFailedError, AlgorithmFormatError, AlgorithmRangeError, AlgorithmStackError, AlgorithmTimeoutError, type CoreSnapshot } from './errors.js';
import { sectorRuns } from './flash-device.js';
import { BKPT_WORD, chainTrampoline, CRC32_ROUTINE, ERASE_LOOP, planLayout, VECTOR_TABLE_SIZE, type AlgoLayout, type LayoutOptions } from './layout.js';

export interface RunnerOptions extends LayoutOptions {
  /** Added to the FlashDevice timeouts for link latency (ms, default 1000). */
  linkMarginMs?: number;
  /** Timeout for Init/UnInit/Verify/BlankCheck (ms, default 2000). */
  callTimeoutMs?: number;
  /** Timeout for EraseChip (ms, default 60 s or 100 × erase-sector timeout). */
  chipEraseTimeoutMs?: number;
  /** The `clk` argument of Init (0 = let the algorithm choose). */
  clockHz?: number;
  /**
   * Erase runs of equal, contiguous sectors in one run of the core (ERASE_LOOP, loaded into a
   * page buffer, which erasing does not use): one halt per run instead of one per sector.
   * FLMs only (EraseSector(adr) returning 0). Off by default: a test double that emulates the
   * algorithm by its entry points would not know the loop.
   */
  eraseLoop?: boolean;
  /**
   * Point VTOR at a RAM vector table whose handlers halt at a trap breakpoint while the
   * algorithm runs (default true; ARMv7-M and later only, so not on Cortex-M0/M0+), so a
   * fault is reported with its stacked PC instead of locking the core up.
   */
  trapFaults?: boolean;
}

/** `str r1, [r0]; bx lr` (Thumb): lets the core write a system register for the host. */
const STORE_STUB = Uint8Array.from([0x01, 0x60, 0x70, 0x47]);

/**
 * Init/UnInit `fnc` codes (FlashOS.h; 3 = verify is not used). The algorithm's own Verify is
 * deliberately never called: it needs every expected page sent to the target again (as
 * costly over GDB as reading it back) and serves only verification, while the runner's
 * CRC-32 routine needs no data sent, also lets unchanged sectors be skipped, and works for
 * every algorithm (most pyOCD ones have no Verify). Without the CRC (targetCrc: false) the
 * engine reads back.
 */
export const FNC_ERASE = 1;
export const FNC_PROGRAM = 2;

const GUARD = 0xf1a5c0de;

interface Started {
  /** Function name for messages ("ProgramPage", or the runner's own helper). */
  name: string;
  entry: number;
  args: number[];
  timeoutMs: number;
}

export class FlashAlgoRunner {
  readonly layout: AlgoLayout;
  private loaded = false;
  private initFor?: number | undefined;
  /** Function calls made, for benchmarks and tests. */
  calls = 0;

  /** How the functions are called and what they return (CMSIS FLM or external loader). */
  readonly convention: ConventionRules;
  /**
   * An external loader's Write/SectorErase/MassErase ran since its Init: ST's loaders leave the
   * memory-mapped mode there, so Init must run again before the memory is read over the bus.
   */
  private unmapped = false;

  constructor(readonly core: CoreAccess, readonly algo: FlashAlgorithm, private readonly options: RunnerOptions) {
    this.layout = planLayout(algo, options);
    this.convention = conventionOf(algo);
  }

  private get kind(): 'cmsis' | 'stldr' {
    return this.algo.convention ?? 'cmsis';
  }

  private get stldr(): boolean {
    return this.algo.convention === 'stldr';
  }

  private fnName(fn: AlgorithmFunction): string {
    return this.convention.names[fn];
  }

  get doubleBuffered(): boolean {
    return this.layout.pageBuffers.length > 1;
  }

  /** Copies the algorithm into RAM, writes the guard word and sets the return breakpoint. */
  async load(signal?: AbortSignal): Promise<void> {
    const l = this.layout;
    await this.core.halt({ signal });
    if (l.ownBreakpoint) await this.core.writeMemory(l.breakpoint, word(BKPT_WORD), { signal });
    await this.core.writeMemory(l.trampoline, chainTrampoline(this.convention.ok), { signal });
    await this.core.writeMemory(l.crcRoutine, CRC32_ROUTINE, { signal });
    await this.core.writeMemory(l.loadAddress, this.algo.instructions, { signal });
    // Zero static data that lies past the code image (its .bss), as a loader would.
    const bssEnd = l.staticBase + (l.staticBase >= l.loadAddress + this.algo.instructions.length ? 0x100 : 0);
    if (bssEnd > l.staticBase && bssEnd <= l.stackLimit) await this.core.writeMemory(l.staticBase, new Uint8Array(bssEnd - l.staticBase), { signal });
    await this.core.writeMemory(l.stackLimit, word(GUARD), { signal });
    await this.core.setBreakpoint(l.breakpoint, { signal });
    if (l.vectorTable !== undefined && this.options.trapFaults !== false) await this.installFaultTrap(l.vectorTable, signal);
    this.loaded = true;
    this.initFor = undefined;
  }

  /** VTOR as it was before the trap was installed (undefined: not installed). */
  private savedVtor?: number | undefined;

  private async installFaultTrap(table: number, signal?: AbortSignal): Promise<void> {
    const l = this.layout;
    // Only on ARMv7-M and later (CPUID architecture 0xF), where VTOR is architectural: on
    // ARMv6-M it is optional and a store to a missing one would itself fault.
    const cpuid = await this.readWord(CPUID, signal).catch(() => 0);
    if (((cpuid >>> 16) & 0xf) !== CPUID_ARCHITECTURE_V7M) return;
    const before = await this.readWord(VTOR, signal).catch(() => undefined);
    if (before === undefined) return;
    await this.core.writeMemory(l.faultTrap, word(BKPT_WORD), { signal });
    const vectors = new Uint8Array(VECTOR_TABLE_SIZE);
    const dv = new DataView(vectors.buffer);
    dv.setUint32(0, l.stackTop, true);
    for (let i = 4; i < VECTOR_TABLE_SIZE; i += 4) dv.setUint32(i, l.faultTrap | 1, true);
    await this.core.writeMemory(table, vectors, { signal });
    await this.writeSystemWord(VTOR, table, signal);
    if ((await this.readWord(VTOR, signal)) !== table) return; // no VTOR (ARMv6-M without the option)
    this.savedVtor = before;
    await this.core.setBreakpoint(l.faultTrap, { signal });
  }

  /**
   * Writes a System Control Block word. Some debuggers' writes there are ignored (QEMU's
   * stub), so when the value does not stick the core itself stores it, running the
   * `str r1,[r0]; bx lr` stub next to the trap.
   */
  private async writeSystemWord(address: number, value: number, signal?: AbortSignal): Promise<void> {
    await this.core.writeMemory(address, word(value), { signal });
    if ((await this.readWord(address, signal)) === value) return;
    const stub = this.layout.faultTrap + 4;
    await this.core.writeMemory(stub, STORE_STUB, { signal });
    await this.finish(await this.startAt(stub, 'system register store', [address, value], this.shortTimeout, signal), signal);
  }

  private async readWord(address: number, signal?: AbortSignal): Promise<number> {
    const b = await this.core.readMemory(address, 4, { signal });
    return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  }

  private entry(fn: AlgorithmFunction): number {
    const off = this.algo.entries[fn];
    if (off === undefined) {
      throw new AlgorithmFormatError(this.algo.source, `the ${this.stldr ? 'external loader' : 'algorithm'} '${this.algo.name}' has no ${this.fnName(fn)} function.`, { function: this.fnName(fn) },
        fn === 'eraseChip' ? 'Erase by sectors instead.' : undefined);
    }
    return this.layout.loadAddress + off;
  }

  has(fn: AlgorithmFunction): boolean {
    return this.algo.entries[fn] !== undefined;
  }

  private async start(fn: AlgorithmFunction, args: number[], timeoutMs: number, signal?: AbortSignal, extra: Partial<Record<CoreRegister, number>> = {}): Promise<Started> {
    throwIfAborted(signal, this.fnName(fn));
    if (!this.loaded) await this.load(signal);
    return this.startAt(this.entry(fn), this.fnName(fn), args, timeoutMs, signal, extra);
  }

  /**
   * The core's registerEpoch when the last call returned cleanly to the breakpoint: while it
   * stands, SP and r9 still hold what that call was given (the AAPCS makes them callee-saved)
   * and xPSR is Thumb in Thread mode, so a core that writes registers singly is spared them.
   */
  private returnedAt?: number | undefined;

  private async startAt(entry: number, name: string, args: number[], timeoutMs: number, signal?: AbortSignal, extra: Partial<Record<CoreRegister, number>> = {}): Promise<Started> {
    const l = this.layout;
    const singly = this.core.registersWrittenSingly === true;
    const kept = singly && this.returnedAt !== undefined && this.returnedAt === this.core.registerEpoch;
    this.returnedAt = undefined;
    const regs: Partial<Record<CoreRegister, number>> = {};
    // A function reads only its own arguments (AAPCS); a core that writes registers one by one
    // is given just those, a block-writing one all four.
    const argRegs = ['r0', 'r1', 'r2', 'r3'] as const;
    for (let i = 0; i < (singly ? args.length : 4); i++) regs[argRegs[i]!] = args[i] ?? 0;
    if (!kept) Object.assign(regs, { r9: l.staticBase, sp: l.stackTop, xpsr: XPSR_THUMB });
    Object.assign(regs, { lr: l.breakpoint | 1, pc: entry }, extra);
    // Every register the function may rely on is set here; the rest are scratch.
    await this.core.writeRegisters(regs, { signal, othersAreScratch: true });
    await this.core.resume({ signal });
    this.calls++;
    return { name, entry, args, timeoutMs };
  }

  private async finish(s: Started, signal?: AbortSignal): Promise<number> {
    const name = s.name;
    let halt;
    try {
      halt = await this.core.waitForHalt(s.timeoutMs, { signal, readWords: [this.layout.stackLimit] });
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      await this.core.halt();
      throw new AlgorithmTimeoutError(name, s.entry, s.timeoutMs, await this.snapshot(), this.kind);
    }
    const pc = halt.pc ?? (await this.core.readRegister('pc', { signal }));
    if ((pc & ~1) === this.layout.faultTrap && this.savedVtor !== undefined) {
      const snap = await this.snapshot();
      const n = snap.xpsr === undefined ? 0 : exceptionNumber(snap.xpsr);
      // The exception frame the core pushed holds where the fault happened (r0–r3, r12, LR, PC, xPSR).
      const frame = snap.sp === undefined ? undefined : await this.core.readMemory(snap.sp, 32).catch(() => undefined);
      if (frame) {
        const f = new DataView(frame.buffer, frame.byteOffset);
        Object.assign(snap, { pc: f.getUint32(24, true), lr: f.getUint32(20, true), xpsr: f.getUint32(28, true) });
      }
      throw new AlgorithmCrashedError(name, s.entry, snap, `took a fault (exception ${n}${EXCEPTION_NAMES[n] ? `, ${EXCEPTION_NAMES[n]}` : ''}), stacked`, this.kind);
    }
    if ((pc & ~1) !== this.layout.breakpoint) {
      const snap = await this.snapshot();
      const inHandler = snap.xpsr !== undefined && exceptionNumber(snap.xpsr) !== 0;
      throw new AlgorithmCrashedError(name, s.entry, snap, inHandler ? `stopped in exception ${exceptionNumber(snap.xpsr as number)} instead of returning` : `stopped at ${hex(pc)} instead of returning to ${hex(this.layout.breakpoint)}`, this.kind);
    }
    const result = await this.core.readRegister('r0', { signal });
    const found = halt.words?.[0] ?? await this.readWord(this.layout.stackLimit, signal);
    if (found !== GUARD) throw new AlgorithmStackError(name, this.layout.stackLimit, found, GUARD);
    this.returnedAt = this.core.registerEpoch;
    return result;
  }

  /** Registers and fault status after a misbehaving call (best effort: reads that fail are left out). */
  async snapshot(): Promise<CoreSnapshot> {
    const s: CoreSnapshot = {};
    for (const r of ['pc', 'lr', 'sp', 'xpsr'] as const) {
      const v = await this.core.readRegister(r).catch(() => undefined);
      if (v !== undefined) s[r] = v;
    }
    s.faults = await readFaultStatus(this.core).catch(() => undefined);
    return s;
  }

  /** Calls a function and returns r0. */
  async call(fn: AlgorithmFunction, args: number[], timeoutMs: number, signal?: AbortSignal): Promise<number> {
    return this.finish(await this.start(fn, args, timeoutMs, signal), signal);
  }

  private async callChecked(fn: AlgorithmFunction, args: number[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const r = await this.call(fn, args, timeoutMs, signal);
    if (r !== this.convention.ok) throw this.failed(fn, this.entry(fn), r, args);
  }

  private failed(fn: AlgorithmFunction, entry: number, result: number, args: number[]): AlgorithmFailedError {
    return new AlgorithmFailedError(this.fnName(fn), entry, result, args, this.kind);
  }

  private get margin(): number {
    return this.options.linkMarginMs ?? 1000;
  }

  private get shortTimeout(): number {
    return this.options.callTimeoutMs ?? 2000;
  }

  /** Calls Init(fnc) once per kind of operation, closing the previous one with UnInit (an external loader: Init() once). */
  async init(fnc: number, signal?: AbortSignal): Promise<void> {
    if (this.stldr) {
      if (this.initFor !== undefined) return;
      await this.callChecked('init', [0], this.shortTimeout, signal);
      this.initFor = fnc;
      this.unmapped = false;
      return;
    }
    if (this.initFor === fnc) return;
    if (this.initFor !== undefined) await this.uninit(signal);
    if (this.has('init')) await this.callChecked('init', [this.algo.flash.start, this.options.clockHz ?? 0, fnc], this.shortTimeout, signal);
    this.initFor = fnc;
  }

  async uninit(signal?: AbortSignal): Promise<void> {
    if (this.initFor === undefined) return;
    const fnc = this.initFor;
    this.initFor = undefined;
    if (this.has('uninit')) await this.callChecked('uninit', [fnc], this.shortTimeout, signal);
  }

  /** Throws AlgorithmRangeError unless [address, address+length) is inside the algorithm's flash. */
  checkRange(address: number, length: number): void {
    const f = this.algo.flash;
    if (address < f.start || address + length > f.start + f.size) throw new AlgorithmRangeError(address, length, f, this.algo.name);
  }

  /**
   * Erases the sector at `address`: EraseSector(adr), or an external loader's
   * SectorErase(adr, last byte of the sector) — ST's loaders erase every sector from the
   * start's up to and including the end address, so the end must not reach the next one.
   */
  async eraseSector(address: number, signal?: AbortSignal): Promise<void> {
    this.checkRange(address, 1);
    await this.init(FNC_ERASE, signal);
    const args = this.stldr ? [address, address + this.sectorSizeAt(address) - 1] : [address];
    if (this.stldr) this.unmapped = true;
    await this.callChecked('eraseSector', args, this.algo.flash.eraseTimeoutMs + this.margin, signal);
  }

  /**
   * Where ERASE_LOOP runs (the last page buffer), or undefined when sectors are erased one
   * call each (loop off, an external loader, a page buffer too small for it).
   */
  get eraseLoopAddress(): number | undefined {
    if (!this.options.eraseLoop || this.stldr || this.algo.flash.pageSize < ERASE_LOOP.length) return undefined;
    const b = this.layout.pageBuffers[this.layout.pageBuffers.length - 1]!;
    return b % 4 === 0 ? b : undefined;
  }

  /**
   * Erases sectors in order, each run of equal contiguous sectors in one call where the erase
   * loop is on; `onErased(n)` after every n sectors known erased. A failure names the sector
   * that failed; the ones before it were reported erased.
   */
  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, signal?: AbortSignal, onErased?: (count: number) => void): Promise<void> {
    const loop = this.eraseLoopAddress;
    for (let i = 0; i < sectors.length;) {
      throwIfAborted(signal, 'erase');
      const first = sectors[i]!;
      let n = 1;
      while (loop !== undefined && i + n < sectors.length && sectors[i + n]!.size === first.size && sectors[i + n]!.address === first.address + n * first.size) n++;
      if (n === 1) {
        await this.eraseSector(first.address, signal);
        onErased?.(1);
      } else {
        await this.eraseRun(loop!, first.address, first.size, n, signal, onErased);
      }
      i += n;
    }
  }

  private async eraseRun(loop: number, address: number, size: number, count: number, signal: AbortSignal | undefined, onErased?: (count: number) => void): Promise<void> {
    this.checkRange(address, count * size);
    await this.init(FNC_ERASE, signal);
    if (!this.loaded) await this.load(signal);
    await this.core.writeMemory(loop, ERASE_LOOP, { signal });
    const entry = this.entry('eraseSector');
    const timeout = count * this.algo.flash.eraseTimeoutMs + this.margin;
    const l = this.layout;
    const started = await this.startAt(loop, this.fnName('eraseSector'), [], timeout, signal, { r4: address, r5: count, r6: size, r7: entry | 1, r8: l.breakpoint | 1 });
    const r = await this.finish(started, signal);
    if (r === this.convention.ok) { onErased?.(count); return; }
    // r4 holds the sector whose EraseSector failed; those before it are erased.
    const at = await this.core.readRegister('r4', { signal });
    const done = Math.max(0, Math.min(count, Math.floor((at - address) / size)));
    if (done) onErased?.(done);
    throw this.failed('eraseSector', entry, r, [at]);
  }

  /** Size of the sector holding `address` (the algorithm's geometry). */
  private sectorSizeAt(address: number): number {
    const f = this.algo.flash;
    let at = f.start;
    for (const run of sectorRuns(f)) {
      if (address < at + run.size * run.count) return run.size;
      at += run.size * run.count;
    }
    return f.sectors[f.sectors.length - 1]?.size ?? f.pageSize;
  }

  async eraseChip(signal?: AbortSignal): Promise<void> {
    await this.init(FNC_ERASE, signal);
    const t = this.options.chipEraseTimeoutMs ?? Math.max(60000, this.algo.flash.eraseTimeoutMs * 100);
    if (this.stldr) this.unmapped = true;
    await this.callChecked('eraseChip', [], t + this.margin, signal);
  }

  /**
   * Makes the algorithm's memory readable over the bus: an external loader's memory is
   * memory-mapped only after Init (and again after Write or an erase, which leave that mode).
   * FLM flash is always readable.
   */
  async prepareRead(signal?: AbortSignal): Promise<void> {
    if (!this.stldr) return;
    if (this.unmapped) this.initFor = undefined;
    await this.init(FNC_PROGRAM, signal);
  }

  /** Whether the external loader has Read(Address, Size, Buffer) (for memory that is not memory-mapped). */
  get hasRead(): boolean {
    return this.algo.readEntry !== undefined;
  }

  /** Reads through the external loader's Read into the page buffer, one buffer at a time. */
  async read(address: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.checkRange(address, length);
    const off = this.algo.readEntry;
    if (off === undefined) throw new AlgorithmFormatError(this.algo.source, `the ${this.convention.what} '${this.algo.name}' has no Read function.`);
    await this.init(FNC_PROGRAM, signal);
    const buf = this.layout.pageBuffers[0];
    const chunk = Math.max(4, this.algo.flash.pageSize);
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = Math.min(chunk, length - done);
      const args = [address + done, n, buf];
      const entry = this.layout.loadAddress + off;
      const r = await this.finish(await this.startAt(entry, 'Read', args, this.shortTimeout + this.margin, signal), signal);
      if (r !== this.convention.ok) throw new AlgorithmFailedError('Read', entry, r, args, 'stldr');
      out.set(await this.core.readMemory(buf, n, { signal }), done);
      done += n;
    }
    return out;
  }

  /**
   * Programs `data` at `address` page by page (split at page boundaries). With two page
   * buffers the runner double-buffers in one of two ways:
   *  - the core can write memory while it runs (CMSIS-DAP): the next page is loaded while
   *    ProgramPage runs;
   *  - it cannot (GDB all-stop): both buffers are loaded while halted and one resume runs
   *    two ProgramPage calls, chained by a trampoline, halving the halts per page.
   * `onCommitted` reports, page by page, the bytes of `data` that ProgramPage confirmed
   * (returned 0): a call that fails or is interrupted leaves only the pages after them in doubt.
   */
  async program(address: number, data: Uint8Array, options: { signal?: AbortSignal | undefined; onProgress?: ((done: number) => void) | undefined; onCommitted?: ((done: number) => void) | undefined } = {}): Promise<void> {
    const { signal } = options;
    this.checkRange(address, data.length);
    await this.init(FNC_PROGRAM, signal);
    if (this.stldr) this.unmapped = true;
    const page = this.algo.flash.pageSize;
    const pages: Array<{ address: number; data: Uint8Array }> = [];
    for (let off = 0; off < data.length; ) {
      const a = address + off;
      const room = page - ((a - this.algo.flash.start) % page);
      let piece = data.subarray(off, off + room);
      if (piece.length < room && off + piece.length === data.length && piece.length % 4 !== 0) {
        // The tail is padded to a whole word with the erased value (a no-op on NOR).
        const full = new Uint8Array(Math.ceil(piece.length / 4) * 4).fill(this.algo.flash.erasedValue);
        full.set(piece);
        piece = full;
      }
      pages.push({ address: a, data: piece });
      off += room;
    }
    const buffers = this.layout.pageBuffers;
    const timeout = this.algo.flash.programTimeoutMs + this.margin;
    let done = 0;
    // Progress and the confirmed bytes move together: a page counts once ProgramPage returned 0 for it.
    const report = (n: number) => { done = Math.min(data.length, done + n); options.onProgress?.(done); options.onCommitted?.(done); };
    if (buffers.length > 1 && this.core.memoryAccessWhileRunning) {
      await this.core.writeMemory(buffers[0], pages[0]!.data, { signal });
      for (let i = 0; i < pages.length; i++) {
        const buf = buffers[i % 2]!; // two buffers here
        const args = [pages[i]!.address, pages[i]!.data.length, buf];
        const started = await this.start('programPage', args, timeout, signal);
        // While this page programs, load the next one into the other buffer.
        if (i + 1 < pages.length) await this.core.writeMemory(buffers[(i + 1) % 2]!, pages[i + 1]!.data, { signal });
        const r = await this.finish(started, signal);
        if (r !== this.convention.ok) throw this.failed('programPage', started.entry, r, args);
        report(pages[i]!.data.length);
      }
      return;
    }
    for (let i = 0; i < pages.length; ) {
      const first = pages[i]!;
      const second = buffers.length > 1 ? pages[i + 1] : undefined;
      if (second) {
        await this.writeBuffers(first.data, second.data, signal);
        // The first page is confirmed once the trampoline has started the second (it does so only after a 0).
        await this.programPair(first, second, timeout, signal, () => report(first.data.length));
        report(second.data.length);
        i += 2;
      } else {
        await this.core.writeMemory(buffers[0], first.data, { signal });
        const args = [first.address, first.data.length, buffers[0]];
        const r = await this.finish(await this.start('programPage', args, timeout, signal), signal);
        if (r !== this.convention.ok) throw this.failed('programPage', this.entry('programPage'), r, args);
        report(first.data.length);
        i += 1;
      }
    }
  }

  /** Loads both page buffers, in one transfer when they are adjacent. */
  private async writeBuffers(a: Uint8Array, b: Uint8Array, signal?: AbortSignal): Promise<void> {
    // Called only when the layout has two page buffers.
    const b0 = this.layout.pageBuffers[0];
    const b1 = this.layout.pageBuffers[1]!;
    if (b1 === b0 + a.length) {
      const both = new Uint8Array(a.length + b.length);
      both.set(a);
      both.set(b, a.length);
      await this.core.writeMemory(b0, both, { signal });
    } else {
      await this.core.writeMemory(b0, a, { signal });
      await this.core.writeMemory(b1, b, { signal });
    }
  }

  /** Two ProgramPage calls in one run: the first returns into the trampoline, which makes the second. */
  private async programPair(first: { address: number; data: Uint8Array }, second: { address: number; data: Uint8Array }, timeout: number, signal: AbortSignal | undefined, firstDone: () => void): Promise<void> {
    const l = this.layout;
    const entry = this.entry('programPage');
    const args1 = [first.address, first.data.length, l.pageBuffers[0]];
    const args2 = [second.address, second.data.length, l.pageBuffers[1]!]; // programPair runs only with two buffers
    const started = await this.start('programPage', args1, 2 * timeout, signal, {
      r4: second.address, r5: second.data.length, r6: l.pageBuffers[1]!, r7: entry | 1, r8: l.breakpoint | 1, lr: l.trampoline | 1,
    });
    const r = await this.finish(started, signal);
    if (r !== this.convention.ok) {
      // r7 is cleared by the trampoline just before the second call, which it makes only after the first returned 0.
      const secondRan = (await this.core.readRegister('r7', { signal })) === 0;
      if (secondRan) firstDone();
      throw this.failed('programPage', entry, r, secondRan ? args2 : args1);
    }
    firstDone();
    this.calls++;
  }

  /**
   * CRC-32 of [address, address+length) computed by the core itself (the runner's routine
   * next to the breakpoint), so unchanged sectors can be skipped and writes verified
   * without reading every byte back. Throws AlgorithmRangeError outside the algorithm's flash.
   */
  async crc32(address: number, length: number, signal?: AbortSignal): Promise<number> {
    // Only over the algorithm's flash: elsewhere (UICR, peripherals, unmapped space) the
    // routine's loads can fault, and an ARMv6-M core locks up instead of returning.
    this.checkRange(address, length);
    if (!this.loaded) await this.load(signal);
    await this.prepareRead(signal);
    // About 6 cycles per bit: 1 KiB takes under 5 ms even at 10 MHz; allow ten times that.
    const timeout = this.shortTimeout + this.margin + Math.ceil(length / 1024) * 50;
    return (await this.finish(await this.startAt(this.layout.crcRoutine, 'CRC-32 routine', [address, length], timeout, signal), signal)) >>> 0;
  }

  /** UnInit and remove the return breakpoint. */
  async unload(signal?: AbortSignal): Promise<void> {
    if (!this.loaded) return;
    try {
      await this.uninit(signal);
    } finally {
      this.loaded = false;
      // VTOR first: where the debugger's write to it is ignored (QEMU's stub), the core stores it
      // itself and returns to the return breakpoint, which must still be set — a BKPT without a
      // halting debugger HardFaults there, through the vector table just restored.
      if (this.savedVtor !== undefined) {
        await this.writeSystemWord(VTOR, this.savedVtor, signal).catch(() => undefined);
        this.savedVtor = undefined;
        await this.core.clearBreakpoint(this.layout.faultTrap, { signal }).catch(() => undefined);
      }
      await this.core.clearBreakpoint(this.layout.breakpoint, { signal }).catch(() => undefined);
    }
  }
}

function word(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
