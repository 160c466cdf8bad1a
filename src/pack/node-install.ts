/**
 * `pack install` / `pack update` (Node): the pack index (index.pidx), the vendor's .pdsc for
 * the releases, then the .pack itself, downloaded with progress and checked before it is
 * installed: its SHA-256 when the index gives one, every zip member's CRC-32, and that the
 * .pdsc inside is the pack and version asked for.
 */
import { createHash } from 'node:crypto';
import { FlashwrightError } from '../core/errors.js';
import { compareVersions } from './catalog.js';
import { PackFormatError } from './errors.js';
import { filesFromZip } from './files.js';
import type { AddResult, PackStore } from './node-store.js';
import { openPack } from './pack.js';
import { findIndexEntry, packUrl, parsePackSpec, parsePidx, pdscReleases, pdscUrl, type PackIndexEntry } from './pidx.js';

/** The public index Arm's ecosystem publishes packs through (Open-CMSIS-Pack index). */
export const DEFAULT_PACK_INDEX = 'https://www.keil.com/pack/index.pidx';

export interface DownloadOptions {
  /** index.pidx URL (default FLASHWRIGHT_PACK_INDEX, else the public index). */
  indexUrl?: string | undefined;
  /** Bytes received so far and the total when the server says it. */
  onProgress?: ((received: number, total: number | undefined, what: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export class PackDownloadError extends FlashwrightError {
  constructor(url: string, message: string, cause?: unknown) {
    super('PACK_DOWNLOAD', `Downloading ${url} failed: ${message}`, { hint: 'Check the network and the index URL (--index-url or FLASHWRIGHT_PACK_INDEX).', context: { url }, cause });
  }
}

export const indexUrlFrom = (given: string | undefined) => given ?? process.env.FLASHWRIGHT_PACK_INDEX ?? DEFAULT_PACK_INDEX;

async function download(url: string, what: string, o: DownloadOptions): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, o.signal ? { signal: o.signal } : {});
  } catch (e) {
    throw new PackDownloadError(url, (e as Error).message, e);
  }
  if (!res.ok || !res.body) throw new PackDownloadError(url, `the server answered ${res.status} ${res.statusText}.`);
  const total = Number(res.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      o.onProgress?.(received, total, what);
    }
  } catch (e) {
    throw new PackDownloadError(url, `the connection broke after ${received}${total ? ` of ${total}` : ''} bytes (${(e as Error).message}).`, e);
  }
  if (total !== undefined && received !== total) throw new PackDownloadError(url, `the download stopped at ${received} of ${total} bytes.`);
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function indexEntry(vendor: string, name: string, o: DownloadOptions): Promise<PackIndexEntry> {
  const url = indexUrlFrom(o.indexUrl);
  const entries = parsePidx(text(await download(url, 'index', o)), url);
  const e = findIndexEntry(entries, vendor, name);
  if (!e) {
    const near = entries.filter((x) => x.name.toLowerCase().includes(name.toLowerCase().slice(0, 6)) || x.vendor.toLowerCase() === vendor.toLowerCase()).slice(0, 5).map((x) => `${x.vendor}.${x.name}`);
    throw new PackFormatError(url, `lists no pack ${vendor}.${name}.`, { near }, near.length ? `Did you mean ${near.join(', ')}?` : 'Check the name (Vendor.Name, e.g. Keil.STM32F1xx_DFP).');
  }
  return e;
}

/** Downloads and installs `Vendor.Name[@version]` (the newest release when no version is given). */
export async function installPack(store: PackStore, spec: string, o: DownloadOptions = {}): Promise<AddResult> {
  const parsed = parsePackSpec(spec);
  if (!parsed) throw new PackFormatError(spec, 'is not a pack name: write Vendor.Name or Vendor.Name@1.2.3.', {}, 'E.g. flashwright pack install Keil.STM32F1xx_DFP@2.4.1.');
  const entry = await indexEntry(parsed.vendor, parsed.name, o);
  const pdscAt = pdscUrl(entry);
  const releases = pdscReleases(text(await download(pdscAt, 'pdsc', o)), pdscAt);
  const version = parsed.version ?? releases[0] ?? entry.version;
  if (parsed.version && releases.length && !releases.includes(parsed.version)) {
    throw new PackFormatError(pdscAt, `lists no release ${parsed.version} of ${entry.vendor}.${entry.name}.`, { releases }, `Releases: ${releases.slice(0, 8).join(', ')}.`);
  }
  const url = packUrl(entry, version);
  const data = await download(url, `${entry.vendor}.${entry.name}.${version}.pack`, o);
  if (entry.sha256 && version === entry.version) {
    const got = createHash('sha256').update(data).digest('hex');
    if (got !== entry.sha256) throw new PackFormatError(url, `does not match the index's SHA-256 (got ${got}, the index says ${entry.sha256}).`, { got, expected: entry.sha256 }, 'The download is damaged or was altered; try again, and report it to the pack vendor if it persists.');
  }
  const files = filesFromZip(data, url);
  const pack = openPack(files);
  if (pack.id.toLowerCase() !== `${entry.vendor}.${entry.name}`.toLowerCase() || pack.pdsc.version !== version) {
    throw new PackFormatError(url, `holds ${pack.id} ${pack.pdsc.version}, not ${entry.vendor}.${entry.name} ${version}.`, { holds: pack.id, version: pack.pdsc.version });
  }
  return store.addFiles(files, url);
}

/** Installs the newest release of every installed CMSIS-Pack that has a newer one in the index. */
export async function updatePacks(store: PackStore, o: DownloadOptions = {}): Promise<Array<{ id: string; from: string; to?: string | undefined }>> {
  const out: Array<{ id: string; from: string; to?: string | undefined }> = [];
  for (const p of store.list().filter((x) => x.kind === 'cmsis-pack')) {
    const [vendor, ...rest] = p.id.split('.');
    const entry = await indexEntry(vendor ?? '', rest.join('.'), o);
    const releases = pdscReleases(text(await download(pdscUrl(entry), 'pdsc', o)), pdscUrl(entry));
    const newest = releases[0] ?? entry.version;
    if (compareVersions(newest, p.version) > 0) out.push({ id: p.id, from: p.version, to: (await installPack(store, `${p.id}@${newest}`, o)).version });
    else out.push({ id: p.id, from: p.version });
  }
  return out;
}
