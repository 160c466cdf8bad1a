/**
 * Programming through a CMSIS-DAP probe directly: DAP session → ADIv5 DP/AP → Cortex-M core
 * (CoreAccess). With a flash algorithm the AlgorithmProgrammer does the flash work on that
 * core; without one, RAM is written directly and reads run at MEM-AP speed. A Kinetis
 * MDM-AP is looked at on connect: a secured chip is reported (and explained), and its mass
 * erase is offered only as a plan operation ('mass-erase-unsecure', run by the engine after
 * the plan is shown, never by connect).
 */
import { FlashwrightError, UsageError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { PacketDevice } from '../link/types.js';
import { DapPort } from '../protocol/cmsis-dap/commands.js';
import { DapSession, type DapProbeInfo } from '../protocol/cmsis-dap/session.js';
import { CortexM } from '../protocol/adi/cortex-m.js';
import { DebugPort } from '../protocol/adi/dp.js';
import { KinetisSecuredError, mdmMassErase, readMdmState, type MdmState } from '../protocol/adi/kinetis-mdm.js';
import { MemAp } from '../protocol/adi/mem-ap.js';
import { walkRomTable } from '../protocol/adi/rom-table.js';
import { decodeJtagIdcode } from '../protocol/adi/registers.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import { isFlashLike } from '../target/geometry.js';
import type { TargetDescription } from '../target/types.js';
import { DEMCR, DHCSR } from '../arch/cortex-m.js';
import { AlgorithmProgrammer, startApplication } from './algorithm.js';
import { DAP_WORDING, targetForRamOnly } from './gdb-target.js';
import type { CallContext, DetailValue, DeviceChange, DeviceChangeKind, DeviceDigest, DeviceInfo, OperationOptions, Programmer } from './types.js';
import { inConnectPhase, nestedConnect } from './events.js';

export interface CmsisDapProgrammerOptions {
  /** Opens the link to the probe (USB bulk, HID, TCP, in-process simulator). */
  open: (signal?: AbortSignal) => Promise<PacketDevice>;
  /** "0D28:0204 serial …", "tcp:localhost:4441", for messages. */
  description: string;
  /** One flash algorithm, or one per flash region (each region served by the one whose flash holds it). */
  algorithm?: FlashAlgorithm | readonly FlashAlgorithm[];
  target?: TargetDescription | undefined;
  /** SWD/JTAG clock (default 4 MHz). */
  clockHz?: number;
  /** 'auto' (default: SWD when the probe has it, else JTAG), 'swd' or 'jtag'. */
  transport?: 'auto' | 'swd' | 'jtag';
  /** Hold nRESET while connecting, then release with the reset vector caught. */
  connectUnderReset?: boolean;
  /** Reset by nRESET instead of SYSRESETREQ. */
  hardwareReset?: boolean;
  /** Packets in flight (default: the probe's packet count; 1 = one at a time). */
  maxInFlight?: number;
  doubleBuffer?: boolean;
  stackSize?: number;
  targetCrc?: boolean;
  timeoutMs?: number;
  /** The MEM-AP to reach the core through (a CMSIS-Pack's `__ap`); default: the first MEM-AP found. */
  accessPort?: number | undefined;
}

export class CmsisDapProgrammer implements Programmer {
  readonly kind = 'cmsis-dap';
  readonly cheapReads = true;
  /** USB and TCP deliver packets checked; the SWD data phase has parity. */
  readonly checkedReads = true;
  session: DapSession | undefined;
  dp?: DebugPort;
  core: CortexM | undefined;
  algo: AlgorithmProgrammer | undefined;
  probe?: DapProbeInfo;
  private mdm?: { apsel: number; state: MdmState };
  private target?: TargetDescription;
  private ran = false;
  private wasRunning = false;

  constructor(readonly options: CmsisDapProgrammerOptions) {}

  get changes(): readonly DeviceChangeKind[] {
    return this.mdm ? ['mass-erase-unsecure'] : [];
  }

  async connect(context: CallContext = {}): Promise<DeviceInfo> {
    return inConnectPhase(context, `Connecting through the CMSIS-DAP probe ${this.options.description}`, async () => {
      const o = this.options;
      const signal = context.signal;
      const device = await o.open(signal);
      const session = new DapSession(device, { ...(o.maxInFlight !== undefined ? { maxInFlight: o.maxInFlight } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) });
      this.session = session;
      const probe = await session.readInfo(signal);
      this.probe = probe;
      const transport = o.transport === 'swd' || o.transport === 'jtag' ? o.transport : probe.capabilities.swd ? 'swd' : 'jtag';
      if (!probe.capabilities[transport]) {
        throw new FlashwrightError('DAP_NO_TRANSPORT', `The probe ${o.description} does not offer ${transport.toUpperCase()} (its DAP_Info capabilities: ${['swd', 'jtag'].filter((k) => probe.capabilities[k as 'swd' | 'jtag']).join(', ') || 'neither SWD nor JTAG'}).`, {
          hint: transport === 'swd' ? 'Use --transport jtag, or a probe firmware with SWD.' : 'Use --transport swd.',
        });
      }
      const dp = new DebugPort(session, { transport, ...(o.clockHz !== undefined ? { clockHz: o.clockHz } : {}) });
      this.dp = dp;
      if (o.connectUnderReset) {
        await session.connect(transport === 'jtag' ? DapPort.Jtag : DapPort.Swd, signal);
        await dp.setReset(true, signal);
      }
      const dpidr = await dp.connect(signal);
      await dp.powerUp(signal);
      const aps = await dp.discoverAps(8, signal);
      const details: Record<string, DetailValue> = {
        probe: o.description, probeProduct: probe.product ?? '', probeSerial: probe.serial ?? '', probeFirmware: probe.firmwareVersion ?? '',
        protocolVersion: probe.protocolVersion ?? '', packetSize: probe.packetSize, packetCount: probe.packetCount, inFlight: session.window,
        transport, dpidr: hex(dpidr.raw), debugPort: dpidr.description, wakeUp: dp.wakeUp ?? '',
        ...(dp.jtagIdcode !== undefined ? { jtagIdcode: decodeJtagIdcode(dp.jtagIdcode) } : {}),
        accessPorts: aps.map((a) => `AP ${a.apsel}: ${a.idr.name} (IDR ${hex(a.idr.raw)})`),
      };
      const mdm = aps.find((a) => a.idr.name === 'Kinetis MDM-AP');
      if (mdm) {
        const state = await readMdmState(dp, mdm.apsel, signal);
        this.mdm = { apsel: mdm.apsel, state };
        details.mdmAp = `AP ${mdm.apsel}, status ${hex(state.status)}`;
        details.security = state.explanation;
        if (state.secured) {
          // The core cannot be reached: report what is known and let the plan decide (--unsecure).
          const target = this.baseTarget();
          this.target = target;
          return {
            target, ids: { dpidr: hex(dpidr.raw) }, details,
            protection: { readProtected: true, description: `Kinetis secured (MDM-AP Status ${hex(state.status)}${state.massEraseEnabled ? ', mass erase enabled' : ', mass erase DISABLED'})` },
          };
        }
      }
      const memAp = aps.find((a) => a.idr.isMemAp && (o.accessPort === undefined || a.apsel === o.accessPort));
      if (!memAp && o.accessPort !== undefined) {
        throw new FlashwrightError('NO_MEM_AP', `Access port ${o.accessPort}, which the target description names for this core, is not a MEM-AP on this debug port.`, {
          hint: 'Check the part (--target) matches the chip: the access ports found are listed in the evidence.', context: { accessPort: o.accessPort, accessPorts: details.accessPorts },
        });
      }
      if (!memAp) {
        throw new FlashwrightError('NO_MEM_AP', 'The debug port has no MEM-AP, so memory and the core cannot be reached.', {
          hint: 'The access ports found are listed in the evidence; this target may need a vendor unlock first.', context: { accessPorts: details.accessPorts },
        });
      }
      const ap = new MemAp(dp, memAp.apsel);
      const core = new CortexM(ap, `CMSIS-DAP ${o.description}`, o.hardwareReset ? { hardwareReset: true } : {});
      this.core = core;
      await core.init(signal);
      const rom = await walkRomTable(ap, memAp.base ?? 0, signal ? { signal } : {}).catch(() => []);
      if (rom.length) details.romTable = rom.map((c) => `${'  '.repeat(c.depth)}${hex(c.address)} ${c.name}`);
      if (o.connectUnderReset) {
        // Catch the reset vector, then let the part out of reset: it halts before its firmware runs.
        const demcr = await ap.readWord(DEMCR.address, signal);
        await ap.writeWord(DEMCR.address, demcr | DEMCR.VC_CORERESET, signal);
        await ap.writeWord(DHCSR.address, DHCSR.DBGKEY | DHCSR.C_DEBUGEN | DHCSR.C_HALT, signal);
        await dp.setReset(false, signal);
        await core.waitForHalt(1000, { ...(signal ? { signal } : {}) });
        await ap.writeWord(DEMCR.address, demcr & ~DEMCR.VC_CORERESET, signal);
      }
      if (o.algorithm) {
        this.algo = new AlgorithmProgrammer(core, o.algorithm, {
          ...(o.target ? { target: o.target } : {}), doubleBuffer: o.doubleBuffer !== false, ...(o.stackSize !== undefined ? { stackSize: o.stackSize } : {}),
          ...(o.targetCrc !== undefined ? { targetCrc: o.targetCrc } : {}), eraseLoop: true,
        });
        const info = await this.algo.connect(nestedConnect(context));
        Object.assign(details, await core.describe(signal));
        this.target = info.target;
        return { ...info, ids: { ...info.ids, dpidr: hex(dpidr.raw), cpuid: hex(core.cpuid?.raw ?? 0) }, details: { ...details, ...info.details } };
      }
      // Left as found on close unless something ran: info/read/verify must not leave a running chip stopped.
      this.wasRunning = !((await core.readDhcsr(signal)) & DHCSR.S_HALT);
      await core.halt({ ...(signal ? { signal } : {}) });
      Object.assign(details, await core.describe(signal));
      const target = this.baseTarget();
      this.target = target;
      const unconfiguredRegions = target.regions.filter((r) => r.needsConfiguration).map((r) => r.name);
      return { target, ids: { dpidr: hex(dpidr.raw), cpuid: hex(core.cpuid?.raw ?? 0) }, details, ...(unconfiguredRegions.length ? { unconfiguredRegions } : {}) };
    });
  }

  /** Without an algorithm flash is read-only; RAM (the target's, or the Cortex-M SRAM region) is written directly. */
  private baseTarget(): TargetDescription {
    return targetForRamOnly(this.options.target, undefined, `CMSIS-DAP ${this.options.description}`, false, DAP_WORDING);
  }

  private need(what: string): CortexM {
    if (this.mdm?.state.secured) throw new KinetisSecuredError(this.mdm.state, what);
    if (!this.core) throw new FlashwrightError('NOT_CONNECTED', 'The CMSIS-DAP programmer is not connected.', { hint: 'Call connect() first.' });
    return this.core;
  }

  get digest(): DeviceDigest | undefined {
    return this.algo?.digest;
  }

  explainMismatch(address: number, expected: Uint8Array, actual: Uint8Array): string | undefined {
    return this.algo?.explainMismatch(address, expected, actual);
  }

  async readMemory(address: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    const core = this.need(`read ${hex(address)}`);
    // Through the algorithm: an external loader's memory is readable only after its Init.
    return this.algo ? this.algo.readMemory(address, length, options) : core.readMemory(address, length, options);
  }

  async eraseSectors(sectors: ReadonlyArray<{ address: number; size: number }>, options: OperationOptions = {}): Promise<void> {
    this.need('erase');
    if (!this.algo) throw this.noFlash('erase', sectors[0]?.address ?? 0);
    await this.algo.eraseSectors(sectors, options);
    await this.core?.sync();
  }

  get eraseChip(): ((options?: OperationOptions) => Promise<void>) | undefined {
    return this.algo?.eraseChip;
  }

  async programFlash(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    this.need('program');
    if (!this.algo) throw this.noFlash('program', address);
    await this.algo.programFlash(address, data, options);
    await this.core?.sync();
  }

  async writeMemory(address: number, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const core = this.need(`write ${hex(address)}`);
    if (this.algo) await this.algo.writeMemory(address, data, options);
    else await core.writeMemory(address, data, options);
    // The core writes behind; this call reports success only once the probe has acknowledged every packet.
    await core.sync();
  }

  async run(address?: number, context: CallContext = {}): Promise<void> {
    const core = this.need('run');
    if (this.algo) await this.algo.run(address, context);
    else await startApplication(core, this.target, address, context);
    await core.sync();
    this.ran = true;
  }

  /** Resets the chip (and lets it run, or keeps it halted). */
  async reset(mode: 'halt' | 'run', context: CallContext = {}): Promise<void> {
    await this.need('reset').reset(mode, context.signal ? { signal: context.signal } : {});
    if (mode === 'run') this.ran = true;
    this.wasRunning = false; // the run state asked for now is the one to leave
  }

  describeChange(kind: DeviceChangeKind, device: DeviceInfo): DeviceChange | undefined {
    if (kind !== 'mass-erase-unsecure' || !this.mdm?.state.secured) return undefined;
    const flash = device.target.regions.filter((r) => isFlashLike(r));
    return {
      kind, stage: 'unlock',
      description: 'Kinetis mass erase through the MDM-AP (AP 1), which unsecures the chip',
      destroys: 'mass erase through MDM-AP: all flash lost',
      erases: flash.map((r) => ({ start: r.start, size: r.size })),
      protectionAfter: { readProtected: false, description: 'unsecured until the next reset (FSEC reads 0xFF after the erase: the image must program 0xFE at 0x40C to stay unsecured)' },
    };
  }

  async applyChange(change: DeviceChange, options: OperationOptions = {}): Promise<void> {
    if (change.kind !== 'mass-erase-unsecure' || !this.mdm || !this.dp) throw new UsageError(`The CMSIS-DAP way in cannot make the change '${change.kind}'.`);
    options.emit?.({ type: 'log', level: 'warn', message: 'Mass-erasing the Kinetis flash through the MDM-AP: all flash is lost.' });
    const state = await mdmMassErase(this.dp, this.mdm.apsel, options.signal ? { signal: options.signal } : {});
    this.mdm = { apsel: this.mdm.apsel, state };
    if (state.secured) throw new KinetisSecuredError(state, 'unsecure it');
    // The AHB-AP is reachable now: bring the core up as connect would have.
    await this.dp.powerUp(options.signal);
    const aps = await this.dp.discoverAps(8, options.signal);
    const memAp = aps.find((a) => a.idr.isMemAp);
    if (!memAp) throw new FlashwrightError('NO_MEM_AP', 'After the mass erase the debug port still shows no MEM-AP.', { hint: 'Power-cycle the board and connect again.' });
    const core = new CortexM(new MemAp(this.dp, memAp.apsel), `CMSIS-DAP ${this.options.description}`, this.options.hardwareReset ? { hardwareReset: true } : {});
    await core.init(options.signal);
    await core.reset('halt', options.signal ? { signal: options.signal } : {});
    this.core = core;
    if (this.options.algorithm) {
      this.algo = new AlgorithmProgrammer(core, this.options.algorithm, {
        ...(this.options.target ? { target: this.options.target } : {}), doubleBuffer: this.options.doubleBuffer !== false, resetOnConnect: false, eraseLoop: true,
      });
      await this.algo.connect(options);
    }
  }

  async close(): Promise<void> {
    try {
      if (this.algo) await this.algo.close();
      else if (this.core) {
        if (this.wasRunning && !this.ran) await this.core.resume().catch(() => undefined);
        await this.core.close({ resume: this.ran });
      }
      else await this.session?.close();
    } finally {
      this.algo = undefined;
      this.core = undefined;
      this.session = undefined;
    }
  }

  private noFlash(what: string, address: number): FlashwrightError {
    return new UsageError(`Cannot ${what} flash at ${hex(address)} without a flash algorithm.`, {
      hint: 'Pass --algo FILE.FLM|algo.json (a CMSIS-Pack flash algorithm, or one imported with `flashwright algo import-pyocd`).',
    });
  }
}
