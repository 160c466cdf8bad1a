/**
 * CMSIS-Packs opened in the page: the .pack (a zip) is read here (only its .pdsc and FLMs are
 * inflated), each device joins the target search, and a chosen part gives its memory map and
 * the default flash algorithm for its boot flash — the same src/pack code and choice the CLI
 * makes for `--target PART` with an installed pack (cli/device.ts choosePackAlgorithm).
 */
import { hex } from '../core/format.js';
import { Catalog, catalogEntries, type CatalogEntry } from '../pack/catalog.js';
import type { PackTarget } from '../pack/device-target.js';
import { filesFromZip, PROGRAMMING_FILES } from '../pack/files.js';
import { openPack, packTarget, type OpenPack } from '../pack/pack.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { el } from './dom.js';

export interface PackChoice {
  pack: PackTarget;
  /** The default algorithm covering the boot flash region, if the pack has one. */
  algorithm?: FlashAlgorithm | undefined;
  /** Flash regions the chosen algorithm does not cover. */
  uncovered: string[];
}

export class PagePacks {
  private readonly packs = new Map<string, OpenPack>();
  private entries: CatalogEntry[] = [];
  private catalog = Catalog.fromEntries([]);
  private readonly cache = new Map<string, PackChoice>();

  /** Opens a .pack; its parts replace those of an earlier copy of the same pack. */
  add(bytes: Uint8Array, fileName: string): { pack: OpenPack; parts: CatalogEntry[] } {
    const pack = openPack(filesFromZip(bytes, fileName, { only: PROGRAMMING_FILES }));
    const file = `${pack.id}@${pack.pdsc.version}`;
    this.packs.set(file, pack);
    const parts = catalogEntries(pack.pdsc, file);
    this.entries = [...this.entries.filter((e) => e.file !== file), ...parts];
    this.catalog = Catalog.fromEntries(this.entries);
    for (const k of [...this.cache.keys()]) if (k.startsWith(`${file}|`)) this.cache.delete(k);
    return { pack, parts };
  }

  get parts(): readonly CatalogEntry[] {
    return this.entries;
  }

  /** The part a search text names among the opened packs (as the CLI: packs before built-ins), or undefined. */
  find(name: string): PackChoice | undefined {
    if (!name.trim()) return undefined;
    const entry = this.catalog.find(name);
    if (!entry) return undefined;
    const key = `${entry.file}|${entry.name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const pack = packTarget(this.packs.get(entry.file)!, entry.pname && entry.name.includes(':') ? `${entry.device}:${entry.pname}` : entry.device);
    const flash = pack.target.regions.filter((r) => r.kind === 'flash');
    const boot = flash.find((r) => r.boot) ?? flash[0];
    const pick = boot && pack.defaults.find((a) => a.algorithm.flash.start <= boot.start && boot.start + boot.size <= a.algorithm.flash.start + a.algorithm.flash.size);
    const covers = (r: { start: number; size: number }) => pick !== undefined && pick.algorithm.flash.start <= r.start && r.start + r.size <= pick.algorithm.flash.start + pick.algorithm.flash.size;
    const choice: PackChoice = { pack, algorithm: pick?.algorithm, uncovered: flash.filter((r) => !covers(r)).map((r) => r.name) };
    this.cache.set(key, choice);
    return choice;
  }
}

/** What the page says about a part from a pack: where it is from, its memories, the algorithm. */
export function describePackChoice(c: PackChoice): HTMLElement {
  const p = c.pack;
  const box = el('div', { class: 'pack-part' });
  box.append(el('p', { text: `${p.target.name} from pack ${p.pack.vendor}.${p.pack.name} ${p.pack.version}${p.pname ? `, core ${p.pname}` : ''}${p.debug.ap !== undefined ? `, access port ${p.debug.ap}` : ''}.` }));
  const list = el('ul');
  for (const r of p.target.regions) list.append(el('li', { text: `${r.kind} ${r.name}: ${hex(r.start)}–${hex(r.start + r.size - 1)}${r.note ? ` (${r.note})` : ''}` }));
  box.append(list);
  if (c.algorithm) box.append(el('p', { text: `Flash algorithm: ${c.algorithm.name} (${c.algorithm.source}).` }));
  else box.append(el('p', { class: 'finding warning', text: 'The pack has no flash algorithm for the boot flash: it can be read, not written.' }));
  if (c.uncovered.length) box.append(el('p', { class: 'finding warning', text: `${c.uncovered.join(', ')}: another of the pack's algorithms programs ${c.uncovered.length === 1 ? 'it' : 'them'}; this page uses the boot flash's.` }));
  for (const w of p.warnings) box.append(el('p', { class: 'finding warning', text: w }));
  return box;
}
