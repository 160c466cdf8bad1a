/**
 * The MCUboot flashloader's FlexSPI NOR configuration option word (i.MX RT reference
 * manuals, "FlexSPI NOR configuration option block"; MCUBOOTRM "Configure FlexSPI NOR"):
 * [31:28] tag 0xC, [27:24] option size (extra words), [23:20] device detection type,
 * [19:16] query command pads, [15:12] command pads, [11:8] quad-enable type,
 * [7:4] misc mode, [3:0] max frequency. Built from named fields so nobody has to
 * remember that 0xC0000007 means "QuadSPI SDR at 133 MHz".
 */
import { FlashwrightError, UsageError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { hex } from '../core/format.js';

export const FLEXSPI_OPTION_TAG = 0xc;

export const DeviceDetection = {
  'quadspi-sdr': 0, 'quadspi-ddr': 1, 'hyperflash-1v8': 2, 'hyperflash-3v': 3, 'mxic-opi-ddr': 4,
  'micron-opi-ddr': 6, 'micron-opi-sdr': 7, 'adesto-opi-ddr': 8, 'adesto-opi-sdr': 9,
} as const;
export type DeviceDetectionName = keyof typeof DeviceDetection;

/** Pads field values: 0 = 1 pad, 2 = 4 pads, 3 = 8 pads. */
export const Pads = { 1: 0, 4: 2, 8: 3 } as const;
export type PadCount = keyof typeof Pads;

export const QuadEnable = {
  none: 0, 'sr1-bit6': 1, 'sr2-bit1': 2, 'sr2-bit7': 3, 'sr2-bit1-0x31': 4,
} as const;
export type QuadEnableName = keyof typeof QuadEnable;

/** Frequency field code → MHz. */
export const FREQUENCY_MHZ: Record<number, number> = { 1: 30, 2: 50, 3: 60, 4: 75, 5: 80, 6: 100, 7: 133, 8: 166 };

export interface FlexspiOptionFields {
  detection: DeviceDetectionName;
  /** Pads used for the SFDP query; default 1. */
  queryPads?: PadCount | undefined;
  /** Pads used for commands; default 1. */
  commandPads?: PadCount | undefined;
  quadEnable?: QuadEnableName | undefined;
  /** Maximum clock in MHz; must be one of the table's values. */
  frequencyMhz: number;
  /** Extra option words (option1…); the size field counts them. */
  extraWords?: number[];
}

/** Bad option word or field. */
export class FlexspiOptionError extends FlashwrightError {
  constructor(message: string, context: ErrorContext) {
    super('FLEXSPI_OPTION', message, { hint: 'A QuadSPI NOR at 133 MHz is 0xC0000007; build others with named fields (flashwright imxrt option --help).', context });
  }
}

function keyOf<T extends Record<string, number>>(table: T, value: number): keyof T | undefined {
  return (Object.keys(table) as Array<keyof T>).find((k) => table[k] === value);
}

/** Builds option words (option0 first) from named fields. */
export function buildFlexspiOption(f: FlexspiOptionFields): number[] {
  const freq = Number(keyOf(FREQUENCY_MHZ as Record<string, number>, f.frequencyMhz) ?? NaN);
  if (!Number.isInteger(freq)) {
    throw new UsageError(`FlexSPI frequency ${f.frequencyMhz} MHz is not one the flashloader offers.`, { hint: `Choose one of ${Object.values(FREQUENCY_MHZ).join(', ')} MHz.`, context: { frequencyMhz: f.frequencyMhz } });
  }
  const extra = f.extraWords ?? [];
  if (extra.length > 15) throw new UsageError('At most 15 extra option words fit the size field.', { context: { extraWords: extra.length } });
  const word = (FLEXSPI_OPTION_TAG << 28) | (extra.length << 24) | (DeviceDetection[f.detection] << 20)
    | (Pads[f.queryPads ?? 1] << 16) | (Pads[f.commandPads ?? 1] << 12) | (QuadEnable[f.quadEnable ?? 'none'] << 8) | freq;
  return [word >>> 0, ...extra.map((w) => w >>> 0)];
}

/** The fields of option word 0; throws FlexspiOptionError when the tag or a field is invalid. */
export function parseFlexspiOption(word: number): Required<Omit<FlexspiOptionFields, 'extraWords'>> & { optionSize: number } {
  const tag = word >>> 28;
  if (tag !== FLEXSPI_OPTION_TAG) throw new FlexspiOptionError(`${hex(word)} is not a FlexSPI NOR option word: its tag is ${hex(tag, 1)}, not 0xC.`, { word, tag });
  const detection = keyOf(DeviceDetection, (word >>> 20) & 0xf);
  const queryPads = keyOf(Pads, (word >>> 16) & 0xf);
  const commandPads = keyOf(Pads, (word >>> 12) & 0xf);
  const quadEnable = keyOf(QuadEnable, (word >>> 8) & 0xf);
  const frequencyMhz = FREQUENCY_MHZ[word & 0xf];
  const bad = [
    detection === undefined && `device detection [23:20] = ${(word >>> 20) & 0xf}`,
    queryPads === undefined && `query pads [19:16] = ${(word >>> 16) & 0xf}`,
    commandPads === undefined && `command pads [15:12] = ${(word >>> 12) & 0xf}`,
    quadEnable === undefined && `quad enable [11:8] = ${(word >>> 8) & 0xf}`,
    frequencyMhz === undefined && `max frequency [3:0] = ${word & 0xf}`,
  ].filter((x): x is string => typeof x === 'string');
  if (detection === undefined || queryPads === undefined || commandPads === undefined || quadEnable === undefined || frequencyMhz === undefined) {
    throw new FlexspiOptionError(`${hex(word)} has ${bad.length === 1 ? 'a field' : 'fields'} the flashloader does not define: ${bad.join(', ')}.`, { word, fields: bad });
  }
  return { detection, queryPads: Number(queryPads) as PadCount, commandPads: Number(commandPads) as PadCount, quadEnable, frequencyMhz, optionSize: (word >>> 24) & 0xf };
}

/** "QuadSPI SDR, 133 MHz, 1-pad query, 1-pad commands, no quad-enable" for messages. */
export function describeFlexspiOption(word: number): string {
  const f = parseFlexspiOption(word);
  return `${f.detection}, ${f.frequencyMhz} MHz, ${f.queryPads}-pad query, ${f.commandPads}-pad commands, quad enable ${f.quadEnable}${f.optionSize ? `, ${f.optionSize} extra word(s)` : ''}`;
}
