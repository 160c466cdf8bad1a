/** Issue 10 §2: progress bars and the memory-map line fit the terminal (no wrapping at 60 columns, no scroll per redraw); plain lines when not a TTY. */
import { describe, expect, it } from 'vitest';
import { bar, createProgressSink } from '../../src/cli/progress.js';
import { renderMemoryMap } from '../../src/cli/commands/plan.js';
import type { Io } from '../../src/cli/output.js';
import { planFlash } from '../../src/flash/plan.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { requireTarget } from '../../src/target/lookup.js';

/** What a terminal shows as separate lines: split at CR and LF, ANSI erase-line removed. */
function visibleLines(text: string): string[] {
  return text.replace(/\x1b\[K/g, '').split(/[\r\n]/);
}

describe('progress and memory map at 60 columns', () => {
  it('every redraw of every phase fits in 59 characters', () => {
    const err: string[] = [];
    const io: Io = { out: () => {}, err: (t) => { err.push(t); }, isTty: true, columns: 60 };
    const sink = createProgressSink(io);
    for (const phase of ['read', 'erase', 'program', 'verify', 'write-ram'] as const) {
      const total = 1536 * 1024 + 123;
      sink({ type: 'start', phase, totalBytes: total });
      for (let done = 0; done <= total; done += 77_777) sink({ type: 'progress', phase, bytesDone: done, totalBytes: total });
      sink({ type: 'finish', phase, totalBytes: total, elapsedMs: 123456 });
    }
    sink({ type: 'start', phase: 'program', totalBytes: 1000 });
    sink({ type: 'fail', phase: 'program', bytesDone: 500, totalBytes: 1000, error: new Error('x') } as never);
    const lines = visibleLines(err.join(''));
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(59);
    // Each redraw erases the rest of the line, so a shorter count leaves nothing behind.
    expect(err.join('')).toContain('\x1b[K');
  });
  it('the bar keeps its width within a phase while the counts change', () => {
    const widths = new Set([0, 1023, 1024 * 1023, 1536 * 1024].map((d) => bar('program', d, 1536 * 1024, 60).indexOf(']')));
    expect(widths.size).toBe(1);
  });
  it('the memory map of a big part fits too, its scale on a line of its own when needed', () => {
    const target = requireTarget('stm32h743xi');
    const plan = planFlash({ image: MemoryImage.fromSegments([{ address: 0x08000000, data: new Uint8Array(0x40000).fill(1) }]), target, preserve: true, skipUnchanged: false });
    for (const columns of [40, 60, 80]) {
      for (const l of renderMemoryMap(plan, target, { columns })) expect(l.length, `${columns}: ${l}`).toBeLessThanOrEqual(columns - 1);
    }
  });
  it('not a TTY: plain lines, no carriage returns or escapes', () => {
    const err: string[] = [];
    const sink = createProgressSink({ out: () => {}, err: (t) => { err.push(t); }, isTty: false, columns: 60 });
    sink({ type: 'start', phase: 'program', totalBytes: 4096 });
    sink({ type: 'progress', phase: 'program', bytesDone: 2048, totalBytes: 4096 });
    sink({ type: 'finish', phase: 'program', totalBytes: 4096, elapsedMs: 5 });
    expect(err.join('')).toBe('program:  (4 KiB)\nprogram: done in 5 ms\n');
  });
});
