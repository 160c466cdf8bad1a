import { formatSize, hex, hexByte } from '../core/format.js';
import { stm32RdpLevel0 } from './builtin/stm32.js';
import type { MemoryRegion, TargetDescription } from './types.js';

/** "4 × 16 KiB, 1 × 64 KiB, 7 × 128 KiB" */
export function describeSectors(r: MemoryRegion): string {
  return (r.sectors ?? []).map((s) => `${s.count} × ${formatSize(s.size)}`).join(', ');
}

/** A plain-text description of a target, one line per region (for `targets show`). */
export function describeTarget(t: TargetDescription): string[] {
  const lines = [`${t.name} — ${t.vendor} ${t.family}, ${t.core}`];
  if (t.aliases?.length) lines.push(`  also: ${t.aliases.join(', ')}`);
  lines.push(`  source: ${t.source}`);
  for (const r of [...t.regions].sort((a, b) => a.start - b.start)) {
    const end = r.start + r.size - 1;
    let line = `  ${r.name.padEnd(14)} ${r.kind.padEnd(13)} ${hex(r.start)}–${hex(end)}  ${formatSize(r.size).padStart(8)}`;
    if (r.sectors) line += `  sectors ${describeSectors(r)}`;
    if (r.pageSize) line += `, program unit ${r.pageSize} B`;
    if (r.erasedValue !== undefined && r.erasedValue !== 0xff) line += `, erased ${hex(r.erasedValue, 2)}`;
    if (r.needsConfiguration) line += ' (needs configuration)';
    if (r.note) line += `  — ${r.note}`;
    lines.push(line);
  }
  for (const res of t.reserved ?? []) lines.push(`  reserved       ${hex(res.start)}–${hex(res.start + res.size - 1)}  ${formatSize(res.size).padStart(8)}  ${res.owner}`);
  const f = t.features;
  if (f?.kinetisFlashConfig) lines.push('  checks: Kinetis flash configuration field at flash+0x400 (FSEC/FOPT/FPROT)');
  if (f?.stm32OptionBytes) {
    const ob = f.stm32OptionBytes;
    const level0 = hexByte(ob.rdpLevel0 ?? stm32RdpLevel0(t.family));
    lines.push(`  checks: STM32 option bytes at ${hex(ob.address)} (RDP level 0 = ${level0}, ${ob.hasLevel2 ? 'level 2 refused' : 'no level 2'})`);
  }
  if (f?.imxrtBoot) lines.push(`  checks: i.MX RT boot image (FCB at +${hex(f.imxrtBoot.fcbOffset, 1)}, IVT at +${hex(f.imxrtBoot.ivtOffset, 1)} of ${hex(f.imxrtBoot.flexspiBase)})`);
  if (t.ids) lines.push(`  ids: ${Object.entries(t.ids).map(([k, v]) => `${k}=${hex(v, 3)}`).join(', ')}`);
  return lines;
}
