/**
 * Byte-exact CMSIS-DAP command encodings and response parsing, from the layouts in the
 * Arm CMSIS-DAP v2.1 specification's command tables (field order and widths per command),
 * including its DAP_ExecuteCommands example (two DAP_SWJ_Pins with a DAP_Delay between).
 */
import { describe, expect, it } from 'vitest';
import {
  checkTransfer, decodeCapabilities, encodeConnect, encodeDelay, encodeExecuteCommands, encodeHostStatus, encodeInfo, encodeJtagConfigure,
  encodeJtagIdcode, encodeJtagSequence, encodeQueueCommands, encodeResetTarget, encodeSwdConfigure, encodeSwdSequence, encodeSwjClock, encodeSwjPins,
  encodeSwjSequence, encodeTransfer, encodeTransferBlock, encodeTransferConfigure, encodeWriteAbort, infoNumber, infoString, parseConnect,
  parseExecuteCommands, parseInfo, parseJtagIdcode, parseJtagSequence, parseResetTarget, parseStatus, parseSwdSequence, parseSwjPins, parseTransfer,
  parseTransferBlock, type TransferOp,
} from '../../src/protocol/cmsis-dap/commands.js';
import { DapCommandError, DapResponseError, DapTransferError } from '../../src/protocol/cmsis-dap/errors.js';

const b = (...x: number[]) => Uint8Array.from(x);

describe('CMSIS-DAP general commands', () => {
  it('DAP_Info: request 0x00 ID; response 0x00 Len Info (strings NUL-terminated, numbers LE)', () => {
    expect(encodeInfo(0xff)).toEqual(b(0x00, 0xff));
    expect(infoNumber(parseInfo(b(0x00, 0x02, 0x40, 0x00)))).toBe(64);
    expect(infoNumber(parseInfo(b(0x00, 0x02, 0x00, 0x02)))).toBe(512);
    expect(infoNumber(parseInfo(b(0x00, 0x01, 0x04)))).toBe(4);
    expect(infoString(parseInfo(b(0x00, 0x04, 0x32, 0x2e, 0x31, 0x00, 0xaa /* padding */)))).toBe('2.1');
    expect(infoString(parseInfo(b(0x00, 0x00)))).toBeUndefined();
    expect(() => parseInfo(b(0x00, 0x05, 0x41))).toThrow(DapResponseError);
  });

  it('decodes the capabilities bits (byte 0 SWD, JTAG, SWO UART/Manchester, atomic, timer, streaming, UART; byte 1 USB COM)', () => {
    expect(decodeCapabilities(b(0x13))).toMatchObject({ swd: true, jtag: true, swoUart: false, atomicCommands: true, usbComPort: false });
    expect(decodeCapabilities(b(0x01, 0x01))).toMatchObject({ swd: true, jtag: false, usbComPort: true });
  });

  it('HostStatus, Connect, Disconnect, Delay, ResetTarget', () => {
    expect(encodeHostStatus('connect', true)).toEqual(b(0x01, 0x00, 0x01));
    expect(encodeHostStatus('running', false)).toEqual(b(0x01, 0x01, 0x00));
    expect(encodeConnect(1)).toEqual(b(0x02, 0x01));
    expect(parseConnect(b(0x02, 0x01), 1)).toBe(1);
    expect(() => parseConnect(b(0x02, 0x00), 1)).toThrow(/could not connect in SWD mode/);
    expect(encodeDelay(1000)).toEqual(b(0x09, 0xe8, 0x03));
    expect(encodeResetTarget()).toEqual(b(0x0a));
    expect(parseResetTarget(b(0x0a, 0x00, 0x01))).toEqual({ executed: true });
    expect(parseResetTarget(b(0x0a, 0x00, 0x00))).toEqual({ executed: false });
  });

  it('TransferConfigure: idle cycles (BYTE), WAIT retry (SHORT), match retry (SHORT)', () => {
    expect(encodeTransferConfigure(2, 100, 0x0102)).toEqual(b(0x04, 0x02, 0x64, 0x00, 0x02, 0x01));
  });

  it('status DAP_ERROR is a DapCommandError; a lone 0xFF means not implemented; a wrong echo is a response error', () => {
    expect(() => parseStatus(0x04, b(0x04, 0x00))).not.toThrow();
    expect(() => parseStatus(0x11, b(0x11, 0xff))).toThrow(DapCommandError);
    expect(() => parseStatus(0x11, b(0x11, 0xff))).toThrow(/DAP_ERROR.*DAP_SwjClock/);
    expect(() => parseStatus(0x1d, b(0xff))).toThrow(/does not implement DAP_SwdSequence/);
    expect(() => parseStatus(0x04, b(0x05, 0x00))).toThrow(DapResponseError);
  });
});

describe('CMSIS-DAP SWJ/SWD/JTAG commands', () => {
  it('SWJ_Pins: output, select, wait (WORD µs) → pin input', () => {
    expect(encodeSwjPins(0x00, 0x80, 0)).toEqual(b(0x10, 0x00, 0x80, 0, 0, 0, 0));
    expect(encodeSwjPins(0x80, 0x80, 10000)).toEqual(b(0x10, 0x80, 0x80, 0x10, 0x27, 0, 0));
    expect(parseSwjPins(b(0x10, 0x83))).toBe(0x83);
  });

  it('SWJ_Clock (WORD Hz) and SWJ_Sequence (count 256 as 0, LSB first)', () => {
    expect(encodeSwjClock(4_000_000)).toEqual(b(0x11, 0x00, 0x09, 0x3d, 0x00));
    expect(encodeSwjSequence(16, b(0x9e, 0xe7))).toEqual(b(0x12, 0x10, 0x9e, 0xe7));
    expect(encodeSwjSequence(51, new Uint8Array(7).fill(0xff))).toEqual(b(0x12, 51, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    expect(encodeSwjSequence(256, new Uint8Array(32)).subarray(0, 2)).toEqual(b(0x12, 0x00));
    expect(() => encodeSwjSequence(0, b())).toThrow(RangeError);
  });

  it('SWD_Configure: turnaround − 1 in bits 1:0, DataPhase bit 2', () => {
    expect(encodeSwdConfigure(1, false)).toEqual(b(0x13, 0x00));
    expect(encodeSwdConfigure(4, true)).toEqual(b(0x13, 0x07));
  });

  it('SWD_Sequence: info (cycles, 0 = 64; bit 7 input) + output data; response status + input data', () => {
    const steps = [{ cycles: 8, output: b(0xa5) }, { cycles: 3 }, { cycles: 64, output: new Uint8Array(8).fill(0xff) }];
    const req = encodeSwdSequence(steps);
    expect(Array.from(req)).toEqual([0x1d, 3, 0x08, 0xa5, 0x83, 0x00, ...new Array(8).fill(0xff)]);
    expect(parseSwdSequence(b(0x1d, 0x00, 0x05), steps)).toEqual([b(0x05)]);
  });

  it('JTAG_Sequence: info (cycles, TMS bit 6, TDO capture bit 7) + TDI; JTAG_Configure; JTAG_IDCODE', () => {
    const steps = [{ cycles: 5, tms: true, tdi: b(0x1f) }, { cycles: 32, tms: false, tdi: new Uint8Array(4), captureTdo: true }];
    expect(Array.from(encodeJtagSequence(steps))).toEqual([0x14, 2, 0x45, 0x1f, 0xa0, 0, 0, 0, 0]);
    expect(parseJtagSequence(b(0x14, 0x00, 0x77, 0x14, 0xa0, 0x4b), steps)).toEqual([b(0x77, 0x14, 0xa0, 0x4b)]);
    expect(encodeJtagConfigure([4, 5])).toEqual(b(0x15, 2, 4, 5));
    expect(encodeJtagIdcode(0)).toEqual(b(0x16, 0));
    expect(parseJtagIdcode(b(0x16, 0x00, 0x77, 0x04, 0xa0, 0x4b))).toBe(0x4ba00477);
  });
});

describe('DAP_Transfer / DAP_TransferBlock', () => {
  const readDpidr: TransferOp = { ap: false, read: true, register: 0x0 };
  it('encodes request bytes (APnDP, RnW, A[3:2], match value, match mask, timestamp) with write data after each', () => {
    expect(encodeTransfer(0, [readDpidr])).toEqual(b(0x05, 0x00, 0x01, 0x02));
    // SELECT ← 0x000000F0 (bank 0xF), then AP read of 0xFC (IDR): request 0x0F.
    expect(encodeTransfer(0, [{ ap: false, read: false, register: 0x8, value: 0xf0 }, { ap: true, read: true, register: 0xc }]))
      .toEqual(b(0x05, 0x00, 0x02, 0x08, 0xf0, 0x00, 0x00, 0x00, 0x0f));
    // Match mask write (bit 5) then a value-match read of AP DRW (bit 4 | 0x0F), then a timestamped DP read.
    expect(encodeTransfer(0, [{ ap: false, read: false, register: 0, setMatchMask: true, value: 0x10000 }, { ap: true, read: true, register: 0xc, match: true, value: 0x10000 }, { ...readDpidr, timestamp: true }]))
      .toEqual(b(0x05, 0x00, 0x03, 0x20, 0x00, 0x00, 0x01, 0x00, 0x1f, 0x00, 0x00, 0x01, 0x00, 0x82));
  });

  it('parses count, response and read data (timestamp before data)', () => {
    expect(parseTransfer(b(0x05, 0x01, 0x01, 0x77, 0x14, 0xa0, 0x2b), [readDpidr])).toMatchObject({ count: 1, ack: 1, reads: [0x2ba01477] });
    const r = parseTransfer(b(0x05, 0x01, 0x01, 0x10, 0x00, 0x00, 0x00, 0x77, 0x14, 0xa0, 0x2b), [{ ...readDpidr, timestamp: true }]);
    expect(r).toMatchObject({ timestamps: [0x10], reads: [0x2ba01477] });
  });

  it('turns every response status into a typed error that says what it means on the wire', () => {
    const err = (resp: Uint8Array, n = 1) => { try { checkTransfer(parseTransfer(resp, [readDpidr, readDpidr]), n, 'Reading DPIDR'); } catch (e) { return e as DapTransferError; } throw new Error('no error'); };
    expect(err(b(0x05, 0x00, 0x07))).toMatchObject({ code: 'DAP_NO_ACK', completed: 0 });
    expect(err(b(0x05, 0x00, 0x07)).message).toMatch(/nothing drove SWDIO/);
    expect(err(b(0x05, 0x00, 0x02))).toMatchObject({ code: 'DAP_WAIT' });
    expect(err(b(0x05, 0x01, 0x04, 1, 2, 3, 4), 2)).toMatchObject({ code: 'DAP_FAULT', completed: 1 });
    expect(err(b(0x05, 0x01, 0x04, 1, 2, 3, 4), 2).message).toMatch(/sticky error flag/);
    expect(err(b(0x05, 0x00, 0x09))).toMatchObject({ code: 'DAP_PROTOCOL_ERROR' });
    expect(err(b(0x05, 0x00, 0x09)).message).toMatch(/parity/);
    expect(err(b(0x05, 0x00, 0x11))).toMatchObject({ code: 'DAP_VALUE_MISMATCH' });
    expect(err(b(0x05, 0x00, 0x03))).toMatchObject({ code: 'DAP_BAD_ACK' });
    expect(err(b(0x05, 0x00, 0x07)).hint).toMatch(/wiring/);
    expect(() => checkTransfer(parseTransfer(b(0x05, 0x01, 0x01, 0, 0, 0, 0), [readDpidr]), 1, 'x')).not.toThrow();
  });

  it('TransferBlock: index, count (SHORT), one request byte, words; response count (SHORT), response, words', () => {
    expect(encodeTransferBlock(0, true, 0xc, false, 2, [0x11223344, 0xaabbccdd]))
      .toEqual(b(0x06, 0x00, 0x02, 0x00, 0x0d, 0x44, 0x33, 0x22, 0x11, 0xdd, 0xcc, 0xbb, 0xaa));
    expect(encodeTransferBlock(0, true, 0xc, true, 300)).toEqual(b(0x06, 0x00, 0x2c, 0x01, 0x0f));
    const r = parseTransferBlock(b(0x06, 0x02, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00), true);
    expect(Array.from(r.data)).toEqual([1, 2]);
    expect(() => checkTransfer(parseTransferBlock(b(0x06, 0x01, 0x00, 0x04, 0, 0, 0, 0), true), 2, 'Reading')).toThrow(DapTransferError);
  });

  it('WriteABORT: index, WORD', () => {
    expect(encodeWriteAbort(0, 0x1e)).toEqual(b(0x08, 0x00, 0x1e, 0x00, 0x00, 0x00));
  });
});

describe('atomic commands', () => {
  it('ExecuteCommands: the specification\'s example of SWJ_Pins, Delay, SWJ_Pins', () => {
    const req = encodeExecuteCommands([encodeSwjPins(0x00, 0x80, 0), encodeDelay(100), encodeSwjPins(0x80, 0x80, 0)]);
    expect(Array.from(req)).toEqual([0x7f, 0x03, 0x10, 0x00, 0x80, 0, 0, 0, 0, 0x09, 0x64, 0x00, 0x10, 0x80, 0x80, 0, 0, 0, 0]);
    const parts = parseExecuteCommands(b(0x7f, 0x03, 0x10, 0x00, 0x09, 0x00, 0x10, 0x80), [() => 2, () => 2, () => 2]);
    expect(parts).toEqual([b(0x10, 0x00), b(0x09, 0x00), b(0x10, 0x80)]);
    expect(encodeQueueCommands([encodeDelay(1)])).toEqual(b(0x7e, 0x01, 0x09, 0x01, 0x00));
    expect(() => parseExecuteCommands(b(0x7f, 0x01, 0x10, 0x00), [() => 2, () => 2])).toThrow(DapResponseError);
  });
});

describe('DAP_Transfer failure responses without padding (v2 bulk)', () => {
  it('a FAULT on a posted AP read counts the read but carries no data: a transfer error, not a malformed response', () => {
    const ops: TransferOp[] = [{ ap: true, read: false, register: 0x4, value: 0xe000ed08 }, { ap: true, read: true, register: 0xc }];
    const r = parseTransfer(b(0x05, 0x02, 0x04), ops);
    expect(r).toMatchObject({ count: 2, ack: 4, reads: [] });
    expect(() => checkTransfer(r, 2, 'Reading VTOR')).toThrow(DapTransferError);
    expect(() => parseTransfer(b(0x05, 0x02, 0x01), ops)).toThrow(DapResponseError);
  });
});
