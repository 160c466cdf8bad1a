/**
 * CMSIS-DAP over a byte stream in the framing of OpenOCD's cmsis-dap TCP backend (after 0.12)
 * and of network probes built on it: every packet is preceded by an 8-byte little-endian
 * header {u32 signature 0x00504144 ("DAP\0"), u16 payload length, u8 type (1 request,
 * 2 response), u8 reserved 0}. Pure: the socket comes from link/node-tcp.ts (or a test pipe).
 */
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import type { ByteStream, PacketDevice } from './types.js';

export const DAP_TCP_SIGNATURE = 0x00504144;
export const DAP_TCP_HEADER = 8;
export const DAP_TCP_DEFAULT_PORT = 4441;
export const DapTcpType = { Request: 1, Response: 2 } as const;

export function encodeDapTcpFrame(payload: Uint8Array, type: number): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError('a DAP TCP frame carries at most 65535 bytes');
  const b = new Uint8Array(DAP_TCP_HEADER + payload.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, DAP_TCP_SIGNATURE, true);
  v.setUint16(4, payload.length, true);
  b[6] = type;
  b[7] = 0;
  b.set(payload, DAP_TCP_HEADER);
  return b;
}

export class DapTcpFramingError extends FlashwrightError {
  constructor(message: string, context: ErrorContext) {
    super('DAP_TCP_FRAMING', message, { hint: 'The peer does not speak the CMSIS-DAP TCP framing (is it a GDB server port rather than a CMSIS-DAP probe port?).', context });
  }
}

/** Reassembles frames from stream chunks; throws DapTcpFramingError on a bad header. */
export class DapTcpDecoder {
  private buf = new Uint8Array(0);

  constructor(private readonly expectType: number) {}

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: Uint8Array[] = [];
    let o = 0;
    while (joined.length - o >= DAP_TCP_HEADER) {
      const v = new DataView(joined.buffer, joined.byteOffset + o, DAP_TCP_HEADER);
      const sig = v.getUint32(0, true);
      const len = v.getUint16(4, true);
      const type = joined[o + 6];
      if (sig !== DAP_TCP_SIGNATURE) throw new DapTcpFramingError(`A frame from the peer starts with 0x${sig.toString(16).padStart(8, '0')}, not the "DAP\\0" signature.`, { signature: sig });
      if (type !== this.expectType) throw new DapTcpFramingError(`A frame from the peer has type ${type}, expected ${this.expectType}.`, { type });
      if (joined.length - o < DAP_TCP_HEADER + len) break;
      out.push(joined.slice(o + DAP_TCP_HEADER, o + DAP_TCP_HEADER + len));
      o += DAP_TCP_HEADER + len;
    }
    this.buf = joined.slice(o);
    return out;
  }
}

/**
 * A PacketDevice (host side) over a byte stream: requests go out framed as type 1, type-2
 * frames come back as packets. The packet size is learnt from DAP_Info, so the bound here is
 * the framing's own.
 */
export function dapOverStream(stream: ByteStream): PacketDevice {
  const decoder = new DapTcpDecoder(DapTcpType.Response);
  let onPacket: ((p: Uint8Array) => void) | undefined;
  let onClose: ((e?: Error) => void) | undefined;
  let closed = false;
  const close = (e?: Error) => { if (!closed) { closed = true; onClose?.(e); } };
  stream.onData((chunk) => {
    let frames: Uint8Array[];
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      close(e as Error);
      void stream.close();
      return;
    }
    for (const f of frames) onPacket?.(f);
  });
  stream.onClose((e) => close(e));
  return {
    maxPacketSize: 0xffff,
    write: (p) => stream.write(encodeDapTcpFrame(p, DapTcpType.Request)),
    onPacket: (l) => { onPacket = l; },
    onClose: (l) => { onClose = l; },
    close: async () => { closed = true; await stream.close(); },
  };
}
