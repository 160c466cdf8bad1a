/**
 * The CMSIS-Pack `FlashDevice` structure (CMSIS-Pack "Flash Programming" documentation,
 * FlashOS.h): version u16 @0, name char[128] @2, type u16 @130, start u32 @132, size @136,
 * page size @140, reserved @144, erased value u8 @148, program-page timeout (ms) @152,
 * erase-sector timeout (ms) @156, then (sector size, sector address) u32 pairs from @160,
 * ended by 0xFFFFFFFF 0xFFFFFFFF. Sector addresses are offsets from the device start; each
 * pair starts a run of equal sectors that lasts until the next pair (or the device end).
 */
import type { SectorRun } from '../../target/types.js';
import { AlgorithmFormatError } from './errors.js';

export const FLASH_DEVICE_HEADER_SIZE = 160;
const SECTOR_END = 0xffffffff;

/** FlashOS.h device types. */
export const DEVICE_TYPES: Record<number, string> = { 0: 'unknown', 1: 'on-chip flash', 2: '8-bit external', 3: '16-bit external', 4: '32-bit external', 5: 'serial flash' };

/** A run start: sectors of `size` bytes from `offset` (relative to the device start). */
export interface SectorStart {
  offset: number;
  size: number;
}

/** Flash properties as FlashDevice gives them (also the shape descriptors use). */
export interface FlashProperties {
  name: string;
  version?: number;
  type?: number;
  start: number;
  size: number;
  pageSize: number;
  erasedValue: number;
  programTimeoutMs: number;
  eraseTimeoutMs: number;
  sectors: SectorStart[];
}

export function parseFlashDevice(data: Uint8Array, source: string): FlashProperties {
  if (data.length < FLASH_DEVICE_HEADER_SIZE + 8) {
    throw new AlgorithmFormatError(source, `the FlashDevice structure is ${data.length} bytes, shorter than its ${FLASH_DEVICE_HEADER_SIZE}-byte header plus an end marker.`);
  }
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nameBytes = data.subarray(2, 130);
  const nul = nameBytes.indexOf(0);
  const name = new TextDecoder('latin1').decode(nameBytes.subarray(0, nul < 0 ? 128 : nul)).trim();
  const sectors: SectorStart[] = [];
  let ended = false;
  for (let off = FLASH_DEVICE_HEADER_SIZE; off + 8 <= data.length; off += 8) {
    const size = v.getUint32(off, true);
    const offset = v.getUint32(off + 4, true);
    if (size === SECTOR_END && offset === SECTOR_END) { ended = true; break; }
    sectors.push({ offset, size });
  }
  const props: FlashProperties = {
    name,
    version: v.getUint16(0, true),
    type: v.getUint16(130, true),
    start: v.getUint32(132, true),
    size: v.getUint32(136, true),
    pageSize: v.getUint32(140, true),
    erasedValue: v.getUint8(148),
    programTimeoutMs: v.getUint32(152, true),
    eraseTimeoutMs: v.getUint32(156, true),
    sectors,
  };
  if (!ended) throw new AlgorithmFormatError(source, 'the FlashDevice sector list has no 0xFFFFFFFF end marker.', { sectorsRead: sectors.length });
  validateFlashProperties(props, source);
  return props;
}

/** Checks the geometry makes sense: sectors ascending, inside the device, sizes non-zero. */
export function validateFlashProperties(p: FlashProperties, source: string): void {
  if (p.size <= 0) throw new AlgorithmFormatError(source, `the flash size is ${p.size}.`);
  if (p.pageSize <= 0) throw new AlgorithmFormatError(source, `the page size is ${p.pageSize}.`);
  if (p.sectors.length === 0) throw new AlgorithmFormatError(source, 'the sector list is empty.');
  if (p.sectors[0]!.offset !== 0) throw new AlgorithmFormatError(source, `the first sector starts at offset 0x${p.sectors[0]!.offset.toString(16)}, not 0.`);
  for (let i = 0; i < p.sectors.length; i++) {
    const s = p.sectors[i]!;
    if (s.size <= 0) throw new AlgorithmFormatError(source, `sector run ${i} has size 0.`);
    if (s.offset >= p.size) throw new AlgorithmFormatError(source, `sector run ${i} starts at offset 0x${s.offset.toString(16)}, past the flash size 0x${p.size.toString(16)}.`);
    if (i > 0 && s.offset <= p.sectors[i - 1]!.offset) throw new AlgorithmFormatError(source, `sector runs are not in ascending order at run ${i}.`);
  }
}

/** The sector starts expanded to runs covering [start, start+size), as target descriptions use. */
export function sectorRuns(p: FlashProperties): SectorRun[] {
  const runs: SectorRun[] = [];
  for (let i = 0; i < p.sectors.length; i++) {
    const end = i + 1 < p.sectors.length ? p.sectors[i + 1]!.offset : p.size;
    const count = Math.floor((end - p.sectors[i]!.offset) / p.sectors[i]!.size);
    if (count > 0) runs.push({ size: p.sectors[i]!.size, count });
  }
  return runs;
}

/** Every sector as an absolute (address, size) pair. */
export function listSectors(p: FlashProperties): Array<{ address: number; size: number }> {
  const out: Array<{ address: number; size: number }> = [];
  let offset = 0;
  for (const run of sectorRuns(p)) {
    for (let k = 0; k < run.count; k++) { out.push({ address: p.start + offset, size: run.size }); offset += run.size; }
  }
  return out;
}
