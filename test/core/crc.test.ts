import { describe, expect, it } from 'vitest';
import { crc16Xmodem, crc32, crc32Msb } from '../../src/core/crc.js';

const check = new TextEncoder().encode('123456789');

// Check values from the catalogue of parametrised CRC algorithms ("check" = CRC of "123456789").
describe('checksums', () => {
  it('CRC-32 (IEEE, reflected): 0xCBF43926', () => expect(crc32(check)).toBe(0xcbf43926));
  it('CRC-32 continues over chunks', () => expect(crc32(check.subarray(4), crc32(check.subarray(0, 4)))).toBe(0xcbf43926));
  it('CRC-32 eight bytes at a time equals the bit-by-bit definition at every length and offset', () => {
    const bitwise = (d: Uint8Array): number => {
      let c = 0xffffffff;
      for (const b of d) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
      return ~c >>> 0;
    };
    let x = 0x2545f491;
    const data = Uint8Array.from({ length: 300 }, () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x & 0xff; });
    for (let len = 0; len <= 40; len++) for (let off = 0; off < 9; off++) expect(crc32(data.subarray(off, off + len))).toBe(bitwise(data.subarray(off, off + len)));
    expect(crc32(data)).toBe(bitwise(data));
    expect(crc32(data.subarray(13), crc32(data.subarray(0, 13)))).toBe(bitwise(data));
  });
  it('CRC16-XMODEM: 0x31C3', () => expect(crc16Xmodem(check)).toBe(0x31c3));
  it('CRC-32/MPEG-2 (MSB first, no final XOR): 0x0376E6E7', () => expect(crc32Msb(check)).toBe(0x0376e6e7));
  it('MSB CRC over little-endian words equals the byte CRC of each word reversed', () => {
    const words = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(crc32Msb(words, 0xffffffff, 'le-words')).toBe(crc32Msb(Uint8Array.from([4, 3, 2, 1, 8, 7, 6, 5])));
  });
});
