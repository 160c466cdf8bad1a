/**
 * Issue 11 §6: the readers and rules on arbitrary and hostile input. Properties: nothing
 * throws, the report keeps its shape, and nothing is quadratic or backtracks
 * catastrophically (the inputs are large enough that either would trip the test timeout;
 * bench/doctor.ts measures the speed itself).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, CATEGORIES, decodeEntities, diagnose, normalizeLog, toDoctorJson, TOOL_READERS } from '../../src/doctor/index.js';

const FRAGMENTS = [
  'Error: ', 'Info : ', 'Verify failed @ address 0x', 'Expected ', ' read ', 'Byte in module is $', ' and should be $', 'Ef(', 'Ee(', ')',
  'kStatus', 'Response status = ', 'RDP', ' : 0x', 'HFSR=', 'DPIDR', 'AP[', '] (IDR: ', 'CPUID register: ', '0x', 'FF', '7B',
  '&amp;', '&#x', '&#', ';', '<br>', '<', '>', '> ', '```', '\t', ' ', '  ', '\n', '\r\n', '"', '{"type":"error","error":', '}', '$',
  'avrdude: ', 'A fatal error occurred: ', 'No Algorithm found for: ', 'H - ', 'diff 0 address 0x', '. Was 0x', ' instead of 0x',
  '12:06:46:555 : ', 'openocd_1    | ', '37380     364    5120   42864    a770 boot.elf', 'BL_APP_VECTOR_TABLE_ADDRESS 0x1000A000',
];

const logish = fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 20 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 10 })), { maxLength: 200 }).map((a) => a.join(''));

function checkShape(text: string): void {
  const r = diagnose(text);
  expect(r.tool === null || TOOL_READERS.some((t) => t.id === r.tool)).toBe(true);
  const ids = new Set(BUILTIN_RULES.map((x) => x.id));
  for (const c of r.causes) {
    expect(CATEGORIES).toContain(c.category);
    expect(ids.has(c.rule)).toBe(true);
    expect(c.confidence).toBeGreaterThan(0);
    expect(c.evidence.every((e) => typeof e === 'string')).toBe(true);
  }
  const json = toDoctorJson(r);
  expect(Object.keys(json)).toEqual(['tool', 'facts', 'causes']);
  for (const c of json.causes) expect(Object.keys(c)).toEqual(['category', 'summary', 'evidence', 'fix', 'confidence']);
  JSON.stringify(json);
}

describe('doctor fuzzing', () => {
  it('arbitrary strings never throw and keep the report shape', () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (s) => { checkShape(s); }), { numRuns: 300 });
  });

  it('log-like strings built from the patterns\' own fragments', () => {
    fc.assert(fc.property(logish, (s) => { checkShape(s); }), { numRuns: 400 });
  });

  it('entity decoding and normalisation are total', () => {
    fc.assert(fc.property(fc.string({ maxLength: 500 }), (s) => {
      const d = decodeEntities(s);
      expect(typeof d).toBe('string');
      for (const l of normalizeLog(s)) expect(l.text.length).toBeLessThanOrEqual(2000);
    }), { numRuns: 300 });
  });

  it('hostile inputs: long runs that make naive patterns backtrack', () => {
    const n = 200_000;
    const hostile = [
      'a'.repeat(n), ' '.repeat(n), '0x'.repeat(n / 2), '0'.repeat(n), '&#x'.repeat(n / 3), '<'.repeat(n), '<a '.repeat(n / 3),
      'Verify failed at 0x' + '0'.repeat(n), 'Expected ' + '7B '.repeat(n / 3), 'Error: '.repeat(n / 7), '(((('.repeat(n / 4),
      'RDP' + ' '.repeat(n) + ':', 'DPIDR' + ' '.repeat(n), '1 '.repeat(n / 2), `${'9 '.repeat(n / 4)}\n`.repeat(4),
      'AP[0]' + 'x'.repeat(n) + '(IDR: 0x24770011)', 'kStatus_' + '_'.repeat(n), 'Ef(' + '1'.repeat(n), '> '.repeat(n / 2),
      'Byte in module is $FF and should be $' + 'F'.repeat(n), 'BL_APP_VECTOR_TABLE_ADDRESS' + ' '.repeat(n) + '0x1',
      '\n'.repeat(n), 'x\n'.repeat(n / 2), '{"type":"error","error":' + '{"cause":'.repeat(5000) + '}'.repeat(5000),
    ];
    for (const h of hostile) checkShape(h);
  });

  it('a single JSON record nested deeply or with odd types does not break the flashwright reader', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      checkShape(JSON.stringify({ type: 'error', error: v }));
      checkShape(JSON.stringify({ type: 'error', error: { code: v, message: v, context: v, cause: v } }));
    }), { numRuns: 200 });
  });
});
