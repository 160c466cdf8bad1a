/**
 * Where a flash algorithm lives in target RAM (pure planning, no I/O):
 *
 *   relocatable (FLM):  [return BKPT + helpers: 80-byte header][code + data][page buffer(s)][guard][stack]
 *   fixed (pyOCD):      code at load_address, stack below stack_top, buffers at page_buffers
 *
 * The return breakpoint is where every function returns (LR = breakpoint | 1); the host
 * puts a debugger breakpoint there, because a BKPT executed without a halting debugger
 * HardFaults on some stubs (QEMU). The guard word below the stack catches overflows.
 * The chaining trampoline (next to the breakpoint) lets one resume run two ProgramPage
 * calls back to back, from the two page buffers.
 */
import { hex } from '../../core/format.js';
import { rangesOverlap, regionHolds } from '../../target/geometry.js';
import type { FlashAlgorithm } from './algorithm.js';
import { AlgorithmFormatError, AlgorithmRamError } from './errors.js';

export interface AlgoLayout {
  /** Where `instructions[0]` goes. */
  loadAddress: number;
  /** Address functions return to; the host breaks there. */
  breakpoint: number;
  /** True when the runner must write its own BKPT at `breakpoint`. */
  ownBreakpoint: boolean;
  /** Where the runner writes {@link CHAIN_TRAMPOLINE}. */
  trampoline: number;
  /** A BKPT the fault trap's vectors point at (halting there means the algorithm faulted); a 4-byte helper stub follows it. */
  faultTrap: number;
  /** Where the runner writes {@link CRC32_ROUTINE} (4-byte aligned). */
  crcRoutine: number;
  /** 128-byte aligned RAM for a vector table of 32 trap entries, when it fits. */
  vectorTable?: number;
  staticBase: number;
  stackTop: number;
  /** Lowest stack address; the guard word sits here. */
  stackLimit: number;
  /** One or two (pyOCD descriptors: more) page buffers; never empty. */
  pageBuffers: readonly [number, ...number[]];
  /** RAM the algorithm occupies in its own RAM region (for messages and overlap checks). */
  used: { start: number; end: number };
  /** Page buffers the module places in other RAM regions (e.g. LPC1768's AHB SRAM). */
  elsewhere?: Array<{ start: number; end: number }>;
}

export interface LayoutOptions {
  ram: { start: number; size: number };
  /** Stack size for relocatable algorithms (default: the algorithm's, else 1 KiB). */
  stackSize?: number | undefined;
  /** Use two page buffers when they fit (default true). */
  doubleBuffer?: boolean | undefined;
  /** Further RAM regions a fixed-placement algorithm may put page buffers in. */
  otherRam?: Array<{ start: number; size: number }>;
}

const HEADER = 0x50;
const DEFAULT_STACK = 0x400;
/** Room kept for static data behind a fixed algorithm's static base when its size is unknown. */
const FIXED_DATA_ROOM = 0x100;
/** Smallest stack a fixed-placement algorithm's gap below begin_stack may leave. */
const MIN_FIXED_STACK = 0x80;
/** Two BKPT #0 half-words: the runner's own return point. */
export const BKPT_WORD = 0xbe00be00;

/**
 * Thumb code (ARMv6-M and up) that a first ProgramPage returns into. It relies only on
 * the AAPCS rule that r4–r8 survive a call: if r0 ≠ 0 (the success value) it goes to the breakpoint (r8) with
 * that result; otherwise it calls r7 (ProgramPage) with r0–r2 = r4–r6, clears r7 to say
 * the second call ran, and returns to the breakpoint too.
 *   cmp r0,#0; bne fail; mov r0,r4; mov r1,r5; mov r2,r6; mov r3,r7; movs r7,#0;
 *   mov lr,r8; bx r3; fail: bx r8
 */
export const CHAIN_TRAMPOLINE = chainTrampoline(0);

/** The trampoline for functions whose success value is `ok` (an external loader's 1): `cmp r0,#ok` first. */
export function chainTrampoline(ok: number): Uint8Array {
  return Uint8Array.from([ok & 0xff, 0x28, 0x06, 0xd1, 0x20, 0x46, 0x29, 0x46, 0x32, 0x46, 0x3b, 0x46, 0x00, 0x27, 0xc6, 0x46, 0x18, 0x47, 0x40, 0x47]);
}
/**
 * Thumb code (ARMv6-M and up) that erases `r5` sectors of `r6` bytes from `r4` in one run,
 * calling EraseSector (r7) for each and stopping at the first that fails; it relies only on
 * the AAPCS rule that r4–r8 survive a call. On return r0 is the last result, r4 the address
 * of the sector that failed (or one past the last), r5 the sectors not done.
 *   loop: mov r0,r4; blx r7; cmp r0,#0; bne done; add r4,r6; subs r5,#1; bne loop; done: bx r8
 */
export const ERASE_LOOP = Uint8Array.from([0x20, 0x46, 0xb8, 0x47, 0x00, 0x28, 0x02, 0xd1, 0x34, 0x44, 0x01, 0x3d, 0xf8, 0xd1, 0x40, 0x47]);

/** Helpers after the trampoline (20 bytes): the fault trap's BKPT (4), a store stub (4), the CRC-32 routine (44). */
const TRAMPOLINE_ROOM = 0x48;
const TRAP_OFFSET = 0x14;
const CRC_OFFSET = 0x1c;

/**
 * CRC-32 (IEEE 802.3, reflected, as zlib and core/crc.ts compute it) over [r0, r0+r1),
 * result in r0; Thumb for ARMv6-M and up, position independent (PC-relative constant):
 *   push {r4,r5}; movs r2,#0; mvns r2,r2; ldr r3,poly; cmp r1,#0; beq done
 *   byte: ldrb r4,[r0]; adds r0,#1; eors r2,r4; movs r5,#8
 *   bit:  lsrs r2,r2,#1; bcc 1f; eors r2,r3; 1: subs r5,#1; bne bit; subs r1,#1; bne byte
 *   done: mvns r0,r2; pop {r4,r5}; bx lr; poly: .word 0xEDB88320
 */
export const CRC32_ROUTINE = Uint8Array.from([
  0x30, 0xb4, 0x00, 0x22, 0xd2, 0x43, 0x08, 0x4b, 0x00, 0x29, 0x0a, 0xd0, 0x04, 0x78, 0x01, 0x30, 0x62, 0x40, 0x08, 0x25, 0x52, 0x08,
  0x00, 0xd3, 0x5a, 0x40, 0x01, 0x3d, 0xfa, 0xd1, 0x01, 0x39, 0xf4, 0xd1, 0xd0, 0x43, 0x30, 0xbc, 0x70, 0x47, 0x20, 0x83, 0xb8, 0xed,
]);
export const VECTOR_TABLE_SIZE = 0x80;

const align = (v: number, a: number) => Math.ceil(v / a) * a;

export function planLayout(algo: FlashAlgorithm, options: LayoutOptions): AlgoLayout {
  const l = algo.loadAddress === undefined ? planRelocatable(algo, options) : planFixed(algo, options);
  // The fault trap's vector table goes above everything else, when RAM has room for it.
  const table = align(l.used.end, VECTOR_TABLE_SIZE);
  if (table + VECTOR_TABLE_SIZE <= options.ram.start + options.ram.size) {
    l.vectorTable = table;
    l.used = { start: l.used.start, end: table + VECTOR_TABLE_SIZE };
  }
  return l;
}

function planRelocatable(algo: FlashAlgorithm, o: LayoutOptions): AlgoLayout {
  const ramStart = align(o.ram.start, 8);
  const ramEnd = o.ram.start + o.ram.size;
  const breakpoint = ramStart;
  const loadAddress = ramStart + HEADER;
  const staticBase = loadAddress + algo.staticBaseOffset;
  const codeEnd = align(loadAddress + Math.max(algo.instructions.length, algo.staticBaseOffset), 8);
  const stackSize = align(o.stackSize ?? algo.stackSize ?? DEFAULT_STACK, 8);
  const page = align(algo.flash.pageSize, 8);
  const wanted = o.doubleBuffer === false ? 1 : 2;
  for (let n = wanted; n >= 1; n--) {
    const buffers: [number, ...number[]] = [codeEnd, ...Array.from({ length: n - 1 }, (_, i) => codeEnd + (i + 1) * page)];
    const stackLimit = codeEnd + n * page;
    const stackTop = stackLimit + 8 + stackSize;
    if (stackTop <= ramEnd) {
      return { loadAddress, breakpoint, ownBreakpoint: true, trampoline: breakpoint + 4, faultTrap: breakpoint + 4 + TRAP_OFFSET, crcRoutine: breakpoint + 4 + CRC_OFFSET, staticBase, stackTop, stackLimit, pageBuffers: buffers, used: { start: ramStart, end: stackTop } };
    }
  }
  const parts = { header: HEADER, 'code and data': codeEnd - loadAddress, 'page buffer': page, 'stack and guard': stackSize + 8 };
  throw new AlgorithmRamError(Object.values(parts).reduce((a, b) => a + b, 0), o.ram, parts);
}

function planFixed(algo: FlashAlgorithm, o: LayoutOptions): AlgoLayout {
  const loadAddress = algo.loadAddress as number;
  const page = algo.flash.pageSize;
  const inMain = (a: number, n: number) => regionHolds(o.ram, a, n);
  const inRam = (a: number, n: number) => inMain(a, n) || [...(o.otherRam ?? []), ...(algo.otherRam ?? [])].some((r) => regionHolds(r, a, n));
  const codeEnd = loadAddress + algo.instructions.length;
  const staticBase = loadAddress + algo.staticBaseOffset;
  const given = algo.pageBuffers;
  // Static data size is unknown: keep some room behind the static base, but never past the module's own next object.
  const nextAbove = Math.min(...(given ?? []).filter((b) => b >= Math.max(codeEnd, staticBase)), staticBase + FIXED_DATA_ROOM);
  const dataEnd = align(Math.max(codeEnd, nextAbove), 4);
  const ownBreakpoint = algo.breakpointOffset === undefined;
  const helperSize = (ownBreakpoint ? 4 : 0) + TRAMPOLINE_ROOM;
  const explicitStack = o.stackSize ?? algo.stackSize;
  // Helpers (own breakpoint, trampoline, fault trap, CRC routine) go in the first free gap of the
  // algorithm's RAM, preferring one outside the stack the module reserves below begin_stack.
  const candidates = [dataEnd, ...(algo.stackTop !== undefined ? [align(algo.stackTop, 4)] : []), ...(given ?? []).map((b) => align(b + page, 4))];
  if (algo.stackTop !== undefined) candidates.sort((x, y) => Number(x < (algo.stackTop as number)) - Number(y < (algo.stackTop as number)) || x - y);
  const helpers = candidates.find((c) => inMain(c, helperSize) && !rangesOverlap(c, helperSize, loadAddress, dataEnd - loadAddress) && !(given ?? []).some((b) => rangesOverlap(c, helperSize, b, page))
    && !(algo.stackTop !== undefined && explicitStack !== undefined && rangesOverlap(c, helperSize, algo.stackTop - explicitStack, explicitStack))) ?? dataEnd;
  const breakpoint = ownBreakpoint ? helpers : loadAddress + (algo.breakpointOffset as number);
  const trampoline = helpers + (ownBreakpoint ? 4 : 0);
  const helpersEnd = align(trampoline + TRAMPOLINE_ROOM, 8);
  const stackTop = algo.stackTop ?? Math.max(dataEnd, helpersEnd) + align(explicitStack ?? DEFAULT_STACK, 8) + 8;
  let buffers = given ?? [align(stackTop, 8)];
  if (o.doubleBuffer === false) buffers = buffers.slice(0, 1);
  // Without a stack size, the stack is the gap between begin_stack and the highest object below it.
  const below = [dataEnd, ...(helpers < stackTop ? [helpersEnd] : []), ...buffers.map((b) => b + page)].filter((e) => e <= stackTop);
  const stackLimit = explicitStack !== undefined ? stackTop - explicitStack : Math.max(...below);
  const fits = buffers.filter((b) => inRam(b, page));
  const codeSize = dataEnd - loadAddress + helperSize;
  const parts = { 'code and data': codeSize, stack: Math.max(0, stackTop - stackLimit), 'page buffers': buffers.length * page };
  if (!inMain(loadAddress, dataEnd - loadAddress) || !inMain(helpers, helperSize) || !inMain(stackLimit, stackTop - stackLimit) || fits.length === 0) {
    throw new AlgorithmRamError(Object.values(parts).reduce((x, y) => x + y, 0), o.ram, parts);
  }
  if (stackTop - stackLimit < MIN_FIXED_STACK) {
    throw new AlgorithmFormatError(algo.source, `there is no room for the stack below ${hex(stackTop)}: the objects below it reach ${hex(stackLimit)}, so the page buffers or the code overlap the stack.`);
  }
  if (stackLimit < dataEnd && stackTop > loadAddress) {
    throw new AlgorithmFormatError(algo.source, `the stack (${hex(stackLimit)}–${hex(stackTop)}) overlaps the algorithm's code and data (up to ${hex(dataEnd)}).`);
  }
  if (helpers < stackTop && helpersEnd > stackLimit) throw new AlgorithmFormatError(algo.source, `the stack (${hex(stackLimit)}–${hex(stackTop)}) leaves no room for the runner's return breakpoint and helpers.`);
  for (const b of fits) {
    if (b < stackTop && b + page > stackLimit) throw new AlgorithmFormatError(algo.source, `page buffer ${hex(b)} overlaps the stack (${hex(stackLimit)}–${hex(stackTop)}).`);
    if (b < dataEnd && b + page > loadAddress) throw new AlgorithmFormatError(algo.source, `page buffer ${hex(b)} overlaps the algorithm's code.`);
  }
  const main = fits.filter((b) => inMain(b, page));
  const used = { start: Math.min(loadAddress, stackLimit, helpers, ...main), end: Math.max(stackTop, helpersEnd, dataEnd, ...main.map((b) => b + page)) };
  const elsewhere = fits.filter((b) => !inMain(b, page)).map((b) => ({ start: b, end: b + page }));
  return { loadAddress, breakpoint, ownBreakpoint, trampoline, faultTrap: trampoline + TRAP_OFFSET, crcRoutine: trampoline + CRC_OFFSET, staticBase, stackTop, stackLimit, pageBuffers: fits as [number, ...number[]] /* non-empty: checked above */, used, elsewhere };
}

/** Total RAM the layout occupies: its span in the algorithm's RAM plus page buffers in other RAM regions. */
export function layoutSize(l: AlgoLayout): number {
  return layoutAreas(l).reduce((n, a) => n + a.end - a.start, 0);
}

/** Every RAM range the layout occupies (the main span, then page buffers in other RAM regions). */
export function layoutAreas(l: AlgoLayout): Array<{ start: number; end: number }> {
  return [l.used, ...(l.elsewhere ?? [])];
}
