/**
 * The kept-bytes journal as a file in the user's cache folder ($XDG_CACHE_HOME/flashwright,
 * else ~/.cache/flashwright): one JSON file per device (way in, port or state file, target),
 * written atomically before the engine erases a sector holding bytes to keep, read by the
 * next write to the same device, deleted once a write is verified.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hex } from '../core/format.js';
import type { KeptBytes, KeptBytesJournal } from '../flash/journal.js';
import { MemoryImage } from '../image/memory-image.js';
import type { DeviceInfo, Programmer } from '../programmer/types.js';
import { regionAt } from '../target/geometry.js';
import type { Io } from './output.js';

interface JournalFile {
  format: 'flashwright-kept-bytes';
  version: 1;
  device: string;
  saved: string;
  chunks: Array<{ address: number; base64: string }>;
}

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'flashwright');
}

/** FNV-1a of the device key, for a short file name. */
function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, '0');
}

export class FileJournal implements KeptBytesJournal {
  readonly name: string;

  constructor(readonly device: string, target: string) {
    this.name = join(cacheDir(), `kept-${target.replace(/[^\w.-]+/g, '_')}-${fnv(device)}.json`);
  }

  /** What an earlier interrupted write saved for this device (empty when nothing). */
  load(): KeptBytes[] {
    if (!existsSync(this.name)) return [];
    try {
      const f = JSON.parse(readFileSync(this.name, 'utf8')) as JournalFile;
      if (f.format !== 'flashwright-kept-bytes' || f.device !== this.device) return [];
      return f.chunks.map((c) => ({ address: c.address, data: new Uint8Array(Buffer.from(c.base64, 'base64')) }));
    } catch {
      return [];
    }
  }

  async save(kept: readonly KeptBytes[]): Promise<void> {
    // Merged with what is there: a resume that is interrupted again must not drop older bytes.
    const byAddress = new Map<number, KeptBytes>();
    for (const k of [...this.load(), ...kept]) byAddress.set(k.address, k);
    const file: JournalFile = {
      format: 'flashwright-kept-bytes', version: 1, device: this.device, saved: new Date().toISOString(),
      chunks: [...byAddress.values()].sort((a, b) => a.address - b.address).map((k) => ({ address: k.address, base64: Buffer.from(k.data).toString('base64') })),
    };
    mkdirSync(cacheDir(), { recursive: true });
    const tmp = `${this.name}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(file) + '\n');
    renameSync(tmp, this.name);
  }

  async clear(): Promise<void> {
    rmSync(this.name, { force: true });
  }
}

/** The device a write goes to, as a journal key: the way in and what names the device. */
export function deviceKey(options: Record<string, unknown>): string {
  const via = String(options.via ?? '');
  const where = options.simState ?? options.port ?? options.hidPath ?? options.gdb ?? options.pty ?? '';
  return `${via}:${String(where)}`;
}

/** `image` with the journal's bytes added where the image has none (the image wins where both have bytes). */
export function withKeptBytes(image: MemoryImage, kept: readonly KeptBytes[], source: string): { image: MemoryImage; restored: number } {
  const pieces: Array<{ address: number; data: Uint8Array; source: string }> = [];
  let restored = 0;
  for (const k of kept) {
    let a = k.address;
    const end = k.address + k.data.length;
    while (a < end) {
      // Runs of the journal bytes that the image does not cover.
      if (image.byteAt(a) !== undefined) { a++; continue; }
      let b = a;
      while (b < end && image.byteAt(b) === undefined) b++;
      pieces.push({ address: a, data: k.data.subarray(a - k.address, b - k.address), source });
      restored += b - a;
      a = b;
    }
  }
  return { image: pieces.length ? image.merge(MemoryImage.fromSegments(pieces)) : image, restored };
}

/**
 * The journal's chunks the device no longer holds: a chunk is restored only where the device
 * now reads erased (or already holds it); anything else means the journal is from another
 * write to that port and is left alone, with a warning.
 */
async function stillMissing(kept: KeptBytes[], programmer: Programmer, device: DeviceInfo, io: Io): Promise<KeptBytes[]> {
  if (!kept.length || device.protection?.readProtected) return [];
  const out: KeptBytes[] = [];
  for (const k of kept) {
    const r = regionAt(device.target, k.address);
    const now = r ? await programmer.readMemory(k.address, k.data.length).catch(() => undefined) : undefined;
    const erased = r?.erasedValue ?? 0xff;
    if (now && now.every((b, i) => b === erased || b === k.data[i])) out.push(k);
    else io.err(`warning: the kept-bytes journal has ${k.data.length} byte(s) at ${hex(k.address)} that the device holds otherwise now; they are not restored.\n`);
  }
  return out;
}

/**
 * The device's journal (when preserving) and the image with the bytes an interrupted write
 * kept added back where the device lost them; `write` and `plan` both use it, so the plan
 * shows what the write does.
 */
export async function withJournal(image: MemoryImage, options: Record<string, unknown>, preserve: boolean, programmer: Programmer, device: DeviceInfo, io: Io): Promise<{ image: MemoryImage; journal?: FileJournal }> {
  if (!preserve) return { image };
  const journal = new FileJournal(deviceKey(options), device.target.name);
  const pending = await stillMissing(journal.load(), programmer, device, io);
  if (!pending.length) return { image, journal };
  const r = withKeptBytes(image, pending, `kept bytes (${journal.name})`);
  if (r.restored) io.err(`note: restoring ${r.restored} byte(s) kept by an interrupted write, from ${journal.name}\n`);
  return { image: r.image, journal };
}
