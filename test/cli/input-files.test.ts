/**
 * Issue 10 §2: every I/O failure is one sentence plus a hint, exit 2 for a missing or unreadable
 * input file (README: exit codes) — for every file option of every command. Never the system's
 * own text ("ENOENT: no such file or directory, open …") as a "caused by" that repeats the
 * sentence, never a stack trace, and a pty link in a missing folder does not suggest socat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';

let dir: string;
let folder: string;
let image: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-input-files-'));
  folder = join(dir, 'a-folder');
  mkdirSync(folder);
  image = join(dir, 'app.hex');
  writeFileSync(image, encodeImage(MemoryImage.fromSegments([{ address: 0x20000000, data: new Uint8Array(16).fill(0x5a) }]), 'hex'));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(args: string[]) {
  let text = '';
  const io: Io = { out: (t) => { text += t; }, err: (t) => { text += t; }, isTty: false };
  const code = await runCli(args, io);
  return { code, text };
}

/** Each file option, with the argument list for a given path. */
const CASES: Array<[string, (p: string) => string[], RegExp]> = [
  ['info <image>', (p) => ['info', p], /^error: (The image file \S+ does not exist|\S+ is a directory, not an image file)\./],
  ['write <image>', (p) => ['write', p, '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', join(dir, 's.json')], /^error: (The image file \S+ does not exist|\S+ is a directory, not an image file)\./],
  ['--target-file', (p) => ['plan', image, '--target-file', p], /^error: The target file \S+ (does not exist|is a directory, not a file)\./],
  ['targets show --target-file', (p) => ['targets', 'show', '--target-file', p], /^error: The target file \S+ (does not exist|is a directory, not a file)\./],
  ['doctor <log>', (p) => ['doctor', p], /^error: The log \S+ (does not exist|is a directory, not a file)\./],
  ['algo info <file>', (p) => ['algo', 'info', p], /^error: The flash algorithm file \S+ (does not exist|is a directory, not a file)\./],
  ['algo import-pyocd <module>', (p) => ['algo', 'import-pyocd', p], /^error: The pyOCD target module \S+ (does not exist|is a directory, not a file)\./],
  ['--algo (gdb)', (p) => ['write', image, '--via', 'gdb', '--gdb', '127.0.0.1:1', '--target', 'stm32f103xb', '--algo', p], /^error: The flash algorithm file \S+ (does not exist|is a directory, not a file)\./],
  ['imxrt recover --flashloader', (p) => ['imxrt', 'recover', '--flashloader', p, '--via', 'sdp-sim'], /^error: The flashloader \(--flashloader\) \S+ (does not exist|is a directory, not a file)\./],
];

describe('an input file that is missing or a folder', () => {
  for (const [name, args, message] of CASES) {
    for (const kind of ['missing', 'folder'] as const) {
      it(`${name}: ${kind} → one sentence and a hint, exit 2`, async () => {
        const r = await run(args(kind === 'missing' ? join(dir, 'no-such-file') : folder));
        expect(r.code, r.text).toBe(2);
        const lines = r.text.trimEnd().split('\n');
        expect(lines[0]).toMatch(message);
        expect(lines[1]).toMatch(/^hint: \S/);
        expect(lines, r.text).toHaveLength(2);
        expect(r.text).not.toMatch(/ENOENT|EISDIR|caused by|\s+at .*\.(js|ts):\d+/);
      });
    }
  }

  it('pack add of a missing path is a usage error (exit 2)', async () => {
    const r = await run(['pack', 'add', join(dir, 'no.pack')]);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(/^error: \S+no\.pack does not exist\.\nhint: /);
  });

  it.each(['stm32', 'mcuboot', 'sdp'])('sim %s --pty in a missing folder: a usage error before socat runs, no "install socat"', async (chip) => {
    const args = chip === 'sdp' ? ['sim', 'sdp'] : chip === 'stm32' ? ['sim', 'stm32', '--chip', 'stm32f103xb'] : ['sim', 'mcuboot', '--chip', 'MK64FN1M0'];
    const r = await run([...args, '--pty', join(dir, 'missing', 'tty')]);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(/^error: Cannot write the pty link \S+ \(--pty\): the folder \S+ does not exist\.\nhint: /);
    expect(r.text).not.toMatch(/socat/i);
  });
});
