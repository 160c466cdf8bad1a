import { describe, it, expect } from 'vitest';
import { LINE_PRESETS, formatLineSequence, parseLineSequence, runLineSequence } from '../../src/link/line-sequence.js';
import { createPipe } from '../../src/link/pipe.js';
import type { LineSignals } from '../../src/link/types.js';

describe('line sequences (--entry / --exit)', () => {
  it('parses steps and prints them back', () => {
    const steps = parseLineSequence('rts=1, dtr=1,wait=100,dtr=0,brk=1,break=0');
    expect(steps).toEqual([
      { kind: 'set', line: 'rts', value: true }, { kind: 'set', line: 'dtr', value: true }, { kind: 'wait', ms: 100 },
      { kind: 'set', line: 'dtr', value: false }, { kind: 'set', line: 'brk', value: true }, { kind: 'set', line: 'brk', value: false },
    ]);
    expect(formatLineSequence(steps)).toBe('rts=1,dtr=1,wait=100,dtr=0,brk=1,brk=0');
  });

  it('expands presets into their entry or exit half', () => {
    for (const [name, p] of Object.entries(LINE_PRESETS)) {
      expect(formatLineSequence(parseLineSequence(name, 'entry'))).toBe(p.entry);
      expect(formatLineSequence(parseLineSequence(name.toUpperCase(), 'exit'))).toBe(p.exit);
    }
    expect(parseLineSequence('none')).toEqual([]);
  });

  it('rejects malformed steps with a usage error listing the syntax and presets', () => {
    expect.assertions(6); // five codes, and the hint checked inside the catch below
    for (const bad of ['rts=2', 'dtr', 'wait=abc', 'cts=1', 'wait=999999']) {
      const err = (() => { try { parseLineSequence(bad); } catch (e) { return e as { code: string; hint?: string }; } })();
      expect(err?.code, bad).toBe('USAGE');
    }
    try { parseLineSequence('foo=1'); } catch (e) { expect((e as { hint: string }).hint).toContain('rts-reset-dtr-boot0'); }
  });

  it('drives the lines in order, sending a pulse on one line as two changes', async () => {
    const pipe = createPipe();
    const seen: LineSignals[] = [];
    pipe.device.onSignals = (s) => seen.push({ ...s });
    await runLineSequence(pipe.host, parseLineSequence('dtr=0,rts=1,wait=1,rts=0,brk=1,brk=0'));
    expect(seen).toEqual([
      { dtr: false, rts: true },
      { dtr: false, rts: false, brk: true },
      { dtr: false, rts: false, brk: false },
    ]);
  });

  it('refuses on a link without modem lines', async () => {
    const pipe = createPipe();
    const { setSignals: _lines, ...rest } = pipe.host;
    const noLines = { ...rest, write: pipe.host.write.bind(pipe.host) };
    await expect(runLineSequence(noLines, parseLineSequence('rts=1'))).rejects.toMatchObject({ code: 'USAGE' });
  });
});
