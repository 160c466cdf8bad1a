/**
 * The random write scenarios the contract's property tests share: older contents put into
 * the rig's area, and an image of up to three pieces placed in it in address order.
 */
import fc from 'fast-check';
import { MemoryImage } from '../../src/image/memory-image.js';
import type { Rig } from './rigs.js';

export type Piece = { offset: number; data: Uint8Array };
export const piece: fc.Arbitrary<Piece> = fc.record({ offset: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 0x900 }) });
export const oldPieces = fc.array(piece, { maxLength: 3 });
export const imagePieces = fc.array(piece, { minLength: 1, maxLength: 3 });

/** Puts each old piece into the rig's area (wrapped into it, cut at its end). */
export function loadOld(rig: Rig, old: readonly Piece[]): void {
  const { start, size } = rig.area;
  for (const o of old) {
    const at = o.offset % size;
    rig.load(start + at, o.data.subarray(0, size - at));
  }
}

/** The image: each piece at most 0x800 bytes after the previous one's end, all inside the area. */
export function imageIn(rig: Rig, pieces: readonly Piece[]): { image: MemoryImage; segments: Array<{ address: number; data: Uint8Array }> } {
  const { start, size } = rig.area;
  const segments: Array<{ address: number; data: Uint8Array }> = [];
  let cursor = 0;
  for (const x of pieces) {
    const at = cursor + (x.offset % 0x800);
    if (at >= size) break;
    const data = x.data.subarray(0, size - at);
    segments.push({ address: start + at, data });
    cursor = at + data.length;
  }
  return { image: MemoryImage.fromSegments(segments), segments };
}
