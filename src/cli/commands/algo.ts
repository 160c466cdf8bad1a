/**
 * `flashwright algo info FILE` — what a flash algorithm contains: FlashDevice fields,
 * sectors, entry points and the RAM it needs (code + stack + page buffers).
 * `flashwright algo import-pyocd target_X.py -o algo.json` — turns a pyOCD target module's
 * FLASH_ALGO dict into a descriptor, reading it as data.
 */
import { readFileSync } from 'node:fs';
import { checkOutputPath, readInputFile, writeOutputFile } from '../files.js';
import { FlashwrightError, UsageError } from '../../core/errors.js';
import { formatSize, hex, parseNumber } from '../../core/format.js';
import { FUNCTION_NAMES, formatAlgorithmDescriptor, type AlgorithmFunction, type FlashAlgorithm } from '../../protocol/flash-algo/algorithm.js';
import { DEVICE_TYPES, sectorRuns } from '../../protocol/flash-algo/flash-device.js';
import { layoutAreas, layoutSize, planLayout } from '../../protocol/flash-algo/layout.js';
import { detectAlgorithmFile } from '../../protocol/flash-algo/load.js';
import { importPyocdAlgorithm } from '../../protocol/flash-algo/pyocd-import.js';
import { readAlgorithmFile } from '../vias/gdb.js';
import { commandGroup } from './groups.js';
import type { CommandModule } from './index.js';
import { isStldrFile, showStldrInfo } from './algo-stldr.js';
import { resolveTarget } from './targets.js';

/** RAM use of an algorithm, planned in a generous RAM so the figures show what it needs. */
export function algorithmRamNeeds(a: FlashAlgorithm, stackSize?: number) {
  const ram = a.ram ?? { start: a.loadAddress ?? 0x20000000, size: 0x1000_0000 };
  const single = planLayout(a, { ram, doubleBuffer: false, stackSize });
  const double = planLayout(a, { ram, doubleBuffer: true, stackSize });
  const stack = single.stackTop - single.stackLimit;
  return {
    codeAndData: a.instructions.length,
    stack,
    pageBuffer: a.flash.pageSize,
    /** code + data + stack + one page buffer: what the algorithm itself needs. */
    sumSingleBuffer: a.instructions.length + stack + a.flash.pageSize,
    /** RAM the placement occupies with one page buffer: the span(s), with the runner's helpers and any gaps. */
    totalSingleBuffer: layoutSize(single),
    totalDoubleBuffer: double.pageBuffers.length > 1 ? layoutSize(double) : undefined,
    /** Occupied ranges; relative to the start of RAM for a relocatable algorithm. */
    areas: layoutAreas(single).map((r) => (a.loadAddress === undefined ? { start: r.start - ram.start, end: r.end - ram.start } : r)),
    layout: double,
  };
}

export function describeAlgorithm(a: FlashAlgorithm, kind: string) {
  const needs = algorithmRamNeeds(a);
  const base = a.loadAddress;
  return {
    type: 'flash-algorithm' as const,
    file: a.source,
    kind,
    name: a.name,
    device: {
      name: a.flash.name, version: a.flash.version, type: a.flash.type === undefined ? undefined : DEVICE_TYPES[a.flash.type] ?? a.flash.type,
      start: a.flash.start, size: a.flash.size, pageSize: a.flash.pageSize, erasedValue: a.flash.erasedValue,
      programTimeoutMs: a.flash.programTimeoutMs, eraseTimeoutMs: a.flash.eraseTimeoutMs,
    },
    sectors: sectorRuns(a.flash).map((r, i) => ({ start: a.flash.start + a.flash.sectors[i]!.offset, size: r.size, count: r.count })),
    entries: Object.fromEntries(Object.entries(a.entries).map(([k, v]) => [FUNCTION_NAMES[k as AlgorithmFunction], base === undefined ? v : base + (v as number)])),
    entriesRelativeTo: base === undefined ? 'start of code' : 'absolute (fixed load address)',
    staticBase: base === undefined ? a.staticBaseOffset : base + a.staticBaseOffset,
    loadAddress: base ?? null,
    ram: {
      codeAndData: needs.codeAndData, stack: needs.stack, pageBuffer: needs.pageBuffer, sumSingleBuffer: needs.sumSingleBuffer,
      totalSingleBuffer: needs.totalSingleBuffer, occupied: needs.areas.map((r) => ({ start: r.start, end: r.end })), totalDoubleBuffer: needs.totalDoubleBuffer ?? null,
      targetRam: a.ram ?? null,
    },
  };
}

export const algoCommand: CommandModule = (program, io) => {
  const group = commandGroup(program, 'algo', 'Inspect and convert flash algorithms (CMSIS-Pack FLM, descriptors, pyOCD).');
  group.command('info <file>')
    .description('Show a flash algorithm: FlashDevice, sectors, entry points, RAM needed.')
    .option('--json', 'machine-readable output')
    .option('--algo-name <name>', 'which algorithm of a file holding several (a probe-rs target file)')
    .option('--target <name>', 'external loader: check its link address and RAM use against this target')
    .option('--target-file <path>', 'external loader: the same with a target description file')
    .option('--algo-stack <bytes>', 'external loader: the stack size to plan for (default 1 KiB)')
    .action((file: string, opts: { json?: boolean; algoName?: string; target?: string; targetFile?: string; algoStack?: string }) => {
      if (/\.stldr$/i.test(file) || isStldrFile(file)) {
        const stackSize = opts.algoStack === undefined ? undefined : parseNumber(opts.algoStack);
        if (opts.algoStack !== undefined && (stackSize === undefined || stackSize < 64)) throw new UsageError(`--algo-stack '${opts.algoStack}' is not a size in bytes.`, { hint: 'E.g. --algo-stack 2K.' });
        showStldrInfo(file, Boolean(opts.json), io, { target: resolveTarget(opts), stackSize });
        return;
      }
      const a = readAlgorithmFile(file, opts.algoName);
      const kind = detectAlgorithmFile(readFileSync(file));
      const d = describeAlgorithm(a, kind);
      if (opts.json) { io.out(JSON.stringify(d, null, 2) + '\n'); return; }
      const addr = (v: number) => (d.loadAddress === null ? `+${hex(v, 4)}` : hex(v));
      const lines = [
        `file:        ${file} (${kind === 'flm' ? 'CMSIS-Pack FLM' : kind === 'pyocd' ? 'pyOCD target module' : 'descriptor'})`,
        `device:      ${d.device.name}${d.device.type ? ` (${d.device.type})` : ''}`,
        `flash:       ${hex(d.device.start)}–${hex(d.device.start + d.device.size - 1)}, ${formatSize(d.device.size)}, page ${formatSize(d.device.pageSize)}, erased ${hex(d.device.erasedValue, 2)}`,
        `timeouts:    program page ${d.device.programTimeoutMs} ms, erase sector ${d.device.eraseTimeoutMs} ms`,
        'sectors:',
        ...d.sectors.map((s) => `  ${hex(s.start)}  ${s.count} × ${formatSize(s.size)}`),
        `entries (${d.entriesRelativeTo}):`,
        ...Object.entries(d.entries).map(([k, v]) => `  ${k.padEnd(12)} ${addr(v as number)}`),
        `static base: ${addr(d.staticBase)}${d.loadAddress === null ? '' : `   load address: ${hex(d.loadAddress)}`}`,
        `RAM needed:  ${formatSize(d.ram.codeAndData)} code+data + ${formatSize(d.ram.stack)} stack + ${formatSize(d.ram.pageBuffer)} page buffer = ${formatSize(d.ram.sumSingleBuffer)}`,
        // The placement occupies more than the sum: the runner's helpers, alignment, and (fixed placements) gaps between objects.
        `RAM used:    ${d.ram.occupied.map((r) => d.loadAddress === null ? `RAM start +${hex(r.start, 4)}–+${hex(r.end - 1, 4)}` : `${hex(r.start)}–${hex(r.end - 1)}`).join(', ')}` +
          ` (${formatSize(d.ram.totalSingleBuffer)} occupied with one page buffer${d.ram.totalDoubleBuffer ? `, ${formatSize(d.ram.totalDoubleBuffer)} with two (double buffering)` : ''})`,
      ];
      if (d.ram.targetRam) lines.push(`target RAM:  ${hex(d.ram.targetRam.start)}, ${formatSize(d.ram.targetRam.size)}`);
      io.out(lines.join('\n') + '\n');
    });
  group.command('import-pyocd <module>')
    .description('Convert the FLASH_ALGO dict of a pyOCD target module (target_X.py) into a JSON/YAML descriptor.')
    .option('-o, --output <file>', 'write the descriptor here (default: stdout)')
    .option('--format <json|yaml>', 'descriptor format (default: from the output file name, else json)')
    .option('--name <name>', 'algorithm name (default: from the module file name)')
    .option('--dict <NAME>', 'name of the dict to read (default FLASH_ALGO)')
    .action((file: string, opts: { output?: string; format?: string; name?: string; dict?: string }) => {
      if (opts.output) checkOutputPath(opts.output, 'the output file', '--output');
      const text = readInputFile(file, 'the pyOCD target module', 'Give the path of a pyOCD target module, e.g. /usr/lib/python3/dist-packages/pyocd/target/target_nRF51822_xxAA.py.').toString('utf8');
      const format = (opts.format ?? (opts.output && /\.ya?ml$/i.test(opts.output) ? 'yaml' : 'json')).toLowerCase();
      if (format !== 'json' && format !== 'yaml') throw new UsageError(`--format '${opts.format}' is not json or yaml.`);
      const r = importPyocdAlgorithm(text, file, { name: opts.name, dictName: opts.dict });
      const out = formatAlgorithmDescriptor(r.algorithm, format);
      if (opts.output) {
        writeOutputFile(opts.output, out);
        io.err(`wrote ${opts.output}: '${r.algorithm.name}', ${formatSize(r.algorithm.instructions.length)} of code, flash ${hex(r.algorithm.flash.start)}+${formatSize(r.algorithm.flash.size)}\n`);
      } else io.out(out);
      for (const n of r.notes) io.err(`note: ${n}\n`);
      // Lay it out now, so a module whose placement cannot work is flagged at import, not at the first write.
      try {
        algorithmRamNeeds(r.algorithm);
      } catch (e) {
        if (!(e instanceof FlashwrightError)) throw e;
        io.err(`warning: the algorithm cannot be placed in the RAM the module declares: ${e.message}${e.hint ? ` ${e.hint}` : ''}\n`);
      }
    });
};
