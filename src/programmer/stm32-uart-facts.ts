/**
 * What the stm32-uart way in knows about the chip behind the ROM bootloader, apart from the
 * session: the bootloader's page numbering, its write unit, read/write protection as Read
 * Memory shows it (AN3155: a refused Read Memory command byte is RDP level 1), the flash size
 * register, and what each unlock/protect change would do. Reads only; nothing here changes the chip.
 */
import { FlashwrightError, RefusedBeforeSendingError } from '../core/errors.js';
import { formatSize, hex } from '../core/format.js';
import { MAX_TRANSFER } from '../protocol/stm32-uart/commands.js';
import { describeStm32Device, findStm32Device, STM32_FLASH_SIZE_REGISTER, stm32FamilyOf, UnknownStm32PidError, withFlashSize, type Stm32Family } from '../protocol/stm32-uart/devices.js';
import { Stm32NackError } from '../protocol/stm32-uart/errors.js';
import type { Stm32UartSession } from '../protocol/stm32-uart/session.js';
import { protectedPages, wrpLayoutFor } from '../protocol/stm32-uart/write-protection.js';
import { regionSectors, sectorAt } from '../target/geometry.js';
import { findTargetById } from '../target/lookup.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import type { DeviceChange, DeviceChangeKind, DeviceInfo, ProtectionState } from './types.js';

/** The device is read-protected and the user did not ask to remove it; raised before any byte goes out. */
export class Stm32ReadProtectedError extends RefusedBeforeSendingError {
  constructor(pid: number) {
    super('STM32_READ_PROTECTED', `The chip (PID ${hex(pid, 3)}) has read protection (RDP level 1) on: its bootloader refuses to read, write, erase or run.`, {
      hint: 'Pass --unprotect to a write to remove it; that MASS-ERASES the whole flash (the only way ST allows back to level 0).',
      context: { pid },
    });
  }
}

/**
 * Shown by `info` and quoted by the engine's refusals (PRESERVE_UNREADABLE), so the first
 * error a user meets on a protected chip already names the way out and its cost.
 */
export const RDP1_DESCRIPTION = 'RDP level 1: the bootloader refuses reads, writes, erases and Go until --unprotect removes it, which MASS-ERASES the whole flash';

/** The protection state a chip has after Readout Protect. */
export const RDP1_STATE: ProtectionState = { readProtected: true, description: RDP1_DESCRIPTION };

/** The main flash region; the bootloader numbers its pages by sector index (regionSectors). */
export function mainFlash(target: TargetDescription): MemoryRegion {
  const region = target.regions.find((r) => r.kind === 'flash');
  if (!region) throw new FlashwrightError('STM32_NO_FLASH', `The target ${target.name} has no flash region.`, { context: { target: target.name } });
  return region;
}

/**
 * The bootloader's page number of the sector starting at `address`: its index in the main
 * flash, or, in a further flash region of uniform sectors (bank 2 of a 1 MiB STM32H743 at
 * 0x08100000), its position in the full-size map counted from the main flash start (RM0433
 * Table 16: that bank's sector 0 is page 8, as on the 2 MiB parts). Undefined when no sector starts there.
 */
export function bootloaderPageAt(target: TargetDescription, address: number): number | undefined {
  const main = mainFlash(target);
  const region = target.regions.find((r) => r.kind === 'flash' && address >= r.start && address < r.start + r.size);
  if (!region) return undefined;
  const sector = sectorAt(region, address);
  if (sector?.address !== address) return undefined;
  if (region === main) return sector.index;
  const runs = region.sectors ?? [];
  const size = runs[0]?.size ?? 0;
  if (runs.length !== 1 || size === 0 || (region.start - main.start) % size !== 0) return undefined;
  return (region.start - main.start) / size + sector.index;
}

/**
 * Write Memory takes 4-byte aligned addresses and multiples of 4 bytes (AN3155), so for the
 * plan the program unit of flash-like regions through this way in is at least 4 bytes
 * (the F1's 2-byte half-word becomes 4; padding comes from the image or preserved bytes).
 */
function withBootloaderWriteUnit(t: TargetDescription): TargetDescription {
  const fix = (r: MemoryRegion) => (r.kind === 'flash' || r.kind === 'option-bytes') && (r.pageSize ?? 1) % 4 !== 0;
  if (!t.regions.some(fix)) return t;
  return { ...t, regions: t.regions.map((r) => (fix(r) ? { ...r, pageSize: (r.pageSize ?? 1) % 2 === 0 ? (r.pageSize ?? 1) * 2 : (r.pageSize ?? 1) * 4 } : r)) };
}

export function familyOf(target: TargetDescription): Stm32Family | undefined {
  const m = /^STM32([A-Z]\d|W[BL])/i.exec(target.family);
  return m ? (m[1]!.toUpperCase() as Stm32Family) : undefined;
}

/** The flash size data register, when the line has one and the bootloader lets it be read (not under RDP 1). */
export async function readFlashSizeRegister(session: Stm32UartSession, target: TargetDescription): Promise<{ address: number; size: number } | undefined> {
  const family = stm32FamilyOf(target);
  const reg = family && STM32_FLASH_SIZE_REGISTER[family];
  if (!reg) return undefined;
  try {
    const b = await session.readMemory(reg.address, 2);
    const kib = b[0]! | (b[1]! << 8);
    return kib > 0 && kib !== 0xffff ? { address: reg.address, size: kib * 1024 } : undefined;
  } catch (e) {
    if (e instanceof Stm32NackError) return undefined;
    throw e;
  }
}

/** Read protection shows as a NACK to the Read Memory command byte. */
export async function readProtectionState(session: Stm32UartSession, target: TargetDescription): Promise<ProtectionState> {
  const region = mainFlash(target);
  const sectors = regionSectors(region);
  const layout = wrpLayoutFor(target.family, region.size);
  const block = layout ? target.regions.find((r) => r.kind === 'option-bytes' && r.start === target.features?.stm32OptionBytes?.address) : undefined;
  try {
    // Reading the option block tells both: RDP (the read is refused) and write protection.
    if (layout && block && block.size <= MAX_TRANSFER) {
      const pages = protectedPages(layout, await session.readMemory(block.start, block.size), sectors.length);
      const writeProtectedSectors = pages.flatMap((p) => sectors[p]?.address ?? []);
      return {
        readProtected: false,
        description: `RDP level 0 (open)${pages.length ? `; ${pages.length} page(s) write-protected` : ''}`,
        writeProtectedSectors,
      };
    }
    await session.readMemory(region.start, 4);
    return { readProtected: false, description: 'RDP level 0 (open)' };
  } catch (e) {
    if (e instanceof Stm32NackError && e.phase === 'command') return { readProtected: true, description: RDP1_DESCRIPTION };
    throw e;
  }
}

/**
 * What a change would do to this chip (Programmer.describeChange of the stm32-uart way in). Readout Unprotect
 * mass-erases the flash and clears write protection with it (AN3155 §3.9: "the user Flash
 * memory is erased", option bytes reset to their defaults), so afterwards the chip is open.
 */
export function describeStm32Change(kind: DeviceChangeKind, device: DeviceInfo): DeviceChange | undefined {
  const p = device.protection;
  const region = mainFlash(device.target);
  const open: ProtectionState = { readProtected: false, description: 'RDP level 0 (open)', writeProtectedSectors: [] };
  if (kind === 'read-unprotect' && p?.readProtected) {
    return {
      kind, stage: 'unlock', description: 'Readout Unprotect: RDP level 1 → 0 (the chip resets)',
      destroys: `mass erase: all ${formatSize(region.size)} of flash`,
      erases: [{ start: region.start, size: region.size }], protectionAfter: open,
    };
  }
  if (kind === 'write-unprotect' && !p?.readProtected && p?.writeProtectedSectors?.length) {
    return {
      kind, stage: 'unlock', description: `Write Unprotect: removes write protection from ${p.writeProtectedSectors.length} page(s) (option bytes rewritten; the chip resets)`,
      protectionAfter: { ...p, description: 'RDP level 0 (open)', writeProtectedSectors: [] },
    };
  }
  if (kind === 'read-protect' && !p?.readProtected) {
    return {
      kind, stage: 'protect', description: 'Readout Protect: RDP level 0 → 1 (the bootloader then refuses reads, writes and Go; the chip resets)',
      protectionAfter: RDP1_STATE,
    };
  }
  return undefined;
}

/**
 * The memory map for the chip behind the bootloader: the user's (`--target`), else the
 * built-in target of that product ID, else the AN2606 device table — with the bootloader's write unit.
 */
export function targetForPid(user: TargetDescription | undefined, pid: number): TargetDescription {
  return withBootloaderWriteUnit(user ?? findTargetById('stm32Pid', pid) ?? (() => {
    const row = findStm32Device(pid);
    if (!row) throw new UnknownStm32PidError(pid);
    return describeStm32Device(row);
  })());
}

/**
 * The chip's flash size register wins over the description; a disagreement is said. Every
 * flash bank counts (a 1 MiB STM32H743 reports 1024 KiB over two 512 KiB regions), and a
 * split-bank layout is not stretched (bank 1 would overlap bank 2): it is kept and said.
 */
export function fitFlashSize(target: TargetDescription, reported: { address: number; size: number }): { target: TargetDescription; warning?: string } {
  const flash = target.regions.filter((r) => r.kind === 'flash');
  const described = flash.reduce((n, r) => n + r.size, 0);
  if (reported.size === described) return { target };
  const resized = flash.length > 1 ? undefined : withFlashSize(target, reported.size);
  const says = `The chip's flash size register (${hex(reported.address)}) says ${formatSize(reported.size)} of flash`;
  return resized
    ? { target: resized, warning: `${says}; ${target.name} describes ${formatSize(described)}: using ${formatSize(reported.size)}.` }
    : { target, warning: `${says}, which does not fit the sector layout of ${target.name} (${formatSize(described)}); keeping the description.` };
}

/** The bootloader's page numbers of sectors to erase; a sector the bootloader cannot name is refused. */
export function bootloaderPages(target: TargetDescription, sectors: ReadonlyArray<{ address: number }>): number[] {
  return sectors.map((s) => {
    const page = bootloaderPageAt(target, s.address);
    if (page === undefined) throw new FlashwrightError('STM32_NOT_A_PAGE', `${hex(s.address)} is not the start of a flash page of ${target.name}.`, { context: { address: s.address } });
    return page;
  });
}
