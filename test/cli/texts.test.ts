/** Issue 10 §2: texts that lead to the fix — usage, I/O failures, cause chains, names. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { errorJson, errorLines, publicErrorName, type Io } from '../../src/cli/output.js';
import { FlashwrightError, type ErrorCode } from '../../src/core/errors.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { writeImage } from '../../src/flash/engine.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { uartRig } from '../mcuboot/helpers.js';

let dir: string;

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, out: out.join(''), err: err.join('') };
}

const STACK = /\n\s+at .+:\d+:\d+/;

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-cli-texts-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('flashwright with no arguments', () => {
  it('prints its help and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: flashwright');
    expect(r.err).toContain('write [options] <image>');
  });
});

describe('output paths are checked before any device work', () => {
  it('read into a missing folder: usage error, nothing read, no stack', async () => {
    const r = await run(['read', '0x08000000', '16', '/nonexistent/x.bin', '--via', 'sim', '--target', 'stm32f103xb']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: Cannot write the output file /nonexistent/x.bin: the folder /nonexistent does not exist.');
    expect(r.err).toContain('hint:');
    expect(r.err).not.toContain('read:'); // the device was not read first
    expect(r.err).not.toMatch(STACK);
  });
  it('read into a directory is refused up front', async () => {
    const r = await run(['read', '0x08000000', '16', dir, '--via', 'sim', '--target', 'stm32f103xb']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('it is a directory');
  });
  it('--sim-state in a missing folder: refused before the device is opened, also in JSON', async () => {
    const r = await run(['read', '0x08000000', '16', join(dir, 'x.bin'), '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', '/nonexistent/dir/s.json']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('the sim state file /nonexistent/dir/s.json (--sim-state)');
    expect(r.err).not.toContain('read:');
    expect(existsSync(join(dir, 'x.bin'))).toBe(false);
    const j = await run(['read', '0x08000000', '16', join(dir, 'x.bin'), '--via', 'sim', '--target', 'stm32f103xb', '--sim-state', '/nonexistent/dir/s.json', '--json']);
    expect(j.code).toBe(2);
    const lines = j.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).error).toMatchObject({ name: 'UsageError', code: 'USAGE' });
  });
  it('imxrt image -o into a missing folder is refused before the build', async () => {
    const app = join(dir, 'app.hex');
    writeFileSync(app, encodeImage(MemoryImage.fromSegments([{ address: 0x60002000, data: new Uint8Array(64) }]), 'hex'));
    const r = await run(['imxrt', 'image', app, '--part', 'rt1021', '-o', '/nonexistent/boot.bin']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Cannot write the output file /nonexistent/boot.bin (-o)');
    expect(r.err).not.toMatch(STACK);
  });
  it('convert into a missing folder is refused before reading the input', async () => {
    const r = await run(['convert', join(dir, 'missing.hex'), '/nonexistent/out.bin']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('/nonexistent does not exist');
  });
});

describe('error rendering', () => {
  it('caused by never repeats the message above it, and a cause keeps its hint', () => {
    const inner = new FlashwrightError('X' as ErrorCode, 'The device said 10203.', { hint: 'Reset the chip.' });
    const same = new FlashwrightError('Y' as ErrorCode, 'The device said 10203.', { cause: inner });
    expect(errorLines(same).join('\n')).not.toContain('caused by');
    expect(errorLines(same).join('\n')).toContain('hint: Reset the chip.');
    const outer = new FlashwrightError('Z' as ErrorCode, 'The write stopped at 0x1000.', { hint: 'Run again.', cause: inner });
    const text = errorLines(outer).join('\n');
    expect(text).toContain('caused by: The device said 10203.');
    expect(text).toContain('hint: Reset the chip.');
  });
  it('an interrupted write refused by the device (MCUboot 10203, stale cache) quotes its advice once, and says --skip once', async () => {
    const rigU = uartRig('MK64FN1M0');
    rigU.target.staleCache.enabled = true;
    const prog = new McubootProgrammer({ transport: rigU.transport });
    const app = (fill: number) => MemoryImage.fromSegments([{ address: 0x1000, data: new Uint8Array(0x1000).fill(fill) }]);
    await writeImage(prog, await prog.connect(), app(0x11), {});
    const failed: unknown = await writeImage(prog, await prog.connect(), app(0x22), {}).catch((e: unknown) => e);
    await prog.close();
    expect((failed as FlashwrightError).code).toBe('FLASH_INTERRUPTED');
    const text = errorLines(failed).join('\n');
    const count = (needle: string) => text.split(needle).length - 1;
    expect(count('A reset clears the stale view'), text).toBe(1);
    expect(count('--skip'), text).toBe(1);
    expect(text).not.toMatch(/fix the link/i);
    expect(text).toContain('caused by: WriteMemory at 0x00001000 failed with status 10203');
  });
  it('an internal error prints its message and no stack trace', async () => {
    const lines = errorLines(new TypeError('x is undefined')).join('\n');
    expect(lines).toContain('error: x is undefined');
    expect(lines).not.toMatch(STACK);
  });
  it('JSON error objects carry the public class name, not a bundler\'s rename', () => {
    class _FlashwrightError extends FlashwrightError {}
    const e = new _FlashwrightError('X' as ErrorCode, 'm');
    expect(e.name).toBe('_FlashwrightError');
    expect(publicErrorName(e)).toBe('FlashwrightError');
    expect(errorJson(new FlashwrightError('A' as ErrorCode, 'a', { cause: e })).cause).toMatchObject({ name: 'FlashwrightError', code: 'X' });
  });
});

describe('help and option texts', () => {
  it('sim mcuboot --help speaks of behaviour, not of seeds', async () => {
    const r = await run(['sim', 'mcuboot', '--help']);
    expect(r.out + r.err).not.toMatch(/seed/i);
    expect(r.out).toContain('flash cache');
  });
  it('imxrt option --explain takes the two-word form --flexspi-option accepts', async () => {
    const comma = await run(['imxrt', 'option', '--explain', '0xC1000007,0x20000000']);
    expect(comma.code).toBe(0);
    expect(comma.out).toContain('0xC1000007,0x20000000: quadspi-sdr');
    const spaced = await run(['imxrt', 'option', '--explain', '0xC1000007', '0x20000000']);
    expect(spaced.code).toBe(0);
    expect(spaced.out).toBe(comma.out);
    const missing = await run(['imxrt', 'option', '--explain', '0xC1000007']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('announces 1 extra word(s)');
  });
});

describe('paths that exist but are not what was asked for', () => {
  it('a serial --port that is a regular file is named as such, with no socat advice', async () => {
    const file = join(dir, 'not-a-tty');
    writeFileSync(file, '');
    const r = await run(['info', '--via', 'stm32-uart', '--port', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${file} is not a serial port or terminal.`);
    expect(r.err).not.toMatch(/socat/i);
  });
  it('a --pty path that exists and is no pty link does not suggest installing socat', async () => {
    const file = join(dir, 'taken');
    writeFileSync(file, '');
    const r = await run(['sim', 'stm32', '--chip', 'stm32f103xb', '--pty', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('already exists and is not a pseudo-terminal link');
    expect(r.err).not.toMatch(/install socat/i);
  });
});
