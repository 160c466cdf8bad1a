/**
 * Facts that follow from other facts through a decoder: a Kinetis FSEC byte a probe
 * rewrote (K-series RM "Flash Configuration Field": FSEC at 0x40C, SEC = 10 is the only
 * unsecure value), and a bootloader build larger than the space left before the application.
 */
import { hex, hexByte } from '../../core/format.js';
import { decodeFsec, describeFsec } from '../../flash/checks/kinetis-fcf.js';
import { listTargets } from '../../target/lookup.js';
import type { Facts, LogLine } from '../types.js';

const KINETIS = /^(?:MK|MKV|MKL|MKE|MKW|K\d)/i;

/** The built-in target a vendor chip name belongs to ("MK24FN1M0XXX12" → MK24FN1M0), if any. */
export function matchTarget(chip: string): string | undefined {
  const c = chip.toUpperCase().replace(/^NXP_IMX_/, '').replace(/[^A-Z0-9]/g, '');
  let best: string | undefined;
  for (const t of listTargets()) {
    const n = t.name.toUpperCase().replace(/[^A-Z0-9]/g, '');
    // STM32F103xB style names: the 'x' stands for any package letter.
    const re = new RegExp(`^${n.replace(/X/g, '[A-Z0-9]')}`);
    if ((re.test(c) || c.startsWith(n)) && (!best || n.length > best.length)) best = t.name;
  }
  return best;
}

export function deriveFacts(f: Facts, lines: readonly LogLine[]): void {
  if (f.chip !== undefined && f.target === undefined) { const t = matchTarget(f.chip); if (t) f.target = t; }
  const m = f.mismatch;
  const kinetisContext = (f.chip !== undefined && KINETIS.test(f.chip)) || lines.some((l) => /Protection bytes in flash at addr\. 0x400|\bFSEC\b|flash config/i.test(l.text));
  if (m && (m.address & 0xfff) === 0x40c && kinetisContext) {
    const want = decodeFsec(m.expected);
    const got = decodeFsec(m.read);
    if (want.secure && !got.secure && (m.expected & 0xfc) === (m.read & 0xfc)) {
      f.fsecRewrite = {
        address: m.address, expected: hexByte(m.expected), read: hexByte(m.read),
        summary: `the image's ${describeFsec(want)} came back as ${describeFsec(got)}`,
      };
    }
    f.fsec = { value: m.expected, summary: describeFsec(want) };
  }
  // A build named like a bootloader whose size exceeds the application's offset in its bank.
  const app = f.applicationAddress;
  if (app !== undefined && f.imageSizes) {
    const gap = app % 0x0100_0000; // offset from a 16 MiB-aligned flash bank base (0x0, 0x10000000, 0x08000000…)
    const boot = f.imageSizes.find((s) => /boot/i.test(s.file) && s.total > gap);
    if (boot && gap > 0) f.bootloaderOverlap = { file: boot.file, total: boot.total, gap, appAddress: app };
  }
}

/** "0xA770 bytes" for messages. */
export function sizeHex(n: number): string {
  return hex(n, 1);
}
