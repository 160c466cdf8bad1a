/** Issue 10 §1: success only when the chip holds what the user meant (CLI level). */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';

let dir: string;

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, out: out.join(''), err: err.join('') };
}

/** A bootable Cortex-M image: SP in RAM, reset handler inside the image. */
function firmware(size: number, base = 0x08000000, sp = 0x20005000): Uint8Array {
  const d = new Uint8Array(size).fill(0x11);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, sp, true);
  dv.setUint32(4, (base + 0x41) | 1, true);
  return d;
}

function file(name: string, data: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-cli-outcomes-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('a raw binary without --base goes to the boot flash, never to RAM', () => {
  it('STM32: written at 0x08000000, and the first line says so', async () => {
    const bin = file('app.bin', firmware(0x800));
    const state = join(dir, 'f103.json');
    const w = await run(['write', bin, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(w.code, w.err).toBe(0);
    expect(w.err.split('\n')[0]).toBe(`note: ${bin} (raw binary) goes to 0x08000000, the boot flash 'flash' of STM32F103xB (give --base to place it elsewhere).`);
    const out = join(dir, 'back.bin');
    expect((await run(['read', '0x08000000', '0x800', out, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state])).code).toBe(0);
    expect(new Uint8Array(readFileSync(out))).toEqual(firmware(0x800));
    const p = await run(['plan', bin, '--target', 'stm32f103xb']);
    expect(p.out.split('\n')[0]).toContain('goes to 0x08000000');
  });
  it('i.MX RT: a bare binary goes to FlexSPI 0x60000000 (not ITCM at 0), where check and write refuse it for lacking a boot header', async () => {
    const bin = file('boot.bin', firmware(0x400, 0x60000000));
    const c = await run(['check', bin, '--target', 'mimxrt1021']);
    expect(c.code).toBe(1);
    expect(c.out).toContain('goes to 0x60000000');
    expect(c.out).toContain('error: The image for 0x60000000 has no FlexSPI configuration block');
    expect(c.out).not.toContain('check: OK');
    const w = await run(['write', bin, '--target', 'mimxrt1021', '--via', 'sim', '--sim-state', join(dir, 'rt.json')]);
    expect(w.code).toBe(1);
    expect(w.out).not.toContain('verify');
    expect(w.err).toContain('the boot ROM will not boot it');
    const p = await run(['plan', bin, '--target', 'mimxrt1021']);
    expect(p.code).toBe(1);
    expect(p.out.split('\n')[0]).toContain('goes to 0x60000000');
    expect(p.out).toContain('a write would be refused');
    expect(p.out).not.toMatch(/write-ram/);
  });
  it('no target and no --base on a device operation is a usage error, before the device is opened', async () => {
    const bin = file('app2.bin', firmware(0x100));
    const r = await run(['write', bin, '--via', 'mcuboot', '--port', join(dir, 'no-such-port')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is a raw binary with no addresses');
    expect(r.err).not.toContain('no-such-port');
  });
  it('--base places it where asked, RAM included', async () => {
    const bin = file('ram.bin', new Uint8Array(64).fill(0x42));
    const p = await run(['plan', bin, '--target', 'stm32f103xb', '--base', '0x20001000', '--json']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.out).operations.map((o: { kind: string }) => o.kind)).toEqual(['write-ram']);
  });
});

describe('a HEX or S-record file without its end record', () => {
  const hexText = () => new TextDecoder().decode(encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: firmware(0x100) }]), 'hex'));
  it('is refused for write (exit 1) naming the last line read, unless --allow-incomplete', async () => {
    const lines = hexText().trimEnd().split('\n');
    const cut = file('cut.hex', lines.slice(0, -1).join('\n') + '\n');
    const last = lines.length - 1;
    const state = join(dir, 'cut.json');
    const r = await run(['write', cut, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${cut} has no end-of-file record (:00000001FF): it stops after line ${last}, the last record read`);
    expect(r.err).toContain('--allow-incomplete');
    expect(r.err).not.toContain('program:');
    for (const cmd of ['verify', 'plan']) expect((await run([cmd, cut, '--target', 'stm32f103xb', ...(cmd === 'verify' ? ['--via', 'sim'] : [])])).code).toBe(1);
    const c = await run(['check', cut, '--target', 'stm32f103xb']);
    expect(c.code).toBe(1);
    expect(c.out).toContain(`line ${last}`);
    const ok = await run(['write', cut, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state, '--allow-incomplete']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toContain('warning:');
    expect((await run(['check', cut, '--target', 'stm32f103xb', '--allow-incomplete'])).code).toBe(0);
  });
  it('S-record: the same', async () => {
    const text = new TextDecoder().decode(encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: firmware(0x100) }]), 'srec')).trimEnd().split('\n');
    const cut = file('cut.srec', text.slice(0, -1).join('\n') + '\n');
    const r = await run(['write', cut, '--target', 'stm32f103xb', '--via', 'sim']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`it stops after line ${text.length - 1}`);
  });
  it('info and convert still read it, with a warning', async () => {
    const cut = file('cut2.hex', hexText().trimEnd().split('\n').slice(0, -1).join('\n') + '\n');
    const i = await run(['info', cut]);
    expect(i.code).toBe(0);
    expect(i.err).toContain('warning:');
  });
});

describe('bootability: check and write fail when the chip would not boot the image', () => {
  it('a reset vector into nothing, or an SP outside RAM: exit 1 with the finding; --allow-unbootable insists', async () => {
    const d = firmware(0x100);
    new DataView(d.buffer).setUint32(4, 0x08010001, true);
    const bad = file('bad.hex', encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: d }]), 'hex'));
    const c = await run(['check', bad, '--target', 'stm32f103xb']);
    expect(c.code).toBe(1);
    expect(c.out).toContain('points at 0x08010000, which the image does not program');
    expect(c.out).not.toContain('check: OK');
    const w = await run(['write', bad, '--target', 'stm32f103xb', '--via', 'sim']);
    expect(w.code).toBe(1);
    expect(w.out).not.toContain('verify');
    expect((await run(['plan', bad, '--target', 'stm32f103xb'])).code).toBe(1);
    const forced = await run(['write', bad, '--target', 'stm32f103xb', '--via', 'sim', '--allow-unbootable']);
    expect(forced.code, forced.err).toBe(0);
    expect((await run(['check', bad, '--target', 'stm32f103xb', '--allow-unbootable'])).code).toBe(0);
    const sp = file('sp.hex', encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: firmware(0x100, 0x08000000, 0x30000000) }]), 'hex'));
    expect((await run(['check', sp, '--target', 'stm32f103xb'])).code).toBe(1);
  });
  it('an application behind a bootloader is not judged by the boot rules', async () => {
    const app = file('app.hex', encodeImage(MemoryImage.fromSegments([{ address: 0x08004000, data: new Uint8Array(0x100).fill(0x5a) }]), 'hex'));
    const c = await run(['check', app, '--target', 'stm32f103xb']);
    expect(c.code).toBe(0);
    expect(c.out).toContain('check: OK');
  });
});

describe('--erase chip', () => {
  it('does not read back what the mass erase destroys, and the plan says everything else is lost', async () => {
    const image = file('chip.hex', encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: firmware(0x900) }]), 'hex'));
    const state = join(dir, 'chip.json');
    expect((await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state])).code).toBe(0);
    const w = await run(['write', image, '--target', 'stm32f103xb', '--via', 'sim', '--sim-state', state, '--erase', 'chip', '--no-preserve', '--json']);
    expect(w.code, w.err).toBe(0);
    const phases = w.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; event?: { type: string; phase?: string } })
      .filter((l) => l.event?.type === 'start').map((l) => l.event!.phase);
    expect(phases.slice(0, 2)).toEqual(['connect', 'erase']); // connect first, then no 'read' before the mass erase
    const p = await run(['plan', image, '--target', 'stm32f103xb', '--erase', 'chip', '--no-preserve']);
    expect(p.out).toContain('everything else in internal flash, outside the image, is lost');
  });
});
