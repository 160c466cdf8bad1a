/**
 * Serves a simulated CMSIS-DAP probe on TCP (Node only) in the framing of OpenOCD's later
 * cmsis-dap TCP backend: every packet is preceded by an 8-byte little-endian header
 * {u32 0x00504144 "DAP\0", u16 payload length, u8 type 1 = request / 2 = response, u8 0}.
 * One client at a time (a probe has one host); a second is refused while one is attached.
 * Responses still in flight when a client leaves are not passed to the next one.
 *
 * Extension, sent only by flashwright's hidapi stand-in when FLASHWRIGHT_DAP_TCP_ACK=1:
 * type 3 with no payload = "the host has read one response". It lets the modelled USB
 * clock follow what the host had actually read when it sent each request.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { CMD } from './cmsis-dap/constants.js';
import type { SimDapProbe } from './cmsis-dap/probe.js';

export const DAP_TCP_MAGIC = 0x00504144;
export const DAP_TCP_DEFAULT_PORT = 4441;

export function frame(type: 1 | 2 | 3, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, DAP_TCP_MAGIC, true);
  v.setUint16(4, payload.length, true);
  out[6] = type;
  out.set(payload, 8);
  return out;
}

export interface DapTcpServer {
  readonly port: number;
  readonly host: string;
  readonly probe: SimDapProbe;
  /** Clients that connected so far; protocol errors seen (bad magic, type, oversize). */
  readonly stats: { clients: number; refused: number; badFrames: number };
  /** True while a host is connected. */
  readonly attached: boolean;
  close(): Promise<void>;
}

export function serveDapTcp(probe: SimDapProbe, options: { port?: number; host?: string } = {}): Promise<DapTcpServer> {
  const host = options.host ?? '127.0.0.1';
  const stats = { clients: 0, refused: 0, badFrames: 0 };
  let current: Socket | undefined;
  /** Responses owed to whoever sent the requests; those of a departed client are dropped. */
  let owedToCurrent = 0;
  let owedToGone = 0;
  probe.device.onPacket((p) => {
    if (owedToGone > 0) { owedToGone--; return; }
    if (owedToCurrent > 0) owedToCurrent--;
    if (current && !current.destroyed) current.write(frame(2, p));
  });
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A host that is going away (its end seen) no longer holds the probe.
    if (current && !current.destroyed && !current.readableEnded) { stats.refused++; socket.destroy(); return; }
    if (current) { owedToGone += owedToCurrent; owedToCurrent = 0; }
    stats.clients++;
    current = socket;
    socket.setNoDelay(true);
    let buf = new Uint8Array(0);
    socket.on('data', (chunk: Uint8Array) => {
      const merged = new Uint8Array(buf.length + chunk.length);
      merged.set(buf); merged.set(chunk, buf.length);
      buf = merged;
      while (buf.length >= 8) {
        const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
        const len = v.getUint16(4, true);
        if (v.getUint32(0, true) !== DAP_TCP_MAGIC || (buf[6] !== 1 && buf[6] !== 3) || buf[7] !== 0 || len > probe.packetSize) {
          stats.badFrames++;
          socket.destroy();
          return;
        }
        if (buf.length < 8 + len) break;
        const payload = buf.slice(8, 8 + len);
        const type = buf[6];
        buf = buf.slice(8 + len);
        if (type === 3) { probe.consumed(); continue; }
        if (payload.length && payload[0] !== CMD.TransferAbort && payload[0] !== CMD.QueueCommands) owedToCurrent++;
        probe.device.write(payload).catch(() => socket.destroy());
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (current !== socket) return;
      current = undefined;
      owedToGone += owedToCurrent;
      owedToCurrent = 0;
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DAP_TCP_DEFAULT_PORT, host, () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port, host, probe, stats,
        get attached() { return current !== undefined; },
        close: () => new Promise<void>((done) => { for (const s of sockets) s.destroy(); server.close(() => done()); }),
      });
    });
  });
}
