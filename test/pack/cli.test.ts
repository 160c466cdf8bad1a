/**
 * Pack management through the CLI against a pack folder in a temp dir
 * (FLASHWRIGHT_PACK_DIR): add a .pack, a folder and a bare .pdsc; list; targets --pack;
 * targets show with the pack and version; --target resolving a pack part before the
 * built-ins; nearest names suggested; remove; bad packs refused with a clear message.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildFlms, buildPack, PDSC, usePackStore } from './fixture.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const dir = usePackStore('fw-packcli-');
afterAll(() => tc?.cleanup());

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (x: string) => { out.push(x); }, err: (x: string) => { err.push(x); }, isTty: false }, out: () => out.join(''), err: () => err.join('') };
}

async function cli(args: string[]) {
  const c = captureIo();
  const code = await runCli(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe.skipIf(peers.skip)(peers.title('flashwright pack add/list/remove and targets from packs'), () => {
  const flms = tc ? buildFlms(tc) : {};

  it('adds a .pack, lists it, lists its parts, shows a part with its pack and algorithms, and removes it', async () => {
    const file = join(dir, 'Flashwright.TestNRF51_DFP.1.2.0.pack');
    writeFileSync(file, buildPack(flms));
    const add = await cli(['pack', 'add', file]);
    expect(add.code, add.err).toBe(0);
    expect(add.out).toContain('Installed Flashwright.TestNRF51_DFP 1.2.0: 4 devices');
    expect(add.err).toMatch(/warning: nRF51822_xxAA: uicr .*no flash algorithm/);
    expect(add.err).toMatch(/warning: nRF51DUAL:cm0b: the pack overrides the debug sequence ResetSystem/);
    const list = await cli(['pack', 'list']);
    expect(list.out).toMatch(/Flashwright\.TestNRF51_DFP\s+1\.2\.0\s+4 parts\s+cmsis-pack/);
    const parts = await cli(['targets', '--pack', 'flashwright.testnrf51_dfp']);
    expect(parts.code).toBe(0);
    expect(parts.out).toMatch(/nRF51822-QFAA-R\s+nRF51 Series \/ nRF51822\s+Cortex-M0/);
    expect(parts.out).toContain('nRF51DUAL:cm0b');
    const show = await cli(['targets', 'show', 'NRF51822-QFAA-R']);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toContain('From:    pack Flashwright.TestNRF51_DFP 1.2.0, device nRF51822-QFAA-R');
    expect(show.out).toMatch(/Algo:\s+Flash\/nRF51822_xxAA\.FLM 0x00000000\+256 KiB \(default\) RAM 0x20000000\+16 KiB — nRF51 256K \(pack default\)/);
    expect(show.out).toMatch(/Algo:\s+Flash\/nrf51_broken\.FLM/);
    // An ordering code longer than the part name resolves to the part (prefix), case-insensitively.
    const json = await cli(['targets', 'show', 'nrf51822_xxac-extra', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ name: 'nRF51822_xxAC', regions: [{ name: 'irom1', kind: 'flash', size: 0x20000, sectors: [{ size: 1024, count: 128 }] }, { name: 'iram1', size: 0x8000 }] });
    // Near names come from the packs too.
    const unknown = await cli(['targets', 'show', 'nRF51823_xxAA']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/No installed pack or built-in target is called 'nRF51823_xxAA'/);
    expect(unknown.err).toMatch(/Did you mean nRF51822_xxA[AC]/);
    // Built-ins still resolve when no pack has the part.
    expect((await cli(['targets', 'show', 'stm32f103c8t6'])).out).toContain('From:    built-in description');
    const rm = await cli(['pack', 'remove', 'Flashwright.TestNRF51_DFP']);
    expect(rm.out).toContain('Removed Flashwright.TestNRF51_DFP 1.2.0');
    expect((await cli(['targets', 'show', 'nRF51DUAL'])).code).toBe(2);
    expect((await cli(['pack', 'remove', 'Flashwright.TestNRF51_DFP'])).err).toMatch(/is not installed/);
  });

  it('adds an unpacked folder and a bare .pdsc with its files beside it (backslash paths, other case)', async () => {
    const folder = join(dir, 'unpacked');
    mkdirSync(join(folder, 'Flash'), { recursive: true });
    writeFileSync(join(folder, 'Flashwright.TestNRF51_DFP.pdsc'), PDSC);
    for (const [p, d] of Object.entries(flms)) writeFileSync(join(folder, p), d);
    const a = await cli(['pack', 'add', folder]);
    expect(a.code, a.err).toBe(0);
    const b = await cli(['pack', 'add', join(folder, 'Flashwright.TestNRF51_DFP.pdsc')]);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toContain('replaces');
    expect((await cli(['pack', 'list', '--json'])).out).toMatch(/"devices": 4/);
    await cli(['pack', 'remove', 'Flashwright.TestNRF51_DFP']);
  });

  it('refuses bad packs naming the problem: malformed XML with line and column, a missing FLM, not a zip', async () => {
    const bad = join(dir, 'bad.pack');
    writeFileSync(bad, buildPack(flms, PDSC.replace('<vendor>Flashwright</vendor>', '<vendor>Flashwright</vendr>')));
    const r1 = await cli(['pack', 'add', bad]);
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/Flashwright\.TestNRF51_DFP\.pdsc is not well-formed XML at line 3, column \d+/);
    writeFileSync(bad, buildPack(flms, PDSC, ['Flash/nRF51822_xxAA.FLM']));
    const r2 = await cli(['pack', 'add', bad]);
    expect(r2.err).toMatch(/the flash algorithm Flash\\nRF51822_xxAA\.FLM that device nRF51822_xxAA names is not in the pack/);
    writeFileSync(bad, 'not a zip');
    expect((await cli(['pack', 'add', bad])).err).toMatch(/is not a \.pack \(a zip archive\)/);
    expect((await cli(['pack', 'list'])).out).toMatch(/No packs installed/);
  });
});
