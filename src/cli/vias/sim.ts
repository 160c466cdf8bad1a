/**
 * `--via sim`: the in-process simulated device. Its flash survives between runs in a JSON
 * state file (`--sim-state PATH`) holding only the non-erased bytes, base64 per run.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { FlashwrightError, UsageError } from '../../core/errors.js';
import { SimProgrammer } from '../../programmer/sim.js';
import type { NorFaults } from '../../sim/nor-flash.js';
import { SimMemory, type SimMemorySnapshot } from '../../sim/sim-memory.js';
import { checkOutputPath, ioReason } from '../files.js';
import { lockStateFile } from '../state-lock.js';
import { defineVia } from '../via.js';
import { parseFlexspiOptionArg } from './mcuboot.js';

interface StateFile {
  format: 'flashwright-sim-state';
  version: 1;
  target: string;
  configured: string[];
  regions: Array<{ region: string; start: number; size: number; erasedValue: number; protectedSectors: number[]; chunks: Array<{ address: number; base64: string }> }>;
}

export function encodeState(snap: SimMemorySnapshot): StateFile {
  return {
    format: 'flashwright-sim-state', version: 1, target: snap.target, configured: snap.configured,
    regions: snap.regions.map((r) => ({
      region: r.region, start: r.start, size: r.size, erasedValue: r.erasedValue, protectedSectors: r.protectedSectors,
      chunks: r.chunks.map((c) => ({ address: c.address, base64: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length).toString('base64') })),
    })),
  };
}

export function decodeState(text: string, path: string): SimMemorySnapshot {
  let f: StateFile;
  try {
    f = JSON.parse(text) as StateFile;
  } catch (e) {
    throw new FlashwrightError('SIM_STATE', `The sim state file ${path} is not valid JSON.`, { cause: e, hint: 'Delete it to start from an erased device.', context: { path } });
  }
  if (f?.format !== 'flashwright-sim-state' || f.version !== 1 || !Array.isArray(f.regions)) {
    throw new FlashwrightError('SIM_STATE', `${path} is not a flashwright sim state file (version 1).`, { hint: 'Delete it to start from an erased device.', context: { path } });
  }
  return {
    target: f.target, configured: f.configured ?? [],
    regions: f.regions.map((r) => ({
      region: r.region, start: r.start, size: r.size, erasedValue: r.erasedValue, protectedSectors: r.protectedSectors ?? [],
      chunks: r.chunks.map((c) => ({ address: c.address, data: new Uint8Array(Buffer.from(c.base64, 'base64')) })),
    })),
  };
}

/** Writes the state file beside itself and renames it, so a crash never leaves half a file. */
export function saveStateFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw new FlashwrightError('SIM_STATE', `Cannot save the sim state file ${path}: ${ioReason(e)}.`, { hint: 'Check the folder exists and is writable and that there is space; the simulated device state of this run is lost.', context: { path, code: (e as NodeJS.ErrnoException).code } });
  }
}

/** A SimProgrammer that saves its memory to the state file when closed (also after a failure, as a real chip keeps what it got). */
class StatefulSimProgrammer extends SimProgrammer {
  constructor(memory: SimMemory, private readonly statePath: string | undefined, private readonly release?: () => void) {
    super(memory);
  }

  override async close(): Promise<void> {
    try {
      if (this.statePath) {
        saveStateFile(this.statePath, JSON.stringify(encodeState(this.memory.snapshot())) + '\n');
      }
    } finally {
      this.release?.();
    }
    await super.close();
  }
}

/**
 * Parses `--sim-fault reset-after-bytes=N,fail-program=N,fail-erase=N` into NOR faults:
 * fail the Nth program/erase call (N ≥ 1), reset after N more programmed bytes (N ≥ 0).
 */
export function parseSimFaults(spec: string): NorFaults {
  const faults: NorFaults = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(reset-after-bytes|fail-program|fail-erase)=(\d+)$/.exec(part);
    if (!m) throw new UsageError(`Cannot read the sim fault '${part}'.`, { hint: 'Use reset-after-bytes=N, fail-program=N or fail-erase=N (comma-separated).' });
    const n = Number(m[2]);
    // fail-program/fail-erase=N fail the Nth call, counted from 1; 0 names no call (the NOR
    // model would quietly treat it as 1). reset-after-bytes=0 is real: reset before any byte lands.
    if (n === 0 && m[1] !== 'reset-after-bytes') {
      throw new UsageError(`The sim fault '${part}' names no call: ${m[1]}=N fails the Nth ${m[1] === 'fail-erase' ? 'erase' : 'program'} call, counted from 1.`, { hint: `Use ${m[1]}=1 to fail the first call.` });
    }
    if (m[1] === 'reset-after-bytes') faults.resetAfterBytes = n;
    else if (m[1] === 'fail-program') faults.failProgramCall = n;
    else faults.failEraseCall = n;
  }
  return faults;
}

defineVia({
  name: 'sim',
  description: 'in-process simulated device (NOR flash model), state kept in --sim-state',
  options: [
    { flags: '--sim-state <path>', description: 'JSON file keeping the simulated flash between runs' },
    { flags: '--sim-fault <spec>', description: 'inject faults into every flash region: reset-after-bytes=N (N ≥ 0), fail-program=N, fail-erase=N (the Nth call, N ≥ 1)' },
  ],
  // The simulated i.MX RT takes the FlexSPI configuration as the flashloader does.
  alsoTakes: ['--flexspi-option'],
  async create(options, context) {
    const target = context.target;
    if (!target) throw new UsageError('--via sim needs --target NAME or --target-file PATH to know what to simulate.', { hint: 'List targets with `flashwright targets`.' });
    const memory = new SimMemory(target);
    const path = options.simState as string | undefined;
    // Checked before the device is touched: a run must not do its work and then lose it.
    if (path) checkOutputPath(path, 'the sim state file', '--sim-state');
    // Runs sharing the state file take turns: read, work and save under one lock.
    const release = path ? await lockStateFile(path, { signal: context.signal }) : undefined;
    try {
      return build(memory, path, release, options);
    } catch (e) {
      release?.();
      throw e;
    }
  },
});

/** The simulated device from the state file (if any), configured and faulted as the options say. */
function build(memory: SimMemory, path: string | undefined, release: (() => void) | undefined, options: Record<string, unknown>): StatefulSimProgrammer {
  const target = memory.target;
  if (path && existsSync(path)) {
    const snap = decodeState(readFileSync(path, 'utf8'), path);
    if (snap.target.toLowerCase() !== target.name.toLowerCase()) {
      throw new FlashwrightError('SIM_STATE', `The sim state file ${path} holds a ${snap.target}, not a ${target.name}.`,
        { hint: `Use --target ${snap.target}, or another --sim-state file.`, context: { path, saved: snap.target, target: target.name } });
    }
    memory.restore(snap);
  }
  // As on the chip: memory that needs configuring (i.MX RT FlexSPI NOR) is unreachable
  // after power-up until the host configures it, here by --flexspi-option or by the
  // configuration the target file names. A saved state does not keep it configured.
  const option = parseFlexspiOptionArg(options.flexspiOption);
  for (const r of memory.regions) {
    if (!r.region.needsConfiguration) continue;
    r.configured = false;
    if (option ?? r.region.configuration?.flexspiOption) memory.configure(r.region.name);
  }
  if (typeof options.simFault === 'string') {
    const faults = parseSimFaults(options.simFault);
    for (const r of memory.regions) if (r.nor) r.nor.faults = { ...faults };
  }
  return new StatefulSimProgrammer(memory, path, release);
}
