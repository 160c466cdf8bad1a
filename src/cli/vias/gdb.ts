/**
 * `--via gdb`: any GDB server (OpenOCD, J-Link GDB server, pyOCD, ST-LINK gdbserver, Black
 * Magic Probe, QEMU). `flashwright write app.elf --via gdb --gdb HOST:PORT [--algo FILE]
 * [--target NAME]`, or `--gdb-serial PATH` for a Black Magic Probe's GDB port.
 */
import { readInputFile } from '../files.js';
import { UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import { openSerialPort } from '../../link/node-serial.js';
import { openTcp, parseHostPort } from '../../link/node-tcp.js';
import type { FlashAlgorithm } from '../../protocol/flash-algo/algorithm.js';
import { loadAlgorithm } from '../../protocol/flash-algo/load.js';
import { GdbProgrammer, type GdbStrategy } from '../../programmer/gdb-programmer.js';
import { defineVia } from '../via.js';

const STRATEGIES = ['auto', 'algorithm', 'vflash', 'ram'] as const;

/** Reads --algo: an .FLM (ELF), a JSON/YAML descriptor, or a pyOCD target module. */
export function readAlgorithmFile(path: string, name?: string): FlashAlgorithm {
  // An unreadable input file is a usage error (exit 2), like any other bad option value.
  const data = readInputFile(path, 'the flash algorithm file', 'Check the path given to --algo (a CMSIS-Pack .FLM, a JSON/YAML descriptor, or a pyOCD target_*.py).');
  return loadAlgorithm(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), path, { name });
}

/**
 * Reads every --algo (repeatable: one algorithm per flash region). `FILE@ADDRESS` places the
 * algorithm's flash at ADDRESS instead of where its FlashDevice table says (the same QSPI
 * loader on another chip-select, a second bank built from the first bank's FLM).
 */
export function readAlgorithmOptions(options: Record<string, unknown>): FlashAlgorithm[] | undefined {
  const raw = options.algo;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  if (options.algoName !== undefined && list.length === 0) throw new UsageError('--algo-name needs --algo FILE.', { hint: 'E.g. --algo nrf51.yaml --algo-name nrf51xxx.' });
  if (list.length === 0) return undefined;
  const name = options.algoName === undefined ? undefined : String(options.algoName);
  return list.map((arg) => {
    const at = arg.lastIndexOf('@');
    const address = at > 0 ? parseNumber(arg.slice(at + 1)) : undefined;
    if (at > 0 && address === undefined && /^\s*(0x)?[0-9a-f_]+\s*$/i.test(arg.slice(at + 1))) {
      throw new UsageError(`--algo '${arg}': '${arg.slice(at + 1)}' is not an address.`, { hint: 'E.g. --algo qspi.FLM@0x90000000.' });
    }
    const algo = readAlgorithmFile(address === undefined ? arg : arg.slice(0, at), name);
    return address === undefined ? algo : { ...algo, flash: { ...algo.flash, start: address } };
  });
}

/** --gdb-timeout: a positive whole number of milliseconds. */
function parseTimeout(text: string): number {
  const v = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new UsageError(`--gdb-timeout '${text}' is not a positive whole number of milliseconds.`, { hint: 'E.g. --gdb-timeout 10000 for a slow server (default 5000).', context: { value: text } });
  }
  return v;
}

defineVia({
  name: 'gdb',
  description: 'any GDB server (OpenOCD, J-Link, pyOCD, Black Magic Probe, QEMU), with a CMSIS flash algorithm or the server\'s own flash support',
  options: [
    { flags: '--gdb <host:port>', description: 'GDB server address, e.g. localhost:3333' },
    { flags: '--gdb-serial <path>', description: 'GDB server on a serial port (Black Magic Probe)' },
    { flags: '--algo <file>', description: 'flash algorithm: CMSIS-Pack .FLM, JSON/YAML descriptor, or pyOCD target_*.py; repeat it for one per flash region, FILE@ADDRESS to place one', collect: true },
    { flags: '--algo-name <name>', description: 'which algorithm of a file holding several (a probe-rs target file\'s flash_algorithms)' },
    { flags: '--algo-stack <bytes>', description: 'stack size for the flash algorithm (default 1 KiB)' },
    { flags: '--no-double-buffer', description: 'use a single page buffer for the flash algorithm' },
    { flags: '--gdb-mode <mode>', description: 'auto, algorithm, vflash or ram (default auto)' },
    { flags: '--gdb-timeout <ms>', description: 'time allowed for each GDB reply (default 5000)' },
  ],
  async create(options, context) {
    const tcp = options.gdb as string | undefined;
    const serial = options.gdbSerial as string | undefined;
    if (!tcp && !serial) throw new UsageError('--via gdb needs --gdb HOST:PORT (or --gdb-serial PATH for a Black Magic Probe).', { hint: 'For QEMU: qemu-system-arm … -S -gdb tcp::3333, then --gdb localhost:3333.' });
    const mode = String(options.gdbMode ?? 'auto') as (typeof STRATEGIES)[number];
    if (!STRATEGIES.includes(mode)) {
      throw new UsageError(`--gdb-mode '${mode}' is not one of ${STRATEGIES.join(', ')}.`, {
        hint: 'Leave it at auto (flash algorithm with --algo, else the server\'s vFlash, else RAM); ram writes memory packets anywhere, vflash needs a server with a flash memory map (OpenOCD, J-Link, pyOCD).',
        context: { mode },
      });
    }
    const stackSize = options.algoStack === undefined ? undefined : parseNumber(String(options.algoStack));
    if (options.algoStack !== undefined && (stackSize === undefined || stackSize < 64)) throw new UsageError(`--algo-stack '${String(options.algoStack)}' is not a size in bytes.`, { hint: 'E.g. --algo-stack 2K.' });
    const timeoutMs = options.gdbTimeout === undefined ? undefined : parseTimeout(String(options.gdbTimeout));
    const algorithm = readAlgorithmOptions(options) ?? context.packAlgorithms;
    let open: GdbProgrammer['options']['open'];
    let description: string;
    if (tcp) {
      const hp = parseHostPort(tcp);
      if (!hp) throw new UsageError(`--gdb '${tcp}' is not HOST:PORT.`, { hint: 'E.g. --gdb localhost:3333 or --gdb :1234.' });
      open = (signal) => openTcp({ ...hp, signal });
      description = `${hp.host}:${hp.port}`;
    } else {
      open = () => openSerialPort({ path: serial as string, baudRate: 115200, parity: 'none' });
      description = serial as string;
    }
    return new GdbProgrammer({
      open,
      description,
      algorithm,
      target: context.target,
      strategy: mode as GdbStrategy | 'auto',
      doubleBuffer: options.doubleBuffer !== false,
      stackSize,
      timeoutMs,
    });
  },
});
