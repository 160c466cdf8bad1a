/**
 * DTR / RTS / BREAK sequences that put a board into its bootloader and back out, for
 * USB-serial adapters wired to BOOT0 and NRST. Text form: comma-separated steps
 * `dtr=1`, `rts=0`, `brk=1`, `wait=100` (ms), e.g. `rts=1,dtr=1,wait=100,dtr=0`, or a
 * preset name. `dtr=1` means "assert DTR": on the usual USB-serial chip the pin then goes
 * LOW (the modem lines are active-low), which is why presets come in both polarities.
 */
import { delay } from '../core/abort.js';
import { UsageError } from '../core/errors.js';
import type { ByteStream, LineSignals } from './types.js';

export type LineStep = { kind: 'set'; line: 'dtr' | 'rts' | 'brk'; value: boolean } | { kind: 'wait'; ms: number };

export interface LinePreset {
  description: string;
  entry: string;
  exit: string;
}

/**
 * Common wirings. "direct": the adapter pin drives the chip pin, so asserting a line pulls
 * the pin low. "inverted": a transistor stage between them, so asserting drives it high.
 */
export const LINE_PRESETS: Record<string, LinePreset> = {
  'rts-reset-dtr-boot0': {
    description: 'NRST on RTS, BOOT0 on DTR, direct (asserted = low)',
    entry: 'dtr=0,rts=1,wait=100,rts=0,wait=50',
    exit: 'dtr=1,rts=1,wait=100,rts=0',
  },
  'rts-reset-dtr-boot0-inverted': {
    description: 'NRST on RTS, BOOT0 on DTR, through inverters (asserted = high)',
    entry: 'dtr=1,rts=0,wait=100,rts=1,wait=50',
    exit: 'dtr=0,rts=0,wait=100,rts=1',
  },
  'dtr-reset-rts-boot0': {
    description: 'NRST on DTR, BOOT0 on RTS, direct (asserted = low)',
    entry: 'rts=0,dtr=1,wait=100,dtr=0,wait=50',
    exit: 'rts=1,dtr=1,wait=100,dtr=0',
  },
  'dtr-reset-rts-boot0-inverted': {
    description: 'NRST on DTR, BOOT0 on RTS, through inverters (asserted = high)',
    entry: 'rts=1,dtr=0,wait=100,dtr=1,wait=50',
    exit: 'rts=0,dtr=0,wait=100,dtr=1',
  },
  'rts-reset': {
    description: 'NRST on RTS only (BOOT0 strapped high by hand), direct',
    entry: 'rts=1,wait=100,rts=0,wait=50',
    exit: 'rts=1,wait=100,rts=0',
  },
};

const MAX_WAIT_MS = 60_000;

/** Parses a sequence or a preset name (`which` picks the preset's entry or exit half). */
export function parseLineSequence(text: string, which: 'entry' | 'exit' = 'entry'): LineStep[] {
  const trimmed = text.trim();
  const preset = LINE_PRESETS[trimmed.toLowerCase()];
  if (preset) return parseLineSequence(preset[which], which);
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return [];
  return trimmed.split(',').map((raw) => {
    const step = raw.trim().toLowerCase();
    const m = /^(dtr|rts|brk|break|wait)\s*=\s*(\d+)$/.exec(step);
    if (!m) {
      throw new UsageError(`'${raw.trim()}' is not a line step.`, {
        hint: `Use dtr=0|1, rts=0|1, brk=0|1 and wait=MS separated by commas (e.g. rts=1,dtr=1,wait=100,dtr=0), or a preset: ${Object.keys(LINE_PRESETS).join(', ')}.`,
        context: { sequence: text, step: raw },
      });
    }
    const n = Number(m[2]);
    if (m[1] === 'wait') {
      if (n > MAX_WAIT_MS) throw new UsageError(`wait=${n} is longer than ${MAX_WAIT_MS} ms.`, { context: { sequence: text } });
      return { kind: 'wait', ms: n };
    }
    if (n > 1) throw new UsageError(`'${raw.trim()}': a line is set to 0 or 1.`, { context: { sequence: text } });
    return { kind: 'set', line: m[1] === 'break' ? 'brk' : (m[1] as 'dtr' | 'rts' | 'brk'), value: n === 1 };
  });
}

/** The text form of steps (for logs and `info`). */
export function formatLineSequence(steps: readonly LineStep[]): string {
  return steps.map((s) => (s.kind === 'wait' ? `wait=${s.ms}` : `${s.line}=${s.value ? 1 : 0}`)).join(',');
}

/** Runs the steps on a stream; consecutive line changes go out together. */
export async function runLineSequence(stream: ByteStream, steps: readonly LineStep[], signal?: AbortSignal): Promise<void> {
  if (steps.length === 0) return;
  if (!stream.setSignals) {
    throw new UsageError('This connection has no DTR/RTS/BREAK lines, so --entry/--exit cannot be used.', {
      hint: 'Drop --entry/--exit and put the chip into its bootloader by hand (BOOT0 high, then reset).',
    });
  }
  let pending: LineSignals = {};
  const flush = async () => {
    if (Object.keys(pending).length) await stream.setSignals!(pending);
    pending = {};
  };
  for (const s of steps) {
    if (s.kind === 'wait') { await flush(); await delay(s.ms, signal); continue; }
    // A line set twice in a row is a pulse: send the first level before the second.
    if (s.line in pending) await flush();
    pending = { ...pending, [s.line]: s.value };
  }
  await flush();
}
