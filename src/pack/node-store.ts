/**
 * The installed packs on this computer (Node only): the cache folder, `pack add/list/remove`,
 * the catalog rebuilt when the installed files change, and part lookup across them.
 * Folder: $FLASHWRIGHT_PACK_DIR, else XDG_CACHE_HOME (or ~/.cache)/flashwright/packs on Linux,
 * ~/Library/Caches/flashwright/packs on macOS, %LOCALAPPDATA%\flashwright\packs on Windows.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Catalog, CATALOG_FORMAT, catalogEntries, type CatalogEntry, type CatalogJson } from './catalog.js';
import type { PackTarget } from './device-target.js';
import { PackFormatError } from './errors.js';
import { filesFromMap, filesFromZip, normalisePackPath, PROGRAMMING_FILES, zipFiles, type PackFiles } from './files.js';
import type { Pdsc } from './pdsc.js';
import { checkPack, openPack, packTarget, type OpenPack } from './pack.js';
import { isProbeRsTargetFile, parseProbeRsFile, probeRsTarget } from './probe-rs.js';

export function defaultPackDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FLASHWRIGHT_PACK_DIR) return env.FLASHWRIGHT_PACK_DIR;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'flashwright', 'packs');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'flashwright', 'packs');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flashwright', 'packs');
}

/** Reads every file under `dir` into memory (an unpacked pack, or the folder of a bare .pdsc). */
export function filesFromDir(dir: string): PackFiles {
  const map: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else map[relative(dir, p).split(sep).join('/')] = new Uint8Array(readFileSync(p));
    }
  };
  walk(dir);
  return filesFromMap(map, dir);
}

export interface InstalledPack {
  id: string;
  version: string;
  file: string;
  devices: number;
  kind: 'cmsis-pack' | 'probe-rs';
}

export interface AddResult extends InstalledPack {
  warnings: string[];
  replaced?: string | undefined;
}

const CATALOG = 'catalog.json';
const DEVICE_INDEX = '.devices.json';
const DEVICE_INDEX_FORMAT = 'flashwright-pack-devices/1';
const isStored = (f: string) => f.endsWith('.pack') || f.endsWith('.probe-rs.yaml');

export class PackStore {
  private catalog?: { stamp: string; catalog: Catalog };
  private readonly opened = new Map<string, OpenPack>();

  constructor(readonly dir: string = defaultPackDir()) {}

  private storedFiles(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(isStored).sort();
  }

  /** Name, size and modification time of every installed file: a change of any rebuilds the catalog. */
  private stamp(): string {
    return this.storedFiles().map((f) => { const s = statSync(join(this.dir, f)); return `${f}:${s.size}:${Math.floor(s.mtimeMs)}`; }).join('|');
  }

  /** The catalog of installed parts, read from catalog.json when it matches the installed files. */
  getCatalog(): Catalog {
    const stamp = this.stamp();
    if (this.catalog?.stamp === stamp) return this.catalog.catalog;
    const path = join(this.dir, CATALOG);
    if (existsSync(path)) {
      try {
        const json = JSON.parse(readFileSync(path, 'utf8')) as CatalogJson;
        if (json.format === CATALOG_FORMAT && json.stamp === stamp) {
          this.catalog = { stamp, catalog: Catalog.fromJson(json) };
          return this.catalog.catalog;
        }
      } catch { /* rebuilt below */ }
    }
    return this.rebuild(stamp);
  }

  private rebuild(stamp: string): Catalog {
    const entries: CatalogEntry[] = [];
    for (const f of this.storedFiles()) entries.push(...this.entriesOf(f));
    const catalog = Catalog.fromEntries(entries);
    if (existsSync(this.dir)) {
      const tmp = join(this.dir, `${CATALOG}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(catalog.toJson(stamp)));
      renameSync(tmp, join(this.dir, CATALOG));
    }
    this.catalog = { stamp, catalog };
    return catalog;
  }

  private entriesOf(file: string): CatalogEntry[] {
    const path = join(this.dir, file);
    if (file.endsWith('.probe-rs.yaml')) {
      const pr = parseProbeRsFile(readFileSync(path, 'utf8'), path);
      return pr.variants.map((v) => ({ name: v.name, device: v.name, pack: `probe-rs.${pr.family}`, version: '-', file, family: pr.family, core: 'unknown' }));
    }
    return catalogEntries(this.open(file).pdsc, file);
  }

  private open(file: string): OpenPack {
    let p = this.opened.get(file);
    if (!p) {
      p = openPack(filesFromZip(new Uint8Array(readFileSync(join(this.dir, file))), join(this.dir, file), { only: PROGRAMMING_FILES }));
      this.opened.set(file, p);
      this.writeIndex(file, p.pdsc);
    }
    return p;
  }

  /** Size and modification time of an installed file: its device index is valid while they match. */
  private fileStamp(file: string): string {
    const s = statSync(join(this.dir, file));
    return `${s.size}:${Math.floor(s.mtimeMs)}`;
  }

  /**
   * The parsed .pdsc of an installed pack, kept as JSON beside it (`FILE.devices.json`): naming
   * one part then reads that and inflates only its FLMs, instead of parsing a .pdsc of
   * thousands of devices on every command.
   */
  private writeIndex(file: string, pdsc: Pdsc): void {
    try {
      const path = join(this.dir, `${file}${DEVICE_INDEX}`);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ format: DEVICE_INDEX_FORMAT, stamp: this.fileStamp(file), pdsc }));
      renameSync(tmp, path);
    } catch { /* an index that cannot be written is only slower lookups */ }
  }

  private readIndex(file: string): Pdsc | undefined {
    const path = join(this.dir, `${file}${DEVICE_INDEX}`);
    if (!existsSync(path)) return undefined;
    try {
      const json = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; stamp?: string; pdsc?: Pdsc };
      return json.format === DEVICE_INDEX_FORMAT && json.stamp === this.fileStamp(file) && json.pdsc ? json.pdsc : undefined;
    } catch {
      return undefined;
    }
  }

  /** The pack holding a part, with only the FLMs that part's algorithms name inflated (from the device index when it is current). */
  private openFor(file: string, device: string): OpenPack {
    const opened = this.opened.get(file);
    if (opened) return opened;
    const pdsc = this.readIndex(file);
    if (!pdsc) return this.open(file);
    const d = pdsc.devices.find((x) => x.name === device);
    // Only those FLMs are inflated; the store wrote the pack, so its files sit at the root.
    const wanted = new Set((d?.algorithms ?? []).map((a) => normalisePackPath(a.path)));
    const files = filesFromZip(new Uint8Array(readFileSync(join(this.dir, file))), join(this.dir, file), { only: (p) => wanted.has(normalisePackPath(p)), atRoot: true });
    return { id: `${pdsc.vendor}.${pdsc.name}`, pdsc, files };
  }

  list(): InstalledPack[] {
    const byFile = new Map<string, CatalogEntry[]>();
    for (const e of this.getCatalog().entries) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    return this.storedFiles().map((file) => {
      const es = byFile.get(file) ?? [];
      return { id: es[0]?.pack ?? file, version: es[0]?.version ?? '?', file, devices: new Set(es.map((e) => e.device)).size, kind: file.endsWith('.pack') ? 'cmsis-pack' : 'probe-rs' };
    });
  }

  /** The target for an installed part, or undefined when no installed pack has it. */
  findTarget(name: string): PackTarget | undefined {
    const e = this.getCatalog().find(name);
    if (!e) return undefined;
    const part = e.pname !== undefined && e.name.includes(':') ? `${e.device}:${e.pname}` : e.device;
    if (e.file.endsWith('.probe-rs.yaml')) {
      const path = join(this.dir, e.file);
      return probeRsTarget(parseProbeRsFile(readFileSync(path, 'utf8'), path), e.device);
    }
    return packTarget(this.openFor(e.file, e.device), part);
  }

  /**
   * Installs a .pack, an unpacked pack folder, a bare .pdsc (its folder holds the files it
   * names) or a probe-rs target YAML. Every device is checked first (FLMs loaded): a pack with
   * errors is refused, naming the first. A pack already installed is replaced.
   */
  add(path: string): AddResult {
    if (!existsSync(path)) throw new PackFormatError(path, 'does not exist.', {}, 'Give the path of a .pack file, an unpacked pack folder, a .pdsc or a probe-rs target .yaml.');
    mkdirSync(this.dir, { recursive: true });
    const text = !statSync(path).isDirectory() && /\.ya?ml$/i.test(path) ? readFileSync(path, 'utf8') : undefined;
    if (text !== undefined) {
      if (!isProbeRsTargetFile(text)) throw new PackFormatError(path, 'is YAML but not a probe-rs target file (no `name` and `variants`).');
      const pr = parseProbeRsFile(text, path);
      const warnings = pr.variants.flatMap((v) => probeRsTarget(pr, v.name).warnings.map((w) => `${v.name}: ${w}`));
      const file = `${pr.family.replace(/[^\w.-]+/g, '_')}.probe-rs.yaml`;
      writeFileSync(join(this.dir, file), text);
      return { id: `probe-rs.${pr.family}`, version: '-', file, devices: pr.variants.length, kind: 'probe-rs', warnings };
    }
    const files = statSync(path).isDirectory() ? filesFromDir(path)
      : path.toLowerCase().endsWith('.pdsc') ? filesFromDir(dirname(path))
        : filesFromZip(new Uint8Array(readFileSync(path)), path);
    return this.addFiles(files, basename(path));
  }

  /** Installs pack files already in memory (a download). */
  addFiles(files: PackFiles, label: string): AddResult {
    const pack = openPack(files);
    const { errors, warnings } = checkPack(pack);
    if (errors.length) {
      const first = errors[0]!;
      if (errors.length > 1 && first instanceof PackFormatError) first.context.moreErrors = errors.slice(1).map((e) => e.message);
      throw first;
    }
    if (pack.pdsc.devices.length === 0) throw new PackFormatError(label, 'describes no devices (no <devices> element): nothing to install.');
    mkdirSync(this.dir, { recursive: true });
    const file = `${pack.id}.${pack.pdsc.version}.pack`;
    const installed = this.storedFiles().filter((f) => f.toLowerCase().startsWith(`${pack.id.toLowerCase()}.`) && f.endsWith('.pack'));
    const previous = installed.filter((f) => f !== file);
    const data = zipFiles(files);
    const tmp = join(this.dir, `${file}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(this.dir, file));
    for (const p of previous) { rmSync(join(this.dir, p), { force: true }); rmSync(join(this.dir, `${p}${DEVICE_INDEX}`), { force: true }); this.opened.delete(p); }
    this.opened.delete(file);
    return { id: pack.id, version: pack.pdsc.version, file, devices: pack.pdsc.devices.length, kind: 'cmsis-pack', warnings, replaced: installed[0] };
  }

  /** Removes an installed pack by its id (Vendor.Name, case-insensitive) or its file name. */
  remove(name: string): InstalledPack {
    const hit = this.list().find((p) => p.id.toLowerCase() === name.toLowerCase() || p.file === name);
    if (!hit) {
      throw new PackFormatError(name, 'is not installed.', { installed: this.list().map((p) => p.id) }, `Installed: ${this.list().map((p) => p.id).join(', ') || 'none'} (\`flashwright pack list\`).`);
    }
    rmSync(join(this.dir, hit.file), { force: true });
    rmSync(join(this.dir, `${hit.file}${DEVICE_INDEX}`), { force: true });
    this.opened.delete(hit.file);
    return hit;
  }
}
