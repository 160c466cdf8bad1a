/**
 * The pack's `__ap` reaches --via cmsis-dap: on the simulated Kinetis (AP0 AHB-AP, AP1 MDM-AP)
 * a part naming __ap="0" connects through AP0, and one naming __ap="1" is refused with a
 * message that names the access port instead of an obscure fault.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createMemoryTarget, createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { serveDapTcp, type DapTcpServer } from '../../src/sim/node-dap-tcp.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildPack } from './fixture.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const dir = mkdtempSync(join(tmpdir(), 'fw-packap-'));
const saved = process.env.FLASHWRIGHT_PACK_DIR;
let server: DapTcpServer | undefined;
beforeAll(() => { process.env.FLASHWRIGHT_PACK_DIR = join(dir, 'store'); });
afterAll(async () => {
  await server?.close();
  if (saved === undefined) delete process.env.FLASHWRIGHT_PACK_DIR; else process.env.FLASHWRIGHT_PACK_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
  tc?.cleanup();
});

const PDSC = `<?xml version="1.0"?>
<package><vendor>Flashwright</vendor><name>TestAP_DFP</name><releases><release version="0.1.0"/></releases><devices>
  <family Dfamily="K test" Dvendor="NXP:11"><processor Dcore="Cortex-M4"/>
    <memory name="SRAM" access="rwx" start="0x20000000" size="0x10000"/>
    <memory name="Flash" access="rx" start="0x00000000" size="0x40000" startup="1"/>
    <algorithm name="Flash/algo.flm" start="0" size="0x40000" RAMstart="0x20000000" RAMsize="0x10000" default="1"/>
    <device Dname="KTEST_AP0"><debug __ap="0"/></device>
    <device Dname="KTEST_AP1"><debug __ap="1"/></device>
  </family></devices></package>
`;

describe.skipIf(peers.skip)(peers.title('the pack\'s access port reaches --via cmsis-dap'), () => {
  it('connects through the MEM-AP the pack names, and names an access port that is not one', async () => {
    const file = join(dir, 'ap.pack');
    writeFileSync(file, buildPack({ 'Flash/algo.flm': tc!.flm().data }, PDSC));
    expect(await runCli(['pack', 'add', file], { out: () => undefined, err: () => undefined, isTty: false })).toBe(0);
    server = await serveDapTcp(createSimDapProbe({ target: createMemoryTarget({ chip: 'kinetis-k64' }) }), { port: 0 });
    const run = async (part: string) => {
      const out: string[] = [];
      const code = await runCli(['info', '--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${server!.port}`, '--target', part], { out: (x: string) => { out.push(x); }, err: (x: string) => { out.push(x); }, isTty: false });
      return { code, text: out.join('') };
    };
    const ok = await run('KTEST_AP0');
    expect(ok.code, ok.text).toBe(0);
    const bad = await run('KTEST_AP1');
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/Access port 1, which the target description names for this core, is not a MEM-AP on this debug port/);
  }, 30000);
});
