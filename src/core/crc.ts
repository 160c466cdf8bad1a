/** Checksums used by image files and protocols. Table-driven, browser-safe. */

/**
 * Eight 256-entry tables for CRC-32 "slicing by 8": table k gives the CRC of a byte followed
 * by k zero bytes, so eight input bytes cost eight lookups and no per-bit loop. Table 0 is the
 * classic byte-at-a-time table.
 */
const CRC32_TABLES = (() => {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = ((prev >>> 8) ^ t[prev & 0xff]!) >>> 0;
    }
  }
  return t;
})();

/**
 * CRC-32 (IEEE 802.3, reflected, as zip/PNG/`crc32` use). Pass the previous result as
 * `crc` to continue over several chunks.
 */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = CRC32_TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  // Eight bytes a step (the image CRC runs over every byte a write or convert touches).
  for (const end = data.length - 7; i < end; i += 8) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c = t[1792 + (c & 0xff)]! ^ t[1536 + ((c >>> 8) & 0xff)]! ^ t[1280 + ((c >>> 16) & 0xff)]! ^ t[1024 + (c >>> 24)]!
      ^ t[768 + data[i + 4]!]! ^ t[512 + data[i + 5]!]! ^ t[256 + data[i + 6]!]! ^ t[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const CRC16_XMODEM_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[n] = c;
  }
  return t;
})();

/** CRC16-XMODEM: poly 0x1021, init 0, no reflection (MCUboot framing). "123456789" → 0x31C3. */
export function crc16Xmodem(data: Uint8Array, crc = 0): number {
  let c = crc & 0xffff;
  for (let i = 0; i < data.length; i++) c = ((c << 8) & 0xffff) ^ CRC16_XMODEM_TABLE[((c >>> 8) ^ data[i]!) & 0xff]!;
  return c;
}

const CRC32_MSB_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 with polynomial 0x04C11DB7 fed most significant bit first, no reflection and no
 * final XOR (the "MPEG-2" variant). GDB's qCRC feeds bytes in order; the STM32 CRC unit feeds
 * little-endian 32-bit words, i.e. each word's bytes in reverse ('le-words').
 */
export function crc32Msb(data: Uint8Array, crc = 0xffffffff, order: 'bytes' | 'le-words' = 'bytes'): number {
  let c = crc >>> 0;
  if (order === 'bytes') {
    for (let i = 0; i < data.length; i++) c = ((c << 8) ^ CRC32_MSB_TABLE[((c >>> 24) ^ data[i]!) & 0xff]!) >>> 0;
    return c;
  }
  for (let i = 0; i < data.length; i += 4) {
    for (let j = 3; j >= 0; j--) c = ((c << 8) ^ CRC32_MSB_TABLE[((c >>> 24) ^ data[i + j]!) & 0xff]!) >>> 0;
  }
  return c;
}

/** SHA-256 through WebCrypto (present in Node 20 and every browser). */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return new Uint8Array(digest);
}
