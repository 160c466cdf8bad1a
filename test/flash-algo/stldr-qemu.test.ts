/**
 * An STM32CubeProgrammer-style external loader of our own (test/fixtures/flash-algo/stldr-ram.c,
 * built here) run like a flash algorithm on QEMU mps2-an385: its "external memory" is the
 * board's PSRAM at 0x21000000 treated as NOR. Written, erased, verified and read back through
 * `--via gdb` (QEMU's GDB stub) and `--via cmsis-dap` (the simulated probe bridged to it); QEMU's
 * own view of the memory (monitor memsave) is the judge. The seed-004 build (first two bytes
 * programmed as 0) fails verify with a message pointing at the loader's Write, and doctor explains it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { createQemuTarget, type QemuTarget } from '../../src/sim/cmsis-dap/qemu-target.js';
import { serveDapTcp, type DapTcpServer } from '../../src/sim/node-dap-tcp.js';
import { startQemu, type QemuInstance } from '../gdb/qemu.js';
import { needs } from '../helpers/peers.js';
import { Toolchain } from './toolchain.js';

const peers = needs('qemu-system-arm', 'arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const dir = mkdtempSync(join(tmpdir(), 'fw-stldr-q-'));
const running: Array<{ q: QemuInstance; t?: QemuTarget; s?: DapTcpServer }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) { await r.s?.close().catch(() => undefined); await r.t?.close().catch(() => undefined); await r.q.stop(); }
});
afterAll(() => { tc?.cleanup(); rmSync(dir, { recursive: true, force: true }); });

const DEVICE = 0x21000000;
const SECTOR = 0x1000;

/** mps2-an385 as a target file (Arm AN385 memory map: SSRAM1 at 0, SSRAM2/3 at 0x20000000, 4 MiB each); the PSRAM is left out, the loader makes it a flash region. */
const TARGET_FILE = join(dir, 'mps2-an385.json');
writeFileSync(TARGET_FILE, JSON.stringify({
  name: 'mps2-an385', vendor: 'Arm', family: 'MPS2', core: 'cortex-m3', source: 'Arm AN385 (MPS2 Cortex-M3 FPGA image) memory map',
  regions: [{ name: 'ssram1', kind: 'ram', start: 0, size: 0x400000 }, { name: 'ssram2', kind: 'ram', start: 0x20000000, size: 0x400000 }],
}));

function captureIo() {
  const chunks: string[] = [];
  return { io: { out: (t: string) => { chunks.push(t); }, err: (t: string) => { chunks.push(t); }, isTty: false }, text: () => chunks.join('') };
}

async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const c = captureIo();
  const code = await runCli(args, c.io);
  return { code, text: c.text() };
}

type Way = 'gdb' | 'cmsis-dap';

/** QEMU (halted, monitor on) and the via arguments for one way in. */
/**
 * What the board holds before the test: a boot program at 0 (SP, reset vector, `b .`) so the
 * core has something to run when a debugger detaches or resets it (with SSRAM1 empty, QEMU's
 * Cortex-M3 locks up and QEMU exits). Old contents of the "external memory" are written by a
 * first flashwright write: QEMU's generic loader would put preloaded bytes back at every reset.
 */
const BOOT = Uint8Array.from([0x00, 0x00, 0x40, 0x20, 0x09, 0x00, 0x00, 0x00, 0xfe, 0xe7, 0xfe, 0xe7]);

async function rig(way: Way): Promise<{ q: QemuInstance; via: string[] }> {
  const q = await startQemu('mps2-an385', { monitor: true, preload: [{ address: 0, data: BOOT }] });
  if (way === 'gdb') { running.push({ q }); return { q, via: ['--via', 'gdb', '--gdb', `127.0.0.1:${q.port}`] }; }
  const t = await createQemuTarget({ chip: 'mps2-an385', open: () => openTcp({ host: '127.0.0.1', port: q.port }) });
  const s = await serveDapTcp(createSimDapProbe({ target: t }), { port: 0 });
  running.push({ q, t, s });
  return { q, via: ['--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${s.port}`] };
}

function pattern(length: number, seed: number): Uint8Array {
  let x = seed >>> 0;
  return Uint8Array.from({ length }, () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 24; });
}

for (const way of ['gdb', 'cmsis-dap'] as const) {
  describe.skipIf(peers.skip)(peers.title(`external loader (.stldr) on QEMU mps2-an385 --via ${way}`), () => {
    it('plans, writes, verifies, skips, reads back and erases the loader\'s memory; QEMU holds what flashwright says', async () => {
      const { q, via } = await rig(way);
      const loader = tc!.stldr();
      const algo = ['--algo', loader.path, '--target-file', TARGET_FILE];
      const data = pattern(0x2345, 7);
      const bin = join(dir, `img-${way}.bin`);
      writeFileSync(bin, data);

      // Old contents: 16 KiB of another pattern, erased and programmed by the loader.
      const old = pattern(0x4000, 99);
      const oldBin = join(dir, `old-${way}.bin`);
      writeFileSync(oldBin, old);
      const first = await cli(['write', oldBin, '--base', '0x21000000', ...via, ...algo]);
      expect(first.code, first.text).toBe(0);
      expect(Buffer.from(await q.physical(DEVICE, 0x4000)).equals(Buffer.from(old))).toBe(true);

      const plan = await cli(['plan', bin, '--base', '0x21000000', ...via, ...algo]);
      expect(plan.code, plan.text).toBe(0);
      expect(plan.text).toMatch(/0x21000000/);
      expect(plan.text).toMatch(/erase +0x21000000–0x21002FFF +12 KiB +external, 3 sectors/);

      const w = await cli(['write', bin, '--base', '0x21000000', ...via, ...algo]);
      expect(w.code, w.text).toBe(0);
      const held = await q.physical(DEVICE, 0x3000);
      expect(Buffer.from(held.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
      // The rest of the third sector was erased by SectorErase and its old bytes programmed back (the plan's "preserve").
      expect(Buffer.from(held.subarray(data.length)).equals(Buffer.from(old.subarray(data.length, 0x3000)))).toBe(true);

      const v = await cli(['verify', bin, '--base', '0x21000000', ...via, ...algo]);
      expect(v.code, v.text).toBe(0);

      const again = await cli(['write', bin, '--base', '0x21000000', ...via, ...algo]);
      expect(again.code, again.text).toBe(0);
      expect(again.text).toMatch(/skip|unchanged|already/i);

      const back = join(dir, `back-${way}.bin`);
      const r = await cli(['read', '0x21000000', '0x2345', back, ...via, ...algo]);
      expect(r.code, r.text).toBe(0);
      expect(Buffer.from(readFileSync(back)).equals(Buffer.from(data))).toBe(true);

      const e = await cli(['erase', '0x21001000', '0x1000', ...via, ...algo]);
      expect(e.code, e.text).toBe(0);
      const after = await q.physical(DEVICE, 0x4000);
      expect(after.subarray(SECTOR, 2 * SECTOR).every((b) => b === 0xff)).toBe(true);
      expect(Buffer.from(after.subarray(0, SECTOR)).equals(Buffer.from(data.subarray(0, SECTOR)))).toBe(true);
      expect(Buffer.from(after.subarray(2 * SECTOR, data.length)).equals(Buffer.from(data.subarray(2 * SECTOR)))).toBe(true);
      expect(Buffer.from(after.subarray(0x3000)).equals(Buffer.from(old.subarray(0x3000, 0x4000)))).toBe(true);
    }, 120000);
  });
}

for (const way of ['gdb', 'cmsis-dap'] as const) {
  describe.skipIf(peers.skip)(peers.title(`seed 004's loader (first two bytes programmed as 0) on QEMU mps2-an385 --via ${way}`), () => {
    it('verify fails at 0x21000000 with a hint naming the loader\'s Write; doctor reads the record and explains it', async () => {
      const { q, via } = await rig(way);
      const loader = tc!.stldr(['SEED004_BUG']);
      const data = pattern(0x1800, 3);
      data[0] = 0x12; data[1] = 0x34; // not 0: the bug must show
      const bin = join(dir, `seed-${way}.bin`);
      writeFileSync(bin, data);
      const w = await cli(['write', bin, '--base', '0x21000000', ...via, '--algo', loader.path, '--target-file', TARGET_FILE, '--json']);
      expect(w.code, w.text).toBe(1);
      const error = w.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; error?: { code: string; message: string; hint: string } }).find((r) => r.type === 'error')!.error!;
      expect(error.code).toBe('VERIFY_MISMATCH');
      expect(error.message).toMatch(/^Verify failed at 0x21000000 .*expected 0x12, read 0x00/);
      expect(error.hint).toMatch(/Every differing byte \(2: 0x21000000, 0x21000001\) lies in the first 2 byte\(s\) of a 256-byte page.*external loader's Write/);
      // QEMU's memory shows what the loader did: the first two bytes 0, the rest as written.
      const held = await q.physical(DEVICE, data.length);
      expect(Array.from(held.subarray(0, 4))).toEqual([0, 0, data[2], data[3]]);
      expect(Buffer.from(held.subarray(2)).equals(Buffer.from(data.subarray(2)))).toBe(true);

      const record = join(dir, `seed-${way}.jsonl`);
      writeFileSync(record, w.text);
      const d = await cli(['doctor', record, '--json']);
      const causes = (JSON.parse(d.text) as { causes: Array<{ summary: string; fix: string[] }> }).causes;
      expect(causes[0]?.summary, d.text).toMatch(/^The external loader's Write loses the start of the data it is given/);
      expect(causes[0]?.fix.join(' ')).toMatch(/page-program command/);
      // The specific cause replaces flashwright's generic verify-mismatch one.
      expect(causes.some((c) => c.summary.startsWith('The device holds different bytes'))).toBe(false);
    }, 120000);
  });
}

for (const way of ['gdb', 'cmsis-dap'] as const) describe.skipIf(peers.skip)(peers.title(`broken external loaders on QEMU mps2-an385 --via ${way}`), () => {
  it('an Init that never returns is stopped after its timeout and named, with the SysTick/HAL_Delay explanation', async () => {
    const { via } = await rig(way);
    const loader = tc!.stldr(['INIT_HANGS']);
    const bin = join(dir, `hang-${way}.bin`);
    writeFileSync(bin, pattern(0x100, 5));
    const w = await cli(['write', bin, '--base', '0x21000000', ...via, '--algo', loader.path, '--target-file', TARGET_FILE]);
    expect(w.code, w.text).toBe(1);
    const init = tc!.symbols(loader.path).Init! & ~1;
    expect(w.text).toContain(`error: The external loader's Init at 0x${init.toString(16).toUpperCase().padStart(8, '0')} did not return within 2000 ms; halted it at PC=`);
    expect(w.text).toMatch(/hint: The loader's Init never returned\..*HAL_Delay/);
  }, 120000);

  it('a Write that faults is reported with the fault registers decoded and the entry point it was in', async () => {
    const { via } = await rig(way);
    const loader = tc!.stldr(['WRITE_FAULTS']);
    const bin = join(dir, `fault-${way}.bin`);
    writeFileSync(bin, pattern(0x100, 6));
    const w = await cli(['write', bin, '--base', '0x21000000', ...via, '--algo', loader.path, '--target-file', TARGET_FILE]);
    expect(w.code, w.text).toBe(1);
    const write = tc!.symbols(loader.path).Write! & ~1;
    const at = `0x${write.toString(16).toUpperCase().padStart(8, '0')}`;
    expect(w.text).toContain(`The external loader's Write at ${at} took a fault (exception 3, HardFault), stacked: PC=`);
    // The stacked PC is the udf inside Write, just after its prologue.
    const pc = parseInt(/stacked: PC=0x([0-9A-F]{8})/.exec(w.text)![1]!, 16);
    expect(pc).toBeGreaterThanOrEqual(write);
    expect(pc).toBeLessThan(write + 0x10);
    expect(w.text).toMatch(/CFSR=0x00010000 HFSR=0x40000000 DFSR=0x[0-9A-F]{8} \[FORCED \(escalated configurable fault\), UNDEFINSTR \(undefined instruction\)\]/);
    expect(w.text).toMatch(/hint: The faulting PC is in the loader/);
  }, 120000);
});
