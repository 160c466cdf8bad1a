/**
 * Kinetis flash configuration field, 16 bytes at flash offset 0x400 (K64 Sub-Family
 * Reference Manual K64P144M120SF5RM §29.3.1, "Flash Configuration Field Description"):
 * 0x400–0x407 backdoor key, 0x408–0x40B FPROT3..0, 0x40C FSEC, 0x40D FOPT, 0x40E FEPROT,
 * 0x40F FDPROT. FSEC: KEYEN [7:6], MEEN [5:4], FSLACC [3:2], SEC [1:0]; SEC = 10 is the only
 * unsecure value; MEEN = 10 disables mass erase; KEYEN = 10 enables the backdoor key.
 */
import { hex, hexByte } from '../../core/format.js';
import type { MemoryImage } from '../../image/memory-image.js';
import type { TargetDescription } from '../../target/types.js';
import { regionSectors } from '../../target/geometry.js';
import { KINETIS_FCF } from '../../target/facts/kinetis-fcf.js';
import type { CheckFinding } from './types.js';

export { DEFAULT_UNSECURE_FCF, FSEC_UNSECURE } from '../../target/facts/kinetis-fcf.js';
export const FCF_OFFSET = KINETIS_FCF.offset;
export const FSEC_OFFSET = KINETIS_FCF.fsec;

/**
 * FOPT boot options on Kinetis parts with a ROM bootloader (KV5x RM KV5XP144M240RM, KL27/K80
 * RMs "Boot options", FOPT field): BOOTSRC_SEL [7:6] (00 = boot from flash, 10/11 = from ROM),
 * BOOTPIN_OPT [1] (0 = the NMI/BOOTCFG0 pin forces the ROM at reset, 1 = the pin is ignored).
 */
export const FOPT_OFFSET = KINETIS_FCF.fopt;

export interface FoptDecoded {
  value: number;
  bootFromRom: boolean;
  bootPinEnabled: boolean;
  /** Boots from flash and ignores the boot pin: the ROM bootloader can no longer be entered. */
  romUnreachable: boolean;
}

export function decodeFopt(value: number): FoptDecoded {
  const bootFromRom = ((value >> 6) & 3) >= 2;
  const bootPinEnabled = (value & 0b10) === 0;
  return { value, bootFromRom, bootPinEnabled, romUnreachable: !bootFromRom && !bootPinEnabled };
}

export interface FsecDecoded {
  value: number;
  sec: number;
  fslacc: number;
  meen: number;
  keyen: number;
  secure: boolean;
  massEraseDisabled: boolean;
  backdoorEnabled: boolean;
  /**
   * KEYEN = 10 and a key the flash controller accepts: the K64 RM (§29.4.12.6 "Verify
   * Backdoor Access Key") never accepts an all-0x00 or all-0xFF key. Without the key bytes
   * this follows KEYEN alone.
   */
  backdoorUsable: boolean;
  /** Secure with mass erase disabled and no usable backdoor: the part can never be unsecured. */
  permanentLock: boolean;
}

/** True for a backdoor key the flash controller never accepts (all 0x00 or all 0xFF; missing bytes read erased). */
export function isTrivialBackdoorKey(key: ReadonlyArray<number | undefined>): boolean {
  const bytes = key.map((b) => b ?? 0xff);
  return bytes.every((b) => b === 0) || bytes.every((b) => b === 0xff);
}

/** FSEC decoded; `key` (the 8 bytes at 0x400) decides whether KEYEN = 10 really opens a backdoor. */
export function decodeFsec(value: number, key?: ReadonlyArray<number | undefined>): FsecDecoded {
  const sec = value & 3;
  const fslacc = (value >> 2) & 3;
  const meen = (value >> 4) & 3;
  const keyen = (value >> 6) & 3;
  const secure = sec !== 0b10;
  const massEraseDisabled = meen === 0b10;
  const backdoorEnabled = keyen === 0b10;
  const backdoorUsable = backdoorEnabled && !(key && isTrivialBackdoorKey(key));
  return { value, sec, fslacc, meen, keyen, secure, massEraseDisabled, backdoorEnabled, backdoorUsable, permanentLock: secure && massEraseDisabled && !backdoorUsable };
}

/** "FSEC=0x7B (SEC=11 secure, MEEN=11 mass erase enabled, KEYEN=01 backdoor disabled)". */
export function describeFsec(d: FsecDecoded): string {
  const bits = (v: number) => v.toString(2).padStart(2, '0');
  return `FSEC=${hexByte(d.value)} (SEC=${bits(d.sec)} ${d.secure ? 'secure' : 'unsecure'}, MEEN=${bits(d.meen)} mass erase ${d.massEraseDisabled ? 'DISABLED' : 'enabled'}, KEYEN=${bits(d.keyen)} backdoor ${d.backdoorEnabled ? 'enabled' : 'disabled'})`;
}

export function checkKinetisFlashConfig(image: MemoryImage, target: TargetDescription, options: { preserve?: boolean | undefined } = {}): CheckFinding[] {
  if (!target.features?.kinetisFlashConfig) return [];
  const flash = target.regions.find((r) => r.kind === 'flash');
  if (!flash) return [];
  const base = flash.start + FCF_OFFSET;
  const fsecAt = flash.start + FSEC_OFFSET;
  const fsec = image.byteAt(fsecAt);
  if (fsec === undefined) {
    const sector = regionSectors(flash).find((s) => s.address <= base && base < s.address + s.size);
    if (!sector || !image.intersects(sector.address, sector.address + sector.size)) return [];
    // Preserving, the device's own flash config is read and written back; with --no-preserve
    // the sector is erased and left so: FSEC reads 0xFF, a part secured at the next reset.
    const erasedForGood = options.preserve === false;
    return [{
      id: 'kinetis.fcf-unwritten', severity: erasedForGood ? 'error' : 'warning', ...(erasedForGood ? { override: 'allowSecure' as const } : {}),
      message: erasedForGood
        ? `The image writes the sector at ${hex(sector.address)} without the flash configuration field ${hex(base)}–${hex(base + 15)}, and --no-preserve erases it: FSEC would read 0xFF, so the part is secured at the next reset.`
        : `The image writes the sector at ${hex(sector.address)} but leaves the flash configuration field ${hex(base)}–${hex(base + 15)} unwritten: erased 0xFF there means FSEC=0xFF, a secured part after reset.`,
      hint: erasedForGood
        ? 'Include the flash config in the image (FSEC = 0xFE at 0x40C), drop --no-preserve so the device\'s own field is kept, or pass --allow-secure if a secured part is intended.'
        : 'Include the flash config in the image (FSEC = 0xFE at 0x40C), as the startup file\'s .FlashConfig section does.',
      context: { address: base, sector: sector.address },
    }];
  }
  const key = Array.from({ length: 8 }, (_, i) => image.byteAt(base + i));
  const d = decodeFsec(fsec, key);
  const fprot = [0, 1, 2, 3].map((i) => image.byteAt(flash.start + 0x408 + i));
  const fopt = image.byteAt(flash.start + 0x40d);
  const context = { address: fsecAt, fsec, decoded: describeFsec(d), fprot, fopt };
  const out: CheckFinding[] = [];
  if (d.permanentLock) {
    const why = d.backdoorEnabled
      ? `mass erase disabled and a backdoor key of all ${hexByte(key.map((b) => b ?? 0xff)[0]!)} at ${hex(base)}, which the flash controller never accepts`
      : 'mass erase disabled and no backdoor key';
    out.push({
      id: 'kinetis.fsec-permanent-lock', severity: 'error', override: 'allowPermanentLock',
      message: `The image sets ${describeFsec(d)} at ${hex(fsecAt)}: the part would be secured with ${why}, locked for good.`,
      hint: 'Set FSEC to 0xFE in the startup file\'s flash config; pass --allow-permanent-lock only if a permanently locked part is really intended.',
      context,
    });
  } else if (d.secure) {
    out.push({
      id: 'kinetis.fsec-secure', severity: 'error', override: 'allowSecure',
      message: `The image sets ${describeFsec(d)} at ${hex(fsecAt)}: after reset the part refuses debug access and flash reads ${d.massEraseDisabled ? 'and mass erase is disabled (MEEN=10), so only the backdoor key at 0x400 (FlashSecurityDisable) unlocks it' : 'until a mass erase'}, and a programmer that quietly unsecures it writes ${hexByte((fsec & 0xfc) | 0b10)} instead, so verify then fails with "Expected ${hexByte(fsec).slice(2)} read ${hexByte((fsec & 0xfc) | 0b10).slice(2)} at ${hex(fsecAt, 1)}".`,
      hint: 'Set FSEC to 0xFE in the startup file\'s flash config (the .FlashConfig array), or pass --allow-secure if a secured part is intended.',
      context,
    });
  }
  if (fopt !== undefined && decodeFopt(fopt).romUnreachable) {
    out.push({
      id: 'kinetis.fopt-rom-unreachable', severity: 'warning',
      message: `The image sets FOPT=${hexByte(fopt)} at ${hex(flash.start + FOPT_OFFSET)}: boot from flash (BOOTSRC_SEL=${((fopt >> 6) & 3).toString(2).padStart(2, '0')}) with the boot pin ignored (BOOTPIN_OPT=1), so a ROM bootloader can no longer be entered; only a debugger recovers the part.`,
      hint: 'Keep FOPT=0xFF (or clear BOOTPIN_OPT so the NMI/BOOTCFG0 pin still selects the ROM) unless the bootloader is meant to be unreachable.',
      context: { ...context, fopt },
    });
  }
  if (fprot.some((b) => b !== undefined && b !== 0xff)) {
    out.push({
      id: 'kinetis.fprot', severity: 'warning',
      message: `The image sets FPROT3..0 = ${fprot.map((b) => (b === undefined ? '??' : hexByte(b))).join(' ')} at ${hex(flash.start + 0x408)}: flash regions with a 0 bit will be write-protected after reset.`,
      hint: 'Use 0xFF for all four FPROT bytes unless protection is intended.',
      context,
    });
  }
  return out;
}
