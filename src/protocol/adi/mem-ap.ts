/**
 * MEM-AP memory access (ADIv5.2 chapter C2): CSW size and auto-increment, TAR rewritten at
 * every 1 KiB boundary (auto-increment past it is IMPLEMENTATION DEFINED), words moved with
 * DAP_TransferBlock, and every packet of a transfer sent before the first answer is awaited
 * (the session keeps the probe's packet count in flight). Unaligned edges use byte and
 * halfword accesses on their byte lanes.
 */
import { throwIfAborted } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import { TRANSFER_REQUEST_HEADER, transferOpSize, type TransferOp } from '../cmsis-dap/commands.js';
import { settleInOrder } from '../cmsis-dap/session.js';
import type { DebugPort } from './dp.js';
import { CSW, MEM_AP, TAR_WRAP } from './registers.js';

export interface MemApOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((bytesDone: number) => void) | undefined;
  /**
   * Bus access width the memory needs (1 or 2: peripherals, 8/16-bit external buses; default
   * 4). Narrow accesses go four bytes per DRW transfer where the AP packs them.
   */
  accessWidth?: 1 | 2 | 4 | undefined;
}

export class MemAp {
  /** CSW bits to keep from the value found at first use (Prot, DbgSwEnable, Mode). */
  private cswBase?: number;
  /** CSW last written. */
  private csw: number | undefined;

  constructor(readonly dp: DebugPort, readonly apsel: number) {}

  /**
   * Whether the AP does packed transfers (ADIv5.2 C2.2.7: CSW.AddrInc 0b10, byte or halfword
   * Size, each 32-bit DRW access making 4 or 2 bus accesses); learnt by init().
   */
  packed = false;

  /**
   * Reads CSW once to learn the implementation's fixed bits, and whether packed transfers
   * are implemented the way ADIv5.2 says to find out: AddrInc 0b10 written with an 8-bit
   * Size reads back as written only where they are.
   */
  async init(signal?: AbortSignal): Promise<void> {
    if (this.cswBase !== undefined) return;
    const v = await this.dp.readAp(this.apsel, MEM_AP.CSW, signal);
    const base = (v & 0xffffff00) >>> 0;
    const trial = (base | CSW.ADDRINC_PACKED | CSW.SIZE8) >>> 0;
    const back = await this.guard(() => this.dp.dap.transfer([...this.dp.apOp(this.apsel, MEM_AP.CSW, false, trial), ...this.dp.apOp(this.apsel, MEM_AP.CSW, true)],
      `Probing AP ${this.apsel} for packed transfers`, signal), signal);
    this.packed = ((back[0] ?? 0) & (CSW.ADDRINC_MASK | CSW.SIZE_MASK)) === (CSW.ADDRINC_PACKED | CSW.SIZE8);
    this.csw = undefined; // the next access writes the CSW it needs
    this.cswBase = base;
  }

  /**
   * Bytes TAR auto-increment is known to cover: 1 KiB is all ADIv5 guarantees; a core whose
   * AHB-AP does more (Cortex-M3/M4: 4 KiB) raises it once identified.
   */
  tarWrap = TAR_WRAP;

  /** True once CSW has been read: every access then builds its ops without waiting. */
  get ready(): boolean {
    return this.cswBase !== undefined;
  }

  /** Returns a function that puts the CSW and SELECT caches back as they are now (for ops built and then discarded). */
  cacheSnapshot(): () => void {
    const csw = this.csw;
    const select = this.dp.selectCache;
    return () => { this.csw = csw; this.dp.selectCache = select; };
  }

  /** Forgets cached CSW (after a reset or an error). */
  invalidate(): void {
    this.csw = undefined;
  }

  private cswOps(size: number, packed = false): TransferOp[] {
    const v = ((this.cswBase ?? 0) | (packed ? CSW.ADDRINC_PACKED : CSW.ADDRINC_SINGLE) | size) >>> 0;
    if (this.csw === v) return [];
    this.csw = v;
    return this.dp.apOp(this.apsel, MEM_AP.CSW, false, v);
  }

  private tarOps(address: number, size: number, packed = false): TransferOp[] {
    return [...this.cswOps(size, packed), ...this.dp.apOp(this.apsel, MEM_AP.TAR, false, address >>> 0)];
  }

  /**
   * Ops for the bytes [a, e) of one word (an unaligned head or tail): a halfword where aligned
   * and two bytes remain, else a byte, each on its byte lanes (C2.2.6); one TAR write, then
   * TAR's auto-increment by each access's size carries on across the Size changes.
   */
  private edgeOps(a: number, e: number, value?: (address: number, size: 1 | 2) => number): { ops: TransferOp[]; parts: Array<{ address: number; size: 1 | 2 }> } {
    const ops: TransferOp[] = [];
    const parts: Array<{ address: number; size: 1 | 2 }> = [];
    for (let p = a; p < e;) {
      const size: 1 | 2 = p % 2 === 0 && e - p >= 2 ? 2 : 1;
      ops.push(...this.cswOps(size === 2 ? CSW.SIZE16 : CSW.SIZE8));
      if (p === a) ops.push(...this.dp.apOp(this.apsel, MEM_AP.TAR, false, a >>> 0));
      ops.push(...this.dp.apOp(this.apsel, MEM_AP.DRW, !value, value ? (value(p, size) << (8 * (p & 3))) >>> 0 : undefined));
      parts.push({ address: p, size });
      p += size;
    }
    return { ops, parts };
  }

  /**
   * Ops for `count` narrow (1- or 2-byte) accesses from `address` without packing: TAR at the
   * start and at each auto-increment boundary, DRW between, each on its lanes.
   */
  private narrowOps(address: number, count: number, size: 1 | 2, value?: (address: number) => number): TransferOp[] {
    const ops: TransferOp[] = [];
    for (let i = 0; i < count; i++) {
      const a = address + i * size;
      if (i === 0 || a % this.tarWrap === 0) ops.push(...this.tarOps(a, size === 2 ? CSW.SIZE16 : CSW.SIZE8));
      ops.push(...this.dp.apOp(this.apsel, MEM_AP.DRW, !value, value ? (value(a) << (8 * (a & 3))) >>> 0 : undefined));
    }
    return ops;
  }

  /**
   * Ops that point TAR at the 16-byte-aligned `base`, after which the banked data registers
   * BD0–BD3 (bankedOp) reach its four words without further TAR writes (ADIv5.2 C2.6.2).
   */
  bankOps(base: number): TransferOp[] {
    return this.tarOps(base & ~0xf, CSW.SIZE32);
  }

  /** BDn access (the word at TAR base + 4n); `match` makes a read a value-match read against `value`. */
  bankedOp(n: number, read: boolean, value?: number, match = false): TransferOp[] {
    return this.dp.apOp(this.apsel, MEM_AP.BD0 + 4 * n, read, value === undefined ? undefined : value >>> 0).map((op) => (op.ap && match ? { ...op, match: true } : op));
  }

  /** The probe's match mask for the value-match reads that follow. */
  static matchMaskOp(mask: number): TransferOp {
    return { ap: false, read: false, register: 0, setMatchMask: true, value: mask >>> 0 };
  }

  /** Ops that read one word at `address` (the read value is their one read). */
  readWordOps(address: number): TransferOp[] {
    return [...this.tarOps(address, CSW.SIZE32), ...this.dp.apOp(this.apsel, MEM_AP.DRW, true)];
  }

  writeWordOps(address: number, value: number): TransferOp[] {
    return [...this.tarOps(address, CSW.SIZE32), ...this.dp.apOp(this.apsel, MEM_AP.DRW, false, value >>> 0)];
  }

  /**
   * Ops that read the word at `address` until (value & mask) == expected, through the probe's
   * value match (retried by the probe, TransferConfigure's match retry): no read data returned.
   */
  matchWordOps(address: number, mask: number, expected: number): TransferOp[] {
    return [
      ...this.tarOps(address, CSW.SIZE32),
      { ap: false, read: false, register: 0, setMatchMask: true, value: mask >>> 0 },
      ...this.dp.apOp(this.apsel, MEM_AP.DRW, true, expected >>> 0).map((op) => (op.ap ? { ...op, match: true } : op)),
    ];
  }

  async readWord(address: number, signal?: AbortSignal): Promise<number> {
    if (this.cswBase === undefined) await this.init(signal);
    const [v] = await this.guard(() => this.dp.dap.transfer(this.readWordOps(address), `Reading ${hex(address)}`, signal), signal);
    return v ?? 0;
  }

  async writeWord(address: number, value: number, signal?: AbortSignal): Promise<void> {
    if (this.cswBase === undefined) await this.init(signal);
    await this.guard(() => this.dp.dap.transfer(this.writeWordOps(address, value), `Writing ${hex(address)}`, signal), signal);
  }

  /** Runs `fn`; on a transfer error lets the DP recover and forgets CSW. */
  async guard<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.csw = undefined;
      throw await this.dp.recover(e, signal);
    }
  }

  /**
   * Reads `count` words from a word-aligned address, pipelined. One stream of DAP_Transfer
   * ops (a TAR write at the start and at every 1 KiB boundary, DRW reads between) split by
   * the session into full packets: a TAR write costs request bytes only, so every response
   * carries as many words as a DAP_TransferBlock would, even across boundaries.
   */
  async readWords(address: number, count: number, options: MemApOptions = {}, size: number = CSW.SIZE32): Promise<Uint32Array> {
    if (this.cswBase === undefined) await this.init(options.signal);
    throwIfAborted(options.signal, 'memory read');
    const packed = size !== CSW.SIZE32; // a narrow Size here means packed: each DRW word is 4 or 2 bus accesses
    const ops: TransferOp[] = [];
    for (let i = 0; i < count; i++) {
      const a = address + 4 * i;
      if (i === 0 || a % this.tarWrap === 0) ops.push(...this.tarOps(a, size, packed));
      ops.push(...this.dp.apOp(this.apsel, MEM_AP.DRW, true));
    }
    let done = 0;
    const values = await this.guard(() => this.dp.dap.transfer(ops, `Reading ${count * 4} bytes at ${hex(address)}`, options.signal, (n) => {
      done += 4 * n;
      options.onProgress?.(done);
    }), options.signal);
    return Uint32Array.from(values);
  }

  /**
   * Writes words to a word-aligned address, pipelined, in as few packets as the packet size
   * allows: full DAP_TransferBlocks to DRW while TAR is known to point at the next word; where
   * TAR must be (re)written (the start, and each auto-increment boundary) a DAP_Transfer
   * carries the TAR write together with as many DRW writes as fit, across the boundary too,
   * so no packet carries a TAR write alone.
   */
  async writeWords(address: number, words: Uint32Array, options: MemApOptions = {}, prefix: readonly TransferOp[] = [], prefixWhat = '', size: number = CSW.SIZE32): Promise<void> {
    if (this.cswBase === undefined) await this.init(options.signal);
    const packed = size !== CSW.SIZE32;
    throwIfAborted(options.signal, 'memory write');
    const dap = this.dp.dap;
    const { write: per } = dap.blockWords;
    const wrap = this.tarWrap;
    const jobs: Array<Promise<unknown>> = [];
    let done = 0;
    const progress = (n: number) => () => { done += 4 * n; options.onProgress?.(done); };
    const then = prefixWhat ? `${prefixWhat}, then writing` : 'Writing';
    // Ops queued before this write (a core's register writes and run) lead its first packet.
    let carry: TransferOp[] = [];
    if (prefix.length) {
      const packets = dap.splitTransfers(prefix);
      carry = packets.pop()!;
      for (const p of packets) jobs.push(dap.transfer(p, prefixWhat || 'Queued transfers', options.signal));
    }
    /** Where TAR points now (undefined: unknown, e.g. after it reached a boundary). */
    let tarAt: number | undefined;
    for (let i = 0; i < words.length;) {
      const a = address + 4 * i;
      const room = (wrap - (a % wrap)) / 4;
      const left = words.length - i;
      if (!carry.length && tarAt === a && (room >= per || left <= room)) {
        const n = Math.min(per, room, left);
        jobs.push(dap.transferBlock(true, MEM_AP.DRW, false, n, words.subarray(i, i + n), `Writing ${n * 4} bytes at ${hex(a)}`, options.signal).then(progress(n)));
        i += n;
        tarAt = n === room ? undefined : a + 4 * n;
        continue;
      }
      // A DAP_Transfer carries the TAR write with as many DRW writes as fit, across a boundary too.
      const ops: TransferOp[] = carry;
      const led = carry.length > 0;
      carry = [];
      // (The carried ops fit one packet both ways; writes add request bytes only.)
      let req = ops.reduce((b, op) => b + transferOpSize(op).request, TRANSFER_REQUEST_HEADER);
      let n = 0;
      for (let j = i; j < words.length; j++) {
        const aj = address + 4 * j;
        const set = tarAt === aj ? [] : this.tarOps(aj, size, packed);
        const bytes = 5 * (set.length + 1); // writes: request byte + word each, nothing back
        if (ops.length + set.length + 1 > 255 || req + bytes > dap.packetSize) {
          if (set.length) this.csw = undefined; // built but not sent: CSW/SELECT caches may be ahead
          if (set.length) this.dp.invalidate();
          break;
        }
        ops.push(...set, ...this.dp.apOp(this.apsel, MEM_AP.DRW, false, words[j]!));
        req += bytes;
        n++;
        tarAt = (aj + 4) % wrap === 0 ? undefined : aj + 4;
      }
      jobs.push(dap.transfer(ops, `${led ? then : 'Writing'} ${n * 4} bytes at ${hex(a)}`, options.signal).then(progress(n)));
      i += n;
    }
    if (carry.length) jobs.push(dap.transfer(carry, prefixWhat || 'Queued transfers', options.signal));
    await this.guard(async () => { settleInOrder(await Promise.allSettled(jobs)); }, options.signal);
  }

  /**
   * The accesses for [start, end): unaligned head and tail as byte/halfword accesses (edgeOps);
   * the words between as words, or for a narrow access width packed (where the AP packs) or
   * as single narrow accesses.
   */
  private plan(start: number, end: number, width: 1 | 2 | 4): { alignedStart: number; alignedEnd: number; packedSize?: number | undefined; narrow?: 1 | 2 | undefined } {
    const alignedStart = Math.min(end, alignDown(start + 3));
    const alignedEnd = Math.max(alignedStart, alignDown(end));
    if (width === 4 || alignedEnd === alignedStart) return { alignedStart, alignedEnd };
    if (this.packed) return { alignedStart, alignedEnd, packedSize: width === 2 ? CSW.SIZE16 : CSW.SIZE8 };
    return { alignedStart, alignedEnd, narrow: width };
  }

  /** Reads any byte range (unaligned edges by byte/halfword accesses). */
  async read(address: number, length: number, options: MemApOptions = {}): Promise<Uint8Array> {
    if (this.cswBase === undefined) await this.init(options.signal);
    const out = new Uint8Array(length);
    const start = address >>> 0;
    const end = start + length;
    const { alignedStart, alignedEnd, packedSize, narrow } = this.plan(start, end, options.accessWidth ?? 4);
    const head = this.edgeOps(start, alignedStart);
    const tail = this.edgeOps(Math.max(alignedEnd, alignedStart), end);
    // All sent before any answer is awaited, each transfer built just before it is sent (the
    // CSW and SELECT caches follow the ops in the order they go out): edges first, then the middle.
    const edgeOps = [...head.ops, ...tail.ops];
    const edges = edgeOps.length ? this.guard(() => this.dp.dap.transfer(edgeOps, `Reading bytes at ${hex(start)}`, options.signal), options.signal) : Promise.resolve([]);
    let middle: Promise<Uint32Array | number[]> = Promise.resolve(new Uint32Array(0));
    if (alignedEnd > alignedStart) {
      if (narrow) {
        const ops = this.narrowOps(alignedStart, (alignedEnd - alignedStart) / narrow, narrow);
        middle = this.guard(() => this.dp.dap.transfer(ops, `Reading ${alignedEnd - alignedStart} bytes at ${hex(alignedStart)} (${narrow * 8}-bit)`, options.signal), options.signal);
      } else {
        middle = this.readWords(alignedStart, (alignedEnd - alignedStart) / 4, options, packedSize ?? CSW.SIZE32);
      }
    }
    const [m, values] = settleInOrder(await Promise.allSettled([middle, edges])) as [Uint32Array | number[], number[]];
    if (m instanceof Uint32Array) out.set(new Uint8Array(m.buffer, m.byteOffset, alignedEnd - alignedStart), alignedStart - start);
    else m.forEach((v, k) => { const a = alignedStart + k * narrow!; for (let j = 0; j < narrow!; j++) out[a + j - start] = (v >>> (8 * ((a + j) & 3))) & 0xff; });
    [...head.parts, ...tail.parts].forEach(({ address: a, size }, k) => {
      const v = values[k] ?? 0;
      for (let j = 0; j < size; j++) out[a + j - start] = (v >>> (8 * ((a + j) & 3))) & 0xff;
    });
    return out;
  }

  /** Writes any byte range (unaligned edges by byte/halfword accesses on their lanes). */
  async write(address: number, data: Uint8Array, options: MemApOptions = {}, prefix: readonly TransferOp[] = [], prefixWhat = ''): Promise<void> {
    if (this.cswBase === undefined) await this.init(options.signal);
    const start = address >>> 0;
    const end = start + data.length;
    const { alignedStart, alignedEnd, packedSize, narrow } = this.plan(start, end, options.accessWidth ?? 4);
    const at = (a: number, size: number) => (size === 2 ? (data[a - start] ?? 0) | ((data[a + 1 - start] ?? 0) << 8) : data[a - start] ?? 0);
    const ops = [...this.edgeOps(start, alignedStart, at).ops, ...this.edgeOps(Math.max(alignedEnd, alignedStart), end, at).ops];
    // Edges and words are sent back to back (ops built in call order, so a later call's ops follow them).
    const jobs: Array<Promise<unknown>> = [];
    let lead = prefix;
    if (ops.length || alignedEnd === alignedStart || narrow) {
      if (narrow && alignedEnd > alignedStart) ops.push(...this.narrowOps(alignedStart, (alignedEnd - alignedStart) / narrow, narrow, (a) => at(a, narrow)));
      const all = [...lead, ...ops];
      lead = [];
      if (all.length) jobs.push(this.guard(() => this.dp.dap.transfer(all, prefixWhat ? `${prefixWhat}, then writing bytes at ${hex(start)}` : `Writing bytes at ${hex(start)}`, options.signal), options.signal));
    }
    if (alignedEnd > alignedStart && !narrow) {
      const middle = data.slice(alignedStart - start, alignedEnd - start);
      jobs.push(this.writeWords(alignedStart, new Uint32Array(middle.buffer, 0, middle.length / 4), options, lead, prefixWhat, packedSize ?? CSW.SIZE32));
    }
    settleInOrder(await Promise.allSettled(jobs));
  }
}

/** Rounds down to a word boundary, staying unsigned above 0x80000000. */
function alignDown(a: number): number {
  return (a - (a % 4));
}
