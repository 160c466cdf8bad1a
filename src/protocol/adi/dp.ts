/**
 * ADIv5 debug port over a CMSIS-DAP session: SWD line reset and JTAG-to-SWD switch (with
 * dormant wake-up as a fallback), DPIDR, debug/system power-up with acknowledges, a cached
 * SELECT, sticky-error recovery through ABORT, and AP register access. AP reads need no
 * RDBUFF dance here: CMSIS-DAP returns posted read data itself.
 */
import { delay } from '../../core/abort.js';
import { FlashwrightError, TimeoutError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import {
  checkTransfer, DapCommand, DapPort, encodeConnect, encodeExecuteCommands, encodeJtagConfigure, encodeJtagIdcode, encodeSwdConfigure, encodeSwjClock,
  encodeSwjSequence, encodeTransfer, encodeTransferConfigure, parseConnect, parseExecuteCommands, parseJtagIdcode, parseStatus, parseTransfer, SwjPin, type TransferOp,
} from '../cmsis-dap/commands.js';
import { DapAck, DapTransferError } from '../cmsis-dap/errors.js';
import type { DapSession } from '../cmsis-dap/session.js';
import { ABORT, ABORT_CLEAR_STICKY, CTRL, decodeApIdr, decodeDpidr, DP, JTAG_DP_IR_LENGTH, MEM_AP, selectValue, stickyErrors, SWJ, type ApIdr, type DpIdr } from './registers.js';

export interface DebugPortOptions {
  /** SWD clock in Hz (default 4 MHz). */
  clockHz?: number;
  /** WAIT retries the probe makes per transfer (default 100). */
  waitRetry?: number;
  /** 'swd' (default) or 'jtag': the JTAG-DP through the probe's JTAG port (one device in the chain). */
  transport?: 'swd' | 'jtag';
  /** Retries of a value-match read, e.g. polling S_REGRDY (default 100). */
  matchRetry?: number;
  /** How long to wait for power-up acknowledges (ms, default 500). */
  powerUpTimeoutMs?: number;
}

/** The target answered, but not as a debug port should (or not at all). */
export class DebugPortError extends FlashwrightError {
  constructor(message: string, hint: string, context: ErrorContext = {}, cause?: unknown) {
    super('DEBUG_PORT', message, { hint, context, cause });
  }
}

export class DebugPort {
  dpidr?: DpIdr;
  /** The SELECT value last written (undefined: unknown, write before the next banked access). */
  private select: number | undefined;
  /** How the debug port was woken: 'jtag-to-swd', 'dormant', or 'swd-to-jtag' (JTAG-DP). */
  wakeUp?: 'jtag-to-swd' | 'dormant' | 'swd-to-jtag';
  /** The JTAG IDCODE, when connected through JTAG. */
  jtagIdcode?: number;

  constructor(readonly dap: DapSession, readonly options: DebugPortOptions = {}) {}

  /** DAP_Connect(SWD), clock, transfer configuration, then the wake-up and DPIDR. */
  async connect(signal?: AbortSignal): Promise<DpIdr> {
    if (this.options.transport === 'jtag') return this.connectJtag(signal);
    const setup = [
      encodeConnect(DapPort.Swd), encodeSwjClock(this.options.clockHz ?? 4_000_000),
      encodeTransferConfigure(0, this.options.waitRetry ?? 100, this.options.matchRetry ?? 100), encodeSwdConfigure(1, false),
    ];
    if (this.atomic) return this.wake(signal, setup);
    for (const c of setup) await this.dap.request(c, signal).then((r) => this.checkSetup(c, r));
    return this.wake(signal);
  }

  /** The probe runs DAP_ExecuteCommands (DAP_Info capabilities, "Atomic Commands", and it did not refuse one). */
  private get atomic(): boolean {
    return this.dap.info?.capabilities.atomicCommands === true && !this.atomicRefused;
  }

  /** The probe answered DAP_ERROR to DAP_ExecuteCommands although it claims atomic commands. */
  private atomicRefused = false;

  private checkSetup(command: Uint8Array, response: Uint8Array): void {
    if (command[0] === DapCommand.Connect) parseConnect(response, command[1] ?? 0);
    else parseStatus(command[0] ?? 0, response);
  }

  /**
   * SWJ sequences then a DPIDR read. Where the probe has atomic commands, the whole lot (and
   * `lead`, connect's setup commands) goes in one DAP_ExecuteCommands packet: one round trip
   * for what would otherwise be up to nine packets (on a HID probe, nine USB frames).
   */
  private async sequenceThenDpidr(parts: ReadonlyArray<{ bits: number; data: Uint8Array }>, signal?: AbortSignal, lead: readonly Uint8Array[] = []): Promise<DpIdr> {
    const op: TransferOp = { ap: false, read: true, register: DP.DPIDR };
    const commands = [...lead, ...parts.map((p) => encodeSwjSequence(p.bits, p.data)), encodeTransfer(0, [op])];
    const packet = encodeExecuteCommands(commands);
    if (!this.atomic || packet.length > this.dap.packetSize) {
      for (const c of lead) await this.dap.request(c, signal).then((r) => this.checkSetup(c, r));
      await this.sequence(parts, signal);
      return this.readDpidr(signal);
    }
    // Every response but the transfer's is two bytes (command, status or port); the transfer's has data only after an OK read.
    const transferLength = (r: Uint8Array) => 3 + ((r[1] ?? 0) === 1 && ((r[2] ?? 0) & 0x1f) === DapAck.OK ? 4 : 0);
    const response = await this.dap.request(packet, signal);
    if (response[0] === 0xff) {
      // Claimed but not implemented (nothing of it ran): one command per packet from now on.
      this.atomicRefused = true;
      return this.sequenceThenDpidr(parts, signal, lead);
    }
    const answers = parseExecuteCommands(response, commands.map((c) => (c[0] === DapCommand.Transfer ? transferLength : () => 2)));
    commands.forEach((c, i) => { if (c[0] !== DapCommand.Transfer) this.checkSetup(c, answers[i]!); });
    const t = parseTransfer(answers[answers.length - 1]!, [op]);
    checkTransfer(t, 1, 'Reading DPIDR');
    this.dpidr = decodeDpidr(t.reads[0] ?? 0);
    return this.dpidr;
  }

  /**
   * JTAG-DP: DAP_Connect(JTAG), the SWD-to-JTAG switch (harmless on a JTAG-only DP), the TAP
   * reset and left in Run-Test/Idle (where the probe's scans start), the chain configured as one 4-bit-IR device, its IDCODE read with
   * DAP_JTAG_IDCODE; DP/AP accesses then go through DAP_Transfer as over SWD (the probe makes
   * the DPACC/APACC scans).
   */
  async connectJtag(signal?: AbortSignal): Promise<DpIdr> {
    await this.dap.connect(DapPort.Jtag, signal);
    await this.dap.swjClock(this.options.clockHz ?? 4_000_000, signal);
    await this.dap.transferConfigure(0, this.options.waitRetry ?? 100, this.options.matchRetry ?? 100, signal);
    this.select = undefined;
    await this.sequence([SWJ.LINE_RESET, SWJ.SWD_TO_JTAG, SWJ.TAP_RESET_TO_IDLE], signal);
    parseStatus(DapCommand.JtagConfigure, await this.dap.request(encodeJtagConfigure([JTAG_DP_IR_LENGTH]), signal));
    let idcode: number;
    try {
      idcode = parseJtagIdcode(await this.dap.request(encodeJtagIdcode(0), signal));
    } catch (e) {
      throw new DebugPortError('No JTAG-DP answered the IDCODE scan.', 'Check TCK/TMS/TDI/TDO wiring and target power; a part with only SW-DP needs SWD.', {}, e);
    }
    if (idcode === 0 || idcode === 0xffffffff) {
      throw new DebugPortError(`The JTAG IDCODE scan read ${hex(idcode)}: no device is driving TDO.`, 'Check TDO and the target power; a part with only SW-DP needs SWD.', { idcode: hex(idcode) });
    }
    this.jtagIdcode = idcode;
    this.wakeUp = 'swd-to-jtag';
    return this.readDpidr(signal);
  }

  /** Line reset + JTAG-to-SWD; if no ACK follows, the dormant-state wake-up (SWJ-DP v2 parts). */
  async wake(signal?: AbortSignal, lead: readonly Uint8Array[] = []): Promise<DpIdr> {
    this.select = undefined;
    try {
      const id = await this.sequenceThenDpidr([SWJ.LINE_RESET, SWJ.JTAG_TO_SWD, SWJ.LINE_RESET, SWJ.IDLE], signal, lead);
      this.wakeUp = 'jtag-to-swd';
      return id;
    } catch (e) {
      if (!(e instanceof DapTransferError)) throw e;
      try {
        const id = await this.sequenceThenDpidr([SWJ.LINE_RESET, SWJ.JTAG_TO_DORMANT, SWJ.SELECTION_ALERT_PRE, SWJ.SELECTION_ALERT, SWJ.ACTIVATION_SWD, SWJ.LINE_RESET, SWJ.IDLE], signal);
        this.wakeUp = 'dormant';
        return id;
      } catch (e2) {
        if (!(e2 instanceof DapTransferError)) throw e2;
        throw new DebugPortError(`No SWD debug port answered (${e2.ack === DapAck.NO_ACK ? 'no ACK' : `ACK ${e2.ack}`} to the DPIDR read after both the JTAG-to-SWD switch and the dormant wake-up).`,
          'Check SWDIO/SWCLK/GND wiring and target power; firmware that disables SWD or sleeps needs --connect-under-reset.', { ack: e2.ack }, e2);
      }
    }
  }

  private async sequence(parts: ReadonlyArray<{ bits: number; data: Uint8Array }>, signal?: AbortSignal): Promise<void> {
    await Promise.all(parts.map((p) => this.dap.swjSequence(p.bits, p.data, signal)));
  }

  async readDpidr(signal?: AbortSignal): Promise<DpIdr> {
    const [v] = await this.dap.transfer([{ ap: false, read: true, register: DP.DPIDR }], 'Reading DPIDR', signal);
    this.dpidr = decodeDpidr(v ?? 0);
    return this.dpidr;
  }

  /** Clears sticky errors and requests debug and system power, then waits for both acknowledges. */
  async powerUp(signal?: AbortSignal): Promise<number> {
    await this.dap.writeAbort(ABORT_CLEAR_STICKY, signal);
    const req = CTRL.CSYSPWRUPREQ | CTRL.CDBGPWRUPREQ;
    await this.writeDp(DP.CTRL_STAT, req, signal);
    const ack = (CTRL.CSYSPWRUPACK | CTRL.CDBGPWRUPACK) >>> 0;
    const deadline = Date.now() + (this.options.powerUpTimeoutMs ?? 500);
    for (;;) {
      const v = await this.readDp(DP.CTRL_STAT, signal);
      if (((v & ack) >>> 0) === ack) return v;
      if (Date.now() > deadline) {
        throw new TimeoutError(`The debug port did not acknowledge power-up (CTRL/STAT ${hex(v)}: ${v & CTRL.CDBGPWRUPACK ? '' : 'no CDBGPWRUPACK '}${v & CTRL.CSYSPWRUPACK ? '' : 'no CSYSPWRUPACK'}).`, {
          hint: 'The target\'s debug power domain did not come up: check the target is powered and not held in a deep low-power state; try --connect-under-reset.',
          context: { ctrlStat: hex(v) },
        });
      }
      await delay(2, signal);
    }
  }

  async readDp(register: number, signal?: AbortSignal): Promise<number> {
    const [v] = await this.run([{ ap: false, read: true, register }], `Reading DP register ${hex(register, 1)}`, signal);
    return v ?? 0;
  }

  async writeDp(register: number, value: number, signal?: AbortSignal): Promise<void> {
    await this.run([{ ap: false, read: false, register, value }], `Writing DP register ${hex(register, 1)}`, signal);
  }

  /** The SELECT write needed before accessing `register` of AP `apsel`, if any (updates the cache). */
  selectOp(apsel: number, register: number): TransferOp[] {
    const v = selectValue(apsel, register & 0xf0);
    if (this.select === v) return [];
    this.select = v;
    return [{ ap: false, read: false, register: DP.SELECT, value: v }];
  }

  /** One AP register access, with SELECT as needed. */
  apOp(apsel: number, register: number, read: boolean, value?: number): TransferOp[] {
    const op: TransferOp = { ap: true, read, register: register & 0x0c };
    if (value !== undefined) op.value = value;
    return [...this.selectOp(apsel, register), op];
  }

  async readAp(apsel: number, register: number, signal?: AbortSignal): Promise<number> {
    const [v] = await this.run(this.apOp(apsel, register, true), `Reading AP ${apsel} register ${hex(register, 2)}`, signal);
    return v ?? 0;
  }

  async writeAp(apsel: number, register: number, value: number, signal?: AbortSignal): Promise<void> {
    await this.run(this.apOp(apsel, register, false, value), `Writing AP ${apsel} register ${hex(register, 2)}`, signal);
  }

  /** Runs transfers; on WAIT/FAULT clears the error state (ABORT) and rethrows with CTRL/STAT decoded. */
  async run(ops: readonly TransferOp[], what: string, signal?: AbortSignal): Promise<number[]> {
    try {
      return await this.dap.transfer(ops, what, signal);
    } catch (e) {
      throw await this.recover(e, signal);
    }
  }

  /**
   * After a failed transfer: a WAIT that outlasted the retries is cancelled with DAPABORT; a
   * FAULT's sticky flags are read (for the message) and cleared. SELECT is forgotten, since
   * the failed packet may or may not have written it. Returns the error to throw.
   */
  async recover(e: unknown, signal?: AbortSignal): Promise<unknown> {
    if (!(e instanceof DapTransferError)) return e;
    this.select = undefined;
    if (e.ack === DapAck.WAIT) {
      await this.dap.writeAbort(ABORT.DAPABORT | ABORT_CLEAR_STICKY, signal).catch(() => undefined);
      return e;
    }
    if (e.ack === DapAck.FAULT) {
      const ctrl = await this.dap.transfer([{ ap: false, read: true, register: DP.CTRL_STAT }], 'Reading CTRL/STAT', signal).then((v) => v[0]).catch(() => undefined);
      await this.dap.writeAbort(ABORT_CLEAR_STICKY, signal).catch(() => undefined);
      if (ctrl !== undefined) Object.assign(e.context, { ctrlStat: hex(ctrl), sticky: stickyErrors(ctrl) });
      return e;
    }
    if ((e.ack === DapAck.NO_ACK || e.flags.protocolError) && this.options.transport !== 'jtag') {
      // The line may be out of sync: a line reset and a DPIDR read bring SWD back to a known state.
      await this.sequence([SWJ.LINE_RESET, SWJ.IDLE], signal).catch(() => undefined);
      await this.dap.transfer([{ ap: false, read: true, register: DP.DPIDR }], 'Reading DPIDR', signal).catch(() => undefined);
    }
    return e;
  }

  /** Reads every AP's IDR from 0 until the first empty slot (or `max`). */
  async discoverAps(max = 16, signal?: AbortSignal): Promise<Array<{ apsel: number; idr: ApIdr; base?: number }>> {
    const out: Array<{ apsel: number; idr: ApIdr; base?: number }> = [];
    for (let apsel = 0; apsel < max; apsel++) {
      let v: number;
      try {
        v = await this.readAp(apsel, MEM_AP.IDR, signal);
      } catch (e) {
        if (e instanceof DapTransferError) break;
        throw e;
      }
      if (v === 0) break;
      const idr = decodeApIdr(v);
      const entry: { apsel: number; idr: ApIdr; base?: number } = { apsel, idr };
      if (idr.isMemAp) entry.base = await this.readAp(apsel, MEM_AP.BASE, signal);
      out.push(entry);
    }
    return out;
  }

  /** Drives nRESET (active low) through DAP_SWJ_Pins. */
  async setReset(asserted: boolean, signal?: AbortSignal): Promise<void> {
    await this.dap.swjPins(asserted ? 0 : SwjPin.nRESET, SwjPin.nRESET, asserted ? 0 : 10_000, signal);
  }

  /** The cached SELECT, for code that builds ops it may discard (see MemAp.cacheSnapshot). */
  get selectCache(): number | undefined { return this.select; }
  set selectCache(v: number | undefined) { this.select = v; }

  /** Forgets the cached SELECT (after a reset or a reconnect). */
  invalidate(): void {
    this.select = undefined;
  }
}
