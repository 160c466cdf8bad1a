/**
 * The CMSIS-DAP command processor (Arm CMSIS-DAP v2.1, "Commands"): one request packet in,
 * one response out. Commands the probe does not implement answer 0xFF alone. A request
 * shorter than its command needs is answered DAP_ERROR (or 0xFF when nothing can be
 * parsed), never read past its end.
 */
import { ACK, CAP, CMD, DAP_ERROR, DAP_OK, INFO, PIN } from './constants.js';
import type { DapTarget } from './target.js';
import { dapTransfer, dapTransferBlock, In, Out, type TransferConfig, type TransferContext } from './transfer.js';
import { WireDriver } from './wire-driver.js';

export interface ProbeIdentity {
  vendor: string;
  product: string;
  serial: string;
  protocolVersion: string;
  firmwareVersion: string;
  targetVendor?: string;
  targetName?: string;
}

export interface ProcessorOptions {
  identity: ProbeIdentity;
  packetSize: number;
  packetCount: number;
  /** Offer JTAG (capability bit 1); default true. */
  jtag?: boolean | undefined;
}

export interface ProcessorStats {
  commands: Record<string, number>;
  transfers: number;
  /** Responses that would not have fitted the packet size (answered 0xFF instead). */
  oversizeResponses: number;
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(CMD).map(([k, v]) => [v, k]));

export class DapProcessor {
  readonly driver: WireDriver;
  port: 0 | 1 | 2 = 0;
  clockHz = 1_000_000;
  private readonly config: TransferConfig = { waitRetry: 100, matchRetry: 0, matchMask: 0xffffffff };
  private abortFlag = false;
  private nResetOut = 1;
  /** Extra µs the current command spends (DAP_Delay, SWJ_Pins wait). */
  private extraUs = 0;
  readonly stats: ProcessorStats = { commands: {}, transfers: 0, oversizeResponses: 0 };
  /** The modelled µs clock (the probe's test-domain timer) at the start of the command. */
  clockUs: () => number = () => 0;

  constructor(readonly target: DapTarget, private readonly o: ProcessorOptions) {
    this.driver = new WireDriver(target);
  }

  /** DAP_TransferAbort arrived (it is acted on at once, outside the command queue). */
  abort(): void { this.abortFlag = true; }

  /** Wire time of the commands processed since the last call, in µs. */
  takeBusyUs(): number {
    const us = (this.driver.cycles * 1e6) / this.clockHz + this.extraUs;
    this.driver.cycles = 0;
    this.extraUs = 0;
    return us;
  }

  /** Processes one packet. */
  async process(packet: Uint8Array): Promise<Uint8Array> {
    const out = new Out();
    try {
      await this.command(new In(packet, 0), out);
    } finally {
      await this.target.endOfCommand();
    }
    if (out.length > this.o.packetSize) { this.stats.oversizeResponses++; return Uint8Array.of(0xff); }
    return out.toBytes();
  }

  /** Executes the command at `input.pos`, appending its response. */
  private async command(input: In, out: Out): Promise<void> {
    const id = input.u8();
    const name = NAMES[id] ?? `0x${id.toString(16)}`;
    this.stats.commands[name] = (this.stats.commands[name] ?? 0) + 1;
    const status = (ok: boolean) => { out.u8(id); out.u8(ok ? DAP_OK : DAP_ERROR); };
    switch (id) {
      case CMD.Info: return this.info(input.u8(), out);
      case CMD.HostStatus: input.u8(); input.u8(); return status(input.ok);
      case CMD.Connect: {
        const want = input.u8();
        const port = want === 0 ? 1 : want;
        const ok = port === 1 || (port === 2 && this.o.jtag !== false);
        this.port = ok ? (port as 1 | 2) : 0;
        out.u8(id); out.u8(this.port);
        return;
      }
      case CMD.Disconnect: this.port = 0; return status(true);
      case CMD.TransferConfigure: {
        this.driver.idleCycles = input.u8();
        this.config.waitRetry = input.u16();
        this.config.matchRetry = input.u16();
        return status(input.ok);
      }
      case CMD.Transfer: case CMD.TransferBlock: {
        if (this.port === 0) {
          // Not connected: nothing is transferred.
          out.u8(id); if (id === CMD.TransferBlock) out.u16(0); else out.u8(0); out.u8(0);
          return;
        }
        this.abortFlag = false;
        const r = id === CMD.Transfer ? await dapTransfer(this.context(), input) : await dapTransferBlock(this.context(), input);
        this.stats.transfers++;
        for (const b of r.toBytes()) out.u8(b);
        return;
      }
      case CMD.TransferAbort: return; // no response
      case CMD.WriteAbort: {
        input.u8();
        const v = input.u32();
        if (!input.ok || this.port === 0) return status(false);
        const r = this.port === 1 ? this.driver.swd(0x00, v) : this.driver.jtag(0x00, v);
        await this.target.settle();
        return status(r.ack === ACK.OK);
      }
      case CMD.Delay: { const us = input.u16(); this.extraUs += us; return status(input.ok); }
      case CMD.ResetTarget: out.u8(id); out.u8(DAP_OK); out.u8(0); return; // no device-specific sequence
      case CMD.SwjPins: return this.swjPins(input, out);
      case CMD.SwjClock: { const hz = input.u32(); if (hz > 0) this.clockHz = hz; return status(input.ok && hz > 0); }
      case CMD.SwjSequence: {
        const n = input.u8() || 256;
        const bits = input.bytes.subarray(input.pos, input.pos + Math.ceil(n / 8));
        input.pos += Math.ceil(n / 8);
        if (bits.length < Math.ceil(n / 8)) return status(false);
        this.driver.swjSequence(bits, n);
        await this.target.settle();
        return status(true);
      }
      case CMD.SwdConfigure: {
        const c = input.u8();
        this.driver.turnaround = (c & 3) + 1;
        this.driver.dataPhase = (c & 4) !== 0;
        return status(input.ok);
      }
      case CMD.SwdSequence: return this.swdSequence(input, out);
      case CMD.JtagSequence: return this.jtagSequence(input, out);
      case CMD.JtagConfigure: {
        const n = input.u8();
        const lengths: number[] = [];
        for (let i = 0; i < n; i++) lengths.push(input.u8());
        if (input.ok) this.driver.irLengths = lengths;
        return status(input.ok && n >= 1);
      }
      case CMD.JtagIdcode: {
        const index = input.u8();
        out.u8(id);
        if (this.port !== 2 || index >= this.driver.irLengths.length) { out.u8(DAP_ERROR); out.u32(0); return; }
        const code = this.driver.jtagIdcode();
        out.u8(DAP_OK); out.u32(code);
        return;
      }
      case CMD.ExecuteCommands: case CMD.QueueCommands: {
        const n = input.u8();
        out.u8(CMD.ExecuteCommands); out.u8(n);
        for (let i = 0; i < n && input.ok; i++) await this.command(input, out);
        return;
      }
      default:
        out.u8(0xff);
    }
  }

  private context(): TransferContext {
    return {
      driver: this.driver,
      config: this.config,
      protocol: this.port === 2 ? 'jtag' : 'swd',
      timestamp: () => Math.floor(this.clockUs() + (this.driver.cycles * 1e6) / this.clockHz) >>> 0,
      aborted: () => this.abortFlag,
      settle: () => this.target.settle(),
    };
  }

  private info(which: number, out: Out): void {
    out.u8(CMD.Info);
    const str = (s: string | undefined) => {
      if (s === undefined) { out.u8(0); return; }
      const bytes = new TextEncoder().encode(s);
      out.u8(bytes.length + 1);
      for (const b of bytes) out.u8(b);
      out.u8(0);
    };
    const id = this.o.identity;
    switch (which) {
      case INFO.vendor: return str(id.vendor);
      case INFO.product: return str(id.product);
      case INFO.serial: return str(id.serial);
      case INFO.protocolVersion: return str(id.protocolVersion);
      case INFO.targetVendor: return str(id.targetVendor);
      case INFO.targetName: return str(id.targetName);
      case INFO.firmwareVersion: return str(id.firmwareVersion);
      case INFO.capabilities: out.u8(1); out.u8(CAP.swd | (this.o.jtag === false ? 0 : CAP.jtag) | CAP.atomic | CAP.timer); return;
      case INFO.timerFrequency: out.u8(4); out.u32(1_000_000); return;
      case INFO.packetCount: out.u8(1); out.u8(this.o.packetCount); return;
      case INFO.packetSize: out.u8(2); out.u16(this.o.packetSize); return;
      default: out.u8(0);
    }
  }

  private async swjPins(input: In, out: Out): Promise<void> {
    const value = input.u8();
    const select = input.u8();
    const waitUs = input.u32();
    if (select & PIN.nRESET) {
      const level = (value & PIN.nRESET) ? 1 : 0;
      if (level !== this.nResetOut) { this.nResetOut = level; await this.target.setReset(level === 0); await this.target.settle(); }
    }
    if (select & PIN.TDI) this.driver.tdi = (value & PIN.TDI) ? 1 : 0;
    // Pin wait: every selected output reaches its level at once here, so it never waits.
    void waitUs;
    out.u8(CMD.SwjPins);
    // Inputs: lines pulled up except what the probe drives; TDO idles high.
    out.u8(PIN.SWCLK | PIN.SWDIO | (this.driver.tdi ? PIN.TDI : 0) | PIN.TDO | PIN.nTRST | (this.nResetOut ? PIN.nRESET : 0));
  }

  private swdSequence(input: In, out: Out): void {
    const count = input.u8();
    out.u8(CMD.SwdSequence);
    const statusAt = out.length;
    out.u8(DAP_OK);
    for (let i = 0; i < count; i++) {
      const info = input.u8();
      const n = (info & 0x3f) || 64;
      const inputDir = (info & 0x80) !== 0;
      if (inputDir) {
        for (const b of this.driver.swdSequence(n, true)) out.u8(b);
      } else {
        const bits = input.bytes.subarray(input.pos, input.pos + Math.ceil(n / 8));
        input.pos += Math.ceil(n / 8);
        if (bits.length < Math.ceil(n / 8)) { out.set(statusAt, DAP_ERROR); return; }
        this.driver.swdSequence(n, false, bits);
      }
    }
    if (!input.ok) out.set(statusAt, DAP_ERROR);
  }

  private jtagSequence(input: In, out: Out): void {
    const count = input.u8();
    out.u8(CMD.JtagSequence);
    const statusAt = out.length;
    out.u8(DAP_OK);
    for (let i = 0; i < count; i++) {
      const info = input.u8();
      const n = (info & 0x3f) || 64;
      const tms = ((info >> 6) & 1) as 0 | 1;
      const bits = input.bytes.subarray(input.pos, input.pos + Math.ceil(n / 8));
      input.pos += Math.ceil(n / 8);
      if (bits.length < Math.ceil(n / 8)) { out.set(statusAt, DAP_ERROR); return; }
      const tdo = this.driver.jtagSequence(n, tms, bits);
      if (info & 0x80) for (const b of tdo) out.u8(b);
    }
    if (!input.ok) out.set(statusAt, DAP_ERROR);
  }
}
