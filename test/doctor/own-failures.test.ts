/**
 * Issue 11 §5: flashwright's own failures, recorded by running the CLI against simulators
 * (injected faults, protection, wrong target, unconfigured FlexSPI, the seed-003 stale cache)
 * with --json; doctor must read each record back and name the cause. Text-mode failures end
 * with the pointer to doctor, and --explain prints the causes inline.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import '../../src/cli/vias/index.js';
import type { Io } from '../../src/cli/output.js';
import { diagnose } from '../../src/doctor/index.js';
import { MAX_LINE } from '../../src/doctor/normalize.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { createPipe } from '../../src/link/pipe.js';
import { exposeOnPty, type PtyExposure } from '../../src/sim/node-pty.js';
import { McubootUartSim } from '../../src/sim/mcuboot/uart.js';
import { McubootSimTarget } from '../../src/sim/mcuboot/target.js';
import { mcubootChip } from '../../src/sim/mcuboot/chips.js';
import { needs } from '../helpers/peers.js';

const socat = needs('socat');
let dir: string;

async function run(args: string[]) {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, isTty: false };
  const code = await runCli(args, io);
  return { code, out, err };
}

function hexFile(name: string, address: number, data: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, encodeImage(MemoryImage.fromSegments([{ address, data }]), 'hex'));
  return path;
}

function firmware(size: number, fill: number): Uint8Array {
  const d = new Uint8Array(size).fill(fill);
  new DataView(d.buffer).setUint32(0, 0x20005000, true);
  new DataView(d.buffer).setUint32(4, 0x08000041, true);
  return d;
}

/** Runs a failing command with --json, keeps the transcript, and returns doctor's report on it. */
async function transcript(name: string, args: string[]) {
  const r = await run([...args, '--json']);
  expect(r.code, `${name}: ${r.out}${r.err}`).toBe(1);
  writeFileSync(join(dir, `${name}.jsonl`), r.out);
  return diagnose(readFileSync(join(dir, `${name}.jsonl`), 'utf8'));
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-doctor-own-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const sim = (state: string, target = 'stm32f103xb') => ['--target', target, '--via', 'sim', '--sim-state', join(dir, state)];

describe('doctor reads flashwright\'s own --json failure records (CLI against --via sim)', () => {
  it('injected program failure → the device reported a failed call', async () => {
    const r = await transcript('fail-program', ['write', hexFile('a.hex', 0x08000000, firmware(0x900, 0x11)), ...sim('fp.json'), '--sim-fault', 'fail-program=1']);
    expect(r.tool).toBe('flashwright');
    expect(r.facts.flashwright).toMatchObject({ code: 'FLASH_INTERRUPTED', causeCode: 'NOR_FAULT' });
    expect(r.causes[0]).toMatchObject({ rule: 'fw.device-call-failed', category: 'flash-algorithm' });
  });

  it('an interrupted write whose record is longer than a log line (every range listed) is still read', async () => {
    // 100 small segments, one per 1 KiB page: the pending list alone runs past MAX_LINE.
    const segments = Array.from({ length: 100 }, (_, i) => ({ address: 0x08000400 + i * 0x400, data: new Uint8Array(16).fill(i + 1) }));
    const path = join(dir, 'scattered.hex');
    writeFileSync(path, encodeImage(MemoryImage.fromSegments(segments), 'hex'));
    const r = await transcript('scattered', ['write', path, ...sim('sc.json'), '--sim-fault', 'reset-after-bytes=200']);
    const longest = Math.max(...readFileSync(join(dir, 'scattered.jsonl'), 'utf8').split('\n').map((l) => l.length));
    expect(longest).toBeGreaterThan(MAX_LINE);
    expect(r.facts.flashwright).toMatchObject({ code: 'FLASH_INTERRUPTED' });
    expect(r.causes[0]).toMatchObject({ rule: 'fw.device-reset', category: 'power-reset' });
  });

  it('injected erase failure on a written chip → the device reported a failed call', async () => {
    expect((await run(['write', hexFile('b1.hex', 0x08000000, firmware(0x900, 0x11)), ...sim('fe.json')])).code).toBe(0);
    const r = await transcript('fail-erase', ['write', hexFile('b2.hex', 0x08000000, firmware(0x900, 0x22)), ...sim('fe.json'), '--sim-fault', 'fail-erase=1']);
    expect(r.causes[0]).toMatchObject({ rule: 'fw.device-call-failed', category: 'flash-algorithm' });
  });

  it('reset mid-write → power/reset, with the resume advice', async () => {
    const r = await transcript('reset', ['write', hexFile('c.hex', 0x08000000, firmware(0x900, 0x33)), ...sim('rs.json'), '--sim-fault', 'reset-after-bytes=100']);
    expect(r.causes[0]).toMatchObject({ rule: 'fw.device-reset', category: 'power-reset' });
    expect(r.causes[0]!.fix.join(' ')).toMatch(/run the same command again/i);
  });

  it('write-protected sector → protection', async () => {
    const state = join(dir, 'wp.json');
    expect((await run(['write', hexFile('d1.hex', 0x08000000, firmware(0x400, 0x11)), ...sim('wp.json')])).code).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    saved.regions[0].protectedSectors = [0x08000000];
    writeFileSync(state, JSON.stringify(saved));
    const r = await transcript('write-protected', ['write', hexFile('d2.hex', 0x08000000, firmware(0x400, 0x22)), ...sim('wp.json')]);
    expect(r.causes[0]).toMatchObject({ category: 'protection-security' });
    expect(r.causes[0]!.rule).toBe('fw.protected');
  });

  it('verify against a chip holding something else → verify mismatch with the address', async () => {
    expect((await run(['write', hexFile('e1.hex', 0x08000000, firmware(0x800, 0x11)), ...sim('vf.json')])).code).toBe(0);
    expect((await run(['erase', '0x08000400', '1K', ...sim('vf.json')])).code).toBe(0);
    const r = await transcript('verify', ['verify', join(dir, 'e1.hex'), ...sim('vf.json')]);
    expect(r.causes[0]).toMatchObject({ rule: 'fw.verify-mismatch', category: 'verify-mismatch' });
    expect(r.facts.mismatch).toMatchObject({ address: 0x08000400, expected: 0x11, read: 0xff });
  });

  it('wrong target: an STM32 image for a Kinetis, and a state file made for another part', async () => {
    const a = await transcript('wrong-target', ['write', hexFile('f.hex', 0x08000000, firmware(0x400, 0x11)), ...sim('wt.json', 'mk64fn1m0')]);
    expect(a.causes[0]).toMatchObject({ rule: 'fw.wrong-target', category: 'wrong-target-config' });
    expect(a.facts.flashwright?.target).toBe('MK64FN1M0');
    expect((await run(['write', join(dir, 'f.hex'), ...sim('other.json')])).code).toBe(0);
    const b = await transcript('other-state', ['read', '0x08000000', '4', join(dir, 'x.bin'), ...sim('other.json', 'stm32f407xg')]);
    expect(b.causes[0]).toMatchObject({ rule: 'fw.sim-state-other-target', category: 'wrong-target-config' });
  });

  it('a Kinetis image that would secure the chip is refused, and doctor says why', async () => {
    const img = new Uint8Array(0x800).fill(0xff);
    new DataView(img.buffer).setUint32(0, 0x20030000, true);
    new DataView(img.buffer).setUint32(4, 0x411, true);
    img.set([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0x7b, 0xff, 0xff, 0xff], 0x400);
    const r = await transcript('fsec', ['write', hexFile('k.hex', 0, img), ...sim('k.json', 'mk64fn1m0')]);
    expect(r.causes[0]?.category).toBe('protection-security');
  });
});

describe('the --json record carries the connected device, and doctor reports it', () => {
  it('a write-protected sector: the failure record has one device line before its error; doctor FILE shows chip, ids and protection', async () => {
    const state = join(dir, 'dev-wp.json');
    expect((await run(['write', hexFile('h1.hex', 0x08000000, firmware(0x400, 0x11)), ...sim('dev-wp.json')])).code).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    saved.regions[0].protectedSectors = [0x08000000];
    writeFileSync(state, JSON.stringify(saved));
    const r = await transcript('dev-wp', ['write', hexFile('h2.hex', 0x08000000, firmware(0x400, 0x22)), ...sim('dev-wp.json')]);
    const lines = readFileSync(join(dir, 'dev-wp.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const devices = lines.filter((l) => l.type === 'device');
    expect(devices).toHaveLength(1);
    expect(lines.indexOf(devices[0]!)).toBe(lines.length - 2); // just before the error line, which stays last
    expect(devices[0]).toMatchObject({ via: 'sim', target: 'STM32F103xB', ids: { simulated: 'STM32F103xB' }, protection: { readProtected: false, writeProtectedSectors: [0x08000000] } });
    expect(r.facts.chip).toBe('STM32F103xB');
    expect(r.facts.device).toMatchObject({ target: 'STM32F103xB', via: 'sim', ids: { simulated: 'STM32F103xB' }, readProtected: false, protection: '1 sector(s) write-protected', writeProtectedSectors: [0x08000000] });
    expect(r.causes[0]!.rule).toBe('fw.protected');
    expect(r.causes[0]!.summary).toContain('the device reported: 1 sector(s) write-protected');
    const d = await run(['doctor', join(dir, 'dev-wp.jsonl')]);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/^ {2}chip: STM32F103xB$/m);
    expect(d.out).toMatch(/^ {2}device: STM32F103xB via sim; ids simulated=STM32F103xB; protection: 1 sector\(s\) write-protected; write-protected sectors: 0x08000000$/m);
    expect(d.out).toMatch(/^ {2}memory: flash 128 KiB at 0x08000000/m);
    expect(d.out).toMatch(/\[protection-security\]/);
  });

  it('wrong target: doctor names the chip the device reported, not only the --target given', async () => {
    await transcript('dev-wt', ['write', hexFile('h3.hex', 0x08000000, firmware(0x400, 0x11)), ...sim('dev-wt.json', 'mk64fn1m0')]);
    const d = await run(['doctor', join(dir, 'dev-wt.jsonl')]);
    expect(d.out).toMatch(/^ {2}device: MK64FN1M0 via sim; ids simulated=MK64FN1M0; protection: none$/m);
    expect(d.out).toMatch(/\[wrong-target-config\]/);
  });

  it('a plan --via --json document carries the device too (one document, as before)', async () => {
    const p = await run(['plan', join(dir, 'h3.hex'), ...sim('dev-plan.json'), '--json']);
    expect(p.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(p.out)).toMatchObject({ device: { type: 'device', target: 'STM32F103xB', via: 'sim' } });
  });
});

describe('text output points at doctor; --explain runs it inline', () => {
  it('a failure ends with the doctor line; a usage error does not', async () => {
    const r = await run(['write', hexFile('g.hex', 0x08000000, firmware(0x400, 0x11)), ...sim('g.json', 'mk64fn1m0')]);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n').at(-1)).toMatch(/^doctor: error PLAN_OUTSIDE_MEMORY; .*--explain.*flashwright doctor/);
    // The text transcript alone is enough for doctor: the code is on the pointer line.
    const report = diagnose(r.err);
    expect(report.tool).toBe('flashwright');
    expect(report.causes[0]).toMatchObject({ rule: 'fw.wrong-target', category: 'wrong-target-config' });
    const u = await run(['write']);
    expect(u.code).toBe(2);
    expect(u.err).not.toMatch(/doctor:/);
  });

  it('a text transcript of a verify failure is read back with its mismatch', async () => {
    expect((await run(['write', hexFile('t1.hex', 0x08000000, firmware(0x800, 0x11)), ...sim('t.json')])).code).toBe(0);
    expect((await run(['erase', '0x08000400', '1K', ...sim('t.json')])).code).toBe(0);
    const r = await run(['verify', join(dir, 't1.hex'), ...sim('t.json')]);
    expect(r.code).toBe(1);
    const report = diagnose(r.out + r.err);
    expect(report.causes[0]).toMatchObject({ rule: 'fw.verify-mismatch', category: 'verify-mismatch' });
    expect(report.facts.mismatch).toMatchObject({ address: 0x08000400, expected: 0x11, read: 0xff });
  });

  it('--explain prints the causes and fixes for this failure', async () => {
    const r = await run(['write', join(dir, 'g.hex'), ...sim('g2.json', 'mk64fn1m0'), '--explain']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/doctor:\n {2}1\. \[wrong-target-config\]/);
    expect(r.err).toMatch(/flashwright targets/);
  });
});

describe.skipIf(socat.skip)(socat.title('doctor on flashwright --via mcuboot failures (simulated bootloader on a socat pty)'), () => {
  let pty: PtyExposure | undefined;
  let target: McubootSimTarget;
  const start = async (chip: string) => {
    const pipe = createPipe();
    target = new McubootSimTarget(mcubootChip(chip)!, {});
    new McubootUartSim(pipe.device, target);
    pty = await exposeOnPty(pipe.host, join(dir, `tty-${chip}`));
    return join(dir, `tty-${chip}`);
  };
  afterAll(async () => { await pty?.close(); });

  it('i.MX RT FlexSPI NOR without --flexspi-option → external flash not configured', async () => {
    const tty = await start('MIMXRT1021');
    writeFileSync(join(dir, 'rt.bin'), new Uint8Array(4096).fill(0x5a));
    const r = await transcript('flexspi', ['write', join(dir, 'rt.bin'), '--base', '0x60002000', '--via', 'mcuboot', '--port', tty, '--target', 'MIMXRT1021']);
    expect(r.causes[0]).toMatchObject({ rule: 'fw.not-configured', category: 'external-flash-config' });
    expect(r.causes[0]!.fix.join(' ')).toMatch(/--flexspi-option 0xC0000007/);
    await pty?.close();
    pty = undefined;
  });

  it('seed 003 reproduced: stale flash cache after erase → cumulative write', async () => {
    const tty = await start('MK64FN1M0');
    target.staleCache.enabled = true;
    const app = (fill: number) => {
      const d = new Uint8Array(0x1000).fill(fill);
      new DataView(d.buffer).setUint32(0, 0x20030000, true);
      new DataView(d.buffer).setUint32(4, 0x411, true);
      d.set([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff], 0x400);
      return d;
    };
    // The simulated chip holds data, so the write erases first; the stale view then refuses it.
    writeFileSync(join(dir, 'k1.bin'), app(0x11));
    const via = ['--base', '0', '--via', 'mcuboot', '--port', tty, '--target', 'MK64FN1M0'];
    const r = await transcript('stale-cache', ['write', join(dir, 'k1.bin'), ...via]);
    expect(r.causes[0]).toMatchObject({ rule: 'mcuboot.cumulative-write', category: 'flash-algorithm' });
  });
});
