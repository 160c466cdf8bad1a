/**
 * i.MX RT FlexSPI NOR boot header (i.MX RT1020/1060 reference manuals, "System Boot" →
 * "FlexSPI NOR Flash Boot"): the FlexSPI NOR Configuration Block starts with tag "FCFB"
 * (0x42464346 LE) at the part's FCB offset, and the Image Vector Table header
 * 0x402000D1 (tag 0xD1, length 0x0020, version 0x40) sits at the IVT offset.
 */
import { hex } from '../../core/format.js';
import type { MemoryImage } from '../../image/memory-image.js';
import type { TargetDescription } from '../../target/types.js';
import { FCB_TAG, IVT_HEADER } from '../../target/facts/imxrt-boot.js';
import { imageU32, type CheckFinding } from './types.js';
import { regionAt } from '../../target/geometry.js';

export { FCB_TAG, IVT_HEADER } from '../../target/facts/imxrt-boot.js';

export function checkImxrtBoot(image: MemoryImage, target: TargetDescription): CheckFinding[] {
  const boot = target.features?.imxrtBoot;
  if (!boot) return [];
  const region = regionAt(target, boot.flexspiBase);
  const end = region ? region.start + region.size : boot.flexspiBase + 0x1000000;
  if (!image.intersects(boot.flexspiBase, end)) return [];
  const headerEnd = boot.flexspiBase + boot.ivtOffset + 0x20;
  const context = { flexspiBase: boot.flexspiBase, fcbAt: boot.flexspiBase + boot.fcbOffset, ivtAt: boot.flexspiBase + boot.ivtOffset };
  if (!image.intersects(boot.flexspiBase, headerEnd)) {
    return [{ id: 'imxrt.boot-header-kept', severity: 'info', message: `The image does not touch the boot header area ${hex(boot.flexspiBase)}–${hex(headerEnd - 1)}; the FCB and IVT already on the device are kept.`, context }];
  }
  const read = (a: number) => image.byteAt(a);
  const fcb = imageU32(read, boot.flexspiBase + boot.fcbOffset);
  const ivt = imageU32(read, boot.flexspiBase + boot.ivtOffset);
  const out: CheckFinding[] = [];
  if (fcb !== FCB_TAG) {
    out.push({
      id: 'imxrt.fcb-missing', severity: 'error', override: 'allowUnbootable',
      message: `The image for ${hex(boot.flexspiBase)} has no FlexSPI configuration block tag "FCFB" at ${hex(boot.flexspiBase + boot.fcbOffset)} (found ${fcb === undefined ? 'no data' : hex(fcb)}): the boot ROM will not boot it.`,
      hint: 'Build with the board\'s flash config (XIP_BOOT_HEADER_ENABLE=1, XIP_EXTERNAL_FLASH=1) or link the FCB section into the image (`flashwright imxrt image` wraps a plain application); --allow-unbootable writes it anyway.',
      context: { ...context, found: fcb },
    });
  }
  if (ivt !== IVT_HEADER) {
    out.push({
      id: 'imxrt.ivt-missing', severity: 'error', override: 'allowUnbootable',
      message: `The image for ${hex(boot.flexspiBase)} has no IVT header 0x402000D1 at ${hex(boot.flexspiBase + boot.ivtOffset)} (found ${ivt === undefined ? 'no data' : hex(ivt)}): the boot ROM will not boot it.`,
      hint: 'Build with XIP_BOOT_HEADER_ENABLE=1 so the image carries its image vector table (`flashwright imxrt image` wraps a plain application); --allow-unbootable writes it anyway.',
      context: { ...context, found: ivt },
    });
  }
  return out;
}
