/**
 * STM32 read-out protection level from the RDP option byte (RM0090 §3.7.3, RM0008 §2.5,
 * RM0351 §3.7.1): 0xAA is level 0 (0xA5 on STM32F1, RM0008 "RDP: 0xA5 unprotected"), 0xCC
 * is level 2 on families that have it (debug and the system bootloader disabled for good),
 * anything else is level 1 (flash reads by debug and bootloader refused; going back to level 0
 * mass-erases the flash).
 */
import { hexByte } from '../../core/format.js';

export interface RdpDecoded {
  value: number;
  level: 0 | 1 | 2;
  summary: string;
}

export function decodeRdp(value: number, family?: string): RdpDecoded {
  const v = value & 0xff;
  const f1 = family !== undefined && /^(stm32)?f1/i.test(family);
  const level0 = f1 ? 0xa5 : 0xaa;
  if (v === level0) return { value: v, level: 0, summary: `RDP ${hexByte(v)}: level 0, no read protection` };
  if (v === 0xcc && !f1) return { value: v, level: 2, summary: 'RDP 0xCC: level 2, debug and the system bootloader are disabled permanently (cannot be undone)' };
  return {
    value: v, level: 1,
    summary: `RDP ${hexByte(v)}: level 1, flash reads by debugger and bootloader are refused; setting RDP back to ${hexByte(level0)} mass-erases the flash`,
  };
}
