/**
 * flashwright's own failure record: the `--json` stream (one JSON object per line; the
 * error object last) or the text output ("error: …", "hint: …", "  caused by: …"). The
 * record carries the error code and its context, and the stream's start/plan lines name the
 * command, target and way in, so doctor sees the device's context as the run saw it.
 */
import type { Facts, LogLine } from '../types.js';

interface ErrorBody { code?: unknown; message?: unknown; hint?: unknown; context?: unknown; cause?: unknown }

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function causeCode(cause: unknown): string | undefined {
  let c = cause as ErrorBody | undefined;
  let last: string | undefined;
  for (let i = 0; i < 8 && c && typeof c === 'object'; i++) {
    if (typeof c.code === 'string') last = c.code;
    c = c.cause as ErrorBody | undefined;
  }
  return last;
}

/** Reads the record into facts; returns the extra text lines (messages) rules should see. */
export function readFlashwrightRecord(lines: readonly LogLine[], f: Facts): string[] {
  const extra: string[] = [];
  let command: string | undefined;
  let target: string | undefined;
  let via: string | undefined;
  for (const { text, json } of lines) {
    const t = json ?? text.trim();
    if (t.startsWith('{') && t.length <= 200_000) {
      let obj: Record<string, unknown>;
      try { obj = JSON.parse(t) as Record<string, unknown>; } catch { continue; }
      if (!obj || typeof obj !== 'object') continue;
      const ev = (obj.event ?? obj) as Record<string, unknown>;
      command ??= str(obj.command) ?? str(ev.command);
      target ??= str(obj.target) ?? str(ev.target);
      via ??= str(obj.via) ?? str(ev.via);
      if (obj.type === 'error' && obj.error && typeof obj.error === 'object') {
        const e = obj.error as ErrorBody;
        const context = (e.context && typeof e.context === 'object' ? e.context : {}) as Record<string, unknown>;
        f.flashwright = {
          code: str(e.code) ?? 'UNKNOWN', message: str(e.message) ?? '', context,
          ...(str(e.hint) === undefined ? {} : { hint: str(e.hint)! }),
          ...(causeCode(e.cause) === undefined ? {} : { causeCode: causeCode(e.cause)! }),
        };
        if (typeof context.target === 'string') target ??= context.target;
        extra.push(`error: ${f.flashwright.message}`);
        if (f.flashwright.hint) extra.push(`hint: ${f.flashwright.hint}`);
        let c = e.cause as ErrorBody | undefined;
        for (let i = 0; i < 8 && c && typeof c === 'object'; i++) {
          if (typeof c.message === 'string') extra.push(`  caused by: ${c.message}`);
          c = c.cause as ErrorBody | undefined;
        }
      }
    }
  }
  if (f.flashwright) {
    if (command) f.flashwright.command = command;
    if (target) { f.flashwright.target = target; f.chip ??= target; }
    if (via) f.flashwright.via = via;
  } else {
    // Text output: "error: …", optional "hint: …", and the closing "doctor: error CODE; …" line.
    const i = lines.findIndex((l) => /^error: /.test(l.text));
    const pointer = lines.map((l) => /^doctor: error ([A-Z][A-Z0-9_]{1,60});/.exec(l.text)).find((m) => m);
    if (i >= 0 && (pointer || lines.some((l) => /^hint: |flashwright/.test(l.text)))) {
      const hint = lines.slice(i + 1, i + 3).find((l) => l.text.startsWith('hint: '));
      f.flashwright = { code: pointer ? pointer[1]! : 'TEXT', message: lines[i]!.text.slice(7), context: {}, ...(hint ? { hint: hint.text.slice(6) } : {}) };
    }
  }
  return extra;
}
