import { ImageParseError } from '../../../src/image/errors.js';

/** Runs `fn`, expecting an ImageParseError; returns it (any other outcome fails the test). */
export function parseError(fn: () => unknown): ImageParseError {
  try { fn(); } catch (e) { if (e instanceof ImageParseError) return e; throw e; }
  throw new Error('expected an ImageParseError, but the input was accepted');
}

export const text = (s: string) => new TextEncoder().encode(s);
export const ascii = (b: Uint8Array) => new TextDecoder().decode(b);

/** An Intel HEX record from its body (`LLAAAATT…` hex), with the checksum computed here. */
export function ihex(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i += 2) sum += parseInt(body.slice(i, i + 2), 16);
  return ':' + body + ((-sum) & 0xff).toString(16).padStart(2, '0').toUpperCase();
}

/** An S-record from type digit and body (`CC AAAA… data` hex), with the checksum computed here. */
export function srec(type: number, body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i += 2) sum += parseInt(body.slice(i, i + 2), 16);
  return `S${type}` + body + (~sum & 0xff).toString(16).padStart(2, '0').toUpperCase();
}
