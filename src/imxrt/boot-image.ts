/**
 * Wraps a plain XIP application for i.MX RT FlexSPI NOR boot: FCB at the part's FCB offset,
 * Image Vector Table at the IVT offset, boot data right after the IVT (i.MX RT1020/RT1060
 * reference manuals, "Program image": IVT header 0x402000D1, then entry, reserved, DCD,
 * boot data, self, CSF, reserved; boot data = start, length, plugin).
 */
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { MemoryImage } from '../image/memory-image.js';
import { BOOT_DATA_SIZE, IVT_HEADER, IVT_SIZE, type ImxrtBootLayout } from '../target/facts/imxrt-boot.js';
import { buildQspiFcb, type QspiNorParameters } from './fcb.js';

export { BOOT_DATA_SIZE, findBootLayout, IMXRT_BOOT_LAYOUTS, IVT_HEADER, IVT_SIZE, type ImxrtBootLayout } from '../target/facts/imxrt-boot.js';

export class BootImageError extends FlashwrightError {
  constructor(message: string, hint: string, context: ErrorContext) {
    super('IMXRT_BOOT_IMAGE', message, { hint, context });
  }
}

export function encodeIvt(entry: number, self: number, bootData: number): Uint8Array {
  const out = new Uint8Array(IVT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0x00, IVT_HEADER, true);
  v.setUint32(0x04, entry, true);
  v.setUint32(0x0c, 0, true); // DCD: none (XIP from NOR needs no device configuration data)
  v.setUint32(0x10, bootData, true);
  v.setUint32(0x14, self, true);
  v.setUint32(0x18, 0, true); // CSF: unsigned image
  return out;
}

export interface Ivt {
  header: number;
  entry: number;
  dcd: number;
  bootData: number;
  self: number;
  csf: number;
}

export function parseIvt(bytes: Uint8Array): Ivt {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { header: v.getUint32(0, true), entry: v.getUint32(4, true), dcd: v.getUint32(12, true), bootData: v.getUint32(16, true), self: v.getUint32(20, true), csf: v.getUint32(24, true) };
}

export interface BootImageOptions {
  /** The external flash (default IS25LP064A). */
  flash?: QspiNorParameters;
}

export interface BootImage {
  image: MemoryImage;
  layout: ImxrtBootLayout;
  /** The IVT entry: the application's vector table (NXP SDK fsl_flexspi_nor_boot.h: __VECTOR_TABLE). */
  entry: number;
  /** The application's reset handler (word 1 of its vector table; the image's entry point). */
  reset: number;
  /** Bytes from the FlexSPI base to the end of the application (boot data length). */
  length: number;
}

/**
 * Adds FCB + IVT + boot data in front of an application linked for XIP at base + appOffset.
 * Refuses an application that already carries a boot header or overlaps the header area.
 */
export function buildBootImage(app: MemoryImage, layout: ImxrtBootLayout, options: BootImageOptions = {}): BootImage {
  const base = layout.flexspiBase;
  const appStart = base + layout.appOffset;
  if (app.isEmpty) throw new BootImageError('The application image is empty.', 'Check the input file.', {});
  const start = app.start!;
  const end = app.end!;
  const flashSize = options.flash?.size ?? 8 * 1024 * 1024;
  if (start < base || end > base + flashSize) {
    throw new BootImageError(`The application spans ${hex(start)}–${hex(end - 1)}, outside the ${layout.part.toUpperCase()} FlexSPI NOR at ${hex(base)}–${hex(base + flashSize - 1)}.`,
      `Link the application for XIP from flash at ${hex(appStart)} (MCUXpresso: the _flexspi_nor build; or set the FLASH origin in the linker script).`, { start, end, base });
  }
  if (app.intersects(base, appStart)) {
    const fcb = app.byteAt(base + layout.fcbOffset) !== undefined && app.read(base + layout.fcbOffset, 4).every((b, i) => b === [0x46, 0x43, 0x46, 0x42][i]);
    throw new BootImageError(
      fcb ? `The application already has a FlexSPI boot header at ${hex(base + layout.fcbOffset)}.` : `The application puts data at ${hex(start)}, inside the boot header area ${hex(base)}–${hex(appStart - 1)}.`,
      fcb ? 'It is bootable as it is: write it directly.' : `Link the application at ${hex(appStart)} so the FCB and IVT fit in front of it.`,
      { start, headerEnd: appStart },
    );
  }
  if (start !== appStart) {
    throw new BootImageError(`The application starts at ${hex(start)}, but the vector table must be at ${hex(appStart)} for this layout.`,
      `Link the application's vector table at ${hex(appStart)}.`, { start, expected: appStart });
  }
  const vectors = app.read(appStart, 8);
  const v = new DataView(vectors.buffer);
  const sp = v.getUint32(0, true);
  const reset = v.getUint32(4, true);
  if ((reset & 1) === 0 || reset < appStart || reset >= end) {
    throw new BootImageError(`The reset vector ${hex(reset)} at ${hex(appStart + 4)} does not point into the application (${hex(appStart)}–${hex(end - 1)}) as Thumb code.`,
      'The input is not a Cortex-M application image linked for XIP; check the linker script.', { reset, sp, appStart });
  }
  const fcb = buildQspiFcb({ size: flashSize, ...options.flash });
  const ivtAt = base + layout.ivtOffset;
  const bootDataAt = ivtAt + IVT_SIZE;
  const length = end - base;
  const bootData = new Uint8Array(BOOT_DATA_SIZE);
  new DataView(bootData.buffer).setUint32(0, base, true);
  new DataView(bootData.buffer).setUint32(4, length, true);
  const segments = [
    { address: base + layout.fcbOffset, data: fcb, source: `FCB (${formatSize(flashSize)} QuadSPI NOR)` },
    // The IVT entry is the vector table, not the reset handler (NXP SDK fsl_flexspi_nor_boot.h).
    { address: ivtAt, data: encodeIvt(appStart, ivtAt, bootDataAt), source: 'IVT' },
    { address: bootDataAt, data: bootData, source: 'boot data' },
    ...app.segments.map((s) => ({ address: s.address, data: s.data, source: app.sourcesIn(s.address, s.address + s.data.length)[0] ?? 'application' })),
  ];
  return { image: MemoryImage.fromSegments(segments, reset), layout, entry: appStart, reset, length };
}
