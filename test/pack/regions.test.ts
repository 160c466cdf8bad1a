/**
 * A part with two flash regions, each with its own default algorithm: the way in gets both
 * (one per region, switched between in one session) and the command says which serves
 * which. Nothing is reached: the GDB server address is one just closed.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildPack, usePackStore } from './fixture.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const dir = usePackStore('fw-packreg-');
afterAll(() => tc?.cleanup());

const PDSC = `<?xml version="1.0"?>
<package><vendor>Flashwright</vendor><name>TwoRegions_DFP</name><releases><release version="3.0.0"/></releases><devices>
  <family Dfamily="Two" Dvendor="Test:0"><processor Dcore="Cortex-M0"/>
    <memory id="IRAM1" start="0x20000000" size="0x4000"/>
    <device Dname="TWOREG">
      <memory id="IROM1" start="0x00000000" size="0x40000" startup="1"/>
      <memory id="IROM2" start="0x00100000" size="0x20000"/>
      <algorithm name="Flash\\main.flm" start="0x00000000" size="0x40000" default="1"/>
      <algorithm name="Flash\\second.flm" start="0x00100000" size="0x20000" default="1"/>
    </device>
  </family></devices></package>
`;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.skipIf(peers.skip)(peers.title('a part with a default algorithm per flash region'), () => {
  it('describes both regions from their own FLMs and hands the way in the default of each region', async () => {
    const file = join(dir, 'two.pack');
    writeFileSync(file, buildPack({ 'Flash/main.flm': tc!.flm(['FLM_NAME="main"']).data, 'Flash/second.flm': tc!.flm(['FLM_NAME="second"', 'FLM_SIZE=0x20000']).data }, PDSC));
    const quiet = { out: () => undefined, err: () => undefined, isTty: false };
    expect(await runCli(['pack', 'add', file], quiet)).toBe(0);
    const shown: string[] = [];
    expect(await runCli(['targets', 'show', 'TWOREG'], { ...quiet, out: (x: string) => { shown.push(x); } })).toBe(0);
    expect(shown.join('')).toMatch(/Algo:\s+Flash\/main\.flm 0x00000000\+256 KiB \(default\)[^\n]*main\n\s*Algo:\s+Flash\/second\.flm 0x00100000\+128 KiB \(default\)[^\n]*second/);
    const err: string[] = [];
    const code = await runCli(['info', '--via', 'gdb', '--gdb', `127.0.0.1:${await closedPort()}`, '--target', 'TWOREG'], { ...quiet, err: (x: string) => { err.push(x); } });
    expect(code).toBe(1);
    expect(err.join('')).toContain('note: TWOREG from pack Flashwright.TwoRegions_DFP 3.0.0; flash algorithms Flash/main.flm (main) for irom1, Flash/second.flm (second) for irom2\n');
    expect(err.join('')).not.toContain('--algo');
  });
});
