import { describe, expect, it } from 'vitest';
import { crc16Xmodem, crc32, crc32Msb } from '../../src/core/crc.js';

const check = new TextEncoder().encode('123456789');

// Check values from the catalogue of parametrised CRC algorithms ("check" = CRC of "123456789").
describe('checksums', () => {
  it('CRC-32 (IEEE, reflected): 0xCBF43926', () => expect(crc32(check)).toBe(0xcbf43926));
  it('CRC-32 continues over chunks', () => expect(crc32(check.subarray(4), crc32(check.subarray(0, 4)))).toBe(0xcbf43926));
  it('CRC16-XMODEM: 0x31C3', () => expect(crc16Xmodem(check)).toBe(0x31c3));
  it('CRC-32/MPEG-2 (MSB first, no final XOR): 0x0376E6E7', () => expect(crc32Msb(check)).toBe(0x0376e6e7));
  it('MSB CRC over little-endian words equals the byte CRC of each word reversed', () => {
    const words = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(crc32Msb(words, 0xffffffff, 'le-words')).toBe(crc32Msb(Uint8Array.from([4, 3, 2, 1, 8, 7, 6, 5])));
  });
});
