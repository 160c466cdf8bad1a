/**
 * Failures and pasted logs, explained by the doctor (src/doctor) exactly as the CLI does: a
 * failure becomes flashwright's own JSON error record, which the doctor's flashwright
 * reader understands; a pasted log of any tool goes to diagnose() as it is.
 */
import { FlashwrightError } from '../core/errors.js';
import { formatRanges, formatSectorStarts, FlashInterruptedError } from '../flash/errors.js';
import { diagnose } from '../doctor/diagnose.js';
import type { DoctorReport } from '../doctor/types.js';
import { el } from './dom.js';

function scalars(context: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(context ?? {}).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
}

/** The record the CLI prints with --json for a failure (cli/output.ts errorJson, without Node). */
export function errorRecord(error: unknown, context: { command: string; via: string; target?: string | undefined }): string {
  const body = (e: unknown): Record<string, unknown> => {
    // Scalar context only: the doctor reads at most 2000 characters of a line (doctor/normalize.ts
    // MAX_LINE), and an interrupted write's range lists would push the error code past it.
    if (e instanceof FlashwrightError) return { ...e.toJSON(), context: scalars(e.context), cause: e.cause === undefined ? undefined : body(e.cause) };
    if (e instanceof Error) return { name: e.name, code: e.name === 'NetworkError' ? 'WEB_SERIAL' : 'INTERNAL', message: e.message, cause: e.cause === undefined ? undefined : body(e.cause) };
    return { name: 'Error', code: 'INTERNAL', message: String(e) };
  };
  return JSON.stringify({ type: 'error', command: context.command, via: context.via, ...(context.target ? { target: context.target } : {}), error: body(error) });
}

export function renderReport(report: DoctorReport): HTMLElement {
  const box = el('div', { class: 'doctor' });
  box.append(el('p', { text: `Read as: ${report.toolName}. ${report.causes.length ? `${report.causes.length} likely cause(s), most likely first.` : 'No known cause matched.'}` }));
  for (const c of report.causes) {
    const item = el('div', { class: 'cause' }, el('h4', { text: `${c.summary} (${c.category}, ${Math.round(c.confidence * 100)} %)` }));
    if (c.fix.length) {
      const ol = el('ol');
      for (const f of c.fix) ol.append(el('li', { text: f }));
      item.append(el('div', { text: 'Fix:' }), ol);
    }
    if (c.evidence.length) item.append(el('div', { text: 'Evidence:' }), el('pre', { text: c.evidence.join('\n') }));
    box.append(item);
  }
  return box;
}

/**
 * The library's hints speak the CLI's language ("run the same command again with --skip"). The
 * page has no flags: its Write always reads first and skips sectors that already match, so the
 * same advice there is "press Write again".
 */
export function inPageWords(hint: string): string {
  return hint
    .replace(/\b(r|R)un the same (?:command|write) again with --skip\b/g, (_m, r: string) => `${r === 'R' ? 'P' : 'p'}ress Write again (the page reads first and skips what already matches)`)
    .replace(/\bthe same (?:command|write) again with --skip\b/g, 'Write again (the page reads first and skips what already matches)');
}

/** The failure in words (message, hint, causes chain), the write's true record, then the doctor. */
export function renderFailure(error: unknown, context: { command: string; via: string; target?: string | undefined }): HTMLElement {
  const box = el('div', { class: 'failure', text: '' });
  box.setAttribute('role', 'alert');
  const message = error instanceof Error ? error.message : String(error);
  box.append(el('strong', { text: `${context.command} failed${error instanceof FlashwrightError ? ` (${error.code})` : ''}: ` }), message);
  if (error instanceof FlashwrightError && error.hint) box.append(el('p', { text: `Hint: ${inPageWords(error.hint)}` }));
  let cause = error instanceof Error ? error.cause : undefined;
  for (let i = 0; i < 6 && cause instanceof Error; i++) {
    box.append(el('p', { class: 'help', text: `caused by: ${cause.message}` }));
    cause = cause.cause;
  }
  if (error instanceof FlashInterruptedError) {
    const p = error.progress;
    // The record as data too, so a test (or a bug report) can check it against the chip.
    box.dataset.progress = JSON.stringify(p);
    box.append(el('h4', { text: 'What the device holds now' }), el('ul', {},
      el('li', { text: `Stopped during: ${p.phase}` }),
      el('li', { text: `Erased: ${p.chipErased ? 'the whole chip' : `${p.erased.length} sector(s)${p.erased.length ? ` from ${formatSectorStarts(p.erased)}` : ''}`}` }),
      el('li', { text: `Programmed: ${p.programmed.length ? formatRanges(p.programmed) : 'nothing'}` }),
      el('li', { text: `Maybe programmed (the failed call): ${p.maybeProgrammed?.length ? formatRanges(p.maybeProgrammed) : 'nothing'}` }),
      el('li', { text: `Still to program: ${p.pending.length ? formatRanges(p.pending) : 'nothing'}` }),
    ));
  }
  const record = errorRecord(error, context);
  box.dataset.record = record;
  const report = diagnose(record);
  box.append(el('h4', { text: 'Doctor' }), renderReport(report));
  return box;
}
