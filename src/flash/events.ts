/**
 * Progress events. The library emits; the CLI draws bars or JSON lines; a web app draws its
 * own UI. Order for a write: 'read' (what the device holds: digests or read-back) and
 * 'preserve' (bytes to keep) come first, then 'plan', then (start → progress* → finish, or fail) for
 * erase → program → write-ram → verify → run, then 'done'. Phases with nothing to do are
 * left out; 'log' events may come at any point.
 */
export type Phase = 'connect' | 'read' | 'erase' | 'preserve' | 'program' | 'write-ram' | 'verify' | 'run';

export type FlashEvent =
  | { type: 'plan'; plan: unknown }
  | { type: 'start'; phase: Phase; totalBytes: number; message?: string }
  | { type: 'progress'; phase: Phase; bytesDone: number; totalBytes: number }
  | { type: 'finish'; phase: Phase; totalBytes: number; elapsedMs: number }
  /** The phase stopped with an error after `bytesDone` bytes (instead of 'finish'). */
  | { type: 'fail'; phase: Phase; bytesDone: number; totalBytes: number; elapsedMs: number; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string; context?: Record<string, unknown> }
  | { type: 'done'; summary: unknown };

export type EventSink = (event: FlashEvent) => void;
