/**
 * Cortex-M vector table sanity (ARMv7-M ARM §B1.5.3): word 0 is the initial main stack
 * pointer, which must lie in RAM and be 8-byte aligned (AAPCS stack alignment); word 1 is
 * the reset handler, whose bit 0 must be set (Thumb) and which must point at programmed code.
 * Only an image that covers the target's boot address is judged: an application linked
 * behind a bootloader has its vector table elsewhere, and the chip does not boot it directly.
 * What would not boot is a refusal (`--allow-unbootable` insists); a misaligned stack is a
 * warning (the chip boots, and only some code faults).
 */
import { hex } from '../../core/format.js';
import type { MemoryImage } from '../../image/memory-image.js';
import type { TargetDescription } from '../../target/types.js';
import { bootAddress } from '../../target/boot.js';
import { isFlashLike, regionAt } from '../../target/geometry.js';
import { imageU32, type CheckFinding } from './types.js';
import { IVT_HEADER } from '../../target/facts/imxrt-boot.js';

/** Where MCUXpresso SDK XIP linker scripts put the vector table, from the FlexSPI base. */
const IMXRT_APP_OFFSET = 0x2000;

/**
 * Where the image's vector table sits: its lowest address in flash-like memory. An i.MX RT
 * boot image (IVT header at the IVT offset) names it in the IVT entry (NXP SDK
 * fsl_flexspi_nor_boot.h: __VECTOR_TABLE); older MCUXpresso projects put the reset handler
 * there (odd, a Thumb function), and then the vector table is at the SDK app offset.
 * Data in the boot header area without an IVT header has no known vector table (the
 * i.MX RT boot check already says the ROM will not boot it), so nothing is checked.
 */
export function vectorTableAddress(image: MemoryImage, target: TargetDescription): number | undefined {
  const boot = target.features?.imxrtBoot;
  const read = (a: number) => image.byteAt(a);
  for (const s of image.eachSegment()) {
    const r = regionAt(target, s.address);
    if (!r || !isFlashLike(r) || r.kind === 'option-bytes') continue;
    const ivtAt = boot ? boot.flexspiBase + boot.ivtOffset : 0;
    if (boot && s.address >= boot.flexspiBase && s.address < ivtAt + 0x20) {
      if (imageU32(read, ivtAt) !== IVT_HEADER) return undefined;
      const entry = imageU32(read, ivtAt + 4);
      if (entry !== undefined && (entry & 1) === 0) return entry;
      return boot.flexspiBase + IMXRT_APP_OFFSET;
    }
    return s.address;
  }
  return undefined;
}

/**
 * A device that did not say what chip it is (an i.MX RT flashloader reports no SystemDeviceId)
 * and no --target: where it boots is not known, so the boot rules cannot run. An image that
 * starts a flash region (where chips boot: 0 on Kinetis, the FlexSPI base on i.MX RT) is then
 * refused rather than written unchecked — "no success that isn't".
 */
function unknownBootAddress(image: MemoryImage, target: TargetDescription): CheckFinding[] {
  const starts = target.regions.filter((r) => isFlashLike(r) && r.kind !== 'option-bytes').map((r) => r.start).filter((a) => image.byteAt(a) !== undefined);
  if (starts.length === 0) return [];
  return [{
    id: 'vector-table.boot-unknown', severity: 'error', override: 'allowUnbootable',
    message: `The image writes ${hex(starts[0]!)}, the start of a flash region, but ${target.name} did not identify itself and no --target names the chip: where it boots and what it needs there (vector table, boot header) are not known, so the boot checks cannot run.`,
    hint: 'Name the chip with --target (e.g. --target mimxrt1021; `flashwright targets` lists them) so the boot checks run, or pass --allow-unbootable to write without them.',
    context: { address: starts[0] },
  }];
}

export function checkVectorTable(image: MemoryImage, target: TargetDescription): CheckFinding[] {
  const boot = bootAddress(target);
  if (target.features?.unidentified && (boot === undefined || target.regions.every((r) => !r.boot))) return unknownBootAddress(image, target);
  if (boot === undefined) return [];
  // Not at the boot address: not what the chip boots, so the boot rules do not apply.
  if (image.byteAt(boot) === undefined) return [];
  const at = vectorTableAddress(image, target);
  if (at === undefined) return [];
  const refuse = { severity: 'error' as const, override: 'allowUnbootable' as const };
  const sp = imageU32((a) => image.byteAt(a), at);
  const reset = imageU32((a) => image.byteAt(a), at + 4);
  if (sp === undefined || reset === undefined) {
    return [{ id: 'vector-table.missing', ...refuse, message: `The image has no complete vector table at ${hex(at)} (initial SP and reset vector): ${target.name} would not boot it.`,
      hint: 'Check that the image is complete and placed at the boot address, or pass --allow-unbootable if this is intended.', context: { address: at } }];
  }
  const out: CheckFinding[] = [];
  const rams = target.regions.filter((r) => r.kind === 'ram');
  // The initial SP is the top of the stack: one past its last byte, so the region end counts.
  const inRam = rams.some((r) => sp > r.start && sp <= r.start + r.size);
  if (!inRam) {
    out.push({
      id: 'vector-table.sp-outside-ram', ...refuse,
      message: `The initial stack pointer ${hex(sp)} at ${hex(at)} is not inside any RAM of ${target.name}: the chip would not boot (it faults on its first push).`,
      hint: `Check the linker script's stack/RAM origin (RAM: ${rams.map((r) => `${hex(r.start)}–${hex(r.start + r.size)}`).join(', ') || 'none described'}) or that the image was built for this target; --allow-unbootable writes it anyway.`,
      context: { address: at, sp },
    });
  } else if (sp % 8 !== 0) {
    out.push({ id: 'vector-table.sp-unaligned', severity: 'warning', message: `The initial stack pointer ${hex(sp)} at ${hex(at)} is not 8-byte aligned.`, hint: 'Align the stack top to 8 bytes in the linker script (AAPCS).', context: { address: at, sp } });
  }
  if ((reset & 1) === 0) {
    out.push({ id: 'vector-table.reset-not-thumb', ...refuse, message: `The reset vector ${hex(reset)} at ${hex(at + 4)} is even: Cortex-M runs Thumb code only, so the chip would not boot (it faults at reset).`,
      hint: 'The first word pair may not be a vector table: check the image\'s start address (--base) or the linker script; --allow-unbootable writes it anyway.', context: { address: at + 4, reset } });
  } else if (image.byteAt(reset & ~1) === undefined) {
    out.push({ id: 'vector-table.reset-outside-image', ...refuse, message: `The reset vector ${hex(reset)} at ${hex(at + 4)} points at ${hex(reset & ~1)}, which the image does not program: the chip would not boot it.`,
      hint: 'Check that the image is complete and placed at the right address (--base); --allow-unbootable writes it anyway.', context: { address: at + 4, reset } });
  }
  return out;
}
