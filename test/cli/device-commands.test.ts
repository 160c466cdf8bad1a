import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { loadImageFile } from '../../src/cli/load-image.js';
import { createProgressSink } from '../../src/cli/progress.js';

let dir: string;
const BLINKY = join(import.meta.dirname, '../../examples/blinky-stm32f103.hex');

function capture(isTty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, isTty };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

async function run(args: string[], isTty = false) {
  const c = capture(isTty);
  const code = await runCli(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

/** A small Cortex-M image written as Intel HEX (independent of the example firmware). */
function hexFile(name: string, address: number, data: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, encodeImage(MemoryImage.fromSegments([{ address, data }]), 'hex'));
  return path;
}

function firmware(size: number, fill = 0x11): Uint8Array {
  const d = new Uint8Array(size).fill(fill);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, 0x20005000, true);
  dv.setUint32(4, 0x08000041, true);
  return d;
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-cli-engine-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('write / read / verify / erase via sim with a state file', () => {
  it('writes, then skips every sector on the second run, and reads back', async () => {
    const state = join(dir, 'main.json');
    const image = existsSync(BLINKY) ? BLINKY : hexFile('fw.hex', 0x08000000, firmware(0x900));
    const expected = loadImageFile(image).image;
    const first = await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/STM32F103xB: \d+ sector\(s\) written/);
    expect(first.out).toContain('verify: digest over');
    expect(first.err).toContain('program: done');
    const second = await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/0 sector\(s\) written \(0 erased\), \d+ skipped/);
    expect(second.out).toContain('nothing to do');
    const out = join(dir, 'out.bin');
    const len = expected.end! - expected.start!;
    const r = await run(['read', '--via', 'sim', '--sim-state', state, '--target', 'stm32f103xb', `0x${expected.start!.toString(16)}`, String(len), out]);
    expect(r.code).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(expected.read(expected.start!, len));
    const v = await run(['verify', image, '--via', 'sim', '--sim-state', state, '--target', 'stm32f103xb', '--method', 'readback']);
    expect(v.code).toBe(0);
    expect(v.out).toContain('by readback: OK');
  });

  it('erases a range and verify then fails with the first differing address', async () => {
    const state = join(dir, 'erase.json');
    const image = hexFile('e.hex', 0x08000000, firmware(0x800));
    expect((await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state])).code).toBe(0);
    const e = await run(['erase', '0x08000400', '1K', '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(e.code).toBe(0);
    expect(e.out).toContain('erased 1 sector(s), 1 KiB');
    const v = await run(['verify', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(v.code).toBe(1);
    expect(v.err).toContain('error: Verify failed at 0x08000400 (sector 0x08000400, 1024 bytes): expected 0x11, read 0xFF.');
    const bad = await run(['erase', '0x08000100', '1K', '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('inside the sector 0x08000000–0x080003FF');
    expect((await run(['erase', '--all', '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state])).code).toBe(2);
    const all = await run(['erase', '--all', '--yes', '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(all.out).toContain('mass erase');
  });

  it('streams JSON events and a result line with --json', async () => {
    const state = join(dir, 'json.json');
    const image = hexFile('j.hex', 0x08000000, firmware(0x500));
    const r = await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state, '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    const kinds = lines.map((l) => (l.type === 'event' ? l.event.type : l.type));
    expect(kinds[0]).toBe('start');
    expect(kinds).toContain('plan');
    expect(kinds.at(-1)).toBe('result');
    const result = lines.at(-1);
    expect(result).toMatchObject({ command: 'write', target: 'STM32F103xB', sectorsWritten: 2, verify: 'digest' });
    expect(result.plan.operations.map((o: { kind: string }) => o.kind)).toEqual(['program', 'program']);
  });

  it('refuses a state file made for another target', async () => {
    const state = join(dir, 'other.json');
    await run(['write', hexFile('o.hex', 0x08000000, firmware(0x100)), '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    const r = await run(['read', '0x08000000', '4', join(dir, 'x.bin'), '--target', 'stm32f407xg', '--via', 'sim', '--sim-state', state]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('holds a STM32F103xB, not a STM32F407xG');
  });

  it('keeps what was written before a failure in the state file (no silent corruption)', async () => {
    const state = join(dir, 'wp.json');
    const image = hexFile('w.hex', 0x08000000, firmware(0x400));
    await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    saved.regions[0].protectedSectors = [0x08000000];
    writeFileSync(state, JSON.stringify(saved));
    const other = hexFile('w2.hex', 0x08000000, firmware(0x400, 0x22));
    const r = await run(['write', other, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Sector 0x08000000 of flash is write-protected');
    const v = await run(['verify', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(v.code).toBe(0);
  });
});

describe('plan and check', () => {
  it('prints a table and a memory map, and JSON operations in execution order', async () => {
    const image = hexFile('p.hex', 0x08000200, firmware(0x500));
    const t = await run(['plan', image, '--target', 'stm32f103xb']);
    expect(t.code).toBe(0);
    expect(t.out).toContain('preserve    0x08000000–0x080001FF    512 B');
    // Runs of identical operations are one row; --verbose shows one per sector.
    expect(t.out).toMatch(/erase\s+0x08000000–0x080007FF\s+2 KiB\s+flash, 2 sectors/);
    const v = await run(['plan', image, '--target', 'stm32f103xb', '--verbose']);
    expect(v.out).toMatch(/erase\s+0x08000000\s+1 KiB/);
    expect(v.out).toMatch(/erase\s+0x08000400\s+1 KiB/);
    expect(t.out).toMatch(/flash\s+0x08000000 \|K\.+\| 0x0801FFFF  \(2 sectors per mark\)/);
    const j = await run(['plan', image, '--target', 'stm32f103xb', '--json']);
    const plan = JSON.parse(j.out);
    expect(plan.operations.map((o: { kind: string; address: number; size: number }) => [o.kind, o.address, o.size])).toEqual([
      ['preserve', 0x08000000, 0x200], ['preserve', 0x08000700, 0x100],
      ['erase', 0x08000000, 0x400], ['erase', 0x08000400, 0x400],
      ['program', 0x08000000, 0x400], ['program', 0x08000400, 0x400],
    ]);
    const np = JSON.parse((await run(['plan', image, '--target', 'stm32f103xb', '--json', '--no-preserve'])).out);
    expect(np.operations.map((o: { kind: string }) => o.kind)).toEqual(['erase', 'erase', 'program', 'program']);
  });

  it('plan --via sim shows the skips the device allows', async () => {
    const state = join(dir, 'plan.json');
    const image = hexFile('pv.hex', 0x08000000, firmware(0x800));
    await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    const j = JSON.parse((await run(['plan', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state, '--json'])).out.trim().split('\n').at(-1)!);
    expect(j.operations.map((o: { kind: string }) => o.kind)).toEqual(['skip', 'skip']);
  });

  it('refuses data outside memory with the nearest regions', async () => {
    const r = await run(['plan', hexFile('x.hex', 0x60000000, firmware(0x10)), '--target', 'stm32f103xb']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error: No flash is configured at 0x60000000');
    expect(r.err).toContain('hint:');
  });

  it('check: OK, and the seed 002 refusal with exit code 1', async () => {
    expect((await run(['check', hexFile('c.hex', 0x08000000, firmware(0x100)), '--target', 'stm32f103xb'])).out).toContain('check: OK for STM32F103xB');
    const k = firmware(0x800);
    new DataView(k.buffer).setUint32(0, 0x20000000, true);
    new DataView(k.buffer).setUint32(4, 0x41, true);
    k.fill(0xff, 0x400, 0x410);
    k[0x40c] = 0x7b;
    const r = await run(['check', hexFile('k.hex', 0, k), '--target', 'mk64fn1m0']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Expected 7B read 7A at 0x40C');
    expect(r.out).toContain('hint: Set FSEC to 0xFE');
    const ok = await run(['check', join(dir, 'k.hex'), '--target', 'mk64fn1m0', '--allow-secure', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).findings[0].id).toBe('kinetis.fsec-secure.allowed');
    const w = await run(['write', join(dir, 'k.hex'), '--target', 'mk64fn1m0', '--via', 'sim', '--sim-state', join(dir, 'k.json')]);
    expect(w.code).toBe(1);
    expect(existsSync(join(dir, 'k.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'k.json'), 'utf8')).regions.every((r: { chunks: unknown[] }) => r.chunks.length === 0)).toBe(true);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['plan', join(dir, 'p.hex')])).code).toBe(2);
    expect((await run(['write', join(dir, 'p.hex'), '--target', 'stm32f103xb'])).code).toBe(2);
    expect((await run(['write', join(dir, 'p.hex'), '--target', 'stm32f103xb', '--via', 'sim', '--verify', 'maybe'])).code).toBe(2);
  });
});

describe('progress display', () => {
  const events = [
    { type: 'start', phase: 'erase', totalBytes: 2048, message: 'Erasing 2 sector(s)' },
    { type: 'progress', phase: 'erase', bytesDone: 1024, totalBytes: 2048 },
    { type: 'finish', phase: 'erase', totalBytes: 2048, elapsedMs: 3 },
    { type: 'log', level: 'warn', message: 'careful' },
  ] as const;
  it('draws a bar on a terminal', () => {
    const c = capture(true);
    const sink = createProgressSink(c.io);
    for (const e of events) sink(e);
    expect(c.err()).toContain('\rerase      [###############---------------]  50%  1 KiB / 2 KiB');
    expect(c.err()).toContain('warning: careful');
  });
  it('write draws bars per phase on a terminal and puts the memory map on stderr', async () => {
    const state = join(dir, 'tty.json');
    await run(['write', hexFile('t0.hex', 0x08000000, firmware(0x800, 0x77)), '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    const r = await run(['write', hexFile('t.hex', 0x08000000, firmware(0x800)), '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state], true);
    expect(r.code).toBe(0);
    for (const phase of ['read', 'erase', 'program', 'verify']) expect(r.err).toMatch(new RegExp(`\\r${phase}\\s+\\[#{30}\\] 100%`));
    expect(r.err).toMatch(/flash\s+0x08000000 \|E\.+\|/);
  });

  it('prints plain lines otherwise', () => {
    const c = capture(false);
    const sink = createProgressSink(c.io);
    for (const e of events) sink(e);
    expect(c.err()).toBe('erase: Erasing 2 sector(s) (2 KiB)\nerase: done in 3 ms\nwarning: careful\n');
  });
});

describe('showDeviceInfo', () => {
  it('prints ids, protection and the memory map of a connected device, or JSON', async () => {
    const { showDeviceInfo } = await import('../../src/cli/device.js');
    const c = capture();
    await showDeviceInfo({ via: 'sim', target: 'stm32f103xb', simState: join(dir, 'info.json') }, c.io);
    expect(c.out()).toContain('target:     STM32F103xB');
    expect(c.out()).toContain('protection: none');
    expect(c.out()).toMatch(/flash\s+flash\s+0x08000000–0x0801FFFF\s+128 KiB, 128 sectors/);
    const j = capture();
    await showDeviceInfo({ via: 'sim', target: 'stm32f103xb', json: true }, j.io);
    expect(JSON.parse(j.out())).toMatchObject({ type: 'device', target: 'STM32F103xB', ids: { simulated: 'STM32F103xB' } });
    await expect(showDeviceInfo({ target: 'stm32f103xb' }, j.io)).rejects.toThrow(/needs --via/);
  });
});

describe('the main job as a user runs it (spawned CLI)', () => {
  it('write with a reset mid-write fails clearly, the next write completes, read gives the image back', async () => {
    const { spawnSync } = await import('node:child_process');
    const main = join(import.meta.dirname, '../../src/cli/main.ts');
    const state = join(dir, 'spawn.json');
    const image = hexFile('s.hex', 0x08000000, firmware(0x1800, 0x33));
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', timeout: 60000 });
    const common = ['--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state];
    // Put an older build there first so the write has to erase.
    expect(cli('write', hexFile('old.hex', 0x08000000, firmware(0x1800, 0x44)), ...common).status).toBe(0);
    const broken = cli('write', image, ...common, '--sim-fault', 'reset-after-bytes=3000');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('error: The write stopped during program after 6 sector(s) erased and 1 range(s) programmed: The device reset while programming flash at 0x08000B00; bytes from 0x08000BB8 on were not written.');
    expect(broken.stderr).toContain('hint: The device is partly written');
    const again = cli('write', image, ...common);
    expect(again.status).toBe(0);
    // Sectors 0–1 are right (skipped), 2 is half-written (erase again), 3–5 are still erased (program only).
    expect(again.stdout).toMatch(/STM32F103xB: 4 sector\(s\) written \(1 erased\), 2 skipped/);
    const out = join(dir, 'spawn.bin');
    expect(cli('read', ...common, '0x08000000', '0x1800', out).status).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(firmware(0x1800, 0x33));
    expect(cli('write', image, ...common, '--sim-fault', 'explode').status).toBe(2);
  }, 120000);
});

describe('--target-file', () => {
  it('seed 003 through the CLI: a user description with a bootloader refuses an overlapping application', async () => {
    const tf = join(dir, 'kv58-bl.yaml');
    writeFileSync(tf, 'extends: mkv58f1m0\nname: KV58-with-bootloader\nreserved:\n  - { start: 0x10000000, size: 0xA770, owner: application bootloader }\n');
    const app = hexFile('app.hex', 0x1000a000, firmware(0x2000));
    const r = await run(['write', app, '--target-file', tf, '--via', 'sim', '--sim-state', join(dir, 'kv.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error: Image data at 0x1000A000–0x1000A76F');
    expect(r.err).toContain('overlaps the application bootloader area 0x10000000–0x1000A76F (0xA770 bytes).');
    expect(r.err).toMatch(/hint: Link the application at or above 0x1000[B-F]000/);
  });

  it('an empty image fails with exit 1 in every command (issue 10 §1)', async () => {
    const empty = join(dir, 'empty.hex');
    writeFileSync(empty, ':00000001FF\n');
    for (const args of [['write', empty, '--target', 'stm32f103xb', '--via', 'sim'], ['verify', empty, '--target', 'stm32f103xb', '--via', 'sim'],
      ['plan', empty, '--target', 'stm32f103xb'], ['check', empty, '--target', 'stm32f103xb'], ['info', empty], ['convert', empty, join(dir, 'empty-out.bin')]]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toContain('holds no data');
    }
  });
});

describe('sim state file errors', () => {
  it('a corrupt or foreign state file is refused with a hint, and left untouched', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const r = await run(['read', '0x08000000', '4', join(dir, 'y.bin'), '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: The sim state file ${bad} is not valid JSON.`);
    expect(r.err).toContain('hint: Delete it to start from an erased device.');
    expect(readFileSync(bad, 'utf8')).toBe('{ not json');
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    expect((await run(['read', '0x08000000', '4', join(dir, 'y.bin'), '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', bad])).err).toContain('is not a flashwright sim state file');
  });
});
