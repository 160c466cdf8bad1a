import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIRMWARE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/firmware');

/** Absolute path of a program on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

export const HAVE_GCC = which('arm-none-eabi-gcc') !== undefined;

/** Compiles test/fixtures/firmware/multi.c into a temp dir; returns the dir and the ELF bytes. */
export function buildMultiFirmware(): { dir: string; elfPath: string; elf: Uint8Array; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fw-image-'));
  const elfPath = join(dir, 'multi.elf');
  execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m3', '-mthumb', '-Os', '-nostdlib', '-T', join(FIRMWARE_DIR, 'multi.ld'),
    join(FIRMWARE_DIR, 'multi.c'), '-o', elfPath], { stdio: 'pipe' });
  return { dir, elfPath, elf: new Uint8Array(readFileSync(elfPath)), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
