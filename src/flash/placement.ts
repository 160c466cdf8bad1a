/**
 * Refusals before anything touches a device: every byte of the image must land in
 * programmable memory that is configured, inside its region, and off reserved areas.
 */
import { formatSize, hex } from '../core/format.js';
import type { MemoryImage } from '../image/memory-image.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { PlanRefusedError } from './errors.js';
import { describeRegion, isFlashLike, nearestRegions, regionAt, regionSectors } from '../target/geometry.js';

export interface PlacementOptions {
  /** Names of regions that need configuration and are not configured on the device. */
  unconfigured?: ReadonlySet<string> | undefined;
}

/** One piece of the image inside one region. */
export interface PlacedPiece {
  region: MemoryRegion;
  address: number;
  size: number;
}

function sources(image: MemoryImage, start: number, end: number): string {
  const s = image.sourcesIn(start, end);
  return s.length ? ` (from ${s.slice(0, 3).join(', ')})` : '';
}

/** Splits the image by region and throws a PlanRefusedError for the first misplaced byte. */
export function placeImage(image: MemoryImage, target: TargetDescription, options: PlacementOptions = {}): PlacedPiece[] {
  const pieces: PlacedPiece[] = [];
  for (const seg of image.eachSegment()) {
    let at = seg.address;
    const end = seg.address + seg.data.length;
    while (at < end) {
      const region = regionAt(target, at);
      if (!region) throw outside(image, target, at, end, at === seg.address ? undefined : regionAt(target, at - 1));
      if (region.kind === 'rom') {
        throw new PlanRefusedError('PLAN_READ_ONLY', `Image data at ${hex(at)}${sources(image, at, end)} lands in read-only ${describeRegion(region)} of ${target.name}.`,
          { hint: region.note ? `${region.note.charAt(0).toUpperCase()}${region.note.slice(1)}.` : 'ROM cannot be written: relink the image for flash or RAM.', context: { address: at, region: region.name, target: target.name } });
      }
      if (region.needsConfiguration && options.unconfigured?.has(region.name)) {
        throw new PlanRefusedError('PLAN_NOT_CONFIGURED', `No flash is configured at ${hex(at)}: ${describeRegion(region)} of ${target.name} needs configuring before it can be written.`,
          { hint: region.kind === 'external-nor'
            ? 'Configure the external memory first: over MCUboot pass --flexspi-option 0xC0000007 (QuadSPI SDR NOR, 133 MHz; see `flashwright imxrt option --explain`), through a debugger use a flash algorithm for the external part.'
            : `Nothing was sent; the region's name above says what writing there needs${region.note ? ` (${region.note})` : ''}.`,
          context: { address: at, region: region.name, target: target.name } });
      }
      const pieceEnd = Math.min(end, region.start + region.size);
      pieces.push({ region, address: at, size: pieceEnd - at });
      at = pieceEnd;
    }
  }
  for (const p of pieces) checkReserved(image, target, p);
  return pieces;
}

function outside(image: MemoryImage, target: TargetDescription, at: number, end: number, previous: MemoryRegion | undefined): PlanRefusedError {
  if (previous) {
    // The data started inside a region and runs past its end.
    const segStart = image.segmentHolding(at - 1)?.address ?? previous.start;
    const first = Math.max(segStart, previous.start);
    const over = end - at;
    return new PlanRefusedError('PLAN_TOO_LARGE',
      `Image data ${hex(first)}–${hex(end - 1)}${sources(image, first, end)} runs ${over} bytes past the end of ${describeRegion(previous)} on ${target.name}.`,
      {
        hint: `The image needs ${formatSize(end - previous.start)} from the start of ${previous.name} but it has ${formatSize(previous.size)}: check the target variant or the linker script.`,
        context: { address: first, end, regionEnd: previous.start + previous.size, overBy: over, region: previous.name, target: target.name },
      });
  }
  const near = nearestRegions(target.regions, at);
  const flashNear = near.find(isFlashLike);
  return new PlanRefusedError('PLAN_OUTSIDE_MEMORY',
    `No flash is configured at ${hex(at)}: ${target.name} describes no memory at ${hex(at)}–${hex(end - 1)}${sources(image, at, end)} (nearest: ${near.map(describeRegion).join('; ') || 'none'}).`,
    {
      hint: flashNear
        ? `Relink the image for ${flashNear.name} at ${hex(flashNear.start)}, or if the board has memory at ${hex(at)}, describe it in a --target-file (e.g. a region of kind external-nor).`
        : `If the board has memory at ${hex(at)}, describe it in a --target-file (e.g. a region of kind external-nor).`,
      context: { address: at, end, target: target.name, nearest: near.map((r) => r.name) },
    });
}

function checkReserved(image: MemoryImage, target: TargetDescription, p: PlacedPiece): void {
  for (const r of target.reserved ?? []) {
    const a = Math.max(r.start, p.address);
    const b = Math.min(r.start + r.size, p.address + p.size);
    if (b <= a) continue;
    // Where the image could go instead: the first sector boundary at or after the reserved end.
    let suggestion = r.start + r.size;
    if (isFlashLike(p.region)) {
      const s = regionSectors(p.region).find((x) => x.address >= r.start + r.size);
      if (s) suggestion = s.address;
    }
    throw new PlanRefusedError('PLAN_RESERVED',
      `Image data at ${hex(a)}–${hex(b - 1)}${sources(image, a, b)} overlaps the ${r.owner} area ${hex(r.start)}–${hex(r.start + r.size - 1)} (${hex(r.size, 1)} bytes).`,
      {
        hint: `Link the application at or above ${hex(suggestion)}${isFlashLike(p.region) ? ' (the first sector boundary after it)' : ''}, or shrink the ${r.owner}.`,
        context: { address: a, end: b, reservedStart: r.start, reservedSize: r.size, owner: r.owner, suggestion, target: target.name },
      });
  }
}
