/**
 * An IVT-wrapped RAM image, as NXP ships the i.MX RT flashloader (ivt_flashloader.bin in the
 * SDK/"Flashloader i.MX RT10xx" package): the Image Vector Table sits inside the file and names
 * where the file must be loaded (IVT self − IVT offset = boot data start), how long it is and
 * where execution starts. SDP's WRITE_FILE puts the file at that address and JUMP_ADDRESS takes
 * the IVT's own address (i.MX RT1020/RT1060 reference manuals, "Program image": IVT header
 * 0x402000D1 little-endian = tag 0xD1, length 0x0020, version 0x40; boot data = start, length, plugin).
 */
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { BOOT_DATA_SIZE, IVT_SIZE, parseIvt, type Ivt } from './boot-image.js';

/** Where an IVT may sit in a RAM image (the RT1020 flashloader has it at 0x200, RT1050/1060 at 0x400). */
export const IVT_SEARCH_OFFSETS = [0x0, 0x100, 0x200, 0x400, 0x1000] as const;

export interface IvtImage {
  ivt: Ivt;
  /** Offset of the IVT inside the file. */
  ivtOffset: number;
  /** Address the IVT says it lives at (the JUMP_ADDRESS argument). */
  ivtAddress: number;
  /** Address the file goes to (boot data start). */
  loadAddress: number;
  /** Boot data length: bytes of the image from the load address. */
  length: number;
  /** IVT entry: the first instruction run (Thumb bit set). */
  entry: number;
  bytes: Uint8Array;
}

export class IvtImageError extends FlashwrightError {
  constructor(message: string, hint: string, context: ErrorContext = {}) {
    super('IMXRT_IVT_IMAGE', message, { hint, context });
  }
}

/** The IVT tag byte and length (bytes 0..2); the version byte 0x40–0x43 varies by ROM. */
export function isIvtHeader(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0xd1 && bytes[at + 1] === 0x00 && bytes[at + 2] === 0x20 && (bytes[at + 3]! & 0xf0) === 0x40;
}

/** Finds and checks the IVT of a RAM image; every inconsistency is an error naming the field. */
export function parseIvtImage(bytes: Uint8Array): IvtImage {
  const ivtOffset = IVT_SEARCH_OFFSETS.find((o) => o + IVT_SIZE <= bytes.length && isIvtHeader(bytes, o));
  if (ivtOffset === undefined) {
    throw new IvtImageError(`No Image Vector Table (header D1 00 20 4x) at offset ${IVT_SEARCH_OFFSETS.map((o) => hex(o, 1)).join(', ')} of this ${formatSize(bytes.length)} file.`,
      'Give the IVT-wrapped flashloader (ivt_flashloader.bin from NXP\'s flashloader package), not the plain .bin or .elf.', { size: bytes.length });
  }
  const ivt = parseIvt(bytes.subarray(ivtOffset));
  const ivtAddress = ivt.self;
  const loadAddress = (ivtAddress - ivtOffset) >>> 0;
  const bootDataOffset = ivt.bootData - loadAddress;
  if (bootDataOffset < 0 || bootDataOffset + BOOT_DATA_SIZE > bytes.length) {
    throw new IvtImageError(`The IVT's boot data pointer ${hex(ivt.bootData)} is outside the file loaded at ${hex(loadAddress)} (IVT self ${hex(ivtAddress)} at offset ${hex(ivtOffset, 1)}).`,
      'The file is not a RAM image for SDP (or is damaged).', { bootData: ivt.bootData, loadAddress });
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + bootDataOffset, BOOT_DATA_SIZE);
  const start = v.getUint32(0, true);
  const length = v.getUint32(4, true);
  if (start !== loadAddress) {
    throw new IvtImageError(`Boot data start ${hex(start)} disagrees with the load address the IVT implies (${hex(ivtAddress)} − ${hex(ivtOffset, 1)} = ${hex(loadAddress)}).`,
      'The file is not a RAM image for SDP (or is damaged).', { start, loadAddress });
  }
  if (length < ivtOffset + IVT_SIZE || length > bytes.length) {
    throw new IvtImageError(`Boot data length ${hex(length)} does not fit the ${hex(bytes.length)}-byte file (the IVT alone ends at ${hex(ivtOffset + IVT_SIZE)}).`,
      length > bytes.length ? 'The file is truncated: download the flashloader again.' : 'The file is damaged.', { length, size: bytes.length });
  }
  const entryAt = (ivt.entry & ~1) >>> 0;
  if (entryAt < loadAddress || entryAt >= loadAddress + length) {
    throw new IvtImageError(`The IVT entry ${hex(ivt.entry)} is outside the image (${hex(loadAddress)}–${hex(loadAddress + length - 1)}).`, 'The file is damaged or not a flashloader.', { entry: ivt.entry });
  }
  return { ivt, ivtOffset, ivtAddress, loadAddress, length, entry: ivt.entry, bytes: bytes.subarray(0, length) };
}

/** A minimal IVT-wrapped RAM image (tests and the simulator's model of NXP's flashloader). */
export function buildIvtImage(loadAddress: number, body: Uint8Array, options: { ivtOffset?: number; entryOffset?: number } = {}): Uint8Array {
  const ivtOffset = options.ivtOffset ?? 0x400;
  const codeAt = ivtOffset + IVT_SIZE + BOOT_DATA_SIZE;
  const out = new Uint8Array(codeAt + body.length);
  out.set(body, codeAt);
  const v = new DataView(out.buffer);
  v.setUint32(ivtOffset, 0x402000d1, true);
  v.setUint32(ivtOffset + 4, (loadAddress + (options.entryOffset ?? codeAt)) | 1, true);
  v.setUint32(ivtOffset + 0x10, loadAddress + ivtOffset + IVT_SIZE, true);
  v.setUint32(ivtOffset + 0x14, loadAddress + ivtOffset, true);
  v.setUint32(ivtOffset + IVT_SIZE, loadAddress, true);
  v.setUint32(ivtOffset + IVT_SIZE + 4, out.length, true);
  return out;
}
