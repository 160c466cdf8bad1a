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

/** One row per part, the pack fields by index into `packs` (a compact file reads fast). */
type CatalogRow = [name: string, device: string | 0, pname: string | 0, pack: number, family: number, core: number];

export interface CatalogJson {
  format: 'flashwright-pack-catalog/3';
  /** Fingerprint of the installed files the catalog was built from (name, size, mtime). */
  stamp: string;
  packs: Array<{ pack: string; version: string; file: string }>;
  /** Family and core names, shared by the rows (by index). */
  strings: string[];
  /** 0 for the device when it is the name, and for no Pname. */
  rows: CatalogRow[];
}

export const CATALOG_FORMAT = 'flashwright-pack-catalog/3';

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
  private readonly keys: string[];
  private list?: CatalogEntry[];

  /**
   * Rows as catalog.json keeps them; entries are made only for what a lookup returns, so
   * opening the catalog of 10,000 parts costs the JSON parse and one lower-casing pass.
   */
  private constructor(private readonly packs: CatalogJson['packs'], private readonly strings: string[], private readonly rows: CatalogRow[]) {
    this.keys = rows.map((r) => r[0].toLowerCase());
  }

  static fromEntries(entries: readonly CatalogEntry[]): Catalog {
    return Catalog.fromJson(toJson(entries, ''));
  }

  static fromJson(json: CatalogJson): Catalog {
    return new Catalog(json.packs, json.strings, json.rows);
  }

  private entry(i: number): CatalogEntry {
    const [name, device, pname, p, family, core] = this.rows[i]!;
    const pack = this.packs[p]!;
    return { name, device: device === 0 ? name : device, pname: pname === 0 ? undefined : pname, pack: pack.pack, version: pack.version, file: pack.file, family: this.strings[family]!, core: this.strings[core]! };
  }

  get entries(): readonly CatalogEntry[] {
    this.list ??= this.rows.map((_, i) => this.entry(i));
    return this.list;
  }

  /**
   * The entry for a part name, case-insensitively: an exact name, else the longest part name
   * the given one starts with (an ordering code with a package suffix: STM32F103C8T6 → STM32F103C8).
   * Several packs holding the part: the newest version.
   */
  find(name: string): CatalogEntry | undefined {
    const n = name.trim().toLowerCase();
    const exact: number[] = [];
    let prefix: number[] = [];
    let prefixLen = 3;
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      if (k === n) exact.push(i);
      else if (exact.length === 0 && k.length >= prefixLen && n.startsWith(k)) {
        if (k.length > prefixLen) { prefix = []; prefixLen = k.length; }
        prefix.push(i);
      }
    }
    const hits = exact.length ? exact : prefix;
    return hits.length ? newest(hits.map((i) => this.entry(i))) : undefined;
  }

  /** Up to `count` names closest to `name` (for "did you mean"). */
  near(name: string, count = 3): string[] {
    const n = name.trim().toLowerCase();
    const limit = Math.max(2, Math.floor(n.length / 3));
    const scored: Array<{ i: number; d: number }> = [];
    const seen = new Set<string>();
    this.keys.forEach((k, i) => {
      if (seen.has(k)) return;
      seen.add(k);
      const d = k.startsWith(n) ? 0 : editDistance(k, n, limit);
      if (d <= limit) scored.push({ i, d });
    });
    return scored.sort((a, b) => a.d - b.d || this.keys[a.i]!.localeCompare(this.keys[b.i]!)).slice(0, count).map((s) => this.rows[s.i]![0]);
  }

  require(name: string): CatalogEntry {
    const e = this.find(name);
    if (!e) throw new PackDeviceUnknownError(name, this.near(name), 'installed pack device');
    return e;
  }

  toJson(stamp: string): CatalogJson {
    return { format: CATALOG_FORMAT, stamp, packs: this.packs, strings: this.strings, rows: this.rows };
  }
}

function toJson(entries: readonly CatalogEntry[], stamp: string): CatalogJson {
  const packs: CatalogJson['packs'] = [];
  const index = new Map<string, number>();
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (t: string) => { let i = stringIndex.get(t); if (i === undefined) { i = strings.length; strings.push(t); stringIndex.set(t, i); } return i; };
  const rows = entries.map((e): CatalogRow => {
    let i = index.get(e.file);
    if (i === undefined) { i = packs.length; packs.push({ pack: e.pack, version: e.version, file: e.file }); index.set(e.file, i); }
    return [e.name, e.device === e.name ? 0 : e.device, e.pname ?? 0, i, str(e.family), str(e.core)];
  });
  return { format: CATALOG_FORMAT, stamp, packs, strings, rows };
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
