/**
 * Where the seed threads are: the shared/ folder laid beside the checkout (as CI lays it,
 * `../shared/seeds`), else the workplace's copy. Tests read them as data; none is copied in.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = [join(import.meta.dirname, '..', '..', '..', 'shared', 'seeds'), '/work/shared/seeds'];

/** The folder holding the seeds, or undefined when there is none. */
export function seedsDir(): string | undefined {
  return CANDIDATES.find((d) => existsSync(d));
}

/** The text of the seed whose file name starts with `prefix` (e.g. '002'). */
export function readSeed(prefix: string): string {
  const dir = seedsDir();
  if (!dir) throw new Error(`no seed folder found (looked in ${CANDIDATES.join(', ')})`);
  const f = readdirSync(dir).find((n) => n.startsWith(prefix));
  if (!f) throw new Error(`seed ${prefix} not found in ${dir}`);
  return readFileSync(join(dir, f), 'utf8');
}
