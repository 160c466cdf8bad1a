/**
 * `--via cmsis-dap`: a CMSIS-DAP debug probe driven directly (MCU-Link, LPC-Link2, DAPLink,
 * Picoprobe, on-board probes), or a network/simulated one with --probe tcp:HOST[:PORT].
 * `flashwright write app.elf --via cmsis-dap [--probe …] [--speed 4MHz] [--algo FILE] [--target NAME]`.
 */
import { UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import { dapOverStream } from '../../link/dap-tcp.js';
import { openTcp } from '../../link/node-tcp.js';
import { listDapProbes } from '../../link/node-usb.js';
import type { PacketDevice } from '../../link/types.js';
import { CmsisDapProgrammer } from '../../programmer/cmsis-dap.js';
import { chooseProbe, describeProbe, parseProbeSpec } from '../probe-select.js';
import { defineVia } from '../via.js';
import { readAlgorithmOptions } from './gdb.js';

/** --speed: Hz with an optional k/M suffix and optional 'Hz' ("4MHz", "500k", "1000000"). */
export function parseSpeed(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM])?\s*(?:hz|Hz|HZ)?\s*$/.exec(text);
  const v = m ? Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1) : NaN;
  if (!Number.isFinite(v) || v < 1000 || v > 100e6) {
    throw new UsageError(`--speed '${text}' is not an SWD clock between 1 kHz and 100 MHz.`, { hint: 'E.g. --speed 4MHz (the default), --speed 1MHz for long wires, --speed 500k.', context: { value: text } });
  }
  return Math.round(v);
}

defineVia({
  name: 'cmsis-dap',
  description: 'a CMSIS-DAP debug probe driven directly over USB (v1 HID, v2 bulk) or TCP, with a CMSIS flash algorithm',
  options: [
    { flags: '--probe <probe>', description: 'VID:PID[:SERIAL], SERIAL, or tcp:HOST[:PORT] (default port 4441); `flashwright probes` lists them' },
    { flags: '--speed <hz>', description: 'SWD clock, e.g. 4MHz (default), 1MHz, 500k' },
    { flags: '--transport <swd|jtag>', description: 'debug transport (default: SWD when the probe has it, else JTAG)' },
    { flags: '--connect-under-reset', description: 'hold nRESET while connecting (firmware that disables SWD or sleeps)' },
    { flags: '--hardware-reset', description: 'reset through the nRESET pin instead of SYSRESETREQ' },
    { flags: '--unsecure', description: 'write/erase: a secured Kinetis is first mass-erased through its MDM-AP (all flash lost; shown in the plan)' },
    { flags: '--in-flight <n>', description: 'CMSIS-DAP packets kept in flight (default: the probe\'s packet count; 1 = one at a time)' },
  ],
  // The flash-algorithm options are declared once, by --via gdb (readAlgorithmOptions).
  alsoTakes: ['--algo', '--algo-name', '--algo-stack', '--no-double-buffer'],
  // A plan operation: the engine runs it after the plan is shown, never connect/info/read/verify.
  changes: (options) => (options.unsecure ? ['mass-erase-unsecure'] : []),
  async create(options, context) {
    const spec = options.probe === undefined ? undefined : parseProbeSpec(String(options.probe));
    const clockHz = options.speed === undefined ? undefined : parseSpeed(String(options.speed));
    const inFlight = options.inFlight === undefined ? undefined : parseNumber(String(options.inFlight));
    if (options.inFlight !== undefined && (inFlight === undefined || inFlight < 1 || inFlight > 255)) throw new UsageError(`--in-flight '${String(options.inFlight)}' is not a number of packets from 1 to 255.`);
    const algorithm = readAlgorithmOptions(options) ?? context.packAlgorithms;
    let open: (signal?: AbortSignal) => Promise<PacketDevice>;
    let description: string;
    if (spec?.kind === 'tcp') {
      open = async (signal) => dapOverStream(await openTcp({ host: spec.host, port: spec.port, ...(signal ? { signal } : {}) }));
      description = `tcp:${spec.host}:${spec.port}`;
    } else {
      const probe = chooseProbe(spec, await listDapProbes());
      open = () => probe.open();
      description = describeProbe(probe);
    }
    const transport = options.transport === undefined ? 'auto' : String(options.transport).toLowerCase();
    if (transport !== 'auto' && transport !== 'swd' && transport !== 'jtag') throw new UsageError(`--transport '${String(options.transport)}' is not swd or jtag.`, { hint: 'SWD is the usual choice for Cortex-M; JTAG for probes or boards without SWD.' });
    const stackSize = options.algoStack === undefined ? undefined : parseNumber(String(options.algoStack));
    return new CmsisDapProgrammer({
      open, description,
      ...(algorithm ? { algorithm } : {}),
      ...(context.target ? { target: context.target } : {}),
      ...(clockHz !== undefined ? { clockHz } : {}),
      ...(inFlight !== undefined ? { maxInFlight: inFlight } : {}),
      ...(stackSize !== undefined ? { stackSize } : {}),
      ...(context.packAccessPort !== undefined ? { accessPort: context.packAccessPort } : {}),
      transport: transport as 'auto' | 'swd' | 'jtag',
      connectUnderReset: Boolean(options.connectUnderReset),
      hardwareReset: Boolean(options.hardwareReset),
      doubleBuffer: options.doubleBuffer !== false,
    });
  },
});
