/**
 * GDB figures, all against one QEMU micro:bit (nRF51822) instance:
 *  1. flash programming through our nRF51 flash algorithm (built here from C) and the
 *     pyOCD one, KiB/s, with two page buffers (double buffering) and with one;
 *  2. RAM download throughput: flashwright's RSP client vs gdb-multiarch `restore FILE
 *     binary ADDR`, measured in the same run (gdb's start-up and connect time subtracted
 *     by timing a run that only connects). This sustained ratio is the judged figure
 *     (issue 5 §7: target ≥ 1.0); exits non-zero when it is missed.
 *  3. For information only, a one-shot download: a warm library call (node running, modules
 *     loaded) against a cold gdb-multiarch process — not like with like, so not judged.
 * Needs qemu-system-arm, arm-none-eabi-gcc and gdb-multiarch; says so and exits when missing.
 * WIRE=1 prints every RSP packet of flashwright's sessions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elfToImage, parseElf } from '../src/image/elf.js';
import { openTcp } from '../src/link/node-tcp.js';
import { loadFlm } from '../src/protocol/flash-algo/flm.js';
import { importPyocdAlgorithm } from '../src/protocol/flash-algo/pyocd-import.js';
import type { FlashAlgorithm } from '../src/protocol/flash-algo/algorithm.js';
import { FlashAlgoRunner } from '../src/protocol/flash-algo/runner.js';
import { GdbClient } from '../src/protocol/gdb-rsp/client.js';
import { GdbCoreAccess } from '../src/programmer/gdb-core-access.js';
import { HAVE_GCC, haveTool, PYOCD_NRF51, Toolchain } from '../test/flash-algo/toolchain.js';
import { HAVE_QEMU, startQemu } from '../test/gdb/qemu.js';
import { finishTargets, machineLoad, target, unmeasured } from './_targets.js';

const RAM = { start: 0x20000000, size: 0x4000 };
const FLASH_BYTES = 64 * 1024;
const RAM_CHUNK = 16 * 1024;
const RAM_REPEATS = 64;
/** Each figure is the best of this many runs (the machine is shared; the minimum is the least disturbed). */
const RUNS = 5;

if (!HAVE_QEMU || !HAVE_GCC || !haveTool('gdb-multiarch')) {
  unmeasured('sustained RAM download flashwright ÷ gdb-multiarch', 'needs qemu-system-arm, arm-none-eabi-gcc and gdb-multiarch');
  finishTargets();
  process.exit();
}

function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

const kibs = (bytes: number, ms: number) => bytes / 1024 / (ms / 1000);

async function session(port: number) {
  const client = new GdbClient(await openTcp({ host: '127.0.0.1', port }), { onWire: process.env.WIRE ? (e) => console.log(e.dir, e.text.slice(0, 60)) : undefined });
  await client.connect();
  return { client, core: new GdbCoreAccess(client, 'qemu') };
}

async function flashRun(port: number, algo: FlashAlgorithm, doubleBuffer: boolean, data: Uint8Array) {
  const { core } = await session(port);
  try {
    await core.reset('halt');
    const runner = new FlashAlgoRunner(core, algo, { ram: RAM, doubleBuffer });
    await runner.load();
    const t0 = performance.now();
    for (let a = 0; a < data.length; a += algo.flash.pageSize) await runner.eraseSector(a);
    const t1 = performance.now();
    await runner.program(0, data);
    const t2 = performance.now();
    await runner.unload();
    const back = await core.readMemory(0, data.length);
    if (!back.every((b, i) => b === data[i])) throw new Error('read-back mismatch after programming');
    return { buffers: runner.layout.pageBuffers.length, eraseMs: t1 - t0, programMs: t2 - t1 };
  } finally {
    await core.close();
  }
}

function gdbTime(port: number, commands: string[]): number {
  const args = ['-batch', '-nx', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c])];
  const t = performance.now();
  const r = spawnSync('gdb-multiarch', args, { encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0 || /error|Cannot|failed/i.test(r.stderr)) throw new Error(`gdb-multiarch failed: ${r.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const tc = new Toolchain();
  const q = await startQemu('microbit');
  try {
    const flm = tc.flm();
    const ours = loadFlm(flm.data, flm.path);
    const data = random(FLASH_BYTES, 7);
    console.log(`QEMU ${spawnSync('qemu-system-arm', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}, machine microbit, GDB stub on port ${q.port}`);
    console.log(`\nFlash programming through a flash algorithm (${FLASH_BYTES / 1024} KiB, ${FLASH_BYTES / ours.flash.pageSize} pages of ${ours.flash.pageSize} B):`);
    const algos: Array<[string, FlashAlgorithm]> = [['own FLM', ours]];
    try { algos.push(['pyOCD nRF51', importPyocdAlgorithm(readFileSync(PYOCD_NRF51, 'utf8'), PYOCD_NRF51).algorithm]); } catch { /* python3-pyocd not installed */ }
    for (const [name, algo] of algos) {
      const best: Record<string, { programMs: number; eraseMs: number }> = {};
      for (let run = 0; run < RUNS; run++) {
        for (const db of [true, false]) {
          const r = await flashRun(q.port, algo, db, data);
          const k = r.buffers === 2 ? 'double' : 'single';
          best[k] = { programMs: Math.min(best[k]?.programMs ?? Infinity, r.programMs), eraseMs: Math.min(best[k]?.eraseMs ?? Infinity, r.eraseMs) };
        }
      }
      for (const k of ['double', 'single']) {
        const r = best[k];
        if (!r) throw new Error(`no ${k}-buffer run was measured`);
        console.log(`  ${name.padEnd(12)} ${k} buffer: program ${kibs(FLASH_BYTES, r.programMs).toFixed(0).padStart(5)} KiB/s (${r.programMs.toFixed(0)} ms), erase ${kibs(FLASH_BYTES, r.eraseMs).toFixed(0)} KiB/s`);
      }
      console.log(`  ${name.padEnd(12)} double / single: ${(best.single!.programMs / best.double!.programMs).toFixed(2)}×`);
    }
    console.log('  (GDB all-stop mode forbids memory access while the core runs, so over GDB both buffers are loaded');
    console.log('   while halted and one resume runs two ProgramPage calls through a trampoline: half the halts per page.)');

    // Leave a firmware that runs harmlessly: gdb detaches (and QEMU resumes) when it exits.
    const app = elfToImage(parseElf(new Uint8Array(readFileSync(tc.app('bench'))), 'app'), 'app');
    {
      const { core } = await session(q.port);
      const runner = new FlashAlgoRunner(core, ours, { ram: RAM });
      const seg = app.segments[0]!;
      const padded = new Uint8Array(Math.ceil(seg.data.length / 1024) * 1024).fill(0xff);
      padded.set(seg.data);
      for (let a = 0; a < padded.length; a += 1024) await runner.eraseSector(a);
      await runner.program(0, padded);
      await runner.unload();
      await core.reset('halt'); // PC at the firmware's reset handler, not on the algorithm's BKPT
      await core.close();
    }

    const chunk = random(RAM_CHUNK, 3);
    const file = join(tc.dir, 'ram.bin');
    writeFileSync(file, chunk);
    const total = RAM_CHUNK * RAM_REPEATS;
    // Ours and gdb's runs alternate, and each figure is the best of RUNS, so background load hits both alike.
    const restores = Array.from({ length: RAM_REPEATS }, () => `restore ${file} binary ${RAM.start}`);
    let oursMs = Infinity;
    let base = Infinity;
    let withRestore = Infinity;
    let packet = '';
    for (let run = 0; run < RUNS; run++) {
      const { client } = await session(q.port);
      const t0 = performance.now();
      for (let i = 0; i < RAM_REPEATS; i++) await client.writeMemory(RAM.start, chunk);
      oursMs = Math.min(oursMs, performance.now() - t0);
      const back = await client.readMemory(RAM.start, RAM_CHUNK);
      if (!back.every((b, i) => b === chunk[i])) throw new Error('RAM read-back mismatch');
      packet = client.memoryWritePacket;
      await client.close();
      await new Promise((r) => setTimeout(r, 100));
      base = Math.min(base, gdbTime(q.port, []));
      withRestore = Math.min(withRestore, gdbTime(q.port, restores));
    }
    const gdbMs = Math.max(1, withRestore - base);

    // One-shot: what a user waits for to put one 16 KiB file into RAM — connect, download,
    // disconnect — flashwright's library call against one gdb-multiarch -batch run.
    let oneShotOurs = Infinity;
    let oneShotGdb = Infinity;
    for (let run = 0; run < RUNS; run++) {
      const t = performance.now();
      const { client } = await session(q.port);
      await client.writeMemory(RAM.start, chunk);
      await client.close();
      oneShotOurs = Math.min(oneShotOurs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
      oneShotGdb = Math.min(oneShotGdb, gdbTime(q.port, [`restore ${file} binary ${RAM.start}`]));
    }
    console.log(`\nRAM download, ${RAM_REPEATS} × ${RAM_CHUNK / 1024} KiB to ${'0x20000000'} (QEMU PacketSize 0x1000, writes via ${packet} packets; best of ${RUNS} runs):`);
    console.log(`  flashwright    ${kibs(total, oursMs).toFixed(0).padStart(7)} KiB/s (${oursMs.toFixed(0)} ms)`);
    console.log(`  gdb-multiarch  ${kibs(total, gdbMs).toFixed(0).padStart(7)} KiB/s (${gdbMs.toFixed(0)} ms net; ${withRestore.toFixed(0)} ms run − ${base.toFixed(0)} ms connect-only run)`);
    console.log('  (gdb\'s net time is the difference of two process runs, so it swings by tens of ms on a busy machine;');
    console.log('   both clients wait for each M reply — RSP allows one packet in flight — so per-packet overhead decides.)');
    console.log(`\nOne-shot RAM download of one ${RAM_CHUNK / 1024} KiB file (best of ${RUNS}) — information, not judged: a warm library call`);
    console.log('against a cold process, so most of the difference is gdb\'s process start, not the protocol work:');
    console.log(`  flashwright library call in this running process (connect + write + disconnect)  ${oneShotOurs.toFixed(1).padStart(6)} ms`);
    console.log(`  gdb-multiarch -batch -ex 'target remote' -ex 'restore …' as a new process      ${oneShotGdb.toFixed(1).padStart(6)} ms`);
    console.log(`  warm-call ÷ cold-process speed: ${(oneShotGdb / oneShotOurs).toFixed(2)}×`);
    console.log(`\n${machineLoad()}; times are wall clock, so a busy machine moves them`);
    console.log('targets (issue 5 §7):');
    target('sustained RAM download speed, flashwright ÷ gdb-multiarch (gdb\'s start-up subtracted)', gdbMs / oursMs, '>=', 1, { unit: '×',
      note: `${kibs(total, oursMs).toFixed(0)} vs ${kibs(total, gdbMs).toFixed(0)} KiB/s` });
    finishTargets();
  } finally {
    await q.stop();
    tc.cleanup();
  }
}

await main();
