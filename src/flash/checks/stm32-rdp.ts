/**
 * STM32 read-out protection in an image that carries option bytes (RM0090 §3.7.3, RM0008
 * §2.5): RDP 0xAA is level 0; 0xCC is level 2 on parts that have it, which disables debug
 * and the bootloader for good; any other value is level 1 (reads blocked, undone only by a
 * mass erase).
 */
import { hex, hexByte } from '../../core/format.js';
import type { MemoryImage } from '../../image/memory-image.js';
import type { TargetDescription } from '../../target/types.js';
import type { CheckFinding } from './types.js';

export const RDP_LEVEL0 = 0xaa;
export const RDP_LEVEL2 = 0xcc;

export function checkStm32Rdp(image: MemoryImage, target: TargetDescription): CheckFinding[] {
  const ob = target.features?.stm32OptionBytes;
  if (!ob) return [];
  const at = ob.address + ob.rdpOffset;
  const rdp = image.byteAt(at);
  if (rdp === undefined || rdp === RDP_LEVEL0) return [];
  const context = { address: at, rdp };
  if (rdp === RDP_LEVEL2 && ob.hasLevel2) {
    return [{
      id: 'stm32.rdp-level2', severity: 'error', override: 'allowPermanentLock',
      message: `The image writes RDP = 0xCC at ${hex(at)}: read protection level 2 disables debug and the system bootloader on ${target.name} permanently.`,
      hint: 'Remove the option bytes from the image (or use 0xAA); pass --allow-permanent-lock only if a permanently locked part is really intended.',
      context,
    }];
  }
  return [{
    id: 'stm32.rdp-level1', severity: 'warning',
    message: `The image writes RDP = ${hexByte(rdp)} at ${hex(at)}: read protection level 1, so flash can no longer be read back and removing it mass-erases the chip.`,
    hint: 'Use 0xAA for level 0 if read-back is needed.',
    context,
  }];
}
