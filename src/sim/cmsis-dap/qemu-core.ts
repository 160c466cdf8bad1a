/**
 * A Cortex-M core behind QEMU's GDB stub, as the debug registers need it: memory ↔ m/M,
 * halt/run/step ↔ interrupt/c/s, core registers ↔ p/P, FPB comparators ↔ Z1. What QEMU's
 * stub does differently from silicon is made up for here (../shared/design/TEST-PEERS.md):
 * - a guest BKPT does not halt into the debugger (it escalates to HardFault): before each
 *   resume, BKPT instructions the host wrote near PC and at LR get a GDB breakpoint, so
 *   the core halts on them as Armv7-M C1.5 says it must with C_DEBUGEN set;
 * - the stub drops debugger writes to MMIO (and writes flash behind the NVMC's back):
 *   writes outside RAM are made by the core itself, a single-stepped STR/STRH/STRB from a
 *   scratch halfword whose contents and registers are restored afterwards;
 * - memory access while the core runs (a MEM-AP can, an all-stop stub cannot): the core is
 *   stopped around the access and resumed, invisibly to the host.
 * RAM writes are combined into one M packet per contiguous run; reads of memory (not MMIO)
 * while halted are served from 1 KiB blocks read at once.
 */
import { hex } from '../../core/format.js';
import type { GdbClient } from '../../protocol/gdb-rsp/client.js';
import type { CoreControl, HaltCause } from './cortex-m.js';
import { ApBusError } from './dp.js';
import type { AccessSize, MemoryBus } from './mem-ap.js';

export interface QemuMemoryLayout {
  /** Plain RAM: written directly (M). */
  ram: Array<[start: number, end: number]>;
  /** Memory that reads like memory (cacheable while halted): RAM, flash, ROM. */
  memory: Array<[start: number, end: number]>;
  /** A halfword of RAM the core may execute a store from (saved and restored). */
  scratch: number;
  /** Words that read differently on the silicon than in QEMU's model (by word address). */
  readOverride?: (wordAddress: number) => number | undefined;
}

const REG_NAMES: Record<number, string> = {
  0: 'r0', 1: 'r1', 2: 'r2', 3: 'r3', 4: 'r4', 5: 'r5', 6: 'r6', 7: 'r7', 8: 'r8', 9: 'r9', 10: 'r10', 11: 'r11', 12: 'r12',
  13: 'sp', 14: 'lr', 15: 'pc', 16: 'xpsr', 17: 'msp', 18: 'psp',
};
const STOP_WAIT_MS = 24 * 3600 * 1000;
const BLOCK = 1024;
const BKPT_SCAN = 4096;
const WRITTEN_LIMIT = 256 * 1024;

function inRanges(ranges: Array<[number, number]>, a: number, n: number): boolean {
  return ranges.some(([s, e]) => a >= s && a + n <= e);
}

export class QemuCore implements CoreControl, MemoryBus {
  halted = true;
  lockup = false;
  haltCause?: HaltCause | undefined = 'request';
  private chain: Promise<unknown> = Promise.resolve();
  private stopWaiter?: Promise<void> | undefined;
  private pendingWrite?: { address: number; bytes: number[] } | undefined;
  private readonly cache = new Map<number, Uint8Array>();
  /** Bytes the host wrote to RAM while halted, for finding its BKPT instructions. */
  private readonly written = new Map<number, number>();
  private fpb: number[] = [];
  private readonly inserted = new Map<number, 0 | 1>();
  private failure?: unknown;
  readonly counters = { gdbStops: 0, transparentHalts: 0, coreStores: 0, bkptBreakpoints: 0 };

  constructor(readonly client: GdbClient, private readonly layout: QemuMemoryLayout) {}

  /** Serialises everything that talks to the stub. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private get running(): boolean { return !this.halted; }

  // ---- execution control ----

  halt(): Promise<void> {
    return this.run(async () => {
      if (this.halted) return;
      await this.stopNow();
      this.haltCause ??= 'request';
    });
  }

  untilStopped(ms: number): Promise<void> {
    if (this.halted || !this.stopWaiter) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([this.stopWaiter, new Promise<void>((r) => { timer = setTimeout(r, ms); })]).finally(() => clearTimeout(timer));
  }

  /** Stops a running core and waits for its stop reply; a breakpoint reached first counts as its own halt. */
  private async stopNow(): Promise<void> {
    await this.client.connection.interrupt();
    await this.stopWaiter;
  }

  resume(step: boolean): Promise<void> {
    return this.run(async () => {
      if (!this.halted) return;
      await this.flushUnlocked();
      await this.syncBreakpoints();
      this.cache.clear();
      this.halted = false;
      this.haltCause = undefined;
      await this.client.resume(step);
      this.watchForStop(step);
    });
  }

  private watchForStop(step: boolean): void {
    this.stopWaiter = this.client.waitForStop({ timeoutMs: STOP_WAIT_MS }).then((s) => {
      this.counters.gdbStops++;
      this.halted = true;
      // SIGINT (2) is our own interrupt; SIGTRAP (5) a breakpoint or the end of a step.
      this.haltCause = s.signal === 2 ? 'request' : step ? 'step' : 'bkpt';
    }, (e) => { this.failure = e; this.halted = true; this.haltCause = 'request'; });
  }

  /** Runs `fn` with the core stopped; a core that was running is resumed after, unless it halted on its own meanwhile. */
  private async whileStopped<T>(fn: () => Promise<T>): Promise<T> {
    if (this.failure) throw new ApBusError(`the GDB stub connection failed: ${String(this.failure)}`);
    if (this.halted) return fn();
    this.counters.transparentHalts++;
    await this.client.connection.interrupt();
    await this.stopWaiter;
    const stoppedByUs = this.haltCause === 'request';
    if (stoppedByUs) this.haltCause = undefined;
    try {
      return await fn();
    } finally {
      if (stoppedByUs) {
        this.cache.clear();
        this.halted = false;
        await this.client.resume(false);
        this.watchForStop(false);
      }
    }
  }

  // ---- breakpoints ----

  setBreakpoints(addresses: number[]): Promise<void> {
    return this.run(async () => {
      this.fpb = [...addresses];
      if (this.halted) return; // applied at the next resume
      await this.whileStopped(() => this.syncBreakpoints());
    });
  }

  /** The BKPT instructions (0xBExx) the host wrote around an address. */
  private bkptsNear(address: number): number[] {
    const out: number[] = [];
    const start = (address - BKPT_SCAN) & ~1;
    for (let a = start; a < address + BKPT_SCAN; a += 2) {
      if (this.written.get(a + 1) === 0xbe && this.written.has(a)) out.push(a >>> 0);
    }
    return out;
  }

  private async syncBreakpoints(): Promise<void> {
    const want = new Map<number, 0 | 1>();
    for (const a of this.fpb) want.set(a, 1);
    if (this.written.size) {
      const pc = await this.client.readRegister('pc');
      const lr = await this.client.readRegister('lr');
      for (const a of [...this.bkptsNear(pc & ~1), ...this.bkptsNear(lr & ~1)].slice(0, 64)) if (!want.has(a)) want.set(a, 0);
    }
    for (const [a, type] of this.inserted) {
      if (want.get(a) !== type) { await this.client.breakpoint(false, a, type); this.inserted.delete(a); }
    }
    for (const [a, type] of want) {
      if (this.inserted.has(a)) continue;
      await this.client.breakpoint(true, a, type);
      this.inserted.set(a, type);
      if (type === 0) this.counters.bkptBreakpoints++;
    }
  }

  // ---- registers ----

  readRegister(regsel: number): Promise<number> {
    return this.run(async () => {
      await this.flushUnlocked();
      if (regsel === 20) return this.specialRegisters();
      const name = REG_NAMES[regsel];
      if (!name || !this.client.registers.has(name)) return 0;
      return this.client.readRegister(name);
    });
  }

  private async specialRegisters(): Promise<number> {
    const get = async (n: string) => (this.client.registers.has(n) ? (await this.client.readRegister(n)) & 0xff : 0);
    return ((await get('control')) << 24 | (await get('faultmask')) << 16 | (await get('basepri')) << 8 | (await get('primask'))) >>> 0;
  }

  writeRegister(regsel: number, value: number): Promise<void> {
    return this.run(async () => {
      const name = REG_NAMES[regsel];
      if (regsel === 20) {
        for (const [n, shift] of [['control', 24], ['faultmask', 16], ['basepri', 8], ['primask', 0]] as const) {
          if (this.client.registers.has(n)) await this.client.writeRegister(n, (value >>> shift) & 0xff);
        }
        return;
      }
      if (!name || !this.client.registers.has(name)) return;
      await this.client.writeRegister(name, value);
    });
  }

  reset(halt: boolean): Promise<void> {
    return this.run(async () => {
      await this.flushUnlocked();
      if (!this.halted) { await this.stopNow(); }
      this.cache.clear();
      this.written.clear();
      // QEMU's system_reset leaves the machine stopped at the reset vector.
      await this.client.monitor('system_reset');
      this.halted = true;
      this.haltCause = halt ? 'vcatch' : undefined;
      if (!halt) {
        await this.syncBreakpoints();
        this.halted = false;
        await this.client.resume(false);
        this.watchForStop(false);
      }
    });
  }

  // ---- memory ----

  read(address: number, size: AccessSize): Promise<number> {
    return this.run(() => this.whileStopped(async () => {
      await this.flushUnlocked();
      const o = this.layout.readOverride?.((address & ~3) >>> 0);
      if (o !== undefined) return size === 4 ? o >>> 0 : (o >>> (8 * (address & 3))) & (size === 1 ? 0xff : 0xffff);
      const bytes = await this.readBytes(address, size);
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = (v << 8) | bytes[i]!;
      return v >>> 0;
    }));
  }

  private async readBytes(address: number, size: number): Promise<Uint8Array> {
    const cacheable = this.halted && inRanges(this.layout.memory, address, size);
    if (cacheable) {
      const base = address - (address % BLOCK);
      let block = this.cache.get(base);
      if (!block) {
        const [, end] = this.layout.memory.find(([s, e]) => address >= s && address < e)!;
        block = await this.gdbRead(base, Math.min(BLOCK, end - base));
        this.cache.set(base, block);
      }
      if (address + size <= base + block.length) return block.subarray(address - base, address - base + size);
    }
    return this.gdbRead(address, size);
  }

  private async gdbRead(address: number, n: number): Promise<Uint8Array> {
    try {
      return await this.client.readMemory(address, n);
    } catch (e) {
      throw new ApBusError(`read of ${n} bytes at ${hex(address)} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  write(address: number, size: AccessSize, value: number): void | Promise<void> {
    if (this.failure) throw new ApBusError(`the GDB stub connection failed: ${String(this.failure)}`);
    const bytes = Array.from({ length: size }, (_, i) => (value >>> (8 * i)) & 0xff);
    if (!inRanges(this.layout.ram, address, size)) return this.run(() => this.whileStopped(() => this.coreStore(address, size, value)));
    if (this.halted) {
      bytes.forEach((b, i) => this.written.set(address + i, b));
      // Only code near PC/LR is scanned for BKPTs: keep the most recent 256 KiB written, not every byte of a large download.
      if (this.written.size > WRITTEN_LIMIT) { let drop = this.written.size - WRITTEN_LIMIT / 2; for (const k of this.written.keys()) { if (drop-- <= 0) break; this.written.delete(k); } }
    }
    for (const [base] of this.cache) if (address + size > base && address < base + BLOCK) this.cache.delete(base);
    const p = this.pendingWrite;
    if (p && p.address + p.bytes.length === address && p.bytes.length < 4096) { p.bytes.push(...bytes); return; }
    if (p) {
      // A write elsewhere: the earlier run goes out first, in order.
      const prev = p;
      this.pendingWrite = { address, bytes };
      return this.run(() => this.whileStopped(() => this.gdbWrite(prev.address, Uint8Array.from(prev.bytes))));
    }
    this.pendingWrite = { address, bytes };
  }

  /** Sends combined RAM writes (called before anything that must see them). */
  flush(): Promise<void> {
    if (!this.pendingWrite) return Promise.resolve();
    return this.run(() => this.whileStopped(() => this.flushUnlocked()));
  }

  /** Whether the core runs (combined writes must then go out before the host waits on it). */
  get isRunning(): boolean { return this.running; }

  private async flushUnlocked(): Promise<void> {
    const p = this.pendingWrite;
    if (!p) return;
    this.pendingWrite = undefined;
    await this.gdbWrite(p.address, Uint8Array.from(p.bytes));
  }

  private async gdbWrite(address: number, data: Uint8Array): Promise<void> {
    try {
      await this.client.writeMemory(address, data);
    } catch (e) {
      throw new ApBusError(`write of ${data.length} bytes at ${hex(address)} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** A store made by the core (STR/STRH/STRB r1, [r0]) single-stepped from the scratch halfword. */
  private async coreStore(address: number, size: AccessSize, value: number): Promise<void> {
    await this.flushUnlocked();
    this.counters.coreStores++;
    this.cache.clear();
    const scratch = this.layout.scratch;
    const saved = await this.gdbRead(scratch, 2);
    const regs = new Map<string, number>();
    for (const n of ['r0', 'r1', 'pc', 'xpsr']) regs.set(n, await this.client.readRegister(n));
    const opcode = size === 4 ? 0x6001 : size === 2 ? 0x8001 : 0x7001;
    await this.gdbWrite(scratch, Uint8Array.of(opcode & 0xff, opcode >> 8));
    await this.client.writeRegister('r0', address);
    await this.client.writeRegister('r1', value);
    await this.client.writeRegister('pc', scratch);
    await this.client.writeRegister('xpsr', (regs.get('xpsr')! | 0x01000000) >>> 0);
    for (const [a, type] of this.inserted) if (a === scratch) { await this.client.breakpoint(false, a, type); this.inserted.delete(a); }
    await this.client.resume(true);
    await this.client.waitForStop({ timeoutMs: 5000 });
    const pc = await this.client.readRegister('pc');
    for (const [n, v] of regs) await this.client.writeRegister(n, v);
    await this.gdbWrite(scratch, saved);
    if (pc !== scratch + 2) throw new ApBusError(`the store to ${hex(address)} faulted (core at ${hex(pc)})`);
  }
}
