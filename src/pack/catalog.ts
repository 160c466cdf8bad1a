/**
 * The index of installed devices: one entry per part name (and per core of a multi-core part),
 * built once when the installed packs change and kept as JSON beside them, so naming a part
 * among thousands is one map lookup instead of reading every .pdsc.
 */
import { PackDeviceUnknownError } from './errors.js';
import type { Pdsc } from './pdsc.js';

export interface CatalogEntry {
  /** Part name as the pack writes it (variant or device), with `:Pname` for a non-first core. */
  name: string;
  device: string;
  pname?: string | undefined;
  /** `Vendor.Name` of the pack, its version, and the file the store keeps it in. */
  pack: string;
  version: string;
  file: string;
  family: string;
  core: string;
}

export interface CatalogJson {
  format: 'flashwright-pack-catalog/1';
  /** Fingerprint of the installed files the catalog was built from (name, size, mtime). */
  stamp: string;
  entries: CatalogEntry[];
}

export function catalogEntries(pdsc: Pdsc, file: string): CatalogEntry[] {
  const pack = `${pdsc.vendor}.${pdsc.name}`;
  const out: CatalogEntry[] = [];
  for (const d of pdsc.devices) {
    const family = d.subFamily ? `${d.family} / ${d.subFamily}` : d.family;
    const named = d.processors.filter((p) => p.pname !== undefined);
    out.push({ name: d.name, device: d.name, pname: named[0]?.pname, pack, version: pdsc.version, file, family, core: d.processors[0]?.core ?? 'unknown' });
    if (named.length > 1) for (const p of named) out.push({ name: `${d.name}:${p.pname!}`, device: d.name, pname: p.pname, pack, version: pdsc.version, file, family, core: p.core });
  }
  return out;
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]!);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

export class Catalog {
  private readonly byName = new Map<string, CatalogEntry[]>();
  private readonly sorted: string[];

  constructor(readonly entries: readonly CatalogEntry[]) {
    for (const e of entries) {
      const k = e.name.toLowerCase();
      const list = this.byName.get(k);
      if (list) list.push(e); else this.byName.set(k, [e]);
    }
    this.sorted = [...this.byName.keys()].sort();
  }

  static fromJson(json: CatalogJson): Catalog {
    return new Catalog(json.entries);
  }

  /**
   * The entry for a part name, case-insensitively: an exact name, else the one part whose name
   * the given one starts with (an ordering code with a package suffix: STM32F103C8T6 → STM32F103C8).
   * Several packs holding the part: the newest version.
   */
  find(name: string): CatalogEntry | undefined {
    const n = name.trim().toLowerCase();
    const exact = this.byName.get(n);
    if (exact) return newest(exact);
    // Longest installed name that is a prefix of the given one.
    for (let len = n.length - 1; len >= 4; len--) {
      const hit = this.byName.get(n.slice(0, len));
      if (hit) return newest(hit);
    }
    return undefined;
  }

  /** Up to `count` names closest to `name` (for "did you mean"). */
  near(name: string, count = 3): string[] {
    const n = name.trim().toLowerCase();
    const limit = Math.max(2, Math.floor(n.length / 3));
    const scored: Array<{ k: string; d: number }> = [];
    for (const k of this.sorted) {
      const d = k.startsWith(n) ? 0 : editDistance(k, n, limit);
      if (d <= limit) scored.push({ k, d });
    }
    return scored.sort((a, b) => a.d - b.d || a.k.localeCompare(b.k)).slice(0, count).map((s) => this.byName.get(s.k)![0]!.name);
  }

  require(name: string): CatalogEntry {
    const e = this.find(name);
    if (!e) throw new PackDeviceUnknownError(name, this.near(name), 'installed pack device');
    return e;
  }

  toJson(stamp: string): CatalogJson {
    return { format: 'flashwright-pack-catalog/1', stamp, entries: [...this.entries] };
  }
}

/** Orders versions the semantic-version way (2.10.0 after 2.9.1). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) && x !== '' && y !== '' ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

function newest(list: CatalogEntry[]): CatalogEntry {
  return [...list].sort((a, b) => compareVersions(b.version, a.version))[0]!;
}
