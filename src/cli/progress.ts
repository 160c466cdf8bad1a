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
          io.err(`\r${bar(e.phase, 0, e.totalBytes)}`);
        } else {
          io.err(`${LABELS[e.phase]}: ${e.message ?? ''}${e.totalBytes ? ` (${formatSize(e.totalBytes)})` : ''}\n`);
        }
        break;
      case 'progress':
        if (io.isTty) io.err(`\r${bar(e.phase, e.bytesDone, e.totalBytes)}`);
        break;
      case 'finish':
        if (io.isTty) {
          io.err(`\r${bar(e.phase, e.totalBytes, e.totalBytes)} ${Math.round(e.elapsedMs)} ms\n`);
          drawn = false;
        } else {
          io.err(`${LABELS[e.phase]}: done in ${Math.round(e.elapsedMs)} ms\n`);
        }
        break;
      case 'fail':
        if (io.isTty) {
          io.err(`\r${bar(e.phase, e.bytesDone, e.totalBytes)} FAILED\n`);
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

function bar(phase: Phase, done: number, total: number): string {
  const p = pct(done, total);
  const filled = Math.round((p / 100) * BAR);
  return `${LABELS[phase].padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${String(p).padStart(3)}%  ${formatSize(done)} / ${formatSize(total)}`;
}
