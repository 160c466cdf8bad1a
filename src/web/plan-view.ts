/**
 * The plan as a picture: every flash region's sectors as squares coloured by what the plan
 * does to them (erase / program / erase+program / skip / preserve / unlock), the image's
 * segments marked under them, then the findings in words. Drawn before anything is written.
 */
import { hex } from '../core/format.js';
import type { FlashPlan } from '../flash/plan.js';
import { isChangeOperation } from '../flash/plan.js';
import type { CheckFinding } from '../flash/checks/types.js';
import type { MemoryImage } from '../image/memory-image.js';
import { isFlashLike, regionSectors } from '../target/geometry.js';
import type { MemoryRegion, TargetDescription } from '../target/types.js';
import { el, regionLabel } from './dom.js';

export type SectorMark = 'erase' | 'program' | 'erase-program' | 'skip' | 'preserve' | 'unlock' | 'untouched';

const LEGEND: Array<[SectorMark, string]> = [
  ['erase-program', 'erase + program'], ['program', 'program (already erased)'], ['erase', 'erase only'],
  ['skip', 'skip (already holds the image)'], ['preserve', 'bytes kept (read and rewritten)'], ['unlock', 'mass-erased by an unlock'], ['untouched', 'untouched'],
];

/** What the plan does to each sector, by sector start address. */
export function sectorMarks(plan: FlashPlan, target: TargetDescription): Map<number, SectorMark> {
  const marks = new Map<number, SectorMark>();
  const flash = target.regions.filter(isFlashLike);
  for (const op of plan.operations) {
    if (isChangeOperation(op)) {
      for (const r of op.change.erases ?? []) for (const region of flash) for (const s of regionSectors(region)) if (s.address >= r.start && s.address < r.start + r.size) marks.set(s.address, 'unlock');
    } else if (op.kind === 'erase' && op.chip) {
      for (const region of flash) for (const s of regionSectors(region)) if (!marks.has(s.address)) marks.set(s.address, 'erase');
    }
  }
  for (const s of plan.sectors) marks.set(s.address, s.action);
  for (const op of plan.operations) {
    if (isChangeOperation(op) || op.kind !== 'preserve') continue;
    for (const region of flash) for (const s of regionSectors(region)) if (op.address >= s.address && op.address < s.address + s.size && marks.get(s.address) !== 'skip') marks.set(s.address, 'preserve');
  }
  return marks;
}

/** What the plan's first line says about it: shown before any write, being carried out, or done. */
export type PlanStage = 'planned' | 'running' | 'done';
const STAGE_TEXT: Record<PlanStage, string> = { planned: 'Nothing has been written yet.', running: 'Carrying it out now…', done: 'This is what the write did.' };

export function renderPlan(plan: FlashPlan, target: TargetDescription, image: MemoryImage, findings: readonly CheckFinding[], stage: PlanStage = 'planned'): HTMLElement {
  const box = el('div', { class: 'map' });
  const marks = sectorMarks(plan, target);
  const c = plan.cost;
  box.append(el('p', { text: `Plan for ${plan.target}: ${c.sectorErases} sector erase(s)${c.chipErase ? ' + a chip erase' : ''}, ${c.bytesToProgram} byte(s) to program${c.bytesToWriteRam ? `, ${c.bytesToWriteRam} byte(s) to write to RAM` : ''}, ${plan.sectors.filter((s) => s.action === 'skip').length} sector(s) skipped, verify ${plan.verify.length} range(s). ${STAGE_TEXT[stage]}` }));
  for (const change of plan.operations.filter(isChangeOperation)) {
    box.append(el('p', { class: 'finding warning', text: `${change.kind === 'unlock' ? 'Unlock' : 'Protect'}: ${change.change.description}${change.change.destroys ? ` — destroys ${change.change.destroys}` : ''}` }));
  }
  const legend = el('ul', { class: 'legend' });
  for (const [m, text] of LEGEND) legend.append(el('li', {}, el('span', { class: `sector ${m}` }), text));
  if (plan.cost.bytesToWriteRam) legend.append(el('li', {}, el('span', { class: 'sector ram-legend' }), 'RAM written directly'));
  box.append(legend);
  for (const region of target.regions.filter(isFlashLike)) {
    const sectors = regionSectors(region);
    const grid = el('div', { class: 'sectors', title: region.name });
    grid.setAttribute('role', 'img');
    let counts = new Map<SectorMark, number>();
    for (const s of sectors) {
      const mark = marks.get(s.address) ?? 'untouched';
      counts.set(mark, (counts.get(mark) ?? 0) + 1);
      const hasData = image.intersects(s.address, s.address + s.size);
      const sq = el('span', { class: `sector ${mark}${hasData ? ' segment' : ''}`, title: `${hex(s.address)} (${s.size} bytes): ${mark}${hasData ? ', image data' : ''}` });
      sq.dataset.address = hex(s.address);
      sq.dataset.mark = mark;
      grid.append(sq);
    }
    const summary = [...counts].map(([m, n]) => `${n} ${m}`).join(', ');
    grid.setAttribute('aria-label', `${region.name}: ${summary}`);
    box.append(el('h4', { text: `${regionLabel(region.name)} ${hex(region.start)}–${hex(region.start + region.size - 1)} (${sectors.length} sectors): ${summary}` }), grid);
    counts = new Map();
  }
  for (const region of target.regions.filter((r) => r.kind === 'ram')) {
    const bar = renderRam(plan, region, image);
    if (bar) box.append(...bar);
  }
  box.append(renderFindings(findings));
  return box;
}

/** A RAM region the plan writes (behind a debug probe): one bar, the written spans drawn to scale. */
function renderRam(plan: FlashPlan, region: MemoryRegion, image: MemoryImage): HTMLElement[] | undefined {
  const writes = plan.operations.filter((o) => !isChangeOperation(o) && o.kind === 'write-ram' && o.address >= region.start && o.address < region.start + region.size);
  if (!writes.length) return undefined;
  const bar = el('div', { class: 'ram', title: region.name });
  bar.setAttribute('role', 'img');
  let bytes = 0;
  for (const w of writes) {
    if (isChangeOperation(w)) continue;
    bytes += w.size;
    const span = el('span', { class: `ram-write${image.intersects(w.address, w.address + w.size) ? ' segment' : ''}`, title: `${hex(w.address)}–${hex(w.address + w.size - 1)} (${w.size} bytes): written directly` });
    span.style.left = `${((w.address - region.start) / region.size) * 100}%`;
    span.style.width = `max(2px, ${(w.size / region.size) * 100}%)`;
    span.dataset.address = hex(w.address);
    span.dataset.mark = 'write-ram';
    bar.append(span);
  }
  bar.setAttribute('aria-label', `${region.name}: ${bytes} bytes written directly in ${writes.length} range(s)`);
  return [el('h4', { text: `RAM ${region.name} ${hex(region.start)}–${hex(region.start + region.size - 1)}: ${bytes} byte(s) written directly (no erase)` }), bar];
}

export function renderFindings(findings: readonly CheckFinding[]): HTMLElement {
  const list = el('div', { class: 'findings' });
  for (const f of findings) {
    const p = el('div', { class: `finding ${f.severity}` }, el('strong', { text: `${f.severity === 'error' ? 'Refused' : f.severity}: ` }), f.message);
    if (f.hint) p.append(el('div', { class: 'help', text: f.hint }));
    list.append(p);
  }
  return list;
}
