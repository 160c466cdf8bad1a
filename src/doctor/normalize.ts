/**
 * Turns pasted text into clean numbered lines: HTML entities decoded, tags and forum
 * quoting removed, GUI timestamps and container prefixes stripped. Everything is line-based
 * with anchored, bounded patterns so hostile input costs linear time.
 */
import type { LogLine } from './types.js';

/** Lines longer than this are cut before matching: no real log line is, and it bounds work. */
export const MAX_LINE = 2000;
/** A JSON record line is kept whole up to this length for the flashwright record reader. */
export const MAX_JSON_LINE = 200_000;
/** At most this many lines are looked at (a 1 MiB log has ~20k). */
export const MAX_LINES = 200_000;

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'", ndash: '–', mdash: '—', hellip: '…', micro: 'µ',
};

/** Decodes the entities a forum page leaves in copied text. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z0-9]{2,8});/gi, (m, body: string) => {
    const b = body.toLowerCase();
    if (b.startsWith('#x')) return safeChar(parseInt(b.slice(2), 16)) ?? m;
    if (b.startsWith('#') && b !== '#39') return safeChar(parseInt(b.slice(1), 10)) ?? m;
    return NAMED[b] ?? m;
  });
}

function safeChar(code: number): string | undefined {
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** Prefixes that carry no meaning: GUI timestamps, docker-compose service names, quote marks. */
const PREFIXES: RegExp[] = [
  /^\s{0,8}(?:>\s?){1,6}/, // forum / e-mail quoting
  /^\s{0,4}\d{1,2}:\d{2}:\d{2}(?:[:.]\d{1,3})?\s{0,3}:\s?/, // CubeProgrammer GUI "12:06:46:555 : "
  /^\s{0,4}\[\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z?\]\s?/, // "[2023-06-26T19:37:37.428Z] "
  /^[a-z0-9_.-]{1,40}_\d{1,3}\s{1,12}\|\s?/i, // "openocd_1    | "
];

function cleanLine(raw: string): string {
  let s = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
  if (s.includes('&')) s = decodeEntities(s);
  if (s.includes('<')) s = s.replace(/<\/?[a-z][a-z0-9]{0,10}(?:\s[^<>]{0,200})?\/?>/gi, '');
  s = s.replace(/\u00a0/g, ' ').replace(/`/g, '');
  for (const p of PREFIXES) s = s.replace(p, '');
  return s.trimEnd();
}

/** Splits and cleans a log. Code fences and empty lines are dropped; numbering follows the input. */
export function normalizeLog(text: string): LogLine[] {
  // <br> is a line break in copied HTML; do it before splitting.
  const src = text.includes('<') ? text.replace(/<br\s{0,3}\/?>/gi, '\n') : text;
  const out: LogLine[] = [];
  let n = 0;
  let start = 0;
  while (start <= src.length && out.length < MAX_LINES) {
    let end = src.indexOf('\n', start);
    if (end < 0) end = src.length;
    n++;
    const raw = src.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    const line = cleanLine(raw);
    if (line.trim() === '' || /^\s{0,4}(?:```|~~~)/.test(line)) continue;
    const t = raw.trim();
    const json = raw.length > MAX_LINE && t.startsWith('{') && t.endsWith('}') && t.length <= MAX_JSON_LINE ? t : undefined;
    out.push(json === undefined ? { n, text: line } : { n, text: line, json });
    if (end === src.length) break;
  }
  return out;
}
