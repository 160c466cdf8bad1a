/**
 * Progress events. The library emits; the CLI draws bars or JSON lines; a web app draws its
 * own UI. Order for a write: 'connect' (sent by the way in), 'read' (what the device holds:
 * digests or read-back) and 'preserve' (bytes to keep) come first, then 'plan', then
 * (start → progress* → finish, or fail) for unlock → erase → program → write-ram → verify →
 * protect → run, then 'done'. Phases with nothing to do are left out; 'log' events may come
 * at any point. Ways in send the DeviceEvent part of this union through their call context.
 */
import type { DeviceEvent } from '../programmer/events.js';
import type { EraseSummary, ReadSummary } from './erase-read.js';
import type { VerifySummary, WriteSummary } from './engine.js';
import type { FlashPlan } from './plan.js';

export type { Phase, LogLevel, LogContext, DeviceEvent } from '../programmer/events.js';

export type FlashSummary = WriteSummary | VerifySummary | EraseSummary | ReadSummary;

export type FlashEvent =
  | DeviceEvent
  | { type: 'plan'; plan: FlashPlan }
  | { type: 'done'; summary: FlashSummary };

export type EventSink = (event: FlashEvent) => void;
