/**
 * SDP, the i.MX RT boot ROM's Serial Download Protocol, as pure encode/parse functions.
 *
 * Facts (one table each below) from the i.MX RT1020/RT1050/RT1060 reference manuals, chapter
 * "System Boot" → "Serial Downloader" (SDP commands, USB HID reports, responses), and NXP's
 * public SPSDK documentation of sdphost (docs/apps/sdphost.rst, spsdk/sdp/commands.py values).
 *
 * A command is a 16-byte block, every field big-endian:
 *   type u16 | address u32 | format u8 | data count u32 | data u32 | reserved u8
 * Every command is answered first with the 4-byte HAB security configuration, then (for most
 * commands) a 4-byte status or the data asked for.
 */
import { FlashwrightError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hex, hexBytes } from '../../core/format.js';

export const SDP_COMMAND_SIZE = 16;

/** Command types (RM "Serial Downloader" → "SDP commands"; SPSDK CommandTag). */
export const SdpCommandType = {
  ReadRegister: 0x0101,
  WriteRegister: 0x0202,
  WriteFile: 0x0404,
  ErrorStatus: 0x0505,
  DcdWrite: 0x0a0a,
  JumpAddress: 0x0b0b,
  SkipDcdHeader: 0x0c0c,
  /** HAB Command Sequence File for the image that follows (SPSDK CommandTag WRITE_CSF). */
  WriteCsf: 0x0606,
  /** UART only: the ROM switches its baud rate, given in the address field (SPSDK CommandTag SET_BAUDRATE, sdp.py set_baudrate). */
  SetBaudrate: 0x0d0d,
} as const;
export type SdpCommandType = (typeof SdpCommandType)[keyof typeof SdpCommandType];

export const SDP_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [SdpCommandType.ReadRegister]: 'READ_REGISTER',
  [SdpCommandType.WriteRegister]: 'WRITE_REGISTER',
  [SdpCommandType.WriteFile]: 'WRITE_FILE',
  [SdpCommandType.ErrorStatus]: 'ERROR_STATUS',
  [SdpCommandType.DcdWrite]: 'DCD_WRITE',
  [SdpCommandType.JumpAddress]: 'JUMP_ADDRESS',
  [SdpCommandType.SkipDcdHeader]: 'SKIP_DCD_HEADER',
  [SdpCommandType.WriteCsf]: 'WRITE_CSF',
  [SdpCommandType.SetBaudrate]: 'SET_BAUDRATE',
};

/** Access width of READ_REGISTER / WRITE_REGISTER (the format byte: 8, 16 or 32 bits). */
export const SdpFormat = { Byte: 0x08, HalfWord: 0x10, Word: 0x20 } as const;
export type SdpFormat = (typeof SdpFormat)[keyof typeof SdpFormat];

export interface SdpCommand {
  type: number;
  address: number;
  format: number;
  count: number;
  data: number;
}

export class SdpPacketError extends FlashwrightError {
  constructor(message: string, context: ErrorContext = {}) {
    super('SDP_PACKET', message, { hint: 'The device sent something that is not SDP; check it is in serial-download mode (BOOT_MODE = 01).', context });
  }
}

/** The 16-byte command block. */
export function encodeSdpCommand(c: Partial<SdpCommand> & { type: number }): Uint8Array {
  const out = new Uint8Array(SDP_COMMAND_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, c.type);
  v.setUint32(2, (c.address ?? 0) >>> 0);
  v.setUint8(6, c.format ?? 0);
  v.setUint32(7, (c.count ?? 0) >>> 0);
  v.setUint32(11, (c.data ?? 0) >>> 0);
  v.setUint8(15, 0);
  return out;
}

export function parseSdpCommand(block: Uint8Array): SdpCommand {
  if (block.length < SDP_COMMAND_SIZE) throw new SdpPacketError(`An SDP command is 16 bytes; got ${block.length}.`, { received: hexBytes(block) });
  const v = new DataView(block.buffer, block.byteOffset, SDP_COMMAND_SIZE);
  return { type: v.getUint16(0), address: v.getUint32(2), format: v.getUint8(6), count: v.getUint32(7), data: v.getUint32(11) };
}

export const readRegisterCommand = (address: number, count: number, format: SdpFormat = SdpFormat.Word): Uint8Array =>
  encodeSdpCommand({ type: SdpCommandType.ReadRegister, address, format, count });
export const writeRegisterCommand = (address: number, value: number, format: SdpFormat = SdpFormat.Word): Uint8Array =>
  encodeSdpCommand({ type: SdpCommandType.WriteRegister, address, format, count: format / 8, data: value });
export const writeFileCommand = (address: number, count: number): Uint8Array =>
  encodeSdpCommand({ type: SdpCommandType.WriteFile, address, count });
export const errorStatusCommand = (): Uint8Array => encodeSdpCommand({ type: SdpCommandType.ErrorStatus });
export const dcdWriteCommand = (address: number, count: number): Uint8Array =>
  encodeSdpCommand({ type: SdpCommandType.DcdWrite, address, count });
/** `address` is where the image's IVT is, not its entry point. */
export const jumpAddressCommand = (ivtAddress: number): Uint8Array => encodeSdpCommand({ type: SdpCommandType.JumpAddress, address: ivtAddress });
export const skipDcdHeaderCommand = (): Uint8Array => encodeSdpCommand({ type: SdpCommandType.SkipDcdHeader });
/** WRITE_CSF: `count` bytes of CSF data follow, stored at `address`. */
export const writeCsfCommand = (address: number, count: number): Uint8Array => encodeSdpCommand({ type: SdpCommandType.WriteCsf, address, count });
/** SET_BAUDRATE: the new rate (bits per second) travels in the address field. */
export const setBaudrateCommand = (baud: number): Uint8Array => encodeSdpCommand({ type: SdpCommandType.SetBaudrate, address: baud });

/** HAB data structure tags (HAB4 API): a CSF starts with 0xD4, a DCD with 0xD2, an IVT with 0xD1. */
export const HAB_TAG = { ivt: 0xd1, dcd: 0xd2, csf: 0xd4 } as const;

/** Reads a 4-byte response word (big-endian, as SPSDK reads it; most words are byte palindromes). */
export function parseWord(bytes: Uint8Array): number {
  if (bytes.length < 4) throw new SdpPacketError(`An SDP response word is 4 bytes; got ${bytes.length}.`, { received: hexBytes(bytes) });
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}

export function encodeWord(word: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, word >>> 0);
  return out;
}

/** The HAB security configuration every command is answered with first. */
export const HabMode = { Closed: 0x12343412, Open: 0x56787856 } as const;

export interface HabState {
  word: number;
  mode: 'closed' | 'open' | 'unknown';
  sentence: string;
}

export function decodeHab(word: number): HabState {
  if (word === HabMode.Closed) {
    return { word, mode: 'closed', sentence: `HAB closed (${hex(word)}): the part is secure-boot fused; the ROM runs only images signed with the key fused into it, so an unsigned flashloader will be refused.` };
  }
  if (word === HabMode.Open) {
    return { word, mode: 'open', sentence: `HAB open (${hex(word)}): secure boot is not enforced; the ROM runs unsigned images loaded over SDP.` };
  }
  return { word, mode: 'unknown', sentence: `${hex(word)} is not a HAB security configuration (expected 0x12343412 closed or 0x56787856 open); the link is not talking to an i.MX RT boot ROM, or the bytes are corrupt (wrong baud rate, noise).` };
}

/** Status words after the HAB word (RM "Serial Downloader" responses; SPSDK ResponseValue; HAB status codes of the HAB4 API). */
export const SdpStatus = {
  WriteFileComplete: 0x88888888,
  /** WRITE_REGISTER, DCD_WRITE and WRITE_CSF complete. */
  WriteComplete: 0x128a8a12,
  /** SET_BAUDRATE accepted (SPSDK ResponseValue BAUDRATE_SET); the ROM then listens at the new rate. */
  BaudrateSet: 0x09d00d90,
  SkipDcdHeaderOk: 0x900dd009,
  /** ERROR_STATUS: no error recorded (HAB_SUCCESS in every byte). */
  HabSuccess: 0xf0f0f0f0,
  /** ERROR_STATUS / failed JUMP_ADDRESS: HAB failure (HAB_FAILURE 0x33 in every byte), e.g. an image HAB could not authenticate. */
  HabFailure: 0x33333333,
} as const;

const STATUS_SENTENCES: Readonly<Record<number, string>> = {
  [SdpStatus.WriteFileComplete]: 'WRITE_FILE complete: the ROM received every byte of the file.',
  [SdpStatus.WriteComplete]: 'Write complete: the ROM wrote the register (WRITE_REGISTER), ran the DCD (DCD_WRITE) or took the CSF (WRITE_CSF).',
  [SdpStatus.BaudrateSet]: 'Baud rate set: the ROM now listens at the rate SET_BAUDRATE gave; the host must switch too.',
  [SdpStatus.SkipDcdHeaderOk]: 'SKIP_DCD_HEADER accepted: the ROM will ignore the DCD of the next image it jumps to.',
  [SdpStatus.HabSuccess]: 'No error: the last command completed and HAB recorded no failure.',
  [SdpStatus.HabFailure]: 'HAB failure: the ROM refused the last command; on a jump, the image was not accepted (no valid IVT at the address, or HAB could not authenticate it on a closed part).',
};

export interface SdpStatusInfo {
  word: number;
  name: string;
  ok: boolean;
  sentence: string;
}

/** Every status word with a sentence (unknown words included, decoded as far as they can be). */
export function decodeSdpStatus(word: number): SdpStatusInfo {
  const name = Object.entries(SdpStatus).find(([, w]) => w === word)?.[0];
  const sentence = STATUS_SENTENCES[word];
  if (name && sentence) return { word, name, ok: word !== SdpStatus.HabFailure, sentence };
  const b = word & 0xff;
  const repeated = ((word >>> 8) & 0xff) === b && ((word >>> 16) & 0xff) === b && (word >>> 24) === b;
  const habByte = repeated && b === 0x69 ? ' It is HAB_WARNING (0x69) in every byte: HAB found a problem but let the command through.' : '';
  return { word, name: 'Unknown', ok: false, sentence: `${hex(word)} is not a status word the ROM documents.${habByte}` };
}

/** USB-HID report IDs and sizes including the ID byte (RM "Serial Downloader" → "USB HID reports"). */
export const SdpHidReport = {
  /** Host → device: one 16-byte command. */
  Command: { id: 1, size: 17 },
  /** Host → device: up to 1024 bytes of file/DCD data. */
  Data: { id: 2, size: 1025 },
  /** Device → host: the 4-byte HAB security configuration. */
  Hab: { id: 3, size: 5 },
  /** Device → host: up to 64 bytes of status or read data. */
  Response: { id: 4, size: 65 },
} as const;

export const SDP_HID_DATA_CHUNK = SdpHidReport.Data.size - 1;
export const SDP_HID_RESPONSE_CHUNK = SdpHidReport.Response.size - 1;

export function encodeSdpHidReport(id: number, payload: Uint8Array, size?: number): Uint8Array {
  const out = new Uint8Array(Math.max(size ?? 0, payload.length + 1));
  out[0] = id;
  out.set(payload, 1);
  return out;
}

export interface SdpInReport {
  kind: 'hab' | 'response';
  payload: Uint8Array;
}

/** A device → host report (the report ID byte first, as node-hid delivers it on numbered reports). */
export function parseSdpHidReport(report: Uint8Array): SdpInReport {
  const id = report[0];
  if (id === SdpHidReport.Hab.id && report.length >= SdpHidReport.Hab.size) return { kind: 'hab', payload: report.slice(1, 5) };
  if (id === SdpHidReport.Response.id && report.length >= 2) return { kind: 'response', payload: report.slice(1, SdpHidReport.Response.size) };
  throw new SdpPacketError(`Unexpected USB HID report (ID ${id ?? 'none'}, ${report.length} bytes); the ROM sends report 3 (HAB) and 4 (status/data).`, { received: hexBytes(report) });
}

/** The boot ROM's USB IDs in serial-download mode (SPSDK sdp interface table: MXRT20/MXRT50 1FC9:0130, MXRT60 1FC9:0135). */
export const SDP_ROM_USB_IDS: ReadonlyArray<{ family: RegExp; vid: number; pid: number }> = [
  { family: /rt10[25]\d/i, vid: 0x1fc9, pid: 0x0130 },
  { family: /rt106\d/i, vid: 0x1fc9, pid: 0x0135 },
];

export function sdpRomUsbId(partName: string): { vid: number; pid: number } | undefined {
  return SDP_ROM_USB_IDS.find((e) => e.family.test(partName));
}
