/**
 * Progress events shared by the engine and the ways in. A Programmer call receives an
 * `emit` in its call context and sends the very same typed events the engine sends (the
 * `connect` phase, logs); the engine adds 'plan' and 'done' (flash/events.ts).
 */
export type Phase = 'connect' | 'read' | 'unlock' | 'erase' | 'preserve' | 'program' | 'write-ram' | 'verify' | 'protect' | 'run';

export type LogLevel = 'debug' | 'info' | 'warn';

/** Evidence attached to a log line: plain values only, so it serialises as JSON. */
export type LogValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type LogContext = Readonly<Record<string, LogValue>>;

export type DeviceEvent =
  | { type: 'start'; phase: Phase; totalBytes: number; message?: string }
  | { type: 'progress'; phase: Phase; bytesDone: number; totalBytes: number }
  | { type: 'finish'; phase: Phase; totalBytes: number; elapsedMs: number }
  /** The phase stopped with an error after `bytesDone` bytes (instead of 'finish'). */
  | { type: 'fail'; phase: Phase; bytesDone: number; totalBytes: number; elapsedMs: number; message: string }
  | { type: 'log'; level: LogLevel; message: string; context?: LogContext };

export type DeviceEventSink = (event: DeviceEvent) => void;

/** What every Programmer call takes: cancellation and a place to report what happens. */
export interface CallContext {
  signal?: AbortSignal | undefined;
  emit?: DeviceEventSink;
}

/**
 * Runs a way in's connect as the 'connect' phase: 'start', then 'finish' — or 'fail' with the
 * error's message — through the context's emit, so every way in reports it the same way.
 */
export async function inConnectPhase<T>(context: CallContext, message: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  context.emit?.({ type: 'start', phase: 'connect', totalBytes: 0, message });
  try {
    const result = await run();
    context.emit?.({ type: 'finish', phase: 'connect', totalBytes: 0, elapsedMs: Date.now() - t0 });
    return result;
  } catch (e) {
    context.emit?.({ type: 'fail', phase: 'connect', bytesDone: 0, totalBytes: 0, elapsedMs: Date.now() - t0, message: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

/** The same context for a connect nested inside another way in's connect: its phase events are left out, its logs kept. */
export function nestedConnect(context: CallContext): CallContext {
  const emit = context.emit;
  if (!emit) return context;
  return { signal: context.signal, emit: (e) => { if (e.type === 'log' || e.phase !== 'connect') emit(e); } };
}
