/**
 * The CRC the STM32 CRC unit and the bootloader's Get Checksum (0xA1) compute: CRC-32
 * polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no reflection, no final XOR, fed one
 * 32-bit little-endian word at a time, most significant bit first (RM0090 §4 "CRC
 * calculation unit"; AN3155 Get Checksum).
 */
import { crc32Msb } from '../../core/crc.js';
import { Stm32ArgumentError } from './commands.js';

/** CRC over `data` (length a multiple of 4). Pass a previous result as `crc` to continue. */
export function stm32Crc32(data: Uint8Array, crc = 0xffffffff): number {
  if (data.length % 4 !== 0) throw new Stm32ArgumentError(`The STM32 CRC runs over whole 32-bit words; ${data.length} bytes is not a multiple of 4.`, { length: data.length });
  return crc32Msb(data, crc, 'le-words');
}
