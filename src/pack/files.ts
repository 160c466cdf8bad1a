/**
 * The files of a pack, whatever holds them: a .pack (a zip, read with fflate), an unpacked
 * folder, or a bare .pdsc with its files beside it (the node store lists folders). Paths in a
 * .pdsc may use backslashes and differ in case from the archive (packs are made on Windows),
 * so lookups normalise both.
 */
import { unzipSync, zipSync } from 'fflate';
import { crc32 } from '../core/crc.js';
import { PackFormatError } from './errors.js';

export interface PackFiles {
  /** Where the files came from, for messages. */
  readonly source: string;
  /** Every file path, '/'-separated, relative to the pack root. */
  list(): string[];
  read(path: string): Uint8Array | undefined;
}

/** 'Flash\\STM32F10x_128.FLM', './Flash/x.FLM' → 'flash/stm32f10x_128.flm' (the lookup key). */
export function normalisePackPath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/').replace(/^\//, '').toLowerCase();
}

/** Files held in memory under their pack-relative paths. */
export function filesFromMap(map: Record<string, Uint8Array>, source: string): PackFiles {
  const byKey = new Map<string, Uint8Array>();
  for (const [p, data] of Object.entries(map)) byKey.set(normalisePackPath(p), data);
  const names = Object.keys(map).map((p) => p.replace(/\\/g, '/'));
  return { source, list: () => names, read: (p) => byKey.get(normalisePackPath(p)) };
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;

/** The CRC-32 of each member as the zip's central directory records it (APPNOTE.TXT §4.3.12). */
function centralCrcs(zip: Uint8Array): Map<string, number> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = new Map<string, number>();
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) if (v.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) return out;
  let p = v.getUint32(eocd + 16, true);
  const count = v.getUint16(eocd + 10, true);
  for (let n = 0; n < count && p + 46 <= zip.length && v.getUint32(p, true) === CENTRAL_HEADER; n++) {
    const crc = v.getUint32(p + 16, true);
    const nameLen = v.getUint16(p + 28, true);
    const extra = v.getUint16(p + 30, true);
    const comment = v.getUint16(p + 32, true);
    out.set(new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen)), crc);
    p += 46 + nameLen + extra + comment;
  }
  return out;
}

/**
 * Reads a .pack. A pack whose files sit in one top folder (some vendors zip the folder) is
 * read from inside it. Every member's CRC-32 is checked against the zip's directory, so a
 * truncated or corrupted download is named rather than half-read.
 */
export function filesFromZip(zip: Uint8Array, source: string, options: { only?: ((path: string) => boolean) | undefined; atRoot?: boolean | undefined } = {}): PackFiles {
  if (zip.length < 4 || new DataView(zip.buffer, zip.byteOffset).getUint32(0, true) !== LOCAL_HEADER) {
    throw new PackFormatError(source, 'is not a .pack (a zip archive): it does not start with a zip header.');
  }
  let entries: Record<string, Uint8Array>;
  try {
    // Real packs carry tens of MB of headers, SVDs and docs: `only` inflates just what is needed.
    const only = options.only;
    entries = only ? unzipSync(zip, { filter: (f) => only(f.name) }) : unzipSync(zip);
  } catch (e) {
    throw new PackFormatError(source, `is a damaged zip archive (${(e as Error).message}).`, {}, undefined, e);
  }
  const crcs = centralCrcs(zip);
  const files: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    const want = crcs.get(name);
    if (want !== undefined && crc32(data) !== want) {
      throw new PackFormatError(source, `is damaged: ${name} does not match its CRC-32 (0x${crc32(data).toString(16)} instead of 0x${want.toString(16)}).`, { member: name });
    }
    files[name] = data;
  }
  const names = Object.keys(files);
  const atRoot = names.some((n) => !n.includes('/') && n.toLowerCase().endsWith('.pdsc'));
  const top = names[0]?.split('/')[0];
  // `atRoot`: the caller knows the files sit at the root (a pack the store wrote), whatever the few asked for look like.
  if (!options.atRoot && !atRoot && top && names.every((n) => n.startsWith(`${top}/`))) {
    return filesFromMap(Object.fromEntries(names.map((n) => [n.slice(top.length + 1), files[n]!])), source);
  }
  return filesFromMap(files, source);
}

/** Zips files (a folder added with `pack add DIR` is stored as a .pack). */
export function zipFiles(files: PackFiles): Uint8Array {
  const map: Record<string, Uint8Array> = {};
  for (const p of files.list()) { const d = files.read(p); if (d) map[p] = d; }
  return zipSync(map, { level: 6 });
}

/** The .pdsc of a pack: the one at its root (a pack holds exactly one). */
export function findPdsc(files: PackFiles): string {
  const pdscs = files.list().filter((p) => !p.includes('/') && p.toLowerCase().endsWith('.pdsc'));
  if (pdscs.length === 0) throw new PackFormatError(files.source, 'holds no .pdsc file at its root: it is not a CMSIS-Pack.');
  if (pdscs.length > 1) throw new PackFormatError(files.source, `holds ${pdscs.length} .pdsc files (${pdscs.join(', ')}); a pack has one.`);
  return pdscs[0]!;
}

/** What flashwright reads from a pack: its .pdsc and the flash algorithms. */
export const PROGRAMMING_FILES = (path: string): boolean => /\.(pdsc|flm)$/i.test(path);
