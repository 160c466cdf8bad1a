/**
 * Progress display: a live bar per phase on a terminal (stderr), plain lines when stderr
 * is not a terminal, and one JSON object per line on stdout with --json.
 */
import { formatSize } from '../core/format.js';
import type { EventSink, FlashEvent, Phase } from '../flash/events.js';
import type { Io } from './output.js';

const LABELS: Record<Phase, string> = {
  connect: 'connect', read: 'read', unlock: 'unlock', protect: 'protect', erase: 'erase', preserve: 'preserve', program: 'program', 'write-ram': 'write RAM', verify: 'verify', run: 'run',
};
const BAR = 30;

export interface ProgressOptions {
  json?: boolean | undefined;
  /** Suppress the plain/TTY display (events still go to JSON). */
  quiet?: boolean;
}

/** A JSON-safe copy: Uint8Array contents are summarised, Maps become objects. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { bytes: v.length } : v instanceof Map ? Object.fromEntries(v) : v)));
}

function pct(done: number, total: number): number {
  return total > 0 ? Math.floor((done / total) * 100) : 100;
}

export function createProgressSink(io: Io, options: ProgressOptions = {}): EventSink {
  if (options.json) {
    const lastPct = new Map<Phase, number>();
    return (e: FlashEvent) => {
      if (e.type === 'progress') {
        // Every 5 % is enough for a machine reader and keeps the stream short.
        const p = pct(e.bytesDone, e.totalBytes);
        if (p < 100 && p - (lastPct.get(e.phase) ?? -100) < 5) return;
        lastPct.set(e.phase, p);
      }
      if (e.type === 'done') return; // the command prints its own result line
      io.out(JSON.stringify({ type: 'event', event: jsonSafe(e) }) + '\n');
    };
  }
  if (options.quiet) return () => {};
  let drawn = false;
  return (e: FlashEvent) => {
    switch (e.type) {
      case 'start':
        if (io.isTty) {
          drawn = true;
          io.err(`\r${bar(e.phase, 0, e.totalBytes, io.columns)}${EOL_CLEAR}`);
        } else {
          io.err(`${LABELS[e.phase]}: ${e.message ?? ''}${e.totalBytes ? ` (${formatSize(e.totalBytes)})` : ''}\n`);
        }
        break;
      case 'progress':
        if (io.isTty) io.err(`\r${bar(e.phase, e.bytesDone, e.totalBytes, io.columns)}${EOL_CLEAR}`);
        break;
      case 'finish':
        if (io.isTty) {
          io.err(`\r${bar(e.phase, e.totalBytes, e.totalBytes, io.columns, ` ${Math.round(e.elapsedMs)} ms`)}${EOL_CLEAR}\n`);
          drawn = false;
        } else {
          io.err(`${LABELS[e.phase]}: done in ${Math.round(e.elapsedMs)} ms\n`);
        }
        break;
      case 'fail':
        if (io.isTty) {
          io.err(`\r${bar(e.phase, e.bytesDone, e.totalBytes, io.columns, ' FAILED')}${EOL_CLEAR}\n`);
          drawn = false;
        } else {
          io.err(`${LABELS[e.phase]}: failed after ${formatSize(e.bytesDone)} of ${formatSize(e.totalBytes)}\n`);
        }
        break;
      case 'log':
        if (e.level === 'debug') break;
        if (drawn) { io.err('\n'); drawn = false; }
        io.err(`${e.level === 'warn' ? 'warning' : 'note'}: ${e.message}\n`);
        break;
      default:
        break;
    }
  };
}

/** Erases the rest of the line after a redraw, so a shorter line leaves no old characters. */
const EOL_CLEAR = '\x1b[K';

/**
 * One progress line that fits `columns` − 1 characters (a line that fills the last column
 * makes some terminals wrap, and then every `\r` redraw scrolls): the bar shrinks first,
 * then the byte counts go, then the bar.
 */
export function bar(phase: Phase, done: number, total: number, columns?: number, suffix = ''): string {
  const p = pct(done, total);
  const label = LABELS[phase].padEnd(10);
  const percent = `${String(p).padStart(3)}%`;
  // Room for the widest count ("1023.9 KiB"), so the bar keeps its width while the numbers change.
  const sizes = `  ${formatSize(done)} / ${formatSize(total)}`.padEnd(2 + 10 + 3 + formatSize(total).length);
  const width = columns ? columns - 1 : label.length + BAR + 4 + percent.length + sizes.length + suffix.length;
  const draw = (n: number, tail: string) => {
    const filled = Math.round((p / 100) * n);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(n - filled)}] ${percent}${tail}${suffix}`;
  };
  const fixed = label.length + 4 + percent.length + suffix.length; // " [", "] "
  for (const tail of [sizes, '']) {
    const room = Math.min(BAR, width - fixed - tail.length);
    if (room >= 8) return draw(room, tail);
  }
  return `${label} ${percent}${suffix}`.slice(0, Math.max(width, 1));
}
