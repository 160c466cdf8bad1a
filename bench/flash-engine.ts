/**
 * Flash engine figures: planner speed, engine wall time over the in-process sim, and the
 * modelled device time (datasheet timings on the NOR model's virtual clock) against a
 * naive strategy this bench codes itself and runs in the same process — mass erase, program
 * everything, read everything back. It is not a real tool: no link is modelled and the
 * simulator's reads cost no modelled time, which flatters read-back for both sides. The
 * comparison with a real peer's bytes and turnarounds (stm32flash over the simulator) is in
 * bench/stm32-uart.ts. No target is judged here: the figures are for information.
 */
import { writeImage } from '../src/flash/engine.js';
import { planFlash } from '../src/flash/plan.js';
import { MemoryImage } from '../src/image/memory-image.js';
import { SimProgrammer } from '../src/programmer/sim.js';
import { NOR_TIMING_PRESETS } from '../src/sim/nor-flash.js';
import { SimMemory } from '../src/sim/sim-memory.js';
import { requireTarget } from '../src/target/lookup.js';
import type { TargetDescription } from '../src/target/types.js';

function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = (x >>> 24) & 0x7f; }
  return out;
}

/** A vector table the pre-flight checks accept (initial SP inside every target's RAM), then noise. */
function firmware(base: number, size: number, seed = 1): MemoryImage {
  const d = random(size, seed);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, 0x20004000, true);
  dv.setUint32(4, base + 0x41, true);
  return MemoryImage.fromSegments([{ address: base, data: d }]);
}

function ms(f: () => void, reps = 5): number {
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t) / reps;
}

async function wall<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
}

/** Link bytes a read-back costs; digests cost a few bytes each (counted as 0 here). */
function readBytes(p: SimProgrammer): number {
  return p.calls.reduce((n, c) => n + (c.op === 'read' ? c.length : 0), 0);
}

async function engineVsNaive(target: TargetDescription, preset: keyof typeof NOR_TIMING_PRESETS, image: MemoryImage, changed: MemoryImage) {
  const fresh = () => {
    const m = new SimMemory(target, { nor: { default: { timing: NOR_TIMING_PRESETS[preset] } } });
    // A device that already holds an older build everywhere the image goes.
    for (const s of image.segments) m.program(s.address, random(s.data.length, 99));
    return m;
  };
  // The naive strategy: mass erase, program every byte, read every byte back (reads cost no modelled time).
  const nm = fresh();
  const naive = new SimProgrammer(nm, { digest: false });
  const n0 = nm.clock.nowMs;
  const nw = await wall(async () => {
    await naive.eraseChip!();
    for (const s of image.segments) await naive.programFlash(s.address, s.data);
    for (const s of image.segments) await naive.readMemory(s.address, s.data.length);
  });
  const naiveModel = nm.clock.nowMs - n0;

  const em = fresh();
  const eng = new SimProgrammer(em);
  const dev = await eng.connect();
  const e0 = em.clock.nowMs;
  const ew = await wall(() => writeImage(eng, dev, image));
  const engModel = em.clock.nowMs - e0;
  const r0 = em.clock.nowMs;
  const rw = await wall(() => writeImage(eng, dev, changed));
  const incModel = em.clock.nowMs - r0;

  const kib = image.size / 1024;
  console.log(`${target.name} (${preset} timings), ${kib.toFixed(0)} KiB image over an older build:`);
  console.log(`  naive (bench-coded): modelled ${(naiveModel / 1000).toFixed(2)} s, wall ${nw.ms.toFixed(1)} ms, read back ${(readBytes(naive) / 1024).toFixed(0)} KiB`);
  console.log(`  engine            : modelled ${(engModel / 1000).toFixed(2)} s, wall ${ew.ms.toFixed(1)} ms, read back ${(readBytes(eng) / 1024).toFixed(0)} KiB (${ew.value.chipErase ? 'mass erase' : `${ew.value.sectorsErased} sector erases`}, verify ${ew.value.verify})`);
  console.log(`  naive ÷ engine modelled device time (reads free for both, no link time): ${(naiveModel / engModel).toFixed(2)}×`);
  console.log(`  one-sector change rewrite: modelled ${(incModel / 1000).toFixed(3)} s (${rw.value.sectorsSkipped} skipped, ${rw.value.sectorsWritten} written), ${(naiveModel / incModel).toFixed(1)}× less than the naive full rewrite; wall ${rw.ms.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const f407 = requireTarget('stm32f407xg');
  const rt = requireTarget('mimxrt1062');
  const big = firmware(0x08000000, 0x100000);
  const ext = firmware(0x60000000, 0x800000, 3);
  console.log('planner (pure):');
  console.log(`  STM32F407xG, 1 MiB over 12 non-uniform sectors: ${ms(() => planFlash({ image: big, target: f407 })).toFixed(2)} ms per plan`);
  console.log(`  MIMXRT1062, 8 MiB over 2048 × 4 KiB FlexSPI sectors: ${ms(() => planFlash({ image: ext, target: rt }), 3).toFixed(2)} ms per plan`);

  const img = firmware(0x08000000, 0x60000);
  const changedData = img.read(0x08000000, 0x60000);
  changedData[0x50010]! ^= 0x01;
  await engineVsNaive(f407, 'stm32f4', img, MemoryImage.fromSegments([{ address: 0x08000000, data: changedData }]));

  const f103 = requireTarget('stm32f103xb');
  const small = firmware(0x08000000, 0x10000);
  const sd = small.read(0x08000000, 0x10000);
  sd[0x8000]! ^= 0x01;
  await engineVsNaive(f103, 'stm32f1', small, MemoryImage.fromSegments([{ address: 0x08000000, data: sd }]));
  console.log('\n(the naive strategy is coded by this bench, not a real tool; no target is judged here — bench/stm32-uart.ts compares with stm32flash)');
}

await main();
