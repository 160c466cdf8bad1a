import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { buildElf } from './helpers/make-elf.js';

const dir = mkdtempSync(join(tmpdir(), 'fw-cli-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, isTty: false });
  return { code, out, err };
}

const text = Uint8Array.from({ length: 40 }, (_, i) => i);
const elfPath = join(dir, 'app.elf');
writeFileSync(elfPath, buildElf({
  entry: 0x08000009,
  segments: [{ paddr: 0x08000000, vaddr: 0x08000000, data: text, memsz: 40 }, { paddr: 0x08000028, vaddr: 0x20000000, data: Uint8Array.from([9, 9]), memsz: 8 }],
  sections: [{ name: '.text', address: 0x08000000, data: text, flags: 6, segment: 0 }, { name: '.data', address: 0x20000000, data: Uint8Array.from([9, 9]), flags: 3, segment: 1 }],
}));

describe('flashwright info', () => {
  it('shows format, segments with ELF sections, entry point and CRC-32', async () => {
    const r = await run('info', elfPath);
    expect(r.code).toBe(0);
    expect(r.out).toContain('(ELF, ARM)');
    expect(r.out).toContain('entry point: 0x08000009');
    expect(r.out).toMatch(/0x08000000–0x08000029 +42 B {2}CRC-32 0x[0-9A-F]{8} {2}\.text, \.data/);
    const j = JSON.parse((await run('info', elfPath, '--json')).out);
    expect(j).toMatchObject({ format: 'elf', entryPoint: 0x08000009, size: 42, segments: [{ start: 0x08000000, end: 0x0800002a, sections: ['.text', '.data'] }] });
    expect(j.crc32).toBe(MemoryImage.fromSegments([{ address: 0x08000000, data: Uint8Array.from([...text, 9, 9]) }]).crc32());
  });

  it('exits 1 with file, line and hint for a bad file, 2 for usage errors', async () => {
    const bad = join(dir, 'bad.hex');
    writeFileSync(bad, ':00000001FE\n');
    const r = await run('info', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${bad} line 1 (checksum): the record checksum does not match its contents: expected 0xFF, found 0xFE.`);
    expect(r.err).toContain('hint: ');
    const j = JSON.parse((await run('info', bad, '--json')).out);
    expect(j.error).toMatchObject({ code: 'IMAGE_BAD_CHECKSUM', context: { line: 1, field: 'checksum', expected: '0xFF', found: '0xFE' } });
    expect((await run('info', join(dir, 'missing.hex'))).code).toBe(2);
    expect((await run('info', elfPath, '--format', 'zip')).code).toBe(2);
    expect((await run('info', elfPath, '--base', '0x1000')).code).toBe(2);
    expect((await run('info')).code).toBe(2);
  });
});

describe('flashwright convert', () => {
  it('converts by output extension, honours --format, --record-size, --fill and --base', async () => {
    const hexPath = join(dir, 'app.hex');
    expect((await run('convert', elfPath, hexPath, '--record-size', '32')).code).toBe(0);
    const hex = readFileSync(hexPath, 'utf8');
    expect(hex.split('\n')[1]!.slice(0, 3)).toBe(':20');
    const srecOut = join(dir, 'app.out');
    expect((await run('convert', hexPath, srecOut, '--format', 'srec')).code).toBe(0);
    expect(readFileSync(srecOut, 'utf8').startsWith('S0')).toBe(true);
    const binPath = join(dir, 'app.bin');
    const r = await run('convert', srecOut, binPath);
    expect(r.code).toBe(0);
    expect(r.err).toContain('read it back with --base 0x08000000');
    expect(Array.from(readFileSync(binPath))).toEqual([...text, 9, 9]);
    const back = join(dir, 'back.hex');
    expect((await run('convert', binPath, back, '--base', '0x08000000')).code).toBe(0);
    expect((await run('info', back, '--json')).out).toContain('"start": 134217728');
  });

  it('refuses huge binary gaps unless --force, leaving no file behind', async () => {
    const far = join(dir, 'far.hex');
    writeFileSync(far, encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: Uint8Array.from([1]) }, { address: 0x60000000, data: Uint8Array.from([2]) }]), 'hex'));
    const out = join(dir, 'far.bin');
    const r = await run('convert', far, out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('between the segment at 0x08000000–0x08000000');
    expect(r.err).toContain('0x60000000–0x60000000');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects bad options with exit code 2', async () => {
    const hexPath = join(dir, 'app.hex');
    expect((await run('convert', elfPath, join(dir, 'x.unknown'))).code).toBe(2);
    expect((await run('convert', elfPath, join(dir, 'x.elf'))).code).toBe(2);
    expect((await run('convert', elfPath, hexPath, '--record-size', '20')).code).toBe(2);
    expect((await run('convert', elfPath, join(dir, 'x.bin'), '--fill', '0x100')).code).toBe(2);
  });

  it('explains bad --record-size and --fill values with a hint', async () => {
    const cases: [string[], string][] = [
      [['--record-size', '20'], 'record-size 16'], [['--fill', '-1'], '0 to 255'], [['--fill', 'zz'], '0 to 255'],
    ];
    for (const [opts, hint] of cases) {
      const r = await run('convert', elfPath, join(dir, 'opt.bin'), ...opts);
      expect(r.code, opts.join(' ')).toBe(2);
      expect(r.err, opts.join(' ')).toMatch(new RegExp(`hint: .*${hint}`));
    }
  });

  it('refuses an input with no data (exit 1, no file written) and says when --fill does nothing', async () => {
    const empty = join(dir, 'empty.hex');
    writeFileSync(empty, ':00000001FF\n');
    const out = join(dir, 'empty.bin');
    const r = await run('convert', empty, out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${empty} holds no data, so there is nothing to write to ${out}.`);
    expect(r.err).toContain('hint: ');
    expect(existsSync(out)).toBe(false);
    const filled = await run('convert', elfPath, join(dir, 'fill.hex'), '--fill', '0x00');
    expect(filled.code).toBe(0);
    expect(filled.err).toContain('warning: --fill has no effect on Intel HEX output');
    expect((await run('convert', elfPath, join(dir, 'nofill.hex'))).err).not.toContain('--fill');
  });

  it('a directory or unreadable input is a usage error (exit 2)', async () => {
    for (const argv of [['info', dir], ['convert', dir, join(dir, 'd.hex')]]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(`${dir} is a directory, not an image file.`);
    }
  });
});

describe('loadImageFile on files larger than one read chunk', () => {
  it('parses HEX and S-record files across 4 MiB chunk boundaries exactly', async () => {
    const { loadImageFile } = await import('../../src/cli/load-image.js');
    const data = Uint8Array.from({ length: 3 * 1024 * 1024 + 77 }, (_, i) => (i * 131 + (i >> 9)) & 0xff);
    const img = MemoryImage.fromSegments([{ address: 0x08000000, data }, { address: 0x90000000, data: Uint8Array.from([1, 2, 3]) }], 0x08000101);
    for (const [name, format] of [['big.hex', 'hex'], ['big.s37', 'srec']] as const) {
      const p = join(dir, name);
      writeFileSync(p, encodeImage(img, format, { crlf: format === 'hex' }));
      const l = loadImageFile(p);
      expect(l.format).toBe(format);
      expect(l.warnings).toEqual([]);
      expect(l.image.segments.length).toBe(2);
      expect(Buffer.compare(l.image.segments[0]!.data, data)).toBe(0);
      expect(Array.from(l.image.segments[1]!.data)).toEqual([1, 2, 3]);
    }
  });
});
