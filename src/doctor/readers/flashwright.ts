/**
 * flashwright's own failure record: the `--json` stream (one JSON object per line; the
 * error object last) or the text output ("error: …", "hint: …", "  caused by: …"). The
 * record carries the error code and its context, and the stream's start/plan lines name the
 * command, target and way in, and a failure after connect carries a {"type":"device"} line
 * (a plan document a "device" field): the chip, its IDs and protection as connect read them,
 * so doctor sees the device's context as the run saw it.
 */
import { formatSize, hex } from '../../core/format.js';
import { decodeCpuid, decodeDpidr } from '../decoders/adi.js';
import type { DeviceFacts, Facts, LogLine } from '../types.js';

interface ErrorBody { code?: unknown; message?: unknown; hint?: unknown; context?: unknown; cause?: unknown }

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function causeCode(cause: unknown): string | undefined {
  let c = cause as ErrorBody | undefined;
  let last: string | undefined;
  for (let i = 0; i < 8 && c && typeof c === 'object'; i++) {
    if (typeof c.code === 'string') last = c.code;
    c = c.cause as ErrorBody | undefined;
  }
  return last;
}

function idNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v >>> 0;
  if (typeof v === 'string' && /^0x[0-9a-f]{1,8}$/i.test(v.trim())) return Number.parseInt(v.trim().slice(2), 16);
  return undefined;
}

/** The stream's {"type":"device"} line (or a plan document's "device") as facts. */
function deviceFacts(d: Record<string, unknown>): DeviceFacts | undefined {
  const target = str(d.target);
  if (!target) return undefined;
  const ids: Record<string, string | number> = {};
  if (d.ids && typeof d.ids === 'object') {
    for (const [k, v] of Object.entries(d.ids as Record<string, unknown>)) if (typeof v === 'string' || typeof v === 'number') ids[k] = v;
  }
  const out: DeviceFacts = { target, ids, ...(str(d.via) ? { via: str(d.via)! } : {}) };
  const p = d.protection as { readProtected?: unknown; description?: unknown; writeProtectedSectors?: unknown } | null | undefined;
  if (p && typeof p === 'object') {
    if (typeof p.readProtected === 'boolean') out.readProtected = p.readProtected;
    if (str(p.description)) out.protection = str(p.description)!;
    if (Array.isArray(p.writeProtectedSectors) && p.writeProtectedSectors.length) out.writeProtectedSectors = p.writeProtectedSectors.filter((a): a is number => typeof a === 'number');
  }
  if (Array.isArray(d.regions)) {
    const mem = (d.regions as Array<Record<string, unknown>>).filter((r) => r && typeof r.name === 'string' && typeof r.start === 'number' && typeof r.size === 'number')
      .map((r) => `${String(r.name)} ${formatSize(r.size as number)} at ${hex(r.start as number)}`);
    if (mem.length) out.memory = mem.slice(0, 8).join(', ');
  }
  return out;
}

/** Device facts into the general facts: the chip, and debug IDs decoded as the log readers do. */
function applyDevice(dev: DeviceFacts, f: Facts): void {
  f.device = dev;
  f.chip = dev.target;
  const dpidr = idNumber(dev.ids.dpidr);
  if (dpidr !== undefined) f.dpidr ??= { value: dpidr, summary: decodeDpidr(dpidr).summary };
  const cpuid = idNumber(dev.ids.cpuid);
  if (cpuid !== undefined && cpuid !== 0) f.cpuid ??= { value: cpuid, summary: decodeCpuid(cpuid).summary };
}

/** One line for the text report: "STM32F103xB via sim; ids pid=0x410, bootloader=2.2; protection: RDP level 1 (read-protected)". */
export function describeDeviceFacts(d: DeviceFacts): string {
  const ids = Object.entries(d.ids).map(([k, v]) => `${k}=${typeof v === 'number' ? hex(v, 1) : v}`).join(', ');
  const prot = d.protection ? `; protection: ${d.protection}${d.readProtected ? ' (read-protected)' : ''}` : '';
  const wp = d.writeProtectedSectors?.length ? `; write-protected sectors: ${d.writeProtectedSectors.map((a) => hex(a)).join(', ')}` : '';
  return `${d.target}${d.via ? ` via ${d.via}` : ''}${ids ? `; ids ${ids}` : ''}${prot}${wp}`;
}

/** Reads the record into facts; returns the extra text lines (messages) rules should see. */
export function readFlashwrightRecord(lines: readonly LogLine[], f: Facts): string[] {
  const extra: string[] = [];
  let command: string | undefined;
  let target: string | undefined;
  let via: string | undefined;
  let device: DeviceFacts | undefined;
  for (const { text, json } of lines) {
    const t = json ?? text.trim();
    if (t.startsWith('{') && t.length <= 200_000) {
      let obj: Record<string, unknown>;
      try { obj = JSON.parse(t) as Record<string, unknown>; } catch { continue; }
      if (!obj || typeof obj !== 'object') continue;
      const ev = (obj.event ?? obj) as Record<string, unknown>;
      command ??= str(obj.command) ?? str(ev.command);
      target ??= str(obj.target) ?? str(ev.target);
      via ??= str(obj.via) ?? str(ev.via);
      if (obj.type === 'device') device ??= deviceFacts(obj);
      else if (obj.device && typeof obj.device === 'object') device ??= deviceFacts(obj.device as Record<string, unknown>);
      if (obj.type === 'error' && obj.error && typeof obj.error === 'object') {
        const e = obj.error as ErrorBody;
        const context = (e.context && typeof e.context === 'object' ? e.context : {}) as Record<string, unknown>;
        f.flashwright = {
          code: str(e.code) ?? 'UNKNOWN', message: str(e.message) ?? '', context,
          ...(str(e.hint) === undefined ? {} : { hint: str(e.hint)! }),
          ...(causeCode(e.cause) === undefined ? {} : { causeCode: causeCode(e.cause)! }),
        };
        if (typeof context.target === 'string') target ??= context.target;
        extra.push(`error: ${f.flashwright.message}`);
        if (f.flashwright.hint) extra.push(`hint: ${f.flashwright.hint}`);
        let c = e.cause as ErrorBody | undefined;
        for (let i = 0; i < 8 && c && typeof c === 'object'; i++) {
          if (typeof c.message === 'string') extra.push(`  caused by: ${c.message}`);
          c = c.cause as ErrorBody | undefined;
        }
      }
    }
  }
  if (f.flashwright) {
    if (command) f.flashwright.command = command;
    if (target) { f.flashwright.target = target; f.chip ??= target; }
    if (via) f.flashwright.via = via;
    if (device) applyDevice(device, f);
  } else {
    // Text output: "error: …", optional "hint: …", and the closing "doctor: error CODE; …" line.
    const i = lines.findIndex((l) => /^error: /.test(l.text));
    const pointer = lines.map((l) => /^doctor: error ([A-Z][A-Z0-9_]{1,60});/.exec(l.text)).find((m) => m);
    if (i >= 0 && (pointer || lines.some((l) => /^hint: |flashwright/.test(l.text)))) {
      const hint = lines.slice(i + 1, i + 3).find((l) => l.text.startsWith('hint: '));
      f.flashwright = { code: pointer ? pointer[1]! : 'TEXT', message: lines[i]!.text.slice(7), context: {}, ...(hint ? { hint: hint.text.slice(6) } : {}) };
    }
  }
  return extra;
}
