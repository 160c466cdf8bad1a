/**
 * CMSIS-DAP commands as pure encode/parse functions (Arm CMSIS-DAP v2.1 specification,
 * "CMSIS-DAP Commands"). Requests and responses are raw command bytes: no HID report ID,
 * no TCP header; the link adds those. Every multi-byte field is little-endian.
 */
import { DapAck, DapCommandError, DapResponseError, DapTransferError, notImplemented } from './errors.js';

/** Command IDs (CMSIS-DAP v2.1, "General/Common SWD/JTAG/SWD/JTAG/Transfer/Atomic Commands"). */
export const DapCommand = {
  Info: 0x00, HostStatus: 0x01, Connect: 0x02, Disconnect: 0x03, TransferConfigure: 0x04, Transfer: 0x05,
  TransferBlock: 0x06, TransferAbort: 0x07, WriteAbort: 0x08, Delay: 0x09, ResetTarget: 0x0a,
  SwjPins: 0x10, SwjClock: 0x11, SwjSequence: 0x12, SwdConfigure: 0x13, JtagSequence: 0x14,
  JtagConfigure: 0x15, JtagIdcode: 0x16, SwdSequence: 0x1d, QueueCommands: 0x7e, ExecuteCommands: 0x7f,
} as const;

const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DapCommand).map(([k, v]) => [v, `DAP_${k}`]));

export function commandName(id: number): string {
  return COMMAND_NAMES[id] ?? `command 0x${id.toString(16).padStart(2, '0')}`;
}

/** DAP_Info IDs. */
export const DapInfoId = {
  Vendor: 0x01, Product: 0x02, Serial: 0x03, ProtocolVersion: 0x04, TargetDeviceVendor: 0x05, TargetDeviceName: 0x06,
  TargetBoardVendor: 0x07, TargetBoardName: 0x08, FirmwareVersion: 0x09,
  Capabilities: 0xf0, TestDomainTimer: 0xf1, UartRxBufferSize: 0xfb, UartTxBufferSize: 0xfc, SwoBufferSize: 0xfd,
  PacketCount: 0xfe, PacketSize: 0xff,
} as const;

/** Status byte of most responses. */
export const DAP_OK = 0x00;
export const DAP_ERROR = 0xff;

/** Connect ports. */
export const DapPort = { Default: 0, Swd: 1, Jtag: 2 } as const;

/** DAP_SWJ_Pins bit positions. */
export const SwjPin = { SWCLK_TCK: 1 << 0, SWDIO_TMS: 1 << 1, TDI: 1 << 2, TDO: 1 << 3, nTRST: 1 << 5, nRESET: 1 << 7 } as const;

/** DAP_Info Capabilities, byte 0 bits 0–7 and byte 1 bit 0. */
export interface DapCapabilities {
  swd: boolean; jtag: boolean; swoUart: boolean; swoManchester: boolean; atomicCommands: boolean;
  testDomainTimer: boolean; swoStreaming: boolean; uartPort: boolean; usbComPort: boolean;
}

function u16(b: Uint8Array, o: number): number { return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8); }
function u32(b: Uint8Array, o: number): number { return ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0; }
function put16(b: Uint8Array, o: number, v: number): void { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; }
function put32(b: Uint8Array, o: number, v: number): void { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = (v >>> 24) & 0xff; }

/** Checks the echoed command ID (a lone 0xFF means "not implemented") and the minimum length. */
export function checkResponse(id: number, response: Uint8Array, minLength: number): void {
  if (response.length >= 1 && response[0] === DAP_ERROR && id !== DAP_ERROR) throw notImplemented(commandName(id), id);
  if (response[0] !== id) throw new DapResponseError(`The probe answered ${commandName(response[0] ?? -1)} to ${commandName(id)}.`, response);
  if (response.length < minLength) throw new DapResponseError(`The probe's ${commandName(id)} response is ${response.length} bytes, expected at least ${minLength}.`, response);
}

/** Throws unless the status byte at offset 1 is DAP_OK. */
export function parseStatus(id: number, response: Uint8Array): void {
  checkResponse(id, response, 2);
  if (response[1] !== DAP_OK) {
    throw new DapCommandError(commandName(id), `The probe answered DAP_ERROR (0x${(response[1] ?? 0).toString(16).toUpperCase()}) to ${commandName(id)}: it could not carry the command out.`, {
      hint: id === DapCommand.SwjClock ? 'The probe cannot run at that clock: choose another --speed.' : 'Check the probe is connected to the target (DAP_Connect) and the argument is one it supports.',
      context: { status: response[1] },
    });
  }
}

// ---- General commands ------------------------------------------------------------------

export function encodeInfo(id: number): Uint8Array {
  return Uint8Array.of(DapCommand.Info, id);
}

/** The Info bytes (length-prefixed). An empty result means the probe does not have this item. */
export function parseInfo(response: Uint8Array): Uint8Array {
  checkResponse(DapCommand.Info, response, 2);
  const len = response[1] ?? 0;
  if (response.length < 2 + len) throw new DapResponseError(`DAP_Info says ${len} bytes follow but the response holds ${response.length - 2}.`, response);
  return response.slice(2, 2 + len);
}

/** A string item: ASCII, NUL-terminated (the terminator is counted in the length). */
export function infoString(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  let end = data.indexOf(0);
  if (end < 0) end = data.length;
  return String.fromCharCode(...data.subarray(0, end));
}

/** A numeric item: BYTE (packet count, capabilities), SHORT (packet size) or WORD, by its length. */
export function infoNumber(data: Uint8Array): number | undefined {
  if (data.length === 1) return data[0];
  if (data.length === 2) return u16(data, 0);
  if (data.length === 4) return u32(data, 0);
  return undefined;
}

export function decodeCapabilities(data: Uint8Array): DapCapabilities {
  const b0 = data[0] ?? 0;
  const b1 = data[1] ?? 0;
  return {
    swd: !!(b0 & 1), jtag: !!(b0 & 2), swoUart: !!(b0 & 4), swoManchester: !!(b0 & 8), atomicCommands: !!(b0 & 0x10),
    testDomainTimer: !!(b0 & 0x20), swoStreaming: !!(b0 & 0x40), uartPort: !!(b0 & 0x80), usbComPort: !!(b1 & 1),
  };
}

/** DAP_HostStatus: type 0 = Connect LED, 1 = Running LED. */
export function encodeHostStatus(type: 'connect' | 'running', on: boolean): Uint8Array {
  return Uint8Array.of(DapCommand.HostStatus, type === 'connect' ? 0 : 1, on ? 1 : 0);
}

export function encodeConnect(port: number): Uint8Array {
  return Uint8Array.of(DapCommand.Connect, port);
}

/** The port the probe connected with; 0 means it failed (unsupported port or initialisation failed). */
export function parseConnect(response: Uint8Array, requested: number): number {
  checkResponse(DapCommand.Connect, response, 2);
  const port = response[1] ?? 0;
  if (port === 0) {
    throw new DapCommandError('DAP_Connect', `The probe could not connect in ${requested === DapPort.Jtag ? 'JTAG' : requested === DapPort.Swd ? 'SWD' : 'its default'} mode (it answered port 0).`, {
      hint: requested === DapPort.Swd ? 'This probe may have no SWD (JTAG-only firmware): try the JTAG port.' : 'The probe does not support that debug port.',
      context: { requested },
    });
  }
  return port;
}

export function encodeDisconnect(): Uint8Array { return Uint8Array.of(DapCommand.Disconnect); }

/** DAP_TransferConfigure: extra idle cycles, WAIT retries, match retries. */
export function encodeTransferConfigure(idleCycles: number, waitRetry: number, matchRetry: number): Uint8Array {
  const b = new Uint8Array(6);
  b[0] = DapCommand.TransferConfigure;
  b[1] = idleCycles & 0xff;
  put16(b, 2, waitRetry);
  put16(b, 4, matchRetry);
  return b;
}

/** DAP_Delay in microseconds (≤ 65535). */
export function encodeDelay(us: number): Uint8Array {
  const b = new Uint8Array(3);
  b[0] = DapCommand.Delay;
  put16(b, 1, Math.min(0xffff, Math.max(0, Math.round(us))));
  return b;
}

export function encodeResetTarget(): Uint8Array { return Uint8Array.of(DapCommand.ResetTarget); }

/** DAP_ResetTarget: status, then Execute (1 = a device-specific reset sequence ran, 0 = none is implemented). */
export function parseResetTarget(response: Uint8Array): { executed: boolean } {
  parseStatus(DapCommand.ResetTarget, response);
  return { executed: (response[2] ?? 0) === 1 };
}

// ---- Common SWD/JTAG commands ------------------------------------------------------------

/** DAP_SWJ_Pins: drives the selected pins to `output`, then waits up to `waitUs` for them to read back. */
export function encodeSwjPins(output: number, select: number, waitUs: number): Uint8Array {
  const b = new Uint8Array(7);
  b[0] = DapCommand.SwjPins;
  b[1] = output;
  b[2] = select;
  put32(b, 3, waitUs);
  return b;
}

/** The pin levels after the change. */
export function parseSwjPins(response: Uint8Array): number {
  checkResponse(DapCommand.SwjPins, response, 2);
  return response[1] ?? 0;
}

export function encodeSwjClock(hz: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = DapCommand.SwjClock;
  put32(b, 1, hz);
  return b;
}

/** DAP_SWJ_Sequence: `bits` (1–256) on SWDIO/TMS, LSB of the first byte first; a count of 256 is sent as 0. */
export function encodeSwjSequence(bits: number, data: Uint8Array): Uint8Array {
  if (bits < 1 || bits > 256) throw new RangeError(`SWJ sequence of ${bits} bits: 1–256 allowed`);
  const n = Math.ceil(bits / 8);
  if (data.length < n) throw new RangeError(`SWJ sequence of ${bits} bits needs ${n} data bytes`);
  const b = new Uint8Array(2 + n);
  b[0] = DapCommand.SwjSequence;
  b[1] = bits & 0xff;
  b.set(data.subarray(0, n), 2);
  return b;
}

/** DAP_SWD_Configure: turnaround period 1–4 clocks, DataPhase on WAIT/FAULT. */
export function encodeSwdConfigure(turnaround: number, dataPhase: boolean): Uint8Array {
  return Uint8Array.of(DapCommand.SwdConfigure, ((turnaround - 1) & 3) | (dataPhase ? 4 : 0));
}

export interface SwdSequenceStep {
  /** TCK cycles, 1–64. */
  cycles: number;
  /** Output bits (LSB first) for an output step; absent for an input step. */
  output?: Uint8Array;
}

/** DAP_SWD_Sequence: steps of output or input on SWDIO. */
export function encodeSwdSequence(steps: readonly SwdSequenceStep[]): Uint8Array {
  const parts: number[] = [DapCommand.SwdSequence, steps.length];
  for (const s of steps) {
    if (s.cycles < 1 || s.cycles > 64) throw new RangeError(`SWD sequence step of ${s.cycles} cycles: 1–64 allowed`);
    const info = (s.cycles & 0x3f) | (s.output ? 0 : 0x80);
    parts.push(info);
    if (s.output) for (let i = 0; i < Math.ceil(s.cycles / 8); i++) parts.push(s.output[i] ?? 0);
  }
  return Uint8Array.from(parts);
}

/** The SWDIO bits captured by the input steps, one array per input step. */
export function parseSwdSequence(response: Uint8Array, steps: readonly SwdSequenceStep[]): Uint8Array[] {
  parseStatus(DapCommand.SwdSequence, response);
  const out: Uint8Array[] = [];
  let o = 2;
  for (const s of steps) {
    if (s.output) continue;
    const n = Math.ceil(s.cycles / 8);
    if (response.length < o + n) throw new DapResponseError('DAP_SWD_Sequence response is shorter than its input steps.', response);
    out.push(response.slice(o, o + n));
    o += n;
  }
  return out;
}

export interface JtagSequenceStep {
  /** TCK cycles, 1–64. */
  cycles: number;
  tms: boolean;
  /** TDI bits, LSB first. */
  tdi: Uint8Array;
  /** Capture TDO. */
  captureTdo?: boolean;
}

export function encodeJtagSequence(steps: readonly JtagSequenceStep[]): Uint8Array {
  const parts: number[] = [DapCommand.JtagSequence, steps.length];
  for (const s of steps) {
    if (s.cycles < 1 || s.cycles > 64) throw new RangeError(`JTAG sequence step of ${s.cycles} cycles: 1–64 allowed`);
    parts.push((s.cycles & 0x3f) | (s.tms ? 0x40 : 0) | (s.captureTdo ? 0x80 : 0));
    for (let i = 0; i < Math.ceil(s.cycles / 8); i++) parts.push(s.tdi[i] ?? 0);
  }
  return Uint8Array.from(parts);
}

/** TDO bits of the capturing steps. */
export function parseJtagSequence(response: Uint8Array, steps: readonly JtagSequenceStep[]): Uint8Array[] {
  parseStatus(DapCommand.JtagSequence, response);
  const out: Uint8Array[] = [];
  let o = 2;
  for (const s of steps) {
    if (!s.captureTdo) continue;
    const n = Math.ceil(s.cycles / 8);
    if (response.length < o + n) throw new DapResponseError('DAP_JTAG_Sequence response is shorter than its capturing steps.', response);
    out.push(response.slice(o, o + n));
    o += n;
  }
  return out;
}

/** DAP_JTAG_Configure: the IR length of each device in the chain, TDI side first. */
export function encodeJtagConfigure(irLengths: readonly number[]): Uint8Array {
  return Uint8Array.from([DapCommand.JtagConfigure, irLengths.length, ...irLengths]);
}

export function encodeJtagIdcode(index: number): Uint8Array {
  return Uint8Array.of(DapCommand.JtagIdcode, index);
}

export function parseJtagIdcode(response: Uint8Array): number {
  parseStatus(DapCommand.JtagIdcode, response);
  if (response.length < 6) throw new DapResponseError('DAP_JTAG_IDCODE response has no IDCODE.', response);
  return u32(response, 2);
}

// ---- Transfers ---------------------------------------------------------------------------

/** Transfer Request bits. */
export const TransferBit = { APnDP: 1, RnW: 2, MatchValue: 0x10, MatchMask: 0x20, Timestamp: 0x80 } as const;

/** One DP or AP register access inside DAP_Transfer. */
export interface TransferOp {
  ap: boolean;
  read: boolean;
  /** Register address A[3:2] as a byte offset: 0x0, 0x4, 0x8 or 0xC. */
  register: number;
  /** Write data; for a read with `match`, the value to match. */
  value?: number;
  /** Read: retry until (value & mask) == `value` (DAP_Transfer's value match). */
  match?: boolean;
  /** Write the match mask (a write with this bit set is not a register write). */
  setMatchMask?: boolean;
  /** Ask for the Test Domain Timer at this transfer. */
  timestamp?: boolean;
}

export function transferRequestByte(op: TransferOp): number {
  let r = (op.ap ? TransferBit.APnDP : 0) | (op.read ? TransferBit.RnW : 0) | (op.register & 0x0c);
  if (op.match) r |= TransferBit.MatchValue;
  if (op.setMatchMask) r |= TransferBit.MatchMask;
  if (op.timestamp) r |= TransferBit.Timestamp;
  return r;
}

/** Bytes an op adds to the request (1 + data) and to the response (timestamp, read data). */
export function transferOpSize(op: TransferOp): { request: number; response: number } {
  const hasData = !op.read || op.match;
  const returnsData = op.read && !op.match;
  return { request: 1 + (hasData ? 4 : 0), response: (op.timestamp ? 4 : 0) + (returnsData ? 4 : 0) };
}

/** DAP_Transfer header: command, DAP index, count. */
export const TRANSFER_REQUEST_HEADER = 3;
/** DAP_Transfer response header: command, count, response. */
export const TRANSFER_RESPONSE_HEADER = 3;

export function encodeTransfer(dapIndex: number, ops: readonly TransferOp[]): Uint8Array {
  if (ops.length > 255) throw new RangeError('DAP_Transfer carries at most 255 transfers');
  const size = ops.reduce((n, op) => n + transferOpSize(op).request, TRANSFER_REQUEST_HEADER);
  const b = new Uint8Array(size);
  b[0] = DapCommand.Transfer;
  b[1] = dapIndex;
  b[2] = ops.length;
  let o = 3;
  for (const op of ops) {
    b[o++] = transferRequestByte(op);
    if (!op.read || op.match) { put32(b, o, op.value ?? 0); o += 4; }
  }
  return b;
}

export interface TransferResult {
  /** Transfers the probe executed (all of them when ack is OK). */
  count: number;
  /** ACK of the last transfer (1 OK, 2 WAIT, 4 FAULT, 7 no ACK). */
  ack: number;
  protocolError: boolean;
  valueMismatch: boolean;
  /** Read data, one per completed read without value match, in order. */
  reads: number[];
  /** Timestamps, one per completed transfer that asked for one, in order. */
  timestamps: number[];
}

/** Parses a DAP_Transfer response without judging it (see {@link checkTransfer}). */
export function parseTransfer(response: Uint8Array, ops: readonly TransferOp[]): TransferResult {
  checkResponse(DapCommand.Transfer, response, 3);
  const count = response[1] ?? 0;
  const status = response[2] ?? 0;
  const r: TransferResult = { count, ack: status & 7, protocolError: !!(status & 8), valueMismatch: !!(status & 0x10), reads: [], timestamps: [] };
  let o = 3;
  for (let i = 0; i < count && i < ops.length; i++) {
    const op = ops[i]!;
    if (op.timestamp) { r.timestamps.push(u32(response, o)); o += 4; }
    if (op.read && !op.match) {
      if (response.length < o + 4) {
        // After a failed transfer the last posted read has no data (its FAULT/WAIT came from the
        // RDBUFF read that would have fetched it): what the count includes but did not return.
        if (r.ack !== 1 || r.protocolError) break;
        throw new DapResponseError(`DAP_Transfer response ends before the data of transfer ${i + 1}.`, response);
      }
      r.reads.push(u32(response, o));
      o += 4;
    }
  }
  return r;
}

/** Throws DapTransferError unless every transfer completed with ACK OK. */
export function checkTransfer(r: { count: number; ack: number; protocolError: boolean; valueMismatch: boolean }, expected: number, what: string): void {
  if (r.ack === DapAck.OK && !r.protocolError && !r.valueMismatch && r.count === expected) return;
  if (r.ack === DapAck.OK && !r.protocolError && !r.valueMismatch) {
    throw new DapResponseError(`${what}: the probe reports ${r.count} of ${expected} transfers done with ACK OK.`, undefined, { context: { count: r.count, expected } });
  }
  throw new DapTransferError(r.ack, r.count, { protocolError: r.protocolError, valueMismatch: r.valueMismatch }, what, { context: { expected } });
}

/** DAP_TransferBlock header: command, DAP index, count (u16), request. */
export const BLOCK_REQUEST_HEADER = 5;
/** DAP_TransferBlock response header: command, count (u16), response. */
export const BLOCK_RESPONSE_HEADER = 4;

/** DAP_TransferBlock: `count` accesses to one register; `data` for writes. */
export function encodeTransferBlock(dapIndex: number, ap: boolean, register: number, read: boolean, count: number, data?: Uint32Array | readonly number[]): Uint8Array {
  if (count < 1 || count > 0xffff) throw new RangeError('DAP_TransferBlock carries 1–65535 transfers');
  if (!read && (!data || data.length < count)) throw new RangeError('DAP_TransferBlock write needs one word per transfer');
  const b = new Uint8Array(BLOCK_REQUEST_HEADER + (read ? 0 : 4 * count));
  b[0] = DapCommand.TransferBlock;
  b[1] = dapIndex;
  put16(b, 2, count);
  b[4] = (ap ? TransferBit.APnDP : 0) | (read ? TransferBit.RnW : 0) | (register & 0x0c);
  if (!read) for (let i = 0; i < count; i++) put32(b, 5 + 4 * i, data![i]!);
  return b;
}

export interface BlockResult {
  count: number;
  ack: number;
  protocolError: boolean;
  valueMismatch: boolean;
  /** Words read (reads only). */
  data: Uint32Array;
}

export function parseTransferBlock(response: Uint8Array, read: boolean): BlockResult {
  checkResponse(DapCommand.TransferBlock, response, 4);
  const count = u16(response, 1);
  const status = response[3] ?? 0;
  const data = new Uint32Array(read ? count : 0);
  if (read) {
    if (response.length < 4 + 4 * count) throw new DapResponseError(`DAP_TransferBlock says ${count} words but holds ${Math.floor((response.length - 4) / 4)}.`, response);
    for (let i = 0; i < count; i++) data[i] = u32(response, 4 + 4 * i);
  }
  return { count, ack: status & 7, protocolError: !!(status & 8), valueMismatch: false, data };
}

export function encodeTransferAbort(): Uint8Array { return Uint8Array.of(DapCommand.TransferAbort); }

/** DAP_WriteABORT: writes the DP ABORT register. */
export function encodeWriteAbort(dapIndex: number, value: number): Uint8Array {
  const b = new Uint8Array(6);
  b[0] = DapCommand.WriteAbort;
  b[1] = dapIndex;
  put32(b, 2, value);
  return b;
}

// ---- Atomic commands ---------------------------------------------------------------------

/** DAP_ExecuteCommands: several commands in one packet. */
export function encodeExecuteCommands(commands: readonly Uint8Array[]): Uint8Array {
  const b = new Uint8Array(2 + commands.reduce((n, c) => n + c.length, 0));
  b[0] = DapCommand.ExecuteCommands;
  b[1] = commands.length;
  let o = 2;
  for (const c of commands) { b.set(c, o); o += c.length; }
  return b;
}

/** DAP_QueueCommands: the same body; the probe runs it with the next packet that is not queued. */
export function encodeQueueCommands(commands: readonly Uint8Array[]): Uint8Array {
  const b = encodeExecuteCommands(commands);
  b[0] = DapCommand.QueueCommands;
  return b;
}

/**
 * Splits an ExecuteCommands response into its commands' responses, given each response's
 * length (a function of the response so far, since the caller knows each command's shape).
 */
export function parseExecuteCommands(response: Uint8Array, lengths: ReadonlyArray<(rest: Uint8Array) => number>): Uint8Array[] {
  checkResponse(DapCommand.ExecuteCommands, response, 2);
  const n = response[1] ?? 0;
  if (n !== lengths.length) throw new DapResponseError(`DAP_ExecuteCommands ran ${n} of ${lengths.length} commands.`, response);
  const out: Uint8Array[] = [];
  let o = 2;
  for (const len of lengths) {
    const rest = response.subarray(o);
    const l = len(rest);
    if (rest.length < l) throw new DapResponseError('DAP_ExecuteCommands response is shorter than its commands\' responses.', response);
    out.push(rest.slice(0, l));
    o += l;
  }
  return out;
}
