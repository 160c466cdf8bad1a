/** SDP command blocks, HAB/status words and HID reports, byte for byte (i.MX RT RMs "Serial Downloader"; SPSDK sdphost docs). */
import { describe, expect, it } from 'vitest';
import {
  decodeHab, decodeSdpStatus, encodeSdpCommand, encodeSdpHidReport, errorStatusCommand, jumpAddressCommand, parseSdpCommand,
  parseSdpHidReport, parseWord, readRegisterCommand, SdpCommandType, SdpFormat, SdpHidReport, SdpPacketError, SdpStatus,
  skipDcdHeaderCommand, writeFileCommand, writeRegisterCommand, dcdWriteCommand, writeCsfCommand, setBaudrateCommand,
} from '../../src/protocol/sdp/commands.js';
import { buildIvtImage, parseIvtImage } from '../../src/imxrt/flashloader-image.js';

const bytes = (s: string) => Uint8Array.from(s.split(' ').map((h) => parseInt(h, 16)));

describe('SDP command blocks (type u16, address u32, format u8, count u32, data u32, reserved u8 — big-endian)', () => {
  it('command types are the documented tags', () => {
    expect(SdpCommandType).toEqual({ ReadRegister: 0x0101, WriteRegister: 0x0202, WriteFile: 0x0404, ErrorStatus: 0x0505, DcdWrite: 0x0a0a, JumpAddress: 0x0b0b, SkipDcdHeader: 0x0c0c, WriteCsf: 0x0606, SetBaudrate: 0x0d0d });
  });
  it('READ_REGISTER 4 bytes of 0x401F4400 as a word', () => {
    expect(readRegisterCommand(0x401f4400, 4, SdpFormat.Word)).toEqual(bytes('01 01 40 1f 44 00 20 00 00 00 04 00 00 00 00 00'));
  });
  it('WRITE_REGISTER 0x12345678 to 0x20200000, 32-bit', () => {
    expect(writeRegisterCommand(0x20200000, 0x12345678)).toEqual(bytes('02 02 20 20 00 00 20 00 00 00 04 12 34 56 78 00'));
  });
  it('WRITE_FILE 0x1000 bytes to 0x20208000 (the RT1020 flashloader load address)', () => {
    expect(writeFileCommand(0x20208000, 0x1000)).toEqual(bytes('04 04 20 20 80 00 00 00 00 10 00 00 00 00 00 00'));
  });
  it('ERROR_STATUS, SKIP_DCD_HEADER carry only their type', () => {
    expect(errorStatusCommand()).toEqual(bytes('05 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00'));
    expect(skipDcdHeaderCommand()).toEqual(bytes('0c 0c 00 00 00 00 00 00 00 00 00 00 00 00 00 00'));
  });
  it('DCD_WRITE and JUMP_ADDRESS (to the IVT, not the entry)', () => {
    expect(dcdWriteCommand(0x20000000, 0x1e4)).toEqual(bytes('0a 0a 20 00 00 00 00 00 00 01 e4 00 00 00 00 00'));
    expect(jumpAddressCommand(0x20208200)).toEqual(bytes('0b 0b 20 20 82 00 00 00 00 00 00 00 00 00 00 00'));
  });
  it('WRITE_CSF (SPSDK CommandTag 0x0606: address, byte count) and SET_BAUDRATE (0x0D0D: the rate in the address field)', () => {
    expect(writeCsfCommand(0x20204000, 0x2000)).toEqual(bytes('06 06 20 20 40 00 00 00 00 20 00 00 00 00 00 00'));
    expect(setBaudrateCommand(1000000)).toEqual(bytes('0d 0d 00 0f 42 40 00 00 00 00 00 00 00 00 00 00'));
    expect(parseSdpCommand(setBaudrateCommand(115200))).toEqual({ type: 0x0d0d, address: 115200, format: 0, count: 0, data: 0 });
  });
  it('parses back what it encodes; refuses a short block', () => {
    const c = { type: 0x0202, address: 0xdeadbeef, format: 0x10, count: 2, data: 0xcafe };
    expect(parseSdpCommand(encodeSdpCommand(c))).toEqual(c);
    expect(() => parseSdpCommand(new Uint8Array(15))).toThrow(SdpPacketError);
  });
});

describe('HAB and status words, each with a sentence', () => {
  it('BAUDRATE_SET 0x09D00D90 and the CSF completion (0x128A8A12) are decoded', () => {
    expect(decodeSdpStatus(0x09d00d90)).toMatchObject({ name: 'BaudrateSet', ok: true, sentence: expect.stringMatching(/listens at the rate SET_BAUDRATE gave/) });
    expect(decodeSdpStatus(SdpStatus.WriteComplete).sentence).toMatch(/WRITE_CSF/);
  });
  it('HAB closed / open / anything else', () => {
    expect(decodeHab(parseWord(bytes('12 34 34 12')))).toMatchObject({ mode: 'closed', sentence: expect.stringMatching(/signed/) });
    expect(decodeHab(parseWord(bytes('56 78 78 56')))).toMatchObject({ mode: 'open', sentence: expect.stringMatching(/unsigned/) });
    expect(decodeHab(0xf099e1d6)).toMatchObject({ mode: 'unknown', sentence: expect.stringMatching(/baud rate/) });
  });
  it.each([
    [0x88888888, 'WriteFileComplete', true, /WRITE_FILE complete/],
    [0x128a8a12, 'WriteComplete', true, /WRITE_REGISTER.*DCD_WRITE/],
    [0x900dd009, 'SkipDcdHeaderOk', true, /SKIP_DCD_HEADER/],
    [0xf0f0f0f0, 'HabSuccess', true, /No error/],
    [0x33333333, 'HabFailure', false, /HAB failure/],
    [0x69696969, 'Unknown', false, /HAB_WARNING/],
    [0x01020304, 'Unknown', false, /not a status word/],
  ])('%s → %s', (w, name, ok, sentence) => {
    expect(decodeSdpStatus(w)).toMatchObject({ word: w, name, ok, sentence: expect.stringMatching(sentence) });
  });
  it('the SKIP_DCD word is read big-endian as sent (90 0D D0 09)', () => {
    expect(parseWord(bytes('90 0d d0 09'))).toBe(SdpStatus.SkipDcdHeaderOk);
  });
});

describe('USB-HID reports: 1 command (17), 2 data (1025), 3 HAB (5), 4 status/data (65)', () => {
  it('sizes include the report ID', () => {
    expect(SdpHidReport).toEqual({ Command: { id: 1, size: 17 }, Data: { id: 2, size: 1025 }, Hab: { id: 3, size: 5 }, Response: { id: 4, size: 65 } });
  });
  it('command report = ID 1 + the block', () => {
    const r = encodeSdpHidReport(1, errorStatusCommand(), 17);
    expect(r.length).toBe(17);
    expect([...r.subarray(0, 3)]).toEqual([1, 5, 5]);
  });
  it('in-reports 3 and 4 parse; other IDs are errors', () => {
    expect(parseSdpHidReport(bytes('03 56 78 78 56'))).toEqual({ kind: 'hab', payload: bytes('56 78 78 56') });
    const r4 = new Uint8Array(65); r4[0] = 4; r4.set([0x88, 0x88, 0x88, 0x88], 1);
    expect(parseSdpHidReport(r4).payload.length).toBe(64);
    expect(() => parseSdpHidReport(bytes('02 00'))).toThrow(SdpPacketError);
  });
});

describe('IVT-wrapped RAM images (the flashloader file)', () => {
  it('finds the IVT at 0x400 and derives load address, IVT address and entry', () => {
    const img = buildIvtImage(0x20208000, new Uint8Array(256).fill(0xaa), { ivtOffset: 0x200 });
    const p = parseIvtImage(img);
    expect(p).toMatchObject({ ivtOffset: 0x200, ivtAddress: 0x20208200, loadAddress: 0x20208000, length: img.length });
    expect(p.entry & 1).toBe(1);
  });
  it('refuses a file without IVT, with a boot data start that disagrees, or truncated', () => {
    expect(() => parseIvtImage(new Uint8Array(0x2000))).toThrow(/No Image Vector Table/);
    const img = buildIvtImage(0x20208000, new Uint8Array(64));
    const bad = img.slice(); new DataView(bad.buffer).setUint32(0x420, 0x20200000, true);
    expect(() => parseIvtImage(bad)).toThrow(/Boot data start 0x20200000/);
    expect(() => parseIvtImage(img.subarray(0, img.length - 8))).toThrow(expect.objectContaining({ message: expect.stringMatching(/does not fit/), hint: expect.stringMatching(/truncated/) }));
  });
});
