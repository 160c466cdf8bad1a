/**
 * Proof against a program no one here wrote (issue 12 §8; issue 16 §4): Debian's unmodified
 * OpenOCD 0.12 drives the simulated CMSIS-DAP probe through our LD_PRELOAD hidapi stand-in,
 * the probe bridged to QEMU microbit's GDB stub. OpenOCD's own nRF51 flash driver programs
 * the firmware through the bridge onto QEMU's NVMC, verifies it and resets; the firmware then
 * prints its line on QEMU's UART. Then OpenOCD serves GDB for the same probe, and flashwright
 * `--via gdb` uses its memory map, vFlash (OpenOCD's nrf51 driver) and qCRC.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import '../../src/cli/vias/index.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { createMemoryTarget, createSimDapProbe, type SimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { createQemuTarget, type QemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import { serveDapTcp, type DapTcpServer } from '../../src/sim/node-dap-tcp.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { startQemu, type QemuInstance } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';
import { buildHidapiShim, runOpenOcd, startOpenOcdServer, type OpenOcdServer } from './openocd.js';

const peers = needs('openocd', 'qemu-system-arm', 'arm-none-eabi-gcc', 'gcc');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, out, err };
}

describe.skipIf(peers.skip)(peers.title('OpenOCD 0.12 drives the simulated CMSIS-DAP probe on QEMU microbit'), () => {
  let shim: ReturnType<typeof buildHidapiShim>;
  let tc: Toolchain;
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(() => { shim = buildHidapiShim(); tc = new Toolchain(); });
  afterAll(() => { shim?.cleanup(); tc?.cleanup(); });
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined); });

  async function rig(): Promise<{ q: QemuInstance; t: QemuTarget; probe: SimDapProbe; server: DapTcpServer }> {
    const q = await startQemu('microbit');
    cleanups.push(() => q.stop());
    const t = await createQemuTarget({ chip: 'nrf51', open: () => openTcp({ host: '127.0.0.1', port: q.port }) });
    cleanups.push(() => t.close());
    const probe = createSimDapProbe({ target: t });
    const server = await serveDapTcp(probe, { port: 0 });
    cleanups.push(() => server.close());
    return { q, t, probe, server };
  }

  it('init, reset halt, program firmware.elf verify reset: OpenOCD\'s nrf51 driver writes QEMU\'s flash and the firmware runs', async () => {
    const { q, t, probe, server } = await rig();
    const elf = tc.app('OpenOCD via flashwright sim OK');
    const r = await runOpenOcd({ shim: shim.path, dapPort: server.port, commands: ['init', 'reset halt', `program ${elf} verify reset`, 'shutdown'] });
    expect(r.output).toContain('SWD DPIDR 0x0bb11477');
    expect(r.output).toContain('Cortex-M0 r0p0 processor detected');
    expect(r.output).toContain('** Programming Finished **');
    expect(r.output).toContain('** Verified OK **');
    expect(r.code, r.output).toBe(0);
    expect(await q.waitForSerial('OpenOCD via flashwright sim OK\n', 10000)).toContain('OpenOCD via flashwright sim OK\n');
    // What OpenOCD 0.12 is known to do (TEST-PEERS.md): DAP_Transfer only, at most 3 packets in flight.
    expect(probe.stats.commands.Transfer).toBeGreaterThan(100);
    expect(probe.stats.commands.TransferBlock).toBeUndefined();
    expect(probe.stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(probe.stats.maxInFlight).toBeGreaterThan(1);
    // Its flash loader really ran on QEMU's core and halted on its BKPT, which the bridge caught.
    expect(t.core.counters.bkptBreakpoints).toBeGreaterThan(0);
    expect(t.core.counters.coreStores).toBeGreaterThan(0); // NVMC register writes made by the core
  }, 180_000);

  it('through `flashwright sim cmsis-dap --tcp 0 --gdb` as a separate process, which reports its packet counts when stopped', async () => {
    const q = await startQemu('microbit');
    cleanups.push(() => q.stop());
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', 'cmsis-dap', '--tcp', '0', '--gdb', `127.0.0.1:${q.port}`, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    cleanups.push(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => { if (out.includes('"ready"')) { clearInterval(timer); resolve(); } }, 50);
      void exited.then((c) => { clearInterval(timer); reject(new Error(`sim exited early (${c}): ${out}`)); });
    });
    const ready = JSON.parse(out.split('\n')[0]!);
    expect(ready).toMatchObject({ type: 'ready', packetSize: 64, packetCount: 4 });
    const elf = tc.app('OpenOCD via sim process OK');
    const r = await runOpenOcd({ shim: shim.path, dapPort: ready.port, commands: ['init', 'reset halt', `program ${elf} verify reset`, 'shutdown'] });
    expect(r.code, r.output).toBe(0);
    expect(await q.waitForSerial('OpenOCD via sim process OK\n', 10000)).toContain('OpenOCD via sim process OK\n');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const stats = JSON.parse(out.trim().split('\n').pop()!);
    expect(stats).toMatchObject({ type: 'stats', clients: 1 });
    expect(stats.packetsOut).toBeGreaterThan(100);
    expect(stats.modeledMs).toBeGreaterThan(100);
  }, 180_000);

  it('OpenOCD as a GDB server for the simulated probe: flashwright --via gdb reads its memory map, writes through vFlash (OpenOCD\'s nrf51 driver) and checks with qCRC', async () => {
    const { q, server, probe } = await rig();
    const oocd: OpenOcdServer = await startOpenOcdServer({ shim: shim.path, dapPort: server.port, commands: ['init', 'reset halt'] });
    cleanups.push(() => oocd.stop());
    const app = tc.app('flashwright via OpenOCD vFlash OK');
    const gdb = ['--via', 'gdb', '--gdb', `127.0.0.1:${oocd.gdbPort}`, '--gdb-mode', 'vflash', '--gdb-timeout', '30000'];
    const info = capture();
    expect(await runCli(['info', ...gdb, '--json'], info.io), info.err.join('')).toBe(0);
    const device = JSON.parse(info.out.join(''));
    // OpenOCD's memory map, built from the nrf51 driver's probe of FICR through the simulated probe.
    const regions = JSON.stringify(device);
    expect(regions, regions).toMatch(/"start":0,"size":262144/);
    expect(regions).toMatch(/"sectorSize":1024|"size":1024/);
    const w = capture();
    expect(await runCli(['write', app, ...gdb, '--verify', 'digest', '--run', '--json'], w.io), w.out.join('') + w.err.join('') + oocd.output()).toBe(0);
    // The digest is OpenOCD's qCRC, computed by its own CRC routine on the core.
    expect(w.out.join('')).toMatch(/"verify":"digest"/);
    expect(await q.waitForSerial('flashwright via OpenOCD vFlash OK\n', 10000)).toContain('flashwright via OpenOCD vFlash OK\n');
    expect(probe.stats.commands.Transfer).toBeGreaterThan(100);
    expect(oocd.output()).not.toMatch(/Error:/);
  }, 180_000);
});

const kx = needs('openocd', 'gcc');

describe.skipIf(kx.skip)(kx.title('OpenOCD 0.12\'s Kinetis driver against the simulated MDM-AP (target/kx.cfg)'), () => {
  let shim: ReturnType<typeof buildHidapiShim>;
  const servers: DapTcpServer[] = [];
  beforeAll(() => { shim = buildHidapiShim(); });
  afterAll(() => shim?.cleanup());
  afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

  async function kinetis(options: { secured: boolean; massEraseDisabled?: boolean }) {
    const target = createMemoryTarget({ chip: 'kinetis-k64', ...options });
    target.core.poke(0x2000, Uint8Array.of(1, 2, 3, 4));
    const server = await serveDapTcp(createSimDapProbe({ target }), { port: 0 });
    servers.push(server);
    return { target, server };
  }

  it('sees the secured state, mass-erases through the MDM-AP, and then finds the chip unsecured', async () => {
    const { target, server } = await kinetis({ secured: true });
    const r = await runOpenOcd({ shim: shim.path, dapPort: server.port, nrf51Config: false, commands: ['source [find target/kx.cfg]', 'init', 'kinetis mdm mass_erase', 'kinetis mdm check_security', 'shutdown'], timeoutMs: 60_000 });
    expect(r.output).toContain('Your Kinetis MCU is in secured state');
    expect(r.output).toContain('MDM: Chip is unsecured. Continuing.');
    expect(r.code, r.output).toBe(0);
    expect(target.mdm!.stats.massErases).toBe(1);
    expect(target.secured).toBe(false);
    expect(target.core.peek(0x2000, 4)).toEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  }, 90_000);

  it('over JTAG: OpenOCD scans the chain (IDCODE through JTAG_Sequence), drives the JTAG-DP\'s DPACC/APACC, halts the core and reads and writes RAM', async () => {
    const { target, server } = await kinetis({ secured: false });
    target.core.poke(0x20000000, Uint8Array.of(0x78, 0x56, 0x34, 0x12));
    const r = await runOpenOcd({
      shim: shim.path, dapPort: server.port, nrf51Config: false, transport: 'jtag', timeoutMs: 60_000,
      commands: ['jtag newtap chip cpu -irlen 4 -expected-id 0x4ba00477', 'dap create chip.dap -chain-position chip.cpu', 'target create chip.cpu cortex_m -dap chip.dap',
        'adapter speed 1000', 'init', 'halt', 'mdw 0x20000000 1', 'mww 0x20000004 0xcafef00d', 'shutdown'],
    });
    expect(r.output).toContain('tap/device found: 0x4ba00477');
    expect(r.output).toContain('Cortex-M4 r0p1 processor detected');
    expect(r.output).toContain('0x20000000: 12345678');
    expect(r.code, r.output).toBe(0);
    expect(target.core.word(0x20000004)).toBe(0xcafef00d);
    expect(target.core.halted).toBe(true);
    expect(target.wire.mode).toBe('jtag');
  }, 90_000);

  it('with 512-byte packets (a high-speed probe) OpenOCD sizes its reports from DAP_Info and loads and dumps 8 KiB of RAM exactly', async () => {
    const target = createMemoryTarget({ chip: 'cortex-m4' });
    const probe = createSimDapProbe({ target, link: 'v2-bulk-hs' });
    const server = await serveDapTcp(probe, { port: 0 });
    servers.push(server);
    const dir = mkdtempSync(join(tmpdir(), 'fw-oocd-'));
    try {
      const data = Uint8Array.from({ length: 8192 }, (_, i) => (i * 13 + (i >> 9)) & 0xff);
      writeFileSync(join(dir, 'in.bin'), data);
      const r = await runOpenOcd({
        shim: shim.path, dapPort: server.port, nrf51Config: false, timeoutMs: 60_000,
        commands: ['swd newdap chip cpu -expected-id 0x2ba01477', 'dap create chip.dap -chain-position chip.cpu', 'target create chip.cpu cortex_m -dap chip.dap',
          'init', 'halt', `load_image ${join(dir, 'in.bin')} 0x20000000 bin`, `dump_image ${join(dir, 'out.bin')} 0x20000000 8192`, 'shutdown'],
      });
      expect(r.code, r.output).toBe(0);
      expect(target.core.peek(0x20000000, data.length)).toEqual(data);
      expect(new Uint8Array(readFileSync(join(dir, 'out.bin')))).toEqual(data);
      expect(probe.stats.bytesOut / probe.stats.packetsOut).toBeGreaterThan(64); // it used the large packets
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('an unsecured chip is reported so and left alone; with mass erase disabled (MEEN = 10) OpenOCD says so and nothing is erased', async () => {
    const open = await kinetis({ secured: false });
    const r1 = await runOpenOcd({ shim: shim.path, dapPort: open.server.port, nrf51Config: false, commands: ['source [find target/kx.cfg]', 'init', 'shutdown'], timeoutMs: 60_000 });
    expect(r1.output).toContain('MDM: Chip is unsecured. Continuing.');
    expect(open.target.mdm!.stats.massErases).toBe(0);
    const locked = await kinetis({ secured: true, massEraseDisabled: true });
    const r2 = await runOpenOcd({ shim: shim.path, dapPort: locked.server.port, nrf51Config: false, commands: ['source [find target/kx.cfg]', 'init', 'kinetis mdm mass_erase', 'shutdown'], timeoutMs: 60_000 });
    expect(r2.output).toContain('MDM: mass erase is disabled');
    expect(locked.target.mdm!.stats.massErases).toBe(0);
    expect(locked.target.core.peek(0x2000, 4)).toEqual(Uint8Array.of(1, 2, 3, 4));
  }, 90_000);
});
