/**
 * MCUboot over UART: 256 KiB written to the simulated MK64FN1M0 through the real protocol
 * code and the flash engine, timed on the virtual link model (115200 baud 8N1 = 10 bits per
 * byte, plus one adapter turnaround per change of direction). Compared with the protocol's
 * lower bound at the same packet size: one WriteMemory command carrying all the data, every
 * DATA frame (6 + P bytes) answered by a 2-byte ACK, two turnarounds per packet.
 * Also: the same 256 KiB over USB-HID (one report per 1 ms USB frame), for scale.
 */
import { writeImage } from '../src/flash/engine.js';
import { MemoryImage } from '../src/image/memory-image.js';
import { createPipe, modeledSeconds, type LinkCounters } from '../src/link/pipe.js';
import { McubootProgrammer } from '../src/programmer/mcuboot.js';
import { HidTransport } from '../src/protocol/mcuboot/hid.js';
import { UartTransport } from '../src/protocol/mcuboot/transport.js';
import { mcubootChip } from '../src/sim/mcuboot/chips.js';
import { McubootHidSim } from '../src/sim/mcuboot/hid.js';
import { McubootSimTarget } from '../src/sim/mcuboot/target.js';
import { McubootUartSim } from '../src/sim/mcuboot/uart.js';
import { requireTarget } from '../src/target/lookup.js';
import { finishTargets, target } from './_targets.js';

const SIZE = 256 * 1024;
const BAUD = 115200;
const BITS = 10;
const TURNAROUNDS_MS = [1, 16];

function firmware(): MemoryImage {
  const d = new Uint8Array(SIZE);
  let x = 7;
  for (let i = 0; i < SIZE; i++) { x = (x * 1103515245 + 12345) >>> 0; d[i] = x >>> 24; }
  const v = new DataView(d.buffer);
  v.setUint32(0, 0x20030000, true);
  v.setUint32(4, 0x411, true);
  d.set([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff], 0x400);
  return MemoryImage.fromSegments([{ address: 0, data: d, source: 'bench' }]);
}

/** The protocol's floor for moving `n` bytes with packet size `p` in one WriteMemory. */
function lowerBound(n: number, p: number): LinkCounters {
  const packets = Math.ceil(n / p);
  const command = 6 + 4 + 12; // WriteMemory: header + 3 parameters
  const response = 6 + 4 + 8; // generic response: status + tag
  return {
    bytesToDevice: command + 2 + 2 + n + packets * 6 + 2,
    bytesToHost: 2 + response + packets * 2 + response,
    turnarounds: 2 * packets + 4,
  };
}

function diff(a: LinkCounters, b: LinkCounters): LinkCounters {
  return { bytesToDevice: a.bytesToDevice - b.bytesToDevice, bytesToHost: a.bytesToHost - b.bytesToHost, turnarounds: a.turnarounds - b.turnarounds };
}

async function uartRun(maxPacketSize: number, verify: 'none' | 'readback', skipUnchanged: boolean | undefined = false) {
  const pipe = createPipe();
  const target = new McubootSimTarget(mcubootChip('MK64FN1M0')!, { maxPacketSize });
  new McubootUartSim(pipe.device, target);
  const prog = new McubootProgrammer({ transport: new UartTransport(pipe.host), target: requireTarget('MK64FN1M0') });
  const t0 = performance.now();
  const device = await prog.connect();
  const afterConnect = { ...pipe.counters };
  const summary = await writeImage(prog, device, firmware(), { verify, skipUnchanged });
  const wallMs = performance.now() - t0;
  await prog.close();
  return { counters: diff(pipe.counters, afterConnect), connect: afterConnect, summary, wallMs, packet: device.details?.maxPacketSize as number };
}

async function hidRun() {
  const target = new McubootSimTarget(mcubootChip('MK64FN1M0')!, { maxPacketSize: 60 });
  const sim = new McubootHidSim(target, 64);
  const prog = new McubootProgrammer({ transport: new HidTransport(sim.host, { padReports: true }), target: requireTarget('MK64FN1M0') });
  const device = await prog.connect();
  const before = { ...sim.counters };
  await writeImage(prog, device, firmware(), { verify: 'none', skipUnchanged: false });
  return { reports: sim.counters.reportsIn - before.reportsIn + sim.counters.reportsOut - before.reportsOut };
}

const secs = (c: LinkCounters, t: number) => modeledSeconds(c, BAUD, BITS, t);
const f = (s: number) => `${s.toFixed(2)} s`.padStart(9);

console.log(`MCUboot UART, ${SIZE / 1024} KiB to a simulated MK64FN1M0 at ${BAUD} baud 8N1 (modeled link time; erase + program, skipUnchanged off)`);
console.log('turnaround  packet  write(no verify)  lower bound  ratio   write+read-back verify  connect');
const rows: Array<{ t: number; p: number; ratio: number }> = [];
for (const p of [32, 512]) {
  const w = await uartRun(p, 'none');
  const v = await uartRun(p, 'readback');
  const bound = lowerBound(SIZE, w.packet);
  for (const t of TURNAROUNDS_MS) {
    const ratio = secs(w.counters, t) / secs(bound, t);
    rows.push({ t, p: w.packet, ratio });
    console.log(`${`${t} ms`.padStart(10)}  ${String(w.packet).padStart(6)}  ${f(secs(w.counters, t))}         ${f(secs(bound, t))}  ${ratio.toFixed(3)}×  ${f(secs(v.counters, t))}             ${f(secs(w.connect, t))}`);
  }
  console.log(`            (P=${w.packet}: ${w.counters.bytesToDevice} B out, ${w.counters.bytesToHost} B in, ${w.counters.turnarounds} turnarounds; bound ${bound.bytesToDevice}/${bound.bytesToHost}/${bound.turnarounds}; host wall time ${w.wallMs.toFixed(0)} ms)`);
}
const w32 = await uartRun(32, 'none');
const w512 = await uartRun(512, 'none');
console.log(`speed-up from packet size 32 → 512 at 1 ms turnaround: ${(secs(w32.counters, 1) / secs(w512.counters, 1)).toFixed(2)}×`);
// The target holds at every turnaround printed, at the negotiated (largest) packet size.
const best = Math.max(...rows.map((r) => r.p));
console.log('\ntargets (≤ 1.10× the lower bound at the negotiated packet size, every turnaround):');
for (const r of rows.filter((x) => x.p === best)) {
  target(`write ÷ lower bound at P=${r.p}, ${r.t} ms turnaround`, r.ratio, '<=', 1.1, { digits: 3, unit: '×', note: `at 32 bytes: ${rows.find((x) => x.p === 32 && x.t === r.t)!.ratio.toFixed(3)}×` });
}
const dflt = await uartRun(512, 'readback', undefined);
console.log(`engine defaults (no read first: MCUboot has no device checksum; write, then read-back verify), P=512, 1 ms: ${secs(dflt.counters, 1).toFixed(2)} s = ${(secs(dflt.counters, 1) / secs(lowerBound(SIZE, 512), 1)).toFixed(2)}× the write bound`);
const skip = await uartRun(512, 'readback', true);
console.log(`with --skip (read first to skip unchanged sectors, then write, then verify), P=512, 1 ms: ${secs(skip.counters, 1).toFixed(2)} s = ${(secs(skip.counters, 1) / secs(lowerBound(SIZE, 512), 1)).toFixed(2)}× the write bound`);
const hid = await hidRun();
console.log(`USB-HID (64-byte reports, 60-byte packets, 1 report per 1 ms frame): ${hid.reports} reports ≈ ${(hid.reports / 1000).toFixed(2)} s for the same write`);
finishTargets();
