/**
 * Fuzzing the .pdsc reader (fast-check): any damage to a real-shaped .pdsc either parses or
 * throws PackFormatError with a message naming the file (never a TypeError or a hang); and
 * generated family → subFamily → device → variant trees inherit memory exactly as the
 * specification says (a lower level's element replaces the same-named one above it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashwrightError } from '../../src/core/errors.js';
import { PackFormatError } from '../../src/pack/errors.js';
import { filesFromMap } from '../../src/pack/files.js';
import { checkPack } from '../../src/pack/pack.js';
import { expandPackMacros, parsePdsc } from '../../src/pack/pdsc.js';
import { PDSC } from './fixture.js';

const edit = fc.record({ at: fc.nat(), len: fc.nat({ max: 12 }), insert: fc.string({ maxLength: 12, unit: fc.constantFrom('<', '>', '/', '"', '=', ' ', 'a', 'x', '0', '\\', '&', '\n', '!', '-', '?') }) });

describe('fuzzing the .pdsc reader', () => {
  it('damaged .pdsc text parses or fails with PackFormatError naming the file', () => {
    fc.assert(fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      let text = PDSC;
      for (const e of edits) { const at = e.at % (text.length + 1); text = text.slice(0, at) + e.insert + text.slice(at + e.len); }
      let parsed = false;
      try {
        const p = parsePdsc(text, 'fuzz.pdsc');
        parsed = true;
        for (const d of p.devices) for (const m of d.memories) expect(Number.isInteger(m.start) && Number.isInteger(m.size)).toBe(true);
        // Turning every device into a target (the FLMs are absent here) only ever fails with named errors.
        const { errors } = checkPack({ id: `${p.vendor}.${p.name}`, pdsc: p, files: filesFromMap({}, 'fuzz') });
        for (const err of errors) expect(err, String(err)).toBeInstanceOf(FlashwrightError);
      } catch (e) {
        expect(parsed, String(e)).toBe(false);
        expect(e).toBeInstanceOf(PackFormatError);
        expect((e as Error).message).toMatch(/^fuzz\.pdsc /);
      }
    }), { numRuns: 400 });
  });

  const memory = fc.record({ name: fc.constantFrom('Flash', 'SRAM', 'IROM1', 'IRAM1', 'OTP'), start: fc.nat({ max: 0xffff }), size: fc.integer({ min: 1, max: 0xffff }) });
  const level = fc.array(memory, { maxLength: 3 });

  it('generated trees inherit memory level by level, the lower level replacing a same-named element', () => {
    fc.assert(fc.property(level, level, level, level, (fam, sub, dev, variant) => {
      const mem = (ms: typeof fam) => ms.map((m) => `<memory name="${m.name}" access="rx" start="0x${m.start.toString(16)}" size="${m.size}"/>`).join('');
      const text = `<?xml version="1.0"?><package><vendor>V</vendor><name>N</name><releases><release version="1.0.0"/></releases><devices>
        <family Dfamily="F" Dvendor="V:1"><processor Dcore="Cortex-M4"/>${mem(fam)}<subFamily DsubFamily="S">${mem(sub)}
        <device Dname="D">${mem(dev)}<variant Dvariant="DV">${mem(variant)}</variant></device></subFamily></family></devices></package>`;
      const p = parsePdsc(text, 'gen.pdsc');
      const expected = new Map<string, { start: number; size: number }>();
      for (const lvl of [fam, sub, dev, variant]) {
        // Within one level a later same-named element also replaces an earlier one.
        for (const m of lvl) { expected.delete(m.name); expected.set(m.name, { start: m.start, size: m.size }); }
      }
      const got = p.devices.find((d) => d.name === 'DV')!;
      expect(new Map(got.memories.map((m) => [m.name, { start: m.start, size: m.size }]))).toEqual(expected);
      expect(got.processors[0]!.core).toBe('Cortex-M4');
    }), { numRuns: 300 });
  });

  it('$ macros: any path expands to one without a stray $, or is named with its problem', () => {
    fc.assert(fc.property(fc.string({ maxLength: 16, unit: fc.constantFrom('$', 'D', 'S', 'P', 'B', 'Q', 'x', '/', '\\') }), (path) => {
      const r = expandPackMacros(path, 'DEV');
      if (r.problem) { expect(r.path).toBe(path); return; }
      // Every $ left is one written as $$; no macro letter survives a $.
      const pairs = (path.match(/\$\$/g) ?? []).length;
      expect((r.path.match(/\$/g) ?? []).length).toBe(pairs);
      expect(r.path.replace(/DEV/g, '').length).toBeLessThanOrEqual(path.length);
    }), { numRuns: 500 });
  });
});
