/** Phase bookkeeping for progress events: start → progress* → finish, with elapsed times. */
import type { EventSink, LogContext, LogLevel, Phase } from './events.js';

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export class PhaseReporter {
  private phase?: Phase | undefined;
  private total = 0;
  private done = 0;
  private started = 0;

  constructor(private readonly sink: EventSink | undefined) {}

  emit: EventSink = (e) => this.sink?.(e);

  start(phase: Phase, totalBytes: number, message?: string): void {
    if (this.phase) this.finish();
    this.phase = phase;
    this.total = totalBytes;
    this.done = 0;
    this.started = now();
    this.emit(message === undefined ? { type: 'start', phase, totalBytes } : { type: 'start', phase, totalBytes, message });
  }

  /** Adds `bytes` to the current phase. */
  advance(bytes: number): void {
    if (!this.phase || bytes <= 0) return;
    this.done = Math.min(this.total, this.done + bytes);
    this.emit({ type: 'progress', phase: this.phase, bytesDone: this.done, totalBytes: this.total });
  }

  /** An onProgress callback for one device call whose progress is reported from `base`. */
  tracker(): (bytesDone: number) => void {
    const base = this.done;
    return (n) => {
      if (!this.phase) return;
      const next = Math.min(this.total, base + n);
      if (next > this.done) {
        this.done = next;
        this.emit({ type: 'progress', phase: this.phase, bytesDone: this.done, totalBytes: this.total });
      }
    };
  }

  /** Sets the absolute position after a device call (whatever it reported). */
  reach(bytesDone: number): void {
    if (!this.phase) return;
    if (bytesDone > this.done) this.advance(bytesDone - this.done);
  }

  get position(): number {
    return this.done;
  }

  finish(): void {
    if (!this.phase) return;
    this.emit({ type: 'finish', phase: this.phase, totalBytes: this.total, elapsedMs: now() - this.started });
    this.phase = undefined;
  }

  /** Ends the current phase as failed (nothing happens when no phase is running). */
  fail(error: unknown): void {
    if (!this.phase) return;
    const message = error instanceof Error ? error.message : String(error);
    this.emit({ type: 'fail', phase: this.phase, bytesDone: this.done, totalBytes: this.total, elapsedMs: now() - this.started, message });
    this.phase = undefined;
  }

  log(level: LogLevel, message: string, context?: LogContext): void {
    this.emit(context ? { type: 'log', level, message, context } : { type: 'log', level, message });
  }
}
