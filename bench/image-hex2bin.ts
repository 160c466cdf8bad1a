/**
 * HEX → BIN on a generated 32 MiB image: flashwright (library call, CLI under tsx, compiled
 * CLI) against srec_cat and arm-none-eabi-objcopy on the same file, in one run. Every row is
 * a child process; times are best of N, peak memory is that run's own ru_maxrss (GNU time).
 * Targets (issue 2), judged on the compiled CLI: at most half of srec_cat's time, no slower
 * than objcopy, peak memory under 4× the image size; exits non-zero when one is missed.
 * Then scattered records (issue 10 §5): a million S3 records of 1–16 bytes in random order
 * with gaps between them, converted to Intel HEX by the compiled CLI and by srec_cat; peak
 * RSS per record above each tool's own idle peak, judged against the goal (4× the
 * data plus at most 64 bytes per record) and against srec_cat.
 * Run: node --import tsx bench/image-hex2bin.ts [MiB] [runs] [scattered records]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeIntelHex } from '../src/image/intel-hex.js';
import { MemoryImage } from '../src/image/memory-image.js';
import { recordFile } from '../test/image/helpers/hostile-records.js';
import { finishTargets, machineLoad, target, unmeasured } from './_targets.js';
import { loadImageFile } from '../src/cli/load-image.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const MIB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 32);
const runs = Number(process.argv[3] ?? 3);
const scatteredRecords = Number(process.argv[4] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'fw-bench-hex2bin-'));

function which(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** Deterministic, incompressible-looking firmware-sized data (xorshift32). */
function generate(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = new Uint32Array(out.buffer);
  let x = 0x12345678;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  return out;
}

interface Result { name: string; seconds: number; maxRssMiB?: number | undefined; output: string }

/**
 * Peak memory of every row comes from one place: the child's own rusage (ru_maxrss, from
 * wait4) as GNU time prints it with -f %M, written to a file so the tool's stderr stays its
 * own. Without /usr/bin/time (Debian package "time", which .ci/run installs) memory is not
 * measured and the memory target fails; it is never read as 0.
 */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Runs a command `runs` times; the best wall time, and the peak RSS of that same run.
 * `innerSeconds` reads a time the child measured itself (for the library-call row, which
 * leaves out node's start and tsx's compile); otherwise the wall time of the child is used.
 */
function runTool(name: string, cmd: string, args: string[], output: string, innerSeconds?: (stdout: string) => number): Result | undefined {
  if (!which(cmd) && !cmd.startsWith('/')) { console.log(`(no ${name}: ${cmd} not installed)`); return undefined; }
  let best: Result | undefined;
  const rss = join(dir, 'rss.txt');
  for (let r = 0; r < runs; r++) {
    rmSync(output, { force: true });
    rmSync(rss, { force: true });
    const t0 = process.hrtime.bigint();
    const p = TIME ? spawnSync(TIME, ['-f', '%M', '-o', rss, cmd, ...args], { encoding: 'utf8', cwd: ROOT })
      : spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr}`);
    const seconds = innerSeconds ? innerSeconds(p.stdout) : wall;
    const kib = TIME ? Number(readFileSync(rss, 'utf8').trim().split('\n').at(-1)) : NaN;
    const maxRssMiB = Number.isFinite(kib) && kib > 0 ? kib / 1024 : undefined;
    if (!best || seconds < best.seconds) best = { name, seconds, maxRssMiB, output };
  }
  return best;
}

/** The scattered-records rows: same file, both tools, peak RSS per record above each one's idle peak. */
function scattered(bundle: string | undefined): void {
  const gen = recordFile({ layout: 'scattered', format: 'srec', count: scatteredRecords, seed: 10 });
  const path = join(dir, 'scattered.srec');
  writeFileSync(path, gen.file);
  const { records, expected } = gen;
  console.log(`\nscattered records: ${path}, ${(gen.file.length / MIB).toFixed(1)} MiB of S-record, ${records} records of 1–16 bytes in random order with gaps, ${(expected.size / MIB).toFixed(1)} MiB of data; → Intel HEX; best of ${runs} runs`);
  if (!bundle) { unmeasured('scattered records: flashwright compiled CLI', 'the bundle was not built'); return; }
  const fw = runTool('flashwright CLI (compiled)', process.execPath, [bundle, 'convert', path, join(dir, 'scattered-fw.hex')], join(dir, 'scattered-fw.hex'));
  const fwIdle = runTool('flashwright CLI idle', process.execPath, [bundle, '--version'], join(dir, 'idle.none'));
  const sc = runTool('srec_cat', 'srec_cat', ['-disable-sequence-warnings', path, '-o', join(dir, 'scattered-sc.hex'), '-intel'], join(dir, 'scattered-sc.hex'));
  const scIdle = sc && runTool('srec_cat idle', 'srec_cat', ['-VERSion'], join(dir, 'idle.none'));
  const perRecord = (r: Result | undefined, idle: Result | undefined) => (r?.maxRssMiB && idle?.maxRssMiB ? ((r.maxRssMiB - idle.maxRssMiB) * MIB) / records : NaN);
  console.log('tool                          time (s)   peak RSS (MiB)   idle peak (MiB)   B/record above idle   same data as the records');
  for (const [r, idle] of [[fw, fwIdle], [sc, scIdle]] as const) {
    if (!r) continue;
    // Read the output back with flashwright's reader: same bytes at the same addresses as the records?
    const back = loadImageFile(r.output).image;
    const same = back.size === expected.size && back.segmentCount === expected.segments && back.crc32() === expected.crc32;
    console.log(`${r.name.padEnd(28)} ${r.seconds.toFixed(3).padStart(9)}   ${(r.maxRssMiB?.toFixed(0) ?? '?').padStart(14)}   ${(idle?.maxRssMiB?.toFixed(0) ?? '?').padStart(15)}   ${perRecord(r, idle).toFixed(1).padStart(19)}   ${same ? 'yes' : 'NO'}`);
    if (!same) target(`${r.name} output holds the records' data`, 0, '>=', 1, { digits: 0 });
  }
  const fwPer = perRecord(fw, fwIdle);
  const beyondData = fw?.maxRssMiB && fwIdle?.maxRssMiB ? (((fw.maxRssMiB - fwIdle.maxRssMiB) * MIB) - 4 * expected.size) / records : NaN;
  console.log(`targets (issue 10 §5), peak RSS of the whole process above its own idle peak, ${records} records:`);
  if (!fw?.maxRssMiB) unmeasured('scattered records: flashwright peak RSS', '/usr/bin/time is not installed (Debian package "time")');
  else {
    target('flashwright compiled CLI: peak RSS beyond 4× the data, per record', beyondData, '<=', 64, { digits: 1, unit: ' B', note: `${fwPer.toFixed(1)} B/record in all, data ${(expected.size / records).toFixed(1)} B/record` });
    if (sc?.maxRssMiB) target('flashwright B/record ÷ srec_cat B/record', fwPer / perRecord(sc, scIdle), '<=', 3, { unit: '×', note: `srec_cat ${perRecord(sc, scIdle).toFixed(1)} B/record` });
    else unmeasured('flashwright B/record ÷ srec_cat B/record', 'srec_cat not installed');
  }
  console.log(`information (not judged): flashwright time ÷ srec_cat ${fw && sc ? (fw.seconds / sc.seconds).toFixed(2) : '?'} (wall clock, ${machineLoad()})`);
}

try {
  // At address 0, so every tool's binary starts at the same place with the plain commands.
  const image = MemoryImage.fromSegments([{ address: 0, data: generate(sizeMiB * MIB) }], 0x00000101);
  const hexPath = join(dir, 'in.hex');
  writeFileSync(hexPath, writeIntelHex(image, { recordSize: 16 }));
  console.log(`input: ${hexPath}, ${(statSync(hexPath).size / MIB).toFixed(1)} MiB of Intel HEX (16-byte records) for a ${sizeMiB} MiB image; best of ${runs} runs`);

  const results: Result[] = [];
  // The library call the CLI makes, in a child of its own: it times its own work (no process
  // start, no tsx compile) and its peak memory is measured like every other row's.
  const child = join(dir, 'child.ts');
  writeFileSync(child, [
    `import { openSync, writeSync, closeSync } from 'node:fs';`,
    `import { loadImageFile } from ${JSON.stringify(join(ROOT, 'src/cli/load-image.ts'))};`,
    `import { binaryChunks } from ${JSON.stringify(join(ROOT, 'src/image/binary.ts'))};`,
    `if (process.argv[2] === 'idle') process.exit(0);`,
    `const t0 = process.hrtime.bigint();`,
    `const img = loadImageFile(process.argv[2]).image;`,
    `const fd = openSync(process.argv[3], 'w');`,
    `for (const c of binaryChunks(img)) for (let o = 0; o < c.length;) o += writeSync(fd, c, o, c.length - o);`,
    `closeSync(fd);`,
    `console.log(String(Number(process.hrtime.bigint() - t0) / 1e9));`,
  ].join('\n'));
  const idle = runTool('node+tsx idle', process.execPath, ['--import', 'tsx', child, 'idle'], join(dir, 'idle.none'));
  const lib = runTool('flashwright library call', process.execPath, ['--import', 'tsx', child, hexPath, join(dir, 'fw-lib.bin')], join(dir, 'fw-lib.bin'), (out) => Number(out.trim()));
  if (lib) results.push(lib);

  const cliRun = runTool('flashwright CLI (node+tsx)', process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'convert', hexPath, join(dir, 'fw-cli.bin')], join(dir, 'fw-cli.bin'));
  if (cliRun) results.push(cliRun);
  // The CLI as npm installs it: the bundled JavaScript `npm run build` makes (no tsx), built here into node_modules/.cache.
  const bundle = join(ROOT, 'node_modules/.cache/flashwright-bench-dist/flashwright.js');
  spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs'), bundle], { cwd: ROOT, encoding: 'utf8' });
  if (existsSync(bundle)) {
    const built = runTool('flashwright CLI (compiled)', process.execPath, [bundle, 'convert', hexPath, join(dir, 'fw-dist.bin')], join(dir, 'fw-dist.bin'));
    if (built) results.push(built);
  } else console.log('(skipping the compiled CLI: the bundle was not built)');
  const srec = runTool('srec_cat', 'srec_cat', [hexPath, '-intel', '-o', join(dir, 'srec.bin'), '-binary'], join(dir, 'srec.bin'));
  if (srec) results.push(srec);
  const objcopy = runTool('arm-none-eabi-objcopy', 'arm-none-eabi-objcopy', ['-I', 'ihex', '-O', 'binary', hexPath, join(dir, 'objcopy.bin')], join(dir, 'objcopy.bin'));
  if (objcopy) results.push(objcopy);

  const reference = readFileSync(srec?.output ?? results[0]!.output);
  console.log('');
  console.log('tool                          time (s)   peak RSS (MiB)   RSS / image   same output as srec_cat');
  for (const r of results) {
    const same = Buffer.compare(readFileSync(r.output), reference) === 0 ? 'yes' : 'NO';
    console.log(`${r.name.padEnd(28)} ${r.seconds.toFixed(3).padStart(9)}   ${(r.maxRssMiB?.toFixed(0) ?? '?').padStart(14)}   ${r.maxRssMiB ? (r.maxRssMiB / sizeMiB).toFixed(2).padStart(10) + '×' : '          ?'}   ${same}`);
  }
  console.log(`(time: best of ${runs} wall times of the process, except the library call, timed inside its child; peak RSS: that run's ru_maxrss via /usr/bin/time -f %M${TIME ? '' : ' — NOT AVAILABLE here'})`);
  if (idle?.maxRssMiB) console.log(`(node + tsx exiting before any work peaks at ${idle.maxRssMiB.toFixed(0)} MiB)`);
  const ratio = (a: Result | undefined, b: Result | undefined) => (a && b ? a.seconds / b.seconds : NaN);
  const cli = results.find((r) => r.name.includes('tsx'));
  const built = results.find((r) => r.name.includes('compiled'));
  console.log('\ninformation (not judged):');
  console.log(`  library call / srec_cat ${ratio(lib, srec).toFixed(2)}, / objcopy ${ratio(lib, objcopy).toFixed(2)} (work only, against whole processes: favours flashwright)`);
  if (lib?.maxRssMiB && idle?.maxRssMiB) console.log(`  library call peak RSS ${(lib.maxRssMiB / sizeMiB).toFixed(2)}× the image, node + tsx included; ${((lib.maxRssMiB - idle.maxRssMiB) / sizeMiB).toFixed(2)}× above an idle node + tsx`);
  console.log(`  CLI under tsx / srec_cat ${ratio(cli, srec).toFixed(2)}, / objcopy ${ratio(cli, objcopy).toFixed(2)} (includes compiling TypeScript at start)`);
  console.log(`\n${machineLoad()}; times are wall clock, so a busy machine moves them`);
  console.log('targets (issue 2 §6), judged on the compiled CLI as npm installs it, whole process against whole process:');
  const what = 'flashwright compiled CLI';
  if (!built) unmeasured(`${what} time and memory`, 'the bundle was not built');
  else {
    if (srec) target(`${what} time ÷ srec_cat`, ratio(built, srec), '<=', 0.5); else unmeasured(`${what} time ÷ srec_cat`, 'srec_cat not installed');
    if (objcopy) target(`${what} time ÷ arm-none-eabi-objcopy`, ratio(built, objcopy), '<=', 1); else unmeasured(`${what} time ÷ objcopy`, 'arm-none-eabi-objcopy not installed');
    if (built.maxRssMiB) target(`${what} peak RSS ÷ image size`, built.maxRssMiB / sizeMiB, '<', 4, { unit: '×', note: `${built.maxRssMiB.toFixed(0)} MiB for ${sizeMiB} MiB` });
    else unmeasured(`${what} peak RSS ÷ image size`, '/usr/bin/time is not installed (Debian package "time")');
    const differ = results.filter((r) => Buffer.compare(readFileSync(r.output), reference) !== 0).map((r) => r.name);
    target('rows whose output differs from srec_cat\'s', differ.length, '<=', 0, { digits: 0, note: differ.join(', ') || 'all identical' });
  }
  scattered(existsSync(bundle) ? bundle : undefined);
  finishTargets();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
