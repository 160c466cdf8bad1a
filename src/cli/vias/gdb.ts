/**
 * `--via gdb`: any GDB server (OpenOCD, J-Link GDB server, pyOCD, ST-LINK gdbserver, Black
 * Magic Probe, QEMU). `flashwright write app.elf --via gdb --gdb HOST:PORT [--algo FILE]
 * [--target NAME]`, or `--gdb-serial PATH` for a Black Magic Probe's GDB port.
 */
import { readFileSync } from 'node:fs';
import { FlashwrightError, UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import { openSerialPort } from '../../link/node-serial.js';
import { openTcp, parseHostPort } from '../../link/node-tcp.js';
import type { FlashAlgorithm } from '../../protocol/flash-algo/algorithm.js';
import { loadAlgorithm } from '../../protocol/flash-algo/load.js';
import { GdbProgrammer, type GdbStrategy } from '../../programmer/gdb-programmer.js';
import { defineVia } from '../via.js';

const STRATEGIES = ['auto', 'algorithm', 'vflash', 'ram'] as const;

/** Reads --algo: an .FLM (ELF), a JSON/YAML descriptor, or a pyOCD target module. */
export function readAlgorithmFile(path: string): FlashAlgorithm {
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (e) {
    throw new FlashwrightError('FILE_READ', `Cannot read the flash algorithm file ${path}.`, { cause: e, hint: 'Check the path given to --algo.' });
  }
  return loadAlgorithm(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), path);
}

defineVia({
  name: 'gdb',
  description: 'any GDB server (OpenOCD, J-Link, pyOCD, Black Magic Probe, QEMU), with a CMSIS flash algorithm or the server\'s own flash support',
  options: [
    { flags: '--gdb <host:port>', description: 'GDB server address, e.g. localhost:3333' },
    { flags: '--gdb-serial <path>', description: 'GDB server on a serial port (Black Magic Probe)' },
    { flags: '--algo <file>', description: 'flash algorithm: CMSIS-Pack .FLM, JSON/YAML descriptor, or pyOCD target_*.py' },
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
    if (!STRATEGIES.includes(mode)) throw new UsageError(`--gdb-mode '${mode}' is not one of ${STRATEGIES.join(', ')}.`);
    const stackSize = options.algoStack === undefined ? undefined : parseNumber(String(options.algoStack));
    if (options.algoStack !== undefined && (stackSize === undefined || stackSize < 64)) throw new UsageError(`--algo-stack '${String(options.algoStack)}' is not a size in bytes.`, { hint: 'E.g. --algo-stack 2K.' });
    const timeoutMs = options.gdbTimeout === undefined ? undefined : parseNumber(String(options.gdbTimeout));
    const algorithm = options.algo ? readAlgorithmFile(String(options.algo)) : undefined;
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
