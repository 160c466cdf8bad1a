import type { MemoryRegion, SectorRun } from '../types.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** `uniform(128 * KiB, 1 * KiB)` → one run of 128 sectors of 1 KiB. */
export function uniform(size: number, sector: number): SectorRun[] {
  return [{ size: sector, count: size / sector }];
}

export function flash(start: number, size: number, sectors: SectorRun[], pageSize: number, extra: Partial<MemoryRegion> = {}): MemoryRegion {
  // Internal flash is where STM32 (boot from main flash, AN2606) and Kinetis (reset vector at
  // flash start) boot by default; a second flash array (FlexNVM, a named bank) does not.
  const boot = extra.name === undefined || extra.name === 'flash';
  return { name: 'flash', kind: 'flash', start, size, sectors, pageSize, erasedValue: 0xff, ...(boot ? { boot: true } : {}), ...extra };
}

export function ram(name: string, start: number, size: number, note?: string): MemoryRegion {
  return note ? { name, kind: 'ram', start, size, note } : { name, kind: 'ram', start, size };
}

export function rom(name: string, start: number, size: number, note?: string): MemoryRegion {
  return note ? { name, kind: 'rom', start, size, note } : { name, kind: 'rom', start, size };
}
