/**
 * The pack index (Open-CMSIS-Pack "Pack Index Files"): index.pidx lists
 * `<pdsc url="…/" vendor="V" name="N" version="X"/>`; the vendor's .pdsc sits at
 * `url + V.N.pdsc` and the pack itself at `url + V.N.X.pack`. A `sha256` attribute on the
 * index entry, when present, is the pack's expected digest.
 */
import { PackFormatError } from './errors.js';
import { childrenOf, parseXml } from './xml.js';
import { compareVersions } from './catalog.js';

export interface PackIndexEntry {
  vendor: string;
  name: string;
  version: string;
  /** Folder URL ending in '/'. */
  url: string;
  sha256?: string | undefined;
}

export function parsePidx(text: string, source: string): PackIndexEntry[] {
  const root = parseXml(text, source);
  if (root.tag !== 'index') throw new PackFormatError(source, `has <${root.tag}> at its root, not <index>: it is not an index.pidx.`);
  const holder = childrenOf(root, 'pindex')[0] ?? root;
  return childrenOf(holder, 'pdsc').map((p) => {
    const { url, vendor, name, version } = p.attrs;
    if (!url || !vendor || !name || !version) throw new PackFormatError(source, 'has a <pdsc> entry without url, vendor, name and version.', { attrs: p.attrs });
    return { vendor, name, version, url: url.endsWith('/') ? url : `${url}/`, sha256: p.attrs.sha256?.toLowerCase() };
  });
}

/** `Keil.STM32F1xx_DFP@2.4.1` → parts; the version is optional. */
export function parsePackSpec(spec: string): { vendor: string; name: string; version?: string | undefined } | undefined {
  const m = /^([\w-]+)\.([\w.-]+?)(?:@([\w.+-]+))?$/.exec(spec.trim());
  if (!m) return undefined;
  return { vendor: m[1]!, name: m[2]!, version: m[3] };
}

/** The index entry for a spec (case-insensitive names). */
export function findIndexEntry(entries: PackIndexEntry[], vendor: string, name: string): PackIndexEntry | undefined {
  return entries.filter((e) => e.vendor.toLowerCase() === vendor.toLowerCase() && e.name.toLowerCase() === name.toLowerCase())
    .sort((a, b) => compareVersions(b.version, a.version))[0];
}

export const pdscUrl = (e: { url: string; vendor: string; name: string }) => `${e.url}${e.vendor}.${e.name}.pdsc`;
export const packUrl = (e: { url: string; vendor: string; name: string }, version: string) => `${e.url}${e.vendor}.${e.name}.${version}.pack`;

/** The versions a vendor .pdsc lists under <releases>, newest first. */
export function pdscReleases(text: string, source: string): string[] {
  const root = parseXml(text, source);
  const releases = childrenOf(root, 'releases')[0];
  return (releases ? childrenOf(releases, 'release') : []).map((r) => r.attrs.version ?? '').filter((v) => v !== '').sort((a, b) => compareVersions(b, a));
}
