/**
 * HEX → BIN on a generated 32 MiB image: flashwright (in-process and through the CLI) against
 * srec_cat and arm-none-eabi-objcopy on the same file, in one run. Prints times (best of N),
 * ratios and peak memory (max RSS from /usr/bin/time -v, else the child's resourceUsage).
 * Targets (issue 2): at most half of srec_cat's time, no slower than objcopy, peak memory
 * under 4× the image size. Run: node --import tsx bench/image-hex2bin.ts [MiB] [runs]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImageFile } from '../src/cli/load-image.js';
import { binaryChunks } from '../src/image/binary.js';
import { writeIntelHex } from '../src/image/intel-hex.js';
import { MemoryImage } from '../src/image/memory-image.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const MIB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 32);
const runs = Number(process.argv[3] ?? 3);
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

interface Result { name: string; seconds: number; maxRssMiB?: number; output: string }

const timeBin = which('time') ?? (existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined);

/** Runs a command `runs` times; best wall time, and the max RSS (KiB→MiB) of the best run. */
function runTool(name: string, cmd: string, args: string[], output: string): Result | undefined {
  if (!which(cmd) && !cmd.startsWith('/')) { console.log(`(skipping ${name}: ${cmd} not installed)`); return undefined; }
  let best: Result | undefined;
  for (let r = 0; r < runs; r++) {
    rmSync(output, { force: true });
    const t0 = process.hrtime.bigint();
    const p = timeBin ? spawnSync(timeBin, ['-v', cmd, ...args], { encoding: 'utf8', cwd: ROOT })
      : spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr}`);
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(p.stderr ?? '');
    const maxRssMiB = m ? Number(m[1]) / 1024 : undefined;
    if (!best || seconds < best.seconds) best = { name, seconds, maxRssMiB, output };
  }
  return best;
}

function writeBin(path: string, image: MemoryImage): void {
  const fd = openSync(path, 'w');
  for (const c of binaryChunks(image)) for (let o = 0; o < c.length;) o += writeSync(fd, c, o, c.length - o);
  closeSync(fd);
}

try {
  // At address 0, so every tool's binary starts at the same place with the plain commands.
  const image = MemoryImage.fromSegments([{ address: 0, data: generate(sizeMiB * MIB) }], 0x00000101);
  const hexPath = join(dir, 'in.hex');
  writeFileSync(hexPath, writeIntelHex(image, { recordSize: 16 }));
  console.log(`input: ${hexPath}, ${(statSync(hexPath).size / MIB).toFixed(1)} MiB of Intel HEX (16-byte records) for a ${sizeMiB} MiB image; best of ${runs} runs`);

  const results: Result[] = [];
  // In-process: the library call the CLI makes, timed inside this process.
  let best = Infinity;
  const inProcOut = join(dir, 'fw-inproc.bin');
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    writeBin(inProcOut, loadImageFile(hexPath).image);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  // Peak memory of the same work in a fresh child under /usr/bin/time (this process also holds
  // the generator's data; and a child's own maxRSS would inherit this process's at fork).
  const child = join(dir, 'child.ts');
  writeFileSync(child, [
    `import { openSync, writeSync, closeSync } from 'node:fs';`,
    `import { loadImageFile } from ${JSON.stringify(join(ROOT, 'src/cli/load-image.ts'))};`,
    `import { binaryChunks } from ${JSON.stringify(join(ROOT, 'src/image/binary.ts'))};`,
    `if (process.argv[2] === 'idle') process.exit(0);`,
    `const img = loadImageFile(process.argv[2]).image;`,
    `const fd = openSync(process.argv[3], 'w');`,
    `for (const c of binaryChunks(img)) for (let o = 0; o < c.length;) o += writeSync(fd, c, o, c.length - o);`,
    `closeSync(fd);`,
  ].join('\n'));
  const idle = runTool('node+tsx idle', process.execPath, ['--import', 'tsx', child, 'idle'], join(dir, 'idle.none'));
  const work = runTool('in-process child', process.execPath, ['--import', 'tsx', child, hexPath, join(dir, 'fw-child.bin')], join(dir, 'fw-child.bin'));
  const mem = { before: idle?.maxRssMiB ?? 0, after: work?.maxRssMiB ?? 0 };
  results.push({ name: 'flashwright (in-process)', seconds: best, maxRssMiB: mem.after || undefined, output: inProcOut });

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

  const reference = readFileSync(inProcOut);
  console.log('');
  console.log('tool                          time (s)   peak RSS (MiB)   RSS / image   same output');
  for (const r of results) {
    const same = Buffer.compare(readFileSync(r.output), reference) === 0 ? 'yes' : 'NO';
    console.log(`${r.name.padEnd(28)} ${r.seconds.toFixed(3).padStart(9)}   ${(r.maxRssMiB?.toFixed(0) ?? '?').padStart(14)}   ${r.maxRssMiB ? (r.maxRssMiB / sizeMiB).toFixed(2).padStart(10) + '×' : '          ?'}   ${same}`);
  }
  console.log('');
  const ratio = (a: Result | undefined, b: Result | undefined, label: string) => {
    if (a && b) console.log(`${label}: ${(a.seconds / b.seconds).toFixed(2)}`);
  };
  const inproc = results[0];
  const cli = results.find((r) => r.name.includes('tsx'));
  ratio(inproc, srec, 'flashwright in-process / srec_cat   (target <= 0.50)');
  ratio(cli, srec, 'flashwright CLI / srec_cat          (target <= 0.50)');
  ratio(inproc, objcopy, 'flashwright in-process / objcopy    (target <= 1.00)');
  ratio(cli, objcopy, 'flashwright CLI / objcopy           (target <= 1.00)');
  const built = results.find((r) => r.name.includes('compiled'));
  ratio(built, srec, 'flashwright compiled CLI / srec_cat (target <= 0.50)');
  ratio(built, objcopy, 'flashwright compiled CLI / objcopy  (target <= 1.00)');
  if (built?.maxRssMiB) console.log(`flashwright compiled CLI peak RSS: ${built.maxRssMiB.toFixed(0)} MiB = ${(built.maxRssMiB / sizeMiB).toFixed(2)}× the image (target < 4×)`);
  console.log(`flashwright peak RSS: ${mem.after.toFixed(0)} MiB = ${(mem.after / sizeMiB).toFixed(2)}× the image (target < 4×); ` +
    `the same script exiting before any work peaks at ${mem.before.toFixed(0)} MiB (node+tsx), so the image work added ${(mem.after - mem.before).toFixed(0)} MiB (${((mem.after - mem.before) / sizeMiB).toFixed(2)}×).`);
  if (cli) console.log('(the CLI time includes starting node and compiling TypeScript with tsx; an npm-installed build skips the compile)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
