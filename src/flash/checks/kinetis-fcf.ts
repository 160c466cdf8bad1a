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
import type { CheckFinding } from './types.js';

export const FCF_OFFSET = 0x400;
export const FSEC_OFFSET = 0x40c;
/** The normal unsecure FSEC: backdoor disabled, mass erase enabled, SEC = 10. */
export const FSEC_UNSECURE = 0xfe;

export interface FsecDecoded {
  value: number;
  sec: number;
  fslacc: number;
  meen: number;
  keyen: number;
  secure: boolean;
  massEraseDisabled: boolean;
  backdoorEnabled: boolean;
  /** Secure with mass erase disabled and no backdoor: the part can never be unsecured. */
  permanentLock: boolean;
}

export function decodeFsec(value: number): FsecDecoded {
  const sec = value & 3;
  const fslacc = (value >> 2) & 3;
  const meen = (value >> 4) & 3;
  const keyen = (value >> 6) & 3;
  const secure = sec !== 0b10;
  const massEraseDisabled = meen === 0b10;
  const backdoorEnabled = keyen === 0b10;
  return { value, sec, fslacc, meen, keyen, secure, massEraseDisabled, backdoorEnabled, permanentLock: secure && massEraseDisabled && !backdoorEnabled };
}

/** "FSEC=0x7B (SEC=11 secure, MEEN=11 mass erase enabled, KEYEN=01 backdoor disabled)". */
export function describeFsec(d: FsecDecoded): string {
  const bits = (v: number) => v.toString(2).padStart(2, '0');
  return `FSEC=${hexByte(d.value)} (SEC=${bits(d.sec)} ${d.secure ? 'secure' : 'unsecure'}, MEEN=${bits(d.meen)} mass erase ${d.massEraseDisabled ? 'DISABLED' : 'enabled'}, KEYEN=${bits(d.keyen)} backdoor ${d.backdoorEnabled ? 'enabled' : 'disabled'})`;
}

export function checkKinetisFlashConfig(image: MemoryImage, target: TargetDescription): CheckFinding[] {
  if (!target.features?.kinetisFlashConfig) return [];
  const flash = target.regions.find((r) => r.kind === 'flash');
  if (!flash) return [];
  const base = flash.start + FCF_OFFSET;
  const fsecAt = flash.start + FSEC_OFFSET;
  const fsec = image.byteAt(fsecAt);
  if (fsec === undefined) {
    const sector = regionSectors(flash).find((s) => s.address <= base && base < s.address + s.size);
    if (!sector || !image.intersects(sector.address, sector.address + sector.size)) return [];
    return [{
      id: 'kinetis.fcf-unwritten', severity: 'warning',
      message: `The image writes the sector at ${hex(sector.address)} but leaves the flash configuration field ${hex(base)}–${hex(base + 15)} unwritten: erased 0xFF there means FSEC=0xFF, a secured part after reset.`,
      hint: 'Include the flash config in the image (FSEC = 0xFE at 0x40C), as the startup file\'s .FlashConfig section does.',
      context: { address: base, sector: sector.address },
    }];
  }
  const d = decodeFsec(fsec);
  const fprot = [0, 1, 2, 3].map((i) => image.byteAt(flash.start + 0x408 + i));
  const fopt = image.byteAt(flash.start + 0x40d);
  const context = { address: fsecAt, fsec, decoded: describeFsec(d), fprot, fopt };
  const out: CheckFinding[] = [];
  if (d.permanentLock) {
    out.push({
      id: 'kinetis.fsec-permanent-lock', severity: 'error', override: 'allowPermanentLock',
      message: `The image sets ${describeFsec(d)} at ${hex(fsecAt)}: the part would be secured with mass erase disabled and no backdoor key, locked for good.`,
      hint: 'Set FSEC to 0xFE in the startup file\'s flash config; pass --allow-permanent-lock only if a permanently locked part is really intended.',
      context,
    });
  } else if (d.secure) {
    out.push({
      id: 'kinetis.fsec-secure', severity: 'error', override: 'allowSecure',
      message: `The image sets ${describeFsec(d)} at ${hex(fsecAt)}: after reset the part refuses debug access and flash reads until a mass erase, and a programmer that quietly unsecures it writes ${hexByte((fsec & 0xfc) | 0b10)} instead, so verify then fails with "Expected ${hexByte(fsec).slice(2)} read ${hexByte((fsec & 0xfc) | 0b10).slice(2)} at ${hex(fsecAt, 1)}".`,
      hint: 'Set FSEC to 0xFE in the startup file\'s flash config (the .FlashConfig array), or pass --allow-secure if a secured part is intended.',
      context,
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
