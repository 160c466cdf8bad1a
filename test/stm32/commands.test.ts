import { describe, it, expect } from 'vitest';
import {
  Cmd, commandName, decodeAddress, encodeAddress, encodeChecksumLength, encodeCommand, encodeEraseGlobal, encodeErasePages,
  encodeExtendedErasePages, encodeExtendedEraseSpecial, encodeReadLength, encodeWriteData, encodeWriteProtect, formatBootloaderVersion,
  parseChecksumResponse, parseGetResponse, parseIdResponse, parseVersionResponse,
} from '../../src/protocol/stm32-uart/commands.js';
import { stm32Crc32 } from '../../src/protocol/stm32-uart/crc.js';

const bytes = (u: Uint8Array) => [...u];

describe('AN3155 frame encoders', () => {
  it('sends each command as code, complement', () => {
    expect(bytes(encodeCommand(Cmd.Get))).toEqual([0x00, 0xff]);
    expect(bytes(encodeCommand(Cmd.WriteMemory))).toEqual([0x31, 0xce]);
    expect(bytes(encodeCommand(Cmd.ExtendedErase))).toEqual([0x44, 0xbb]);
    expect(bytes(encodeCommand(Cmd.ReadoutUnprotect))).toEqual([0x92, 0x6d]);
    expect(bytes(encodeCommand(Cmd.GetChecksum))).toEqual([0xa1, 0x5e]);
  });

  it('encodes addresses MSB first with their XOR and decodes them back', () => {
    expect(bytes(encodeAddress(0x08000000))).toEqual([0x08, 0x00, 0x00, 0x00, 0x08]);
    expect(bytes(encodeAddress(0x20000200))).toEqual([0x20, 0x00, 0x02, 0x00, 0x22]);
    expect(bytes(encodeAddress(0x1ffff7e0))).toEqual([0x1f, 0xff, 0xf7, 0xe0, 0x1f ^ 0xff ^ 0xf7 ^ 0xe0]);
    expect(decodeAddress(encodeAddress(0x0801fc00))).toBe(0x0801fc00);
    expect(decodeAddress(new Uint8Array([0x08, 0, 0, 0, 0x09]))).toBeUndefined();
    expect(() => encodeAddress(-1)).toThrow(/32 bits/);
  });

  it('encodes Read Memory lengths as N-1 and its complement', () => {
    expect(bytes(encodeReadLength(256))).toEqual([0xff, 0x00]);
    expect(bytes(encodeReadLength(1))).toEqual([0x00, 0xff]);
    expect(() => encodeReadLength(257)).toThrow(/1 to 256/);
    expect(() => encodeReadLength(0)).toThrow(/1 to 256/);
  });

  it('pads Write Memory data to 4 bytes with 0xFF and appends the XOR of N-1 and the data', () => {
    expect(bytes(encodeWriteData(new Uint8Array([1, 2, 3])))).toEqual([0x03, 1, 2, 3, 0xff, 0x03 ^ 1 ^ 2 ^ 3 ^ 0xff]);
    const full = encodeWriteData(new Uint8Array(256).fill(0xaa));
    expect(full.length).toBe(258);
    expect(full[0]).toBe(0xff);
    expect(full[257]).toBe(0xff); // 0xFF ^ (256 × 0xAA, an even count) = 0xFF
    expect(() => encodeWriteData(new Uint8Array(257))).toThrow(/1 to 256/);
  });

  it('encodes Erase page lists and global erase', () => {
    expect(bytes(encodeErasePages([0, 1, 2]))).toEqual([0x02, 0x00, 0x01, 0x02, 0x02 ^ 0x01 ^ 0x02]);
    expect(bytes(encodeEraseGlobal())).toEqual([0xff, 0x00]);
    expect(() => encodeErasePages([256])).toThrow(/Extended Erase/);
  });

  it('encodes Extended Erase page lists as 16-bit MSB-first values and the special codes', () => {
    expect(bytes(encodeExtendedErasePages([0x0000, 0x0001]))).toEqual([0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00]);
    expect(bytes(encodeExtendedErasePages([0x0102]))).toEqual([0x00, 0x00, 0x01, 0x02, 0x03]);
    expect(bytes(encodeExtendedEraseSpecial(0xffff))).toEqual([0xff, 0xff, 0x00]);
    expect(bytes(encodeExtendedEraseSpecial(0xfffe))).toEqual([0xff, 0xfe, 0x01]);
    expect(bytes(encodeExtendedEraseSpecial(0xfffd))).toEqual([0xff, 0xfd, 0x02]);
    expect(() => encodeExtendedErasePages(new Array(512).fill(0))).toThrow(/511/);
    expect(() => encodeExtendedEraseSpecial(0x1234)).toThrow(/special/);
  });

  it('encodes Write Protect sector lists and Get Checksum lengths', () => {
    expect(bytes(encodeWriteProtect([1, 2]))).toEqual([0x01, 0x01, 0x02, 0x01 ^ 0x01 ^ 0x02]);
    expect(bytes(encodeChecksumLength(0x400))).toEqual([0x00, 0x00, 0x04, 0x00, 0x04]);
    expect(() => encodeChecksumLength(6)).toThrow(/multiple of 4/);
  });
});

describe('AN3155 answer parsers', () => {
  it('parses Get: N, version, N command codes', () => {
    const body = new Uint8Array([0x0b, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92]);
    expect(parseGetResponse(body)).toEqual({ version: 0x22, commands: [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92] });
    expect(() => parseGetResponse(new Uint8Array([0x05, 0x22, 0x00]))).toThrow(/malformed/);
  });

  it('parses Get Version and Get ID', () => {
    expect(parseVersionResponse(new Uint8Array([0x31, 0x00, 0x00]))).toEqual({ version: 0x31, option1: 0, option2: 0 });
    expect(parseIdResponse(new Uint8Array([0x01, 0x04, 0x10]))).toBe(0x410);
    expect(() => parseIdResponse(new Uint8Array([0x02, 0x04, 0x10]))).toThrow(/malformed/);
    expect(formatBootloaderVersion(0x31)).toBe('v3.1');
  });

  it('parses the Get Checksum CRC and rejects a bad XOR', () => {
    expect(parseChecksumResponse(new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x12 ^ 0x34 ^ 0x56 ^ 0x78]))).toBe(0x12345678);
    expect(() => parseChecksumResponse(new Uint8Array([0x12, 0x34, 0x56, 0x78, 0]))).toThrow(/XOR/);
  });

  it('names commands with their code', () => {
    expect(commandName(0x44)).toBe('Extended Erase (0x44)');
    expect(commandName(0x99)).toBe('unknown command (0x99)');
  });
});

/** Bit-by-bit, as RM0090 §4 describes the CRC unit: each 32-bit word XORed in, 32 shifts. */
function referenceCrc(data: Uint8Array): number {
  let crc = 0xffffffff;
  const v = new DataView(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < data.length; i += 4) {
    crc = (crc ^ v.getUint32(i, true)) >>> 0;
    for (let k = 0; k < 32; k++) crc = (crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1) >>> 0;
  }
  return crc;
}

describe('STM32 CRC-32 (Get Checksum)', () => {
  it('matches the bitwise CRC unit over little-endian words', () => {
    const data = new Uint8Array(1024).map((_, i) => (i * 31 + 7) & 0xff);
    expect(stm32Crc32(data)).toBe(referenceCrc(data));
    expect(stm32Crc32(new Uint8Array(0))).toBe(0xffffffff);
    // One word 0x00000000: the init value shifted through the polynomial 32 times.
    expect(stm32Crc32(new Uint8Array(4))).toBe(referenceCrc(new Uint8Array(4)));
  });

  it('continues across chunks and refuses partial words', () => {
    const data = new Uint8Array(64).map((_, i) => i);
    expect(stm32Crc32(data.subarray(32), stm32Crc32(data.subarray(0, 32)))).toBe(stm32Crc32(data));
    expect(() => stm32Crc32(new Uint8Array(3))).toThrow(/multiple of 4/);
  });
});
