/**
 * Where STM32 option bytes keep flash write protection, for the lines whose layout the
 * bootloader exposes as one readable block, and what the Write Protect (0x63) sector codes
 * mean there.
 *
 * - F1 (RM0008 §2.5 and "Option byte description"): WRP0..WRP3 at block offsets 8, 10, 12,
 *   14 form a 32-bit mask, bit clear = protected. Low/medium density: 4 pages per bit;
 *   high density and XL/connectivity: 2 pages per bit for bits 0–30, bit 31 protects the
 *   rest of the flash.
 * - F2/F4 (RM0033, RM0090 "Option bytes"): nWRP bits 0–11 at offset 8–9 of the block at
 *   0x1FFFC000, one per sector, bit clear = protected (with SPRMOD = 0).
 */
export type WrpLayout =
  | { kind: 'f1'; pagesPerBit: number; lastBitCoversRest: boolean }
  | { kind: 'f2f4' };

/** The layout for a family and flash size, or undefined where it is not modelled. */
export function wrpLayoutFor(family: string, flashSize: number): WrpLayout | undefined {
  if (/STM32F1/i.test(family)) return flashSize <= 128 * 1024 ? { kind: 'f1', pagesPerBit: 4, lastBitCoversRest: false } : { kind: 'f1', pagesPerBit: 2, lastBitCoversRest: true };
  if (/STM32F[24]/i.test(family)) return { kind: 'f2f4' };
  return undefined;
}

function mask(layout: WrpLayout, block: Uint8Array): { bits: number; count: number } {
  if (layout.kind === 'f1') return { bits: (block[8]! | (block[10]! << 8) | (block[12]! << 16) | (block[14]! << 24)) >>> 0, count: 32 };
  return { bits: (block[8]! | (block[9]! << 8)) & 0x0fff, count: 12 };
}

/** Page (sector) numbers one Write Protect code covers. */
export function pagesOfCode(layout: WrpLayout, code: number, pageCount: number): number[] {
  if (layout.kind === 'f2f4') return code < pageCount ? [code] : [];
  const first = code * layout.pagesPerBit;
  const last = layout.lastBitCoversRest && code === 31 ? pageCount : Math.min(pageCount, first + layout.pagesPerBit);
  const out: number[] = [];
  for (let p = first; p < last; p++) out.push(p);
  return out;
}

/** Page numbers the option block marks as write-protected. */
export function protectedPages(layout: WrpLayout, block: Uint8Array, pageCount: number): number[] {
  const { bits, count } = mask(layout, block);
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (!(bits & (1 << i))) out.push(...pagesOfCode(layout, i, pageCount));
  return out;
}

/** Clears (protect) or sets (unprotect) the WRP bits of `codes` in a copy of the block; all codes when omitted. */
export function withWrpBits(layout: WrpLayout, block: Uint8Array, protect: boolean, codes?: readonly number[]): Uint8Array {
  const out = block.slice();
  const { count } = mask(layout, block);
  const list = codes ?? Array.from({ length: count }, (_, i) => i);
  const offsets = layout.kind === 'f1' ? [8, 10, 12, 14] : [8, 9];
  for (const c of list) {
    const o = offsets[c >> 3];
    if (o === undefined) continue;
    if (protect) out[o]! &= ~(1 << (c & 7)) & 0xff;
    else out[o]! |= 1 << (c & 7);
    if (layout.kind === 'f1') out[o + 1] = ~out[o]! & 0xff; // F1 stores each byte with its complement
  }
  return out;
}
