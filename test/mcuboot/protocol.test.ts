import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc16Xmodem } from '../../src/core/crc.js';
import {
  Commands, CommandTag, decodeAvailableCommands, decodeReservedRegions, encodeAvailableCommands, encodeCommand, encodeFrame, encodeHidReport,
  encodePingResponse, FrameDecoder, FrameType, formatVersion, McubootPacketError, McubootStatusError, parseHidReport, parsePacket, parsePingResponse,
  parseResponse, STATUS_TABLE, statusInfo,
} from '../../src/protocol/mcuboot/index.js';

const bytes = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((x) => parseInt(x, 16)));

describe('MCUboot framing (PROTOCOL-FACTS worked examples)', () => {
  it('CRC16-XMODEM check value', () => {
    expect(crc16Xmodem(new TextEncoder().encode('123456789'))).toBe(0x31c3);
  });

  it('encodes GetProperty(CurrentVersion) byte for byte', () => {
    const frame = encodeFrame(FrameType.Command, encodeCommand(Commands.getProperty(1)));
    expect([...frame]).toEqual([...bytes('5a a4 0c 00 4b 33 07 00 00 02 01 00 00 00 00 00 00 00')]);
  });

  it('decodes the GetProperty response: status 0, version K3.0.0', () => {
    const frame = new FrameDecoder().push(bytes('5a a4 0c 00 65 1c a7 00 00 02 00 00 00 00 00 00 03 4b'))[0]!;
    expect(frame.type).toBe(FrameType.Command);
    if (frame.type !== FrameType.Command) throw new Error('unreachable');
    expect(frame.crcOk).toBe(true);
    const r = parseResponse(frame.payload);
    expect(r).toEqual({ tag: 0xa7, status: 0, values: [0x4b030000] });
    expect(formatVersion(r.values[0]!)).toBe('K3.0.0');
  });

  it('ping response example round-trips', () => {
    const example = bytes('5a a7 00 02 01 50 00 00 aa ea');
    const p = parsePingResponse(example);
    expect(p).toEqual({ name: 'P', major: 1, minor: 2, bugfix: 0, options: 0 });
    expect([...encodePingResponse(p)]).toEqual([...example]);
    const bad = example.slice();
    bad[9]! ^= 1;
    expect(() => parsePingResponse(bad)).toThrow(/CRC/);
  });

  it('decoder flags a corrupted frame, skips noise, and handles split input', () => {
    const good = encodeFrame(FrameType.Data, Uint8Array.of(1, 2, 3, 4));
    const bad = good.slice();
    bad[7]! ^= 0x10;
    const d = new FrameDecoder();
    const all = new Uint8Array([0x00, 0x13, ...bad, 0x5a, 0xa1, ...good]);
    const frames = [...d.push(all.subarray(0, 5)), ...d.push(all.subarray(5, 13)), ...d.push(all.subarray(13))];
    expect(frames.map((f) => f.type)).toEqual([FrameType.Data, FrameType.Ack, FrameType.Data]);
    expect(frames.map((f) => ('crcOk' in f ? f.crcOk : null))).toEqual([false, null, true]);
    expect(d.skippedBytes).toBe(2);
  });

  it('any payload survives encode → decode, and any single bit flip is caught', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (payload, flip) => {
      const frame = encodeFrame(FrameType.Data, payload);
      const f = new FrameDecoder().push(frame)[0]!;
      expect(f.type === FrameType.Data && f.crcOk && [...f.payload]).toEqual([...payload]);
      if (payload.length === 0) return;
      const bit = flip % (payload.length * 8);
      const c = frame.slice();
      c[6 + (bit >> 3)]! ^= 1 << (bit & 7);
      const g = new FrameDecoder().push(c)[0]!;
      expect(g.type === FrameType.Data && g.crcOk).toBe(false);
    }), { numRuns: 200 });
  });
});

describe('MCUboot command packets', () => {
  it('every command builds with the documented tag, argument order and data-phase flag', () => {
    const cases: Array<[Uint8Array, string]> = [
      [encodeCommand(Commands.flashEraseAll(9)), '01 00 00 01 09 00 00 00'],
      [encodeCommand(Commands.flashEraseRegion(0x1000, 0x2000, 0)), '02 00 00 03 00 10 00 00 00 20 00 00 00 00 00 00'],
      [encodeCommand(Commands.readMemory(0x20000000, 16, 0)), '03 00 00 03 00 00 00 20 10 00 00 00 00 00 00 00'],
      [encodeCommand(Commands.writeMemory(0x60000000, 256, 9)), '04 01 00 03 00 00 00 60 00 01 00 00 09 00 00 00'],
      [encodeCommand(Commands.fillMemory(0x2000, 4, 0xc0000007)), '05 00 00 03 00 20 00 00 04 00 00 00 07 00 00 c0'],
      [encodeCommand(Commands.flashSecurityDisable(bytes('01 02 03 04 05 06 07 08'))), '06 00 00 02 01 02 03 04 05 06 07 08'],
      [encodeCommand(Commands.receiveSbFile(100)), '08 01 00 01 64 00 00 00'],
      [encodeCommand(Commands.execute(0x401, 0, 0x20001000)), '09 00 00 03 01 04 00 00 00 00 00 00 00 10 00 20'],
      [encodeCommand(Commands.call(0x401, 7)), '0a 00 00 02 01 04 00 00 07 00 00 00'],
      [encodeCommand(Commands.reset()), '0b 00 00 00'],
      [encodeCommand(Commands.setProperty(0x0a, 1)), '0c 00 00 02 0a 00 00 00 01 00 00 00'],
      [encodeCommand(Commands.flashEraseAllUnsecure()), '0d 00 00 00'],
      [encodeCommand(Commands.flashProgramOnce(3, bytes('aa bb cc dd'))), '0e 00 00 03 03 00 00 00 04 00 00 00 aa bb cc dd'],
      [encodeCommand(Commands.flashReadOnce(3, 4)), '0f 00 00 02 03 00 00 00 04 00 00 00'],
      [encodeCommand(Commands.flashReadResource(0, 8, 1)), '10 00 00 03 00 00 00 00 08 00 00 00 01 00 00 00'],
      [encodeCommand(Commands.configureMemory(9, 0x2000)), '11 00 00 02 09 00 00 00 00 20 00 00'],
    ];
    for (const [got, want] of cases) expect([...got]).toEqual([...bytes(want)]);
  });

  it('rejects malformed packets with a clear error', () => {
    expect(() => parsePacket(Uint8Array.of(0xa0, 0))).toThrow(McubootPacketError);
    expect(() => parsePacket(Uint8Array.of(0xa0, 0, 0, 2, 0, 0, 0, 0))).toThrow(/announces 2 parameters/);
    expect(() => parseResponse(Uint8Array.of(0x07, 0, 0, 0))).toThrow(/response packet/);
  });

  it('available-commands and reserved-regions decode', () => {
    const mask = encodeAvailableCommands([CommandTag.FlashEraseAll, CommandTag.ReadMemory, CommandTag.GetProperty]);
    expect(mask).toBe(0b1000101);
    expect(decodeAvailableCommands(mask)).toEqual(['FlashEraseAll', 'ReadMemory', 'GetProperty']);
    expect(decodeReservedRegions([0, 0x3fff, 0, 0, 0x1fff0000, 0x1fff17ff])).toEqual([{ start: 0, end: 0x3fff }, { start: 0x1fff0000, end: 0x1fff17ff }]);
  });
});

describe('status codes as data', () => {
  it('every documented code has a meaning, a hint and a source', () => {
    const codes = STATUS_TABLE.map((s) => s.code);
    for (const c of [0, 1, 2, 3, 4, 5, 6, 100, 101, 102, 103, 104, 105, 106, 107, 108, 10000, 10001, 10002, 10003, 10004, 10005, 10006,
      10200, 10201, 10202, 10203, 10204, 10205, 10206, 10207, 10208]) expect(codes).toContain(c);
    expect(new Set(codes).size).toBe(codes.length);
    for (const s of STATUS_TABLE) {
      expect(s.meaning).toMatch(/\.$/);
      expect(s.hint.length).toBeGreaterThan(10);
      expect(s.source.length).toBeGreaterThan(5);
    }
  });

  it('10203 explains erase-first and the stale-cache case', () => {
    const e = new McubootStatusError(10203, CommandTag.WriteMemory, { address: 0x8000 });
    expect(e.message).toBe('WriteMemory at 0x00008000 failed with status 10203 (MemoryCumulativeWrite): The destination is not erased: flash can only clear bits, so this write would corrupt it.');
    expect(e.hint).toMatch(/Erase it first.*cache/);
    expect(e.context).toMatchObject({ status: 10203, address: 0x8000, command: 'WriteMemory' });
    expect(statusInfo(424242).name).toBe('Status424242');
  });
});

describe('USB-HID reports', () => {
  it('frames a command report and pads it to the report size', () => {
    const r = encodeHidReport(1, encodeCommand(Commands.getProperty(1)), 64);
    expect(r.length).toBe(64);
    expect([...r.subarray(0, 16)]).toEqual([...bytes('01 00 0c 00 07 00 00 02 01 00 00 00 00 00 00 00')]);
    expect(parseHidReport(r)).toEqual({ reportId: 1, packet: encodeCommand(Commands.getProperty(1)) });
    expect(() => parseHidReport(Uint8Array.of(4, 0, 9, 0, 1))).toThrow(/announces 9 bytes/);
  });
});
