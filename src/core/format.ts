/** Formatting helpers shared by messages and output: addresses are always hex. */

/** `0x08000000` style, at least `width` hex digits, upper case. */
export function hex(value: number, width = 8): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(width, '0');
}

/** `0x7B` style for a single byte. */
export function hexByte(value: number): string {
  return hex(value & 0xff, 2);
}

/** Bytes as spaced lower-case hex: `5a a4 0c 00`. */
export function hexBytes(data: Uint8Array, max = 64): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(data.length, max); i++) parts.push(data[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ') + (data.length > max ? ` … (${data.length} bytes)` : '');
}

/** Human sizes: `512 B`, `64 KiB`, `1.5 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = -1;
  do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

/** Parses `0x1000`, `4096`, `4K`, `1M`, `64KiB` into a number; undefined when malformed. */
export function parseNumber(text: string): number | undefined {
  const m = /^\s*(0x[0-9a-f_]+|0b[01_]+|\d[\d_]*)\s*(k|kib|kb|m|mib|mb)?\s*$/i.exec(text);
  if (!m) return undefined;
  const digits = m[1]!.replace(/_/g, '');
  let v = digits.toLowerCase().startsWith('0b') ? parseInt(digits.slice(2), 2) : Number(digits);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit.startsWith('k')) v *= 1024;
  else if (unit.startsWith('m')) v *= 1024 * 1024;
  return Number.isSafeInteger(v) ? v : undefined;
}
