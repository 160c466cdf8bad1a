/**
 * One PASS/FAIL line per benchmark target, with the figure and the bound, and a non-zero
 * exit when any target is missed or cannot be measured (scripts/run-bench.mjs then fails).
 * Files starting with "_" are helpers, not benches.
 */
import { availableParallelism, loadavg } from 'node:os';

const results: boolean[] = [];

/** For benches that time wall clocks: how busy the machine was, printed next to the figures. */
export function machineLoad(): string {
  return `machine: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min)`;
}

type Op = '<=' | '<' | '>=';
const holds = (value: number, op: Op, bound: number) => (op === '<=' ? value <= bound : op === '<' ? value < bound : value >= bound);
const sign = (op: Op) => (op === '<=' ? '≤' : op === '<' ? '<' : '≥');

/** Judges `value op bound` and prints "PASS label: value unit (target ≤ bound)" and a note. */
export function target(label: string, value: number, op: Op, bound: number, options: { digits?: number; unit?: string; note?: string } = {}): boolean {
  const pass = Number.isFinite(value) && holds(value, op, bound);
  results.push(pass);
  const d = options.digits ?? 2;
  const unit = options.unit ?? '';
  console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${label}: ${value.toFixed(d)}${unit} (target ${sign(op)} ${bound}${unit})${options.note ? ` — ${options.note}` : ''}`);
  return pass;
}

/** A target that could not be measured counts as missed. */
export function unmeasured(label: string, why: string): void {
  results.push(false);
  console.log(`  FAIL  ${label}: not measured — ${why}`);
}

/** Prints the count and sets the exit code: non-zero when any target failed. */
export function finishTargets(): void {
  const met = results.filter(Boolean).length;
  console.log(`\n${met} of ${results.length} targets met.`);
  if (met !== results.length) process.exitCode = 1;
}
