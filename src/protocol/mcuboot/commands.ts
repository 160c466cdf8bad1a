/**
 * MCUboot command and response packets (the payload inside a COMMAND frame or HID report).
 * Layout from the MCU Bootloader Reference Manual, "Command packet": `tag, flags (bit 0 =
 * a data phase follows), reserved, parameterCount`, then up to 7 u32 LE parameters.
 * Pure encode/parse; the session adds I/O.
 */
import { FlashwrightError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hexBytes } from '../../core/format.js';

/** Command tags (MCUBOOTRM "Command packet" table). */
export const CommandTag = {
  FlashEraseAll: 0x01,
  FlashEraseRegion: 0x02,
  ReadMemory: 0x03,
  WriteMemory: 0x04,
  FillMemory: 0x05,
  FlashSecurityDisable: 0x06,
  GetProperty: 0x07,
  ReceiveSBFile: 0x08,
  Execute: 0x09,
  Call: 0x0a,
  Reset: 0x0b,
  SetProperty: 0x0c,
  FlashEraseAllUnsecure: 0x0d,
  FlashProgramOnce: 0x0e,
  FlashReadOnce: 0x0f,
  FlashReadResource: 0x10,
  ConfigureMemory: 0x11,
  ReliableUpdate: 0x12,
} as const;

/** Response tags: generic (status, command tag) and the command-specific ones. */
export const ResponseTag = {
  Generic: 0xa0,
  ReadMemory: 0xa3,
  GetProperty: 0xa7,
  FlashReadOnce: 0xaf,
  FlashReadResource: 0xb0,
} as const;

const COMMAND_NAMES = new Map<number, string>(Object.entries(CommandTag).map(([k, v]) => [v, k]));

/** "WriteMemory", or "command 0x42" for an unknown tag. */
export function commandName(tag: number): string {
  return COMMAND_NAMES.get(tag) ?? `command 0x${tag.toString(16).padStart(2, '0')}`;
}

/** Memory identifiers for the memId parameter (MCUBOOTRM "External memory support"). */
export const MemoryId = {
  Internal: 0,
  QuadSpi: 1,
  SemcNor: 8,
  FlexSpiNor: 9,
  Spifi: 10,
  SemcNand: 256,
  SpiNand: 257,
  SpiNorEeprom: 272,
  I2cEeprom: 273,
  SdCard: 288,
  Emmc: 289,
} as const;

export const FLAG_HAS_DATA_PHASE = 0x01;
export const MAX_PARAMETERS = 7;

/** A command or response packet, decoded. */
export interface Packet {
  tag: number;
  flags: number;
  params: number[];
}

/** The packet did not have the documented layout. */
export class McubootPacketError extends FlashwrightError {
  constructor(message: string, context: ErrorContext) {
    super('MCUBOOT_PACKET', message, { hint: 'The device and host disagree on the protocol; check that this is an MCUboot/KBOOT bootloader.', context });
  }
}

/** Encodes `tag, flags, 0, count, params…`. */
export function encodePacket(tag: number, params: readonly number[], flags = 0): Uint8Array {
  if (params.length > MAX_PARAMETERS) throw new RangeError(`${commandName(tag)} has ${params.length} parameters; the protocol allows ${MAX_PARAMETERS}`);
  const out = new Uint8Array(4 + 4 * params.length);
  out.set([tag, flags, 0, params.length]);
  const view = new DataView(out.buffer);
  params.forEach((p, i) => view.setUint32(4 + 4 * i, p >>> 0, true));
  return out;
}

/** Decodes a command or response packet; throws McubootPacketError when malformed. */
export function parsePacket(payload: Uint8Array): Packet {
  if (payload.length < 4) throw new McubootPacketError(`A ${payload.length}-byte packet is shorter than the 4-byte header.`, { received: hexBytes(payload) });
  const count = payload[3]!;
  if (payload.length < 4 + 4 * count) {
    throw new McubootPacketError(`The packet announces ${count} parameters but carries ${payload.length - 4} bytes of them.`, { received: hexBytes(payload) });
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const params: number[] = [];
  for (let i = 0; i < count; i++) params.push(view.getUint32(4 + 4 * i, true));
  return { tag: payload[0]!, flags: payload[1]!, params };
}

/** What a command needs on the wire: the packet and, when it has one, the data-phase direction. */
export interface CommandSpec {
  tag: number;
  params: number[];
  /** 'out' = host sends data after the first response; 'in' = device sends data. */
  dataPhase?: 'out' | 'in';
}

/** Encodes a CommandSpec into a command packet (sets the data-phase flag for 'out'). */
export function encodeCommand(spec: CommandSpec): Uint8Array {
  return encodePacket(spec.tag, spec.params, spec.dataPhase === 'out' ? FLAG_HAS_DATA_PHASE : 0);
}

/** Command builders, one per command, argument order as in MCUBOOTRM. */
export const Commands = {
  flashEraseAll: (memoryId = 0): CommandSpec => ({ tag: CommandTag.FlashEraseAll, params: [memoryId] }),
  flashEraseRegion: (address: number, length: number, memoryId = 0): CommandSpec => ({ tag: CommandTag.FlashEraseRegion, params: [address, length, memoryId] }),
  readMemory: (address: number, length: number, memoryId = 0): CommandSpec => ({ tag: CommandTag.ReadMemory, params: [address, length, memoryId], dataPhase: 'in' }),
  writeMemory: (address: number, length: number, memoryId = 0): CommandSpec => ({ tag: CommandTag.WriteMemory, params: [address, length, memoryId], dataPhase: 'out' }),
  fillMemory: (address: number, length: number, pattern: number): CommandSpec => ({ tag: CommandTag.FillMemory, params: [address, length, pattern] }),
  /** The 8 key bytes as they sit at 0x400–0x407, sent as two u32 LE parameters. */
  flashSecurityDisable: (key: Uint8Array): CommandSpec => {
    if (key.length !== 8) throw new RangeError('the backdoor key is 8 bytes');
    const v = new DataView(key.buffer, key.byteOffset, 8);
    return { tag: CommandTag.FlashSecurityDisable, params: [v.getUint32(0, true), v.getUint32(4, true)] };
  },
  getProperty: (property: number, memoryId = 0): CommandSpec => ({ tag: CommandTag.GetProperty, params: [property, memoryId] }),
  receiveSbFile: (length: number): CommandSpec => ({ tag: CommandTag.ReceiveSBFile, params: [length], dataPhase: 'out' }),
  execute: (address: number, argument: number, stackPointer: number): CommandSpec => ({ tag: CommandTag.Execute, params: [address, argument, stackPointer] }),
  call: (address: number, argument: number): CommandSpec => ({ tag: CommandTag.Call, params: [address, argument] }),
  reset: (): CommandSpec => ({ tag: CommandTag.Reset, params: [] }),
  setProperty: (property: number, value: number): CommandSpec => ({ tag: CommandTag.SetProperty, params: [property, value] }),
  flashEraseAllUnsecure: (): CommandSpec => ({ tag: CommandTag.FlashEraseAllUnsecure, params: [] }),
  /** Program-once (IFR) field: index, byte count (4 or 8), then the data as u32 LE words. */
  flashProgramOnce: (index: number, data: Uint8Array): CommandSpec => {
    if (data.length !== 4 && data.length !== 8) throw new RangeError('program-once data is 4 or 8 bytes');
    const v = new DataView(data.buffer, data.byteOffset, data.length);
    const words = data.length === 4 ? [v.getUint32(0, true)] : [v.getUint32(0, true), v.getUint32(4, true)];
    return { tag: CommandTag.FlashProgramOnce, params: [index, data.length, ...words] };
  },
  flashReadOnce: (index: number, byteCount: number): CommandSpec => ({ tag: CommandTag.FlashReadOnce, params: [index, byteCount] }),
  flashReadResource: (address: number, length: number, option: number): CommandSpec => ({ tag: CommandTag.FlashReadResource, params: [address, length, option], dataPhase: 'in' }),
  configureMemory: (memoryId: number, configAddress: number): CommandSpec => ({ tag: CommandTag.ConfigureMemory, params: [memoryId, configAddress] }),
  reliableUpdate: (address: number): CommandSpec => ({ tag: CommandTag.ReliableUpdate, params: [address] }),
} as const;

/** The device's response, with the status and the values after it. */
export interface Response {
  tag: number;
  status: number;
  /** Parameters after the status: command tag (generic), length (read), values (property). */
  values: number[];
}

/** Parses a response packet (any response tag). */
export function parseResponse(payload: Uint8Array): Response {
  const p = parsePacket(payload);
  if ((p.tag & 0xa0) !== 0xa0) throw new McubootPacketError(`Expected a response packet (tag 0xA0–0xBF), got tag 0x${p.tag.toString(16)}.`, { received: hexBytes(payload) });
  if (p.params.length < 1) throw new McubootPacketError('The response carries no status word.', { received: hexBytes(payload) });
  const [status, ...values] = p.params as [number, ...number[]];
  return { tag: p.tag, status, values };
}

/** Encodes a response (for the simulator): tag, then status and values. */
export function encodeResponse(tag: number, status: number, values: readonly number[] = []): Uint8Array {
  return encodePacket(tag, [status, ...values]);
}
