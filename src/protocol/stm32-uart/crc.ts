/**
 * The CRC the STM32 CRC unit and the bootloader's Get Checksum (0xA1) compute: CRC-32
 * polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no reflection, no final XOR, fed one
 * 32-bit little-endian word at a time, most significant bit first (RM0090 §4 "CRC
 * calculation unit"; AN3155 Get Checksum).
 */
import { Stm32ArgumentError } from './commands.js';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC over `data` (length a multiple of 4). Pass a previous result as `crc` to continue. */
export function stm32Crc32(data: Uint8Array, crc = 0xffffffff): number {
  if (data.length % 4 !== 0) throw new Stm32ArgumentError(`The STM32 CRC runs over whole 32-bit words; ${data.length} bytes is not a multiple of 4.`, { length: data.length });
  let c = crc >>> 0;
  for (let i = 0; i < data.length; i += 4) {
    // A little-endian word fed MSB first is its bytes in reverse order.
    for (let j = 3; j >= 0; j--) c = ((c << 8) ^ TABLE[((c >>> 24) ^ data[i + j]) & 0xff]) >>> 0;
  }
  return c;
}
