/**
 * Parts by their real names. An STM32 part number follows ST's ordering scheme (each
 * datasheet's "Ordering information" section): STM32 + line (F103) + pin count (C) + flash
 * size code (8) + package (T) + temperature range (6) + options. The line and the flash
 * size code pick the device row (product ID, flash organisation, program unit: AN2606 and
 * the reference manual, src/target/stm32-devices.ts) and the size; the RAM is the line's at
 * that size (the line's datasheet). Kinetis and i.MX RT part numbers resolve by their
 * NXP ordering prefixes (see kinetisPart / imxrtPart).
 */
import { describeStm32Device, findStm32Device, type Stm32DeviceRow } from './stm32-devices.js';
import type { SectorRun, TargetDescription } from './types.js';

const K = 1024;

/** Flash size codes of the ST ordering scheme (datasheets, "Ordering information scheme"). */
export const STM32_FLASH_SIZE_CODES: Readonly<Record<string, number>> = {
  '3': 8 * K, '4': 16 * K, '6': 32 * K, '8': 64 * K, b: 128 * K, z: 192 * K, c: 256 * K, d: 384 * K,
  e: 512 * K, f: 768 * K, g: 1024 * K, h: 1536 * K, i: 2048 * K,
};

/** One product line: for each flash size code it is sold with, the PID row and the SRAM at 0x20000000 (KiB). */
interface LineRow {
  lines: string[];
  sizes: Record<string, [pid: number, ramKiB: number]>;
  source: string;
}

const LINES: readonly LineRow[] = [
  { lines: ['f030'], sizes: { '4': [0x444, 4], '6': [0x444, 4], '8': [0x440, 8], c: [0x442, 32] }, source: 'DS9773 (STM32F030x4/x6/x8/xC) ordering information; RM0360 §3.2' },
  { lines: ['f042', 'f048'], sizes: { '4': [0x445, 6], '6': [0x445, 6] }, source: 'DS10152 (STM32F042x4/x6) ordering information; RM0091 §3.2' },
  { lines: ['f070'], sizes: { '6': [0x445, 6], b: [0x448, 16] }, source: 'DS10758 (STM32F070x6/xB) ordering information; RM0360 §3.2' },
  { lines: ['f071', 'f072', 'f078'], sizes: { '8': [0x448, 16], b: [0x448, 16] }, source: 'DS9826 (STM32F072x8/xB) ordering information; RM0091 §3.2' },
  { lines: ['f091', 'f098'], sizes: { b: [0x442, 32], c: [0x442, 32] }, source: 'DS10010 (STM32F091xB/xC) ordering information; RM0091 §3.2' },
  { lines: ['f101', 'f102', 'f103'], sizes: { '4': [0x412, 6], '6': [0x412, 10], '8': [0x410, 20], b: [0x410, 20], c: [0x414, 48], d: [0x414, 64], e: [0x414, 64], f: [0x430, 96], g: [0x430, 96] },
    source: 'DS5319 (F103x8/xB), DS5792 (F103xC/D/E), DS6320 (F103xF/G), DS5831 (F103x4/x6) ordering information; RM0008 §3.3.3 densities' },
  { lines: ['f100'], sizes: { '4': [0x420, 4], '6': [0x420, 4], '8': [0x420, 8], b: [0x420, 8], c: [0x428, 24], d: [0x428, 32], e: [0x428, 32] }, source: 'DS6517 / DS7371 (STM32F100) ordering information; RM0041 §3' },
  { lines: ['f105', 'f107'], sizes: { '8': [0x418, 64], b: [0x418, 64], c: [0x418, 64] }, source: 'DS6014 (STM32F105/107) ordering information; RM0008 §3.3.3 connectivity line' },
  { lines: ['f301', 'f302'], sizes: { '6': [0x439, 16], '8': [0x439, 16], b: [0x422, 32], c: [0x422, 40], d: [0x446, 64], e: [0x446, 64] }, source: 'DS9896 / DS9118 (STM32F302) ordering information; RM0365 / RM0316 §4' },
  { lines: ['f303'], sizes: { '6': [0x438, 12], '8': [0x438, 12], b: [0x422, 32], c: [0x422, 40], d: [0x446, 64], e: [0x446, 64] }, source: 'DS9118 (STM32F303xB/xC), DS9866 (F303x6/x8), DS10362 (F303xD/xE) ordering information; RM0316 §4.2' },
  { lines: ['f334'], sizes: { '4': [0x438, 12], '6': [0x438, 12], '8': [0x438, 12] }, source: 'DS9994 (STM32F334) ordering information; RM0364 §3' },
  { lines: ['f401'], sizes: { b: [0x423, 64], c: [0x423, 64], d: [0x433, 96], e: [0x433, 96] }, source: 'DS9716 / DS10086 (STM32F401) ordering information; RM0368 §3.3' },
  { lines: ['f405', 'f407', 'f415', 'f417'], sizes: { e: [0x413, 128], g: [0x413, 128] }, source: 'DS8626 (STM32F405/407) ordering information; RM0090 §3.3 Table 5' },
  { lines: ['f411'], sizes: { c: [0x431, 128], e: [0x431, 128] }, source: 'DS10314 (STM32F411xC/xE) ordering information; RM0383 §3.3' },
  { lines: ['f427', 'f429', 'f437', 'f439'], sizes: { e: [0x419, 192], g: [0x419, 192], i: [0x419, 192] }, source: 'DS9405 (STM32F427/429) ordering information; RM0090 §3.3 Tables 6–7 (single bank up to 1 MiB)' },
  { lines: ['f446'], sizes: { c: [0x421, 128], e: [0x421, 128] }, source: 'DS10693 (STM32F446) ordering information; RM0390 §3.3' },
  { lines: ['f745', 'f746', 'f756'], sizes: { e: [0x449, 320], g: [0x449, 320] }, source: 'DS10916 (STM32F745/746) ordering information; RM0385 §3.3' },
  { lines: ['f765', 'f767', 'f769', 'f777', 'f779'], sizes: { g: [0x451, 512], i: [0x451, 512] }, source: 'DS11532 (STM32F765/767/769) ordering information; RM0410 §3.3 (single bank)' },
  { lines: ['l431', 'l432', 'l433', 'l442', 'l443'], sizes: { b: [0x435, 48], c: [0x435, 48] }, source: 'DS11451 (STM32L432) ordering information; RM0394 §3.3' },
  { lines: ['l451', 'l452', 'l462'], sizes: { c: [0x462, 128], e: [0x462, 128] }, source: 'DS11912 (STM32L452) ordering information; RM0394 §3.3' },
  { lines: ['l475', 'l476', 'l486'], sizes: { c: [0x415, 96], e: [0x415, 96], g: [0x415, 96] }, source: 'DS10198 (STM32L476) ordering information; RM0351 §3.3.1' },
  { lines: ['h743', 'h753'], sizes: { g: [0x450, 128], i: [0x450, 128] }, source: 'DS12110 (STM32H743) ordering information; RM0433 Rev 7 §4.3.4 Table 16 (1 MiB xG parts: 2 banks of 4 × 128 KiB, bank 2 at 0x08100000)' },
  { lines: ['h750'], sizes: { i: [0x450, 128] }, source: 'DS12110 (STM32H743) ordering information; RM0433 §4.3.4' },
  { lines: ['g030'], sizes: { '6': [0x466, 8], '8': [0x466, 8] }, source: 'DS12991 (STM32G030) ordering information; RM0454 §3.3' },
  { lines: ['g031', 'g041'], sizes: { '4': [0x466, 8], '6': [0x466, 8], '8': [0x466, 8] }, source: 'DS12992 (STM32G031) ordering information; RM0444 §3.3' },
  { lines: ['g070'], sizes: { b: [0x460, 36] }, source: 'DS12766 (STM32G070) ordering information; RM0454 §3.3' },
  { lines: ['g071', 'g081'], sizes: { '6': [0x460, 36], '8': [0x460, 36], b: [0x460, 36] }, source: 'DS12232 (STM32G071) ordering information; RM0444 §3.3' },
  { lines: ['g0b1', 'g0c1'], sizes: { b: [0x467, 144], c: [0x467, 144], e: [0x467, 144] }, source: 'DS13560 (STM32G0B1) ordering information; RM0444 §3.3 (dual bank on 512 KiB)' },
  { lines: ['g431', 'g441'], sizes: { '6': [0x468, 22], '8': [0x468, 22], b: [0x468, 22] }, source: 'DS12589 (STM32G431) ordering information; RM0440 §5.3.1 (SRAM1 16 KiB + SRAM2 6 KiB)' },
  { lines: ['g473', 'g474', 'g483', 'g484'], sizes: { b: [0x469, 96], c: [0x469, 96], e: [0x469, 96] }, source: 'DS12288 (STM32G474) ordering information; RM0440 §5.3.1 (dual bank, 2 KiB pages)' },
  { lines: ['g491', 'g4a1'], sizes: { c: [0x479, 112], e: [0x479, 112] }, source: 'DS13122 (STM32G491) ordering information; RM0440 §5.3.1' },
  { lines: ['l010', 'l011', 'l021'], sizes: { '3': [0x457, 2], '4': [0x457, 2] }, source: 'DS10973 (STM32L011) ordering information; RM0377 §3.3.1 (category 1)' },
  { lines: ['l031', 'l041'], sizes: { '4': [0x425, 8], '6': [0x425, 8] }, source: 'DS10668 (STM32L031) ordering information; RM0377 §3.3.1 (category 2)' },
  { lines: ['l051', 'l052', 'l053', 'l062', 'l063'], sizes: { '6': [0x417, 8], '8': [0x417, 8] }, source: 'DS10182 (STM32L053) ordering information; RM0367 §3.3.1 (category 3)' },
  { lines: ['l071', 'l072', 'l073', 'l081', 'l082', 'l083'], sizes: { '8': [0x447, 20], b: [0x447, 20], z: [0x447, 20] }, source: 'DS10685 (STM32L073) ordering information; RM0377 §3.3.1 (category 5)' },
];

/** The sector runs of `runs`, cut to the first `size` bytes (parts with less flash of the same line). */
function truncate(runs: readonly SectorRun[], size: number): SectorRun[] | undefined {
  const out: SectorRun[] = [];
  let left = size;
  for (const r of runs) {
    if (left <= 0) break;
    const n = Math.min(r.count, Math.floor(left / r.size));
    if (n > 0) out.push({ size: r.size, count: n });
    left -= n * r.size;
    if (n < r.count) break;
  }
  return left === 0 ? out : undefined;
}

export interface ParsedStm32Part {
  /** "f103" */
  line: string;
  pins: string;
  sizeCode: string;
  flashSize: number;
}

/** Splits "stm32f103c8t6" into line, pin count and flash size; undefined when it does not follow the scheme. */
export function parseStm32PartNumber(name: string): ParsedStm32Part | undefined {
  const m = /^stm32([a-z]\d[0-9a-z]{2})([a-z])([0-9a-z])[0-9a-z]*$/.exec(name.trim().toLowerCase());
  if (!m) return undefined;
  const flashSize = STM32_FLASH_SIZE_CODES[m[3]!];
  return flashSize === undefined ? undefined : { line: m[1]!, pins: m[2]!, sizeCode: m[3]!, flashSize };
}

/**
 * The description of an STM32 part number: a built-in description with the same product ID
 * and flash size when there is one (it knows more), else one made from the device row.
 */
export function resolveStm32Part(name: string, builtins: readonly TargetDescription[]): TargetDescription | undefined {
  const p = parseStm32PartNumber(name);
  if (!p) return undefined;
  const line = LINES.find((l) => l.lines.includes(p.line));
  const entry = line?.sizes[p.sizeCode];
  if (!line || !entry) return undefined;
  const [pid, ramKiB] = entry;
  const row = findStm32Device(pid);
  if (!row) return undefined;
  const same = builtins.find((t) => t.ids?.stm32Pid === pid && t.regions.find((r) => r.kind === 'flash')?.size === p.flashSize
    && new RegExp(`^stm32${p.line}x`, 'i').test(t.name));
  if (same) return same;
  const h7 = splitH7Banks(p, pid, builtins, line.source);
  if (h7) return h7;
  const sectors = truncate(row.sectors, p.flashSize);
  if (!sectors) return undefined;
  const sized: Stm32DeviceRow = { ...row, flashSize: p.flashSize, sectors, ramSize: ramKiB * K, bank2FirstPage: bank2(row, p.flashSize, sectors) };
  const d = describeStm32Device(sized);
  const partName = `STM32${p.line.toUpperCase()}${p.pins === 'x' ? 'x' : p.pins.toUpperCase()}${p.sizeCode.toUpperCase()}`;
  return {
    ...d,
    name: partName,
    aliases: [],
    source: `${line.source}; ST ordering scheme (size code ${p.sizeCode.toUpperCase()} = ${p.flashSize / K} KiB); AN2606 (PID 0x${pid.toString(16)}: ${row.parts})`,
  };
}

const H7_BANK2 = 0x08100000;
const H7_SECTOR = 128 * K;

/**
 * STM32H743/753 with 1 MiB (size code G): the same die as the 2 MiB parts with half of each
 * bank tested, so bank 1 is 512 KiB at 0x08000000 and bank 2 is 512 KiB at 0x08100000, with a
 * 512 KiB hole between them (RM0433 Rev 7 §4.3.4 Table 16); one flash region per bank, 4 ×
 * 128 KiB sectors each. The RAMs and the rest are the 2 MiB built-in's (same PID, same die).
 */
function splitH7Banks(p: ParsedStm32Part, pid: number, builtins: readonly TargetDescription[], lineSource: string): TargetDescription | undefined {
  if (pid !== 0x450 || p.flashSize !== 1024 * K) return undefined;
  const full = builtins.find((t) => t.ids?.stm32Pid === pid && t.regions.some((r) => r.kind === 'flash'));
  if (!full) return undefined;
  const flash = full.regions.find((r) => r.kind === 'flash')!;
  const bank = p.flashSize / 2;
  const sectors = [{ size: H7_SECTOR, count: bank / H7_SECTOR }];
  const banks = [
    { ...flash, name: 'flash', start: flash.start, size: bank, sectors, note: 'bank 1 (sectors 0–3); bank 2 at 0x08100000' },
    { ...flash, boot: undefined, name: 'flash-bank2', start: H7_BANK2, size: bank, sectors, note: 'bank 2 (bootloader pages 8–11); 0x08080000–0x080FFFFF is not flash on this part' },
  ];
  return {
    ...full,
    name: `STM32${p.line.toUpperCase()}${p.pins === 'x' ? 'x' : p.pins.toUpperCase()}G`,
    aliases: [],
    regions: full.regions.flatMap((r) => (r === flash ? banks : [r])),
    source: `${lineSource}; ST ordering scheme (size code G = 1024 KiB); AN2606 (PID 0x450)`,
  };
}

/**
 * Where bank 2 starts on a smaller part of a dual-bank line: F1 XL keeps a 512 KiB bank 1
 * (RM0008 §3.3.3); the F42x/43x are single-bank up to 1 MiB (RM0090 §3.3, DB1M = 0); the
 * L4/G0/G4 banks are halves of the flash (RM0351 §3.3.1, RM0444 §3.3.1, RM0440 §5.3.1).
 */
function bank2(row: Stm32DeviceRow, size: number, sectors: SectorRun[]): number | undefined {
  if (row.bank2FirstPage === undefined) return undefined;
  const pages = sectors.reduce((n, s) => n + s.count, 0);
  if (row.family === 'F1') return size > 512 * K ? row.bank2FirstPage : undefined;
  if (row.family === 'F4') return size > 1024 * K ? row.bank2FirstPage : undefined;
  return size === row.flashSize ? row.bank2FirstPage : pages / 2;
}

/** Every STM32 line and size code this table resolves, as lower-case part stems ("stm32f103x8"). */
export function resolvableStm32Parts(): string[] {
  return LINES.flatMap((l) => l.lines.flatMap((line) => Object.keys(l.sizes).map((code) => `STM32${line.toUpperCase()}x${code.toUpperCase()}`)));
}

/** The resolvable STM32 lines grouped by family, for `flashwright targets`: family → "F101/F102/F103: 4 6 8 B C D E F G". */
export function stm32PartLines(): Array<{ family: string; lines: string[]; sizes: Array<{ code: string; flashSize: number }> }> {
  return LINES.map((l) => {
    const pid = Object.values(l.sizes)[0]![0];
    return {
      family: `STM32${findStm32Device(pid)?.family ?? '?'}`,
      lines: l.lines.map((x) => `STM32${x.toUpperCase()}`),
      sizes: Object.keys(l.sizes).map((code) => ({ code: code.toUpperCase(), flashSize: STM32_FLASH_SIZE_CODES[code]! })),
    };
  });
}
