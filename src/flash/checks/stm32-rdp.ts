/**
 * STM32 read-out protection in an image that carries option bytes (RM0090 §3.7.3, RM0008
 * §2.5): the level-0 RDP value is 0xAA on most families but 0xA5 on STM32F1 (the target's
 * `rdpLevel0`); 0xCC is level 2 on parts that have it, which disables debug and the
 * bootloader for good; any other value is level 1 (reads blocked, undone only by a mass
 * erase). On STM32F1, which has no level 2, 0xAA and 0xCC are ordinary level-1 values.
 */
import { hex, hexByte } from '../../core/format.js';
import type { MemoryImage } from '../../image/memory-image.js';
import { stm32RdpLevel0 } from '../../target/builtin/stm32.js';
import type { TargetDescription } from '../../target/types.js';
import type { CheckFinding } from './types.js';

export const RDP_LEVEL2 = 0xcc;

export function checkStm32Rdp(image: MemoryImage, target: TargetDescription): CheckFinding[] {
  const ob = target.features?.stm32OptionBytes;
  if (!ob) return [];
  const level0 = ob.rdpLevel0 ?? stm32RdpLevel0(target.family);
  const at = ob.address + ob.rdpOffset;
  const rdp = image.byteAt(at);
  if (rdp === undefined || rdp === level0) return [];
  const context = { address: at, rdp, rdpLevel0: level0 };
  if (rdp === RDP_LEVEL2 && ob.hasLevel2) {
    return [{
      id: 'stm32.rdp-level2', severity: 'error', override: 'allowPermanentLock',
      message: `The image writes RDP = 0xCC at ${hex(at)}: read protection level 2 disables debug and the system bootloader on ${target.name} permanently.`,
      hint: `Remove the option bytes from the image (or use ${hexByte(level0)}, level 0); pass --allow-permanent-lock only if a permanently locked part is really intended.`,
      context,
    }];
  }
  return [{
    id: 'stm32.rdp-level1', severity: 'warning',
    message: `The image writes RDP = ${hexByte(rdp)} at ${hex(at)}: read protection level 1 on ${target.name} (level 0 is ${hexByte(level0)}), so flash can no longer be read back and removing it mass-erases the chip.`,
    hint: `Use ${hexByte(level0)} for level 0 on ${target.name} if read-back is needed.`,
    context,
  }];
}
