/**
 * `flashwright algo info loader.stldr [--target NAME]`: an STM32CubeProgrammer external
 * loader's StorageInfo, entry points, link range and the problems found; with a target, also
 * whether its link address lies in that target's RAM and leaves room for the stack and the
 * page buffer flashwright adds when it runs the loader.
 */
import { readFileSync } from 'node:fs';
import { FlashwrightError } from '../../core/errors.js';
import { formatSize, hex } from '../../core/format.js';
import { isElf, parseElf } from '../../image/elf.js';
import { detectAlgorithmFile } from '../../protocol/flash-algo/load.js';
import { checkStldrPlacement, loadStldr, readStldr, type StldrPlacement } from '../../protocol/flash-algo/stldr.js';
import type { TargetDescription } from '../../target/types.js';
import { readInputFile } from '../files.js';
import type { Io } from '../output.js';

/** An ELF whose content says external loader (whatever its name). */
export function isStldrFile(file: string): boolean {
  try {
    const data = new Uint8Array(readFileSync(file));
    return isElf(data) && detectAlgorithmFile(data) === 'stldr';
  } catch {
    return false; // the ordinary path reports an unreadable file
  }
}

export function showStldrInfo(file: string, json: boolean, io: Io, options: { target?: TargetDescription | undefined; stackSize?: number | undefined } = {}): void {
  const data = new Uint8Array(readInputFile(file, 'the external loader', 'Give the path of the .stldr file.'));
  const info = readStldr(parseElf(data, file));
  let placement: StldrPlacement | undefined;
  let notRunnable: string | undefined;
  if (options.target) {
    try {
      placement = checkStldrPlacement(loadStldr(data, file), options.target, { stackSize: options.stackSize });
    } catch (e) {
      if (!(e instanceof FlashwrightError)) throw e;
      notRunnable = e.message; // already among the problems (StorageInfo or entry points)
    }
  }
  const problems = [...info.problems, ...(placement?.problems ?? [])];
  if (json) {
    io.out(JSON.stringify({ type: 'stldr', file, ...info, problems, ...(options.target ? { target: options.target.name, placement: placement ?? null, notRunnable: notRunnable ?? null } : {}) }, null, 2) + '\n');
    return;
  }
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
  ];
  const l = placement?.layout;
  if (placement?.ram && l) {
    lines.push(`runs in:     ${options.target!.name} ${placement.ram.name} ${hex(placement.ram.start)}–${hex(placement.ram.start + placement.ram.size - 1)}; flashwright adds a stack ${hex(l.stackLimit)}–${hex(l.stackTop - 1)} and Write's page buffer ${hex(l.pageBuffers[0])}–${hex(l.pageBuffers[0] + s.pageSize - 1)}`);
  }
  if (problems.length) lines.push(...problems.map((p) => `problem:     ${p}`));
  else lines.push(`checks:      StorageInfo consistent; required entry points present${placement ? `; fits ${options.target!.name}'s RAM` : ' (add --target NAME to check the link address against its RAM)'}`);
  io.out(lines.join('\n') + '\n');
}
