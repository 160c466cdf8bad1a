/**
 * Part lookup among 10,000 installed devices: 10 synthetic packs of 1,000 devices each (the
 * .pdsc shape real DFPs use: family → subFamily → device, id-style memories, algorithms)
 * written to a temp pack folder. Figures: building the catalog once (what a pack change
 * costs), and a cold lookup — a fresh store reading catalog.json and finding a part, as every
 * `--target NAME` command does — against the 50 ms target; next to it, the cost of finding the
 * part by parsing every .pdsc without the catalog, measured in the same run. And the whole
 * of what `--target NAME` does: the part resolved into its target description (catalog, the
 * pack's device index, its FLM inflated and loaded), cold, with an FLM compiled from our own
 * test source (not measured without arm-none-eabi-gcc).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { PackStore } from '../src/pack/node-store.js';
import { filesFromZip } from '../src/pack/files.js';
import { openPack } from '../src/pack/pack.js';
import { haveTool, Toolchain } from '../test/flash-algo/toolchain.js';
import { finishTargets, machineLoad, target, unmeasured } from './_targets.js';

const PACKS = 10;
const PER_PACK = 1000;

function pdsc(p: number): string {
  const devices: string[] = [];
  for (let s = 0; s < PER_PACK / 50; s++) {
    devices.push(`<subFamily DsubFamily="SF${p}_${s}"><algorithm name="Flash\\F${s}.FLM" start="0x08000000" size="0x40000" default="1"/>`);
    for (let d = 0; d < 50; d++) {
      devices.push(`<device Dname="SYN${p}X${s}Y${String(d).padStart(2, '0')}"><memory id="IROM1" start="0x08000000" size="0x${(0x10000 << (d % 3)).toString(16)}" startup="1" default="1"/></device>`);
    }
    devices.push('</subFamily>');
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<package schemaVersion="1.7.7"><vendor>Bench</vendor><name>Syn${p}_DFP</name><description>synthetic</description>
<releases><release version="1.0.${p}">x</release></releases><devices><family Dfamily="SYN${p}" Dvendor="Bench:0">
<processor Dcore="Cortex-M4" Dfpu="SP_FPU" Dendian="Little-endian" Dclock="100000000"/><memory id="IRAM1" start="0x20000000" size="0x8000" default="1"/>
${devices.join('\n')}</family></devices></package>\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'fw-bench-packs-'));
try {
  console.log(machineLoad());
  const zips: Uint8Array[] = [];
  const tc = haveTool('arm-none-eabi-gcc') ? new Toolchain() : undefined;
  const flm = tc?.flm(['FLM_NAME="bench 256K"']).data;
  tc?.cleanup();
  const flms: Record<string, Uint8Array> = {};
  if (flm) for (let s = 0; s < PER_PACK / 50; s++) flms[`Flash/F${s}.FLM`] = flm;
  for (let p = 0; p < PACKS; p++) {
    const zip = zipSync({ [`Bench.Syn${p}_DFP.pdsc`]: new TextEncoder().encode(pdsc(p)), ...flms });
    zips.push(zip);
    writeFileSync(join(dir, `Bench.Syn${p}_DFP.1.0.${p}.pack`), zip);
  }
  const names = ['SYN7X13Y42', 'syn0x0y00', 'SYN9X19Y49T6' /* ordering-code suffix */, 'SYN3X5Y07'];

  let t0 = performance.now();
  const built = new PackStore(dir).getCatalog();
  const buildMs = performance.now() - t0;
  console.log(`  catalog built once: ${built.entries.length} devices from ${PACKS} packs in ${buildMs.toFixed(0)} ms`);
  if (built.entries.length !== PACKS * PER_PACK) throw new Error(`expected ${PACKS * PER_PACK} devices, catalog has ${built.entries.length}`);

  // Cold lookups: a new store each time, as a new command would have (catalog.json read and checked against the files).
  const cold: number[] = [];
  for (let i = 0; i < 20; i++) {
    const name = names[i % names.length]!;
    t0 = performance.now();
    const e = new PackStore(dir).getCatalog().find(name);
    cold.push(performance.now() - t0);
    if (!e) throw new Error(`lookup of ${name} found nothing`);
  }
  cold.sort((a, b) => a - b);
  const median = cold[cold.length >> 1]!;
  const worst = cold[cold.length - 1]!;

  // Without the catalog: open every pack and scan its devices.
  t0 = performance.now();
  let found = 0;
  for (const z of zips) {
    const p = openPack(filesFromZip(z, 'bench'));
    if (p.pdsc.devices.some((d) => d.name.toLowerCase() === 'syn7x13y42')) found++;
  }
  const scanMs = performance.now() - t0;
  if (found !== 1) throw new Error('the scan did not find the part');
  const warm = new PackStore(dir);
  warm.getCatalog();
  t0 = performance.now();
  for (let i = 0; i < 1000; i++) warm.getCatalog().find(names[i % names.length]!);
  const warmUs = ((performance.now() - t0) / 1000) * 1000;

  console.log(`  cold lookup (new store: stat packs + read catalog.json + find): median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms of ${cold.length}`);
  console.log(`  warm lookup (store already open, files re-stat'ed): ${warmUs.toFixed(1)} µs each`);
  console.log(`  without the catalog (parse every .pdsc): ${scanMs.toFixed(0)} ms — the catalog is ${(scanMs / median).toFixed(0)}× faster`);
  // Judged on the median: on this shared 2-core machine (load ~13) single runs stall for
  // scheduling, not lookup work; the worst is printed beside it.
  target('part lookup among 10,000 installed devices (cold, median of 20)', median, '<', 50, { unit: ' ms', note: `worst ${worst.toFixed(1)} ms; ${machineLoad()}` });
  if (flm) {
    const resolve: number[] = [];
    for (let i = 0; i < 20; i++) {
      const name = names[i % names.length]!;
      t0 = performance.now();
      const t = new PackStore(dir).findTarget(name);
      resolve.push(performance.now() - t0);
      if (!t || t.defaults.length !== 1) throw new Error(`${name} did not resolve to a target with its algorithm`);
    }
    resolve.sort((a, b) => a - b);
    const rMedian = resolve[resolve.length >> 1]!;
    console.log(`  --target NAME resolved (new store: catalog + device index + FLM): median ${rMedian.toFixed(2)} ms, worst ${resolve[resolve.length - 1]!.toFixed(2)} ms of ${resolve.length}`);
    target('part resolved into its target and algorithm among 10,000 devices (cold, median of 20)', rMedian, '<', 50, { unit: ' ms', note: `worst ${resolve[resolve.length - 1]!.toFixed(1)} ms` });
  } else unmeasured('part resolved into its target and algorithm among 10,000 devices', 'arm-none-eabi-gcc is missing (the FLM is compiled from test/fixtures/flash-algo)');
  target('catalog vs parsing every .pdsc (speed-up)', scanMs / median, '>=', 10, { digits: 0, unit: '×' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
finishTargets();
