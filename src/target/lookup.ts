import { parse as parseYaml } from 'yaml';
import { FlashwrightError } from '../core/errors.js';
import { parseNumber } from '../core/format.js';
import { imxrtTargets } from './builtin/imxrt.js';
import { kinetisTargets } from './builtin/kinetis.js';
import { nordicTargets } from './builtin/nordic.js';
import { stm32Targets } from './builtin/stm32.js';
import { resolvableStm32Parts, resolveStm32Part } from './parts.js';
import type { TargetDescription } from './types.js';
import { TargetDescriptionError, validateTarget } from './validate.js';

const BUILTIN: readonly TargetDescription[] = [...stm32Targets, ...kinetisTargets, ...imxrtTargets, ...nordicTargets];

/** Every built-in target description. */
export function listTargets(): readonly TargetDescription[] {
  return BUILTIN;
}

/**
 * Matches a user's part name against a canonical one, case-insensitively. In STM32 names an
 * 'x' stands for any one character (the package letter: STM32F103xB matches stm32f103cb);
 * a longer name matches when it starts with the pattern (mk64fn1m0vll12 → MK64FN1M0).
 */
function matches(pattern: string, given: string): boolean {
  const p = pattern.toLowerCase();
  const g = given.toLowerCase();
  if (g.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== g[i] && !(p[i] === 'x' && /[a-z0-9]/.test(g.charAt(i)))) return false;
  return true;
}

/** Finds a built-in target by name or alias; exact names win over pattern and prefix matches. */
export function findTarget(name: string): TargetDescription | undefined {
  const n = name.trim().toLowerCase();
  const names = (t: TargetDescription) => [t.name, ...(t.aliases ?? [])];
  // Exact names first, then STM32 patterns of the same length (stm32f103cb → STM32F103xB),
  // then a part number by ST's ordering scheme (stm32f103c8t6 → 64 KiB), then prefixes.
  return BUILTIN.find((t) => names(t).some((x) => x.toLowerCase() === n))
    ?? BUILTIN.find((t) => names(t).some((x) => x.length === n.length && matches(x, n)))
    ?? resolveStm32Part(n, BUILTIN)
    ?? BUILTIN.find((t) => names(t).some((x) => matches(x, n) && !namesOtherVariant(names(t), x, n)));
}

/**
 * A prefix match must not turn a sibling variant into this one: when a description spells the
 * variant it is after a separator (nRF51822_xxAA, nRF51822-QFAA: 256 KiB) and the name given
 * carries a different one after the same separator (nRF51822_xxAB: 128 KiB), the prefix
 * "nRF51822" would hand the 128 KiB part a 256 KiB memory map. Such a name is not resolved.
 */
function namesOtherVariant(all: readonly string[], prefix: string, given: string): boolean {
  const sep = given.charAt(prefix.length);
  if (sep !== '_' && sep !== '-') return false;
  const spelled = all.filter((y) => y.toLowerCase().startsWith(`${prefix.toLowerCase()}${sep}`));
  return spelled.length > 0 && !spelled.some((y) => y.length === given.length && matches(y, given));
}

/** Finds a built-in target whose ids include `key: value` (e.g. stm32Pid 0x410). */
export function findTargetById(key: string, value: number): TargetDescription | undefined {
  return BUILTIN.find((t) => t.ids?.[key] === value);
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export class UnknownTargetError extends FlashwrightError {
  constructor(name: string) {
    const candidates = [...BUILTIN.map((t) => t.name), ...resolvableStm32Parts()];
    const scored = candidates.map((c) => ({ name: c, d: editDistance(c.toLowerCase(), name.toLowerCase()) })).sort((a, b) => a.d - b.d);
    const near = scored.filter((s) => s.d <= Math.max(2, name.length / 3)).slice(0, 3).map((s) => s.name);
    super('TARGET_UNKNOWN', `No built-in target is called '${name}'.`, {
      hint: near.length ? `Did you mean ${near.join(', ')}? \`flashwright targets\` lists all.` : 'Run `flashwright targets` to list them, or describe your chip in a file and pass --target-file.',
      context: { name, near },
    });
  }
}

/** Like findTarget, but throws UnknownTargetError naming close matches. */
export function requireTarget(name: string): TargetDescription {
  const t = findTarget(name);
  if (!t) throw new UnknownTargetError(name);
  return t;
}

/** Numbers in a description file may be written as 134217728, "0x08000000" or "128K". */
function normaliseNumbers(value: unknown, path: string, file: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => normaliseNumbers(v, `${path}[${i}]`, file));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => {
      if (k === 'flexspiOption' && Array.isArray(v)) {
        return [k, v.map((w, i) => {
          const n = typeof w === 'string' ? parseNumber(w) : w;
          if (typeof n !== 'number') throw new TargetDescriptionError(file, `${path}.${k}[${i}] is '${String(w)}', not a 32-bit word (write 0xC0000007).`);
          return n;
        })];
      }
      const numeric = ['start', 'size', 'count', 'pageSize', 'erasedValue', 'address', 'rdpOffset', 'rdpLevel0', 'flexspiBase', 'fcbOffset', 'ivtOffset'].includes(k) || path.endsWith('.ids');
      if (numeric && typeof v === 'string') {
        const n = parseNumber(v);
        if (n === undefined) throw new TargetDescriptionError(file, `${path}.${k} is '${v}', not a number (write 0x08000000, 4096 or 128K).`);
        return [k, n];
      }
      return [k, normaliseNumbers(v, `${path}.${k}`, file)];
    }));
  }
  return value;
}

/** Parses and validates a user's target description (JSON or YAML, same shape as built-ins). */
export function loadTargetFile(text: string, source: string): TargetDescription {
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML is a superset of JSON
  } catch (e) {
    throw new TargetDescriptionError(source, `is not valid JSON or YAML (${(e as Error).message.split('\n')[0]}).`, {}, e);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TargetDescriptionError(source, 'must be an object with name, regions, …');
  const base = raw as Record<string, unknown>;
  // A file may extend a built-in: { "extends": "mimxrt1021", "regions": [...] } replaces regions by name.
  let merged = base;
  if (typeof base.extends === 'string') {
    const parent = requireTarget(base.extends);
    const own = (normaliseNumbers(base, '', source) as Record<string, unknown>);
    const ownRegions = (own.regions as TargetDescription['regions'] | undefined) ?? [];
    const regions = parent.regions.filter((r) => !ownRegions.some((o) => o.name === r.name)).concat(ownRegions);
    // Safety checks follow the built-in: a file may add features, never drop or replace one the
    // parent has (`"features": {}` on a K64 would switch off the FSEC brick check).
    const features = { ...(own.features as TargetDescription['features']), ...parent.features };
    merged = { ...parent, ...own, regions, name: (own.name as string) ?? parent.name, ...(Object.keys(features).length ? { features } : {}) };
    delete merged.extends;
  }
  const t = normaliseNumbers(merged, '', source) as TargetDescription;
  t.vendor ??= 'custom';
  t.family ??= 'custom';
  t.core ??= 'unknown';
  t.source ??= source;
  return validateTarget(t);
}
