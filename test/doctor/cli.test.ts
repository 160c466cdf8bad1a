/** `flashwright doctor` and `flashwright explain` through the CLI. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-doctor-cli-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(args: string[]) {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, isTty: false };
  const code = await runCli(args, io);
  return { code, out, err };
}

const OPENOCD = ['Open On-Chip Debugger 0.12.0', 'Info : STLINK V2J40S7 (API v2) VID:PID 0483:3748', 'Info : Target voltage: 3.40', 'Error: init mode failed (unable to connect to the target)'].join('\n');

describe('flashwright doctor', () => {
  it('--json prints exactly { tool, facts, causes[{category, summary, evidence, fix, confidence}] }', async () => {
    writeFileSync(join(dir, 'o.log'), OPENOCD);
    const r = await run(['doctor', join(dir, 'o.log'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['tool', 'facts', 'causes']);
    expect(j.tool).toBe('openocd');
    expect(j.facts).toMatchObject({ probe: 'ST-LINK V2J40S7', targetVoltage: 3.4 });
    expect(Object.keys(j.causes[0])).toEqual(['category', 'summary', 'evidence', 'fix', 'confidence']);
    expect(j.causes[0]).toMatchObject({ category: 'connection', evidence: ['Error: init mode failed (unable to connect to the target)'] });
  });

  it('text output names the tool, facts, causes with evidence, fixes and sources', async () => {
    const r = await run(['doctor', join(dir, 'o.log')]);
    expect(r.out).toMatch(/^tool: OpenOCD\n/);
    expect(r.out).toMatch(/1\. \[connection\] OpenOCD reached the probe/);
    expect(r.out).toMatch(/> Error: init mode failed/);
    expect(r.out).toMatch(/source: /);
  });

  it('a log nothing explains: facts and an honest "no known cause", empty causes in JSON', async () => {
    writeFileSync(join(dir, 'n.log'), 'Info : Listening on port 3333 for gdb connections\nError: something nobody has seen before\n');
    const t = await run(['doctor', join(dir, 'n.log')]);
    expect(t.out).toMatch(/no known cause/);
    expect(t.out).toMatch(/> Error: something nobody has seen before/);
    const j = JSON.parse((await run(['doctor', join(dir, 'n.log'), '--json'])).out);
    expect(j).toMatchObject({ tool: 'openocd', causes: [] });
  });

  it('reads standard input for -, and a missing file is a usage error', () => {
    const cli = resolve(import.meta.dirname, '../../src/cli/main.ts');
    const p = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor', '-', '--json'], { input: OPENOCD, encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).tool).toBe('openocd');
  });

  it('a missing file is a usage error (exit 2)', async () => {
    const r = await run(['doctor', join(dir, 'nope.log')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/The log \S*nope\.log does not exist\./);
  });
});

describe('option bytes listed by STM32CubeProgrammer', () => {
  it('become facts, and RDP among them is decoded', async () => {
    writeFileSync(join(dir, 'ob.log'), [
      '      STM32CubeProgrammer v2.15.0', 'Device name : STM32L4xx', 'OPTION BYTES BANK: 0', '', '   Read Out Protection:', '',
      '     RDP          : 0xBB (Level 1, read protection active)', '', '   BOR Level:', '', '     BOR_LEV      : 0x0 (BOR Level 0, reset level threshold is around 1.7 V)',
      '   User Configuration:', '     nBOOT0       : 0x1 (nBOOT0=1)', '     nSWBOOT0     : 0x1 (BOOT0 taken from PH3/BOOT0 pin)', 'Error: failed to download Segment[0]',
    ].join('\n'));
    const j = JSON.parse((await run(['doctor', join(dir, 'ob.log'), '--json'])).out);
    expect(j.facts.optionBytes).toEqual({ RDP: 0xbb, BOR_LEV: 0, nBOOT0: 1, nSWBOOT0: 1 });
    expect(j.facts.rdp).toMatchObject({ value: 0xbb, level: 1 });
    expect(j.causes[0]).toMatchObject({ category: 'protection-security' });
  });
});

describe('doctor --rules: knowledge added without code', () => {
  it('an extra YAML rule explains a log the bundled rules do not; a broken one is a usage error', async () => {
    writeFileSync(join(dir, 'x.log'), 'Info : Listening on port 3333\nError: frobnicator overheated at 0x20001000\n');
    writeFileSync(join(dir, 'extra.yaml'), [
      'rules:',
      '  - id: local.frobnicator',
      '    category: power-reset',
      '    summary: The frobnicator on this board overheats.',
      '    any: ["frobnicator overheated"]',
      '    fix: ["Let it cool down."]',
      '    confidence: 0.6',
      '    source: our bench notes',
      '    example: ["Error: frobnicator overheated"]',
    ].join('\n'));
    const j = JSON.parse((await run(['doctor', join(dir, 'x.log'), '--rules', join(dir, 'extra.yaml'), '--json'])).out);
    expect(j.causes[0]).toMatchObject({ category: 'power-reset', evidence: ['Error: frobnicator overheated at 0x20001000'] });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ rules: [{ id: 'b', category: 'other', summary: 's', any: ['(a+)+'], fix: ['f'], confidence: 0.5, source: 's', example: ['a'] }] }));
    const bad = await run(['doctor', join(dir, 'x.log'), '--rules', join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/is not valid: Rule b: pattern .* is unsafe/);
  });
});

describe('flashwright explain', () => {
  it('prints the decoded value with its source; --json gives the list', async () => {
    const r = await run(['explain', 'Ef(11)']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/LinkServer Ef\(11\) "No flash configured at the specified address\."/);
    expect(r.out).toMatch(/source: /);
    const j = JSON.parse((await run(['explain', 'HFSR=0x80000000', '--json'])).out);
    expect(j.explanations[0]).toMatchObject({ kind: 'fault' });
  });

  it('an error string of several words, and an unknown token (exit 1)', async () => {
    const r = await run(['explain', 'Error:', 'open', 'failed']);
    expect(r.out).toMatch(/connection: OpenOCD could not open the debug probe/);
    const u = await run(['explain', 'zzz']);
    expect(u.code).toBe(1);
    expect(u.out).toMatch(/nothing known about 'zzz'/);
  });
});
