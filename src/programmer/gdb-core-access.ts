/**
 * CoreAccess over a GDB server. Reset goes through the server's monitor command, which
 * differs per server: OpenOCD, pyOCD and J-Link take `reset halt`; QEMU takes
 * `system_reset` (and stays stopped). Unknown commands are reported as console output by
 * some servers rather than as an error, so the output is checked as well.
 */
import type { GdbClient, StopInfo } from '../protocol/gdb-rsp/client.js';
import { GdbErrorReply, GdbUnsupportedError } from '../protocol/gdb-rsp/errors.js';
import { ResetUnsupportedError, type CoreAccess, type CoreOptions, type CoreRegister, type HaltState, type RegisterWriteOptions } from '../arch/core-access.js';

/** GDB signal numbers in stop replies (gdb/signals.def). */
const SIGINT = 2;
const SIGTRAP = 5;

export interface GdbCoreAccessOptions {
  /** Monitor commands tried in order to reset and halt; the first accepted one is kept. */
  resetHaltCommands?: string[] | undefined;
  /** Monitor commands tried in order to reset and run. */
  resetRunCommands?: string[] | undefined;
}

const UNKNOWN_COMMAND = /unknown command|invalid command|not supported|unrecognized|command not found/i;

/** The server accepted none of the reset commands flashwright knows. */
export class GdbResetError extends ResetUnsupportedError {
  constructor(tried: string[], outputs: string[]) {
    super('GDB_RESET', `The GDB server accepted none of the reset commands tried (${tried.map((c) => `'monitor ${c}'`).join(', ')}).`, {
      hint: 'Reset the board by hand, or pass the server\'s own reset command.',
      context: { tried, outputs },
    });
  }
}

export class GdbCoreAccess implements CoreAccess {
  readonly memoryAccessWhileRunning = false;
  private workingReset: { halt?: string; run?: string } = {};
  private gBlockWorks: boolean | undefined;

  constructor(readonly client: GdbClient, readonly description: string, private readonly options: GdbCoreAccessOptions = {}) {}

  readMemory(address: number, length: number, options?: CoreOptions): Promise<Uint8Array> {
    return this.client.readMemory(address, length, options);
  }

  writeMemory(address: number, data: Uint8Array, options?: CoreOptions): Promise<void> {
    return this.client.writeMemory(address, data, options);
  }

  readRegister(name: CoreRegister, options?: CoreOptions): Promise<number> {
    return this.client.readRegister(name, options);
  }

  /** Writes with one G packet when the server takes it (one round trip), else P per register. */
  async writeRegisters(values: Partial<Record<CoreRegister, number>>, options?: RegisterWriteOptions): Promise<void> {
    const entries = Object.entries(values) as Array<[CoreRegister, number]>;
    if (entries.length > 2 && this.gBlockWorks !== false) {
      const ok = await this.client.writeRegisterBlock(new Map(entries.map(([n, v]) => [this.client.register(n).regnum, v])), options, options?.othersAreScratch);
      this.gBlockWorks = ok;
      if (ok) return;
    }
    for (const [name, value] of entries) await this.client.writeRegister(name, value, options);
  }

  private toHalt(s: StopInfo): HaltState {
    const pcReg = this.client.registers.get('pc');
    const pc = pcReg ? s.registers.get(pcReg.regnum) : undefined;
    const reason = s.signal === SIGTRAP ? 'breakpoint' : s.signal === SIGINT ? 'interrupted' : 'signal';
    return { reason, pc, detail: s.raw };
  }

  async halt(options?: CoreOptions): Promise<HaltState> {
    return this.toHalt(await this.client.interrupt(options));
  }

  resume(options?: CoreOptions): Promise<void> {
    return this.client.resume(false, options);
  }

  async waitForHalt(timeoutMs: number, options?: CoreOptions): Promise<HaltState> {
    return this.toHalt(await this.client.waitForStop({ ...options, timeoutMs }));
  }

  async setBreakpoint(address: number, options?: CoreOptions): Promise<void> {
    try {
      await this.client.breakpoint(true, address, 0, options);
    } catch (e) {
      // Code in flash or a server without software breakpoints: use a hardware comparator.
      if (!(e instanceof GdbUnsupportedError || e instanceof GdbErrorReply)) throw e;
      await this.client.breakpoint(true, address, 1, options);
    }
  }

  async clearBreakpoint(address: number, options?: CoreOptions): Promise<void> {
    try {
      await this.client.breakpoint(false, address, 0, options);
    } catch (e) {
      if (!(e instanceof GdbUnsupportedError || e instanceof GdbErrorReply)) throw e;
      await this.client.breakpoint(false, address, 1, options);
    }
  }

  async reset(mode: 'halt' | 'run', options?: CoreOptions): Promise<void> {
    if (this.client.running) await this.client.interrupt(options);
    const candidates = mode === 'halt' ? this.options.resetHaltCommands ?? ['reset halt', 'system_reset'] : this.options.resetRunCommands ?? ['reset run', 'system_reset'];
    const known = this.workingReset[mode];
    const order = known ? [known, ...candidates.filter((c) => c !== known)] : candidates;
    const outputs: string[] = [];
    for (const cmd of order) {
      let output: string;
      try {
        output = await this.client.monitor(cmd, options);
      } catch (e) {
        if (e instanceof GdbErrorReply) { outputs.push(e.message); continue; }
        throw e;
      }
      if (UNKNOWN_COMMAND.test(output)) { outputs.push(output.trim()); continue; }
      this.workingReset[mode] = cmd;
      // QEMU's system_reset leaves the machine stopped: run it when asked to.
      if (mode === 'run' && cmd === 'system_reset') await this.client.resume(false, options);
      else if (mode === 'run') this.client.running = false; // 'reset run' servers keep answering packets
      return;
    }
    throw new GdbResetError(order, outputs);
  }

  async close(options?: { resume?: boolean }): Promise<void> {
    try {
      if (options?.resume) await this.client.detach();
      else if (this.client.running) await this.client.interrupt().catch(() => undefined);
    } finally {
      await this.client.close();
    }
  }
}
