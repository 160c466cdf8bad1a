/** Descriptors: transfer encodings we cannot honour, and picking one entry of a probe-rs target file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { formatAlgorithmDescriptor, parseAlgorithmDescriptor } from '../../src/protocol/flash-algo/algorithm.js';
import { AlgorithmFormatError } from '../../src/protocol/flash-algo/errors.js';

const entry = (name: string, extra: Record<string, unknown> = {}) => ({
  name, instructions: 'AAAAAAAAAAA=', pc_program_page: '0x1', pc_erase_sector: 3, data_section_offset: 4,
  flash_properties: { address_range: { start: 0, end: '0x1000' }, page_size: 256, sectors: [{ size: '0x400', address: 0 }] }, ...extra,
});
const targetFile = (...names: string[]) => JSON.stringify({ name: 'family', variants: [{ name: 'chip' }], flash_algorithms: names.map((n) => entry(n)) });

const dir = mkdtempSync(join(tmpdir(), 'fw-algo-sel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('descriptor transfer_encoding', () => {
  it('refuses miniz (compressed page data) and any encoding but raw', () => {
    for (const enc of ['miniz', 'lz4']) {
      const e = (() => { try { parseAlgorithmDescriptor(JSON.stringify(entry('a', { transfer_encoding: enc })), 'a.yaml'); } catch (x) { return x; } })();
      expect(e).toBeInstanceOf(AlgorithmFormatError);
      expect((e as Error).message).toContain(`transfer_encoding '${enc}' is not supported`);
    }
    expect(parseAlgorithmDescriptor(JSON.stringify(entry('a', { transfer_encoding: 'raw' })), 'a.yaml').name).toBe('a');
  });
});

describe('descriptor other_ram', () => {
  it('round-trips the RAM regions besides the algorithm\'s own (page buffers may live there)', () => {
    const a = parseAlgorithmDescriptor(JSON.stringify(entry('a', { load_address: '0x10000000', ram: { start: '0x10000000', size: '0x8000' }, other_ram: [{ start: '0x2007C000', size: '0x8000' }] })), 'a.json');
    expect(a.otherRam).toEqual([{ start: 0x2007c000, size: 0x8000 }]);
    expect(parseAlgorithmDescriptor(formatAlgorithmDescriptor(a, 'yaml'), 'a.yaml').otherRam).toEqual(a.otherRam);
  });
});

describe('probe-rs target files with flash_algorithms', () => {
  it('takes the only entry', () => {
    expect(parseAlgorithmDescriptor(targetFile('only'), 't.yaml').name).toBe('only');
  });

  it('picks by name, and names the choices when it is ambiguous or unknown', () => {
    expect(parseAlgorithmDescriptor(targetFile('main', 'uicr'), 't.yaml', { name: 'uicr' }).name).toBe('uicr');
    expect(() => parseAlgorithmDescriptor(targetFile('main', 'uicr'), 't.yaml')).toThrow(/holds 2 flash algorithms \('main', 'uicr'\)/);
    const e = (() => { try { parseAlgorithmDescriptor(targetFile('main', 'uicr'), 't.yaml', { name: 'x' }); } catch (x) { return x as AlgorithmFormatError; } })();
    expect(e?.message).toContain("no flash algorithm named 'x'");
    expect(e?.hint).toContain('--algo-name with one of: main, uicr');
  });

  it('takes --algo-name on the command line (algo info, --via gdb)', async () => {
    const file = join(dir, 'family.yaml');
    writeFileSync(file, targetFile('main', 'uicr'));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false };
    expect(await runCli(['algo', 'info', file, '--algo-name', 'uicr', '--json'], io)).toBe(0);
    expect(JSON.parse(out.join('')).name).toBe('uicr');
    expect(await runCli(['algo', 'info', file], io)).toBe(1);
    expect(err.join('')).toContain('--algo-name NAME');
    expect(await runCli(['info', '--via', 'gdb', '--gdb', '127.0.0.1:9', '--algo-name', 'uicr'], io)).toBe(2);
    expect(err.join('')).toContain('--algo-name needs --algo FILE');
  });
});
