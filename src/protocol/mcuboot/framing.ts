/**
 * MCUboot / KBOOT serial framing (NXP "MCU Bootloader Reference Manual", chapter "Bootloader
 * packet types"; the Kinetis and i.MX RT reference manuals repeat it). Pure encode/parse.
 *
 * Frame: `0x5A, type, len_lo, len_hi, crc_lo, crc_hi, payload…`; CRC16-XMODEM over start
 * byte, type, length and payload (the CRC field itself is skipped). ACK/NAK/ACK_ABORT/PING
 * are bare two-byte frames.
 */
import { crc16Xmodem } from '../../core/crc.js';
import { FlashwrightError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { hex, hexBytes } from '../../core/format.js';

export const START_BYTE = 0x5a;

export const FrameType = {
  Ack: 0xa1,
  Nak: 0xa2,
  AckAbort: 0xa3,
  Command: 0xa4,
  Data: 0xa5,
  Ping: 0xa6,
  PingResponse: 0xa7,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** Largest payload a framed packet may carry (u16 length field); devices allow far less. */
export const MAX_FRAME_PAYLOAD = 0xffff;

/** A received frame did not make sense (bad CRC, unknown type, bad start byte). */
export class McubootFramingError extends FlashwrightError {
  constructor(message: string, context: ErrorContext) {
    super('MCUBOOT_FRAMING', message, {
      hint: 'Line noise or a wrong baud rate garbles frames; check the wiring and try a lower --baud.', context,
    });
  }
}

/** The two-byte control frames: ACK, NAK, ACK_ABORT, PING. */
export function encodeControl(type: number): Uint8Array {
  return Uint8Array.of(START_BYTE, type);
}

/** CRC of a framed packet: over the 4 header bytes and the payload. */
export function frameCrc(type: number, payload: Uint8Array): number {
  const header = Uint8Array.of(START_BYTE, type, payload.length & 0xff, payload.length >>> 8);
  return crc16Xmodem(payload, crc16Xmodem(header));
}

/** A COMMAND (0xA4) or DATA (0xA5) frame carrying `payload`. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`frame payload of ${payload.length} bytes exceeds the u16 length field`);
  const out = new Uint8Array(6 + payload.length);
  const crc = frameCrc(type, payload);
  out.set([START_BYTE, type, payload.length & 0xff, payload.length >>> 8, crc & 0xff, crc >>> 8]);
  out.set(payload, 6);
  return out;
}

/** Protocol version and options from a ping response. */
export interface PingResponse {
  /** Protocol name byte, 'P' for the serial protocol. */
  name: string;
  major: number;
  minor: number;
  bugfix: number;
  options: number;
}

/** `5a a7`, version (bugfix, minor, major, name), options u16 LE, CRC over the first 8 bytes. */
export function encodePingResponse(r: PingResponse): Uint8Array {
  const out = new Uint8Array(10);
  out.set([START_BYTE, FrameType.PingResponse, r.bugfix, r.minor, r.major, r.name.charCodeAt(0), r.options & 0xff, r.options >>> 8]);
  const crc = crc16Xmodem(out.subarray(0, 8));
  out[8] = crc & 0xff;
  out[9] = crc >>> 8;
  return out;
}

/** Parses a full 10-byte ping response; throws McubootFramingError on a bad CRC or header. */
export function parsePingResponse(bytes: Uint8Array): PingResponse {
  if (bytes.length !== 10 || bytes[0] !== START_BYTE || bytes[1] !== FrameType.PingResponse) {
    throw new McubootFramingError(`Expected a ping response (5a a7 …), got ${hexBytes(bytes)}.`, { received: hexBytes(bytes) });
  }
  const crc = bytes[8]! | (bytes[9]! << 8);
  const want = crc16Xmodem(bytes.subarray(0, 8));
  if (crc !== want) {
    throw new McubootFramingError(`Ping response CRC is ${hex(crc, 4)}, expected ${hex(want, 4)}.`, { received: hexBytes(bytes), crc, expected: want });
  }
  return { bugfix: bytes[2]!, minor: bytes[3]!, major: bytes[4]!, name: String.fromCharCode(bytes[5]!), options: bytes[6]! | (bytes[7]! << 8) };
}

/** One decoded frame. `crcOk` is false for a framed packet whose CRC did not match. */
export type Frame =
  | { type: typeof FrameType.Ack | typeof FrameType.Nak | typeof FrameType.AckAbort | typeof FrameType.Ping }
  | { type: typeof FrameType.Command | typeof FrameType.Data; payload: Uint8Array; crcOk: boolean }
  | { type: typeof FrameType.PingResponse; response?: PingResponse; crcOk: boolean };

/**
 * Incremental frame decoder for a byte stream (used by the simulator, which cannot block on
 * reads). Bytes before a start byte are skipped and counted in `skippedBytes`.
 */
export class FrameDecoder {
  private buf = new Uint8Array(0);
  skippedBytes = 0;

  /** Adds received bytes and returns every complete frame now available. */
  push(chunk: Uint8Array): Frame[] {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    this.buf = merged;
    const frames: Frame[] = [];
    for (;;) {
      let i = 0;
      while (i < this.buf.length && this.buf[i] !== START_BYTE) i++;
      this.skippedBytes += i;
      this.buf = this.buf.subarray(i);
      if (this.buf.length < 2) break;
      const type = this.buf[1];
      if (type === FrameType.Ack || type === FrameType.Nak || type === FrameType.AckAbort || type === FrameType.Ping) {
        frames.push({ type });
        this.buf = this.buf.subarray(2);
        continue;
      }
      if (type === FrameType.PingResponse) {
        if (this.buf.length < 10) break;
        const raw = this.buf.slice(0, 10);
        this.buf = this.buf.subarray(10);
        try {
          frames.push({ type, response: parsePingResponse(raw), crcOk: true });
        } catch {
          frames.push({ type, crcOk: false });
        }
        continue;
      }
      if (type === FrameType.Command || type === FrameType.Data) {
        if (this.buf.length < 6) break;
        const len = this.buf[2]! | (this.buf[3]! << 8);
        if (this.buf.length < 6 + len) break;
        const crc = this.buf[4]! | (this.buf[5]! << 8);
        const payload = this.buf.slice(6, 6 + len);
        this.buf = this.buf.subarray(6 + len);
        frames.push({ type, payload, crcOk: crc === frameCrc(type, payload) });
        continue;
      }
      // Not a frame type: the 0x5A was noise; skip it and resynchronise.
      this.skippedBytes += 1;
      this.buf = this.buf.subarray(1);
    }
    return frames;
  }

  /** Forgets buffered partial input (after a reset). */
  reset(): void {
    this.buf = new Uint8Array(0);
  }
}
