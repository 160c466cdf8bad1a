/** `flashwright algo info loader.stldr`: an STM32CubeProgrammer external loader's StorageInfo, entry points, link range and the problems found. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { formatSize, hex } from '../../core/format.js';
import { parseElf } from '../../image/elf.js';
import { readStldr } from '../../protocol/flash-algo/stldr.js';
import { ioReason } from '../files.js';
import type { Io } from '../output.js';

export function showStldrInfo(file: string, json: boolean, io: Io): void {
  let data: Uint8Array;
  try {
    data = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new UsageError(`Cannot read ${file}: ${ioReason(e)}.`, { hint: 'Give the path of the .stldr file.' });
  }
  const info = readStldr(parseElf(data, file));
  if (json) { io.out(JSON.stringify({ type: 'stldr', file, ...info }, null, 2) + '\n'); return; }
  const s = info.storage;
  const lines = [
    `file:        ${file} (STM32CubeProgrammer external loader; entry points return 1 = LOADER_OK, 0 = fail)`,
    `device:      ${s.name} (${s.deviceTypeName})`,
    `memory:      ${hex(s.start)}–${hex(s.start + s.size - 1)}, ${formatSize(s.size)}, page ${formatSize(s.pageSize)}, erased ${hex(s.eraseValue, 2)}`,
    'sectors:',
    ...s.sectors.map((x) => `  ${x.count} × ${formatSize(x.size)}`),
    'entries:',
    ...Object.entries(info.entries).map(([k, v]) => `  ${k.padEnd(12)} ${hex(v)}`),
    `linked at:   ${hex(info.linked.start)}–${hex(info.linked.end - 1)} (loaded there, not relocated)`,
    ...(info.problems.length ? info.problems.map((p) => `problem:     ${p}`) : ['checks:      StorageInfo consistent; required entry points present']),
  ];
  io.out(lines.join('\n') + '\n');
}
