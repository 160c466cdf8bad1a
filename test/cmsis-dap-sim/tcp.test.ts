/**
 * `sim cmsis-dap`'s TCP server, in the framing of OpenOCD's later cmsis-dap TCP backend:
 * {u32 0x00504144 "DAP\0", u16 length, u8 type 1 request / 2 response, u8 0} + payload.
 * Raw sockets here (bytes written by hand), plus the project's own TCP client end to end.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dapOverStream } from '../../src/link/dap-tcp.js';
import { openTcp } from '../../src/link/node-tcp.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { createMemoryTarget, createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { serveDapTcp, type DapTcpServer } from '../../src/sim/node-dap-tcp.js';

const servers: DapTcpServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => { for (const s of sockets.splice(0)) s.destroy(); for (const s of servers.splice(0)) await s.close(); });

async function serve(packetSize = 64) {
  const target = createMemoryTarget({ chip: 'nrf51' });
  const probe = createSimDapProbe({ target, packetSize });
  const server = await serveDapTcp(probe, { port: 0 });
  servers.push(server);
  return { target, probe, server };
}

function open(port: number): Promise<{ socket: Socket; frames: Uint8Array[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const frames: Uint8Array[] = [];
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 8 + buf.readUInt16LE(4)) { frames.push(new Uint8Array(buf.subarray(0, 8 + buf.readUInt16LE(4)))); buf = buf.subarray(8 + buf.readUInt16LE(4)); }
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, frames, closed }));
    socket.once('error', reject);
  });
}

const header = (len: number, type = 1, magic = 0x00504144) => [magic & 0xff, (magic >>> 8) & 0xff, (magic >>> 16) & 0xff, magic >>> 24, len & 0xff, len >> 8, type, 0];
const until = async (f: () => boolean) => { for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10)); };

describe('sim cmsis-dap TCP server', () => {
  it('answers a framed request with a type-2 frame, even when the frame arrives in pieces', async () => {
    const { server } = await serve();
    const c = await open(server.port);
    const req = [...header(2), 0x00, 0xff];
    for (const b of req) { c.socket.write(Uint8Array.of(b)); await new Promise((r) => setTimeout(r, 1)); }
    await until(() => c.frames.length > 0);
    const f = c.frames[0]!;
    expect(Array.from(f.subarray(0, 4))).toEqual([0x44, 0x41, 0x50, 0x00]);
    expect(f[6]).toBe(2);
    expect(Array.from(f.subarray(8, 12))).toEqual([0x00, 2, 64, 0]);
  });

  it('closes a connection that sends a bad magic, a response type, or more than the packet size', async () => {
    const { server } = await serve();
    for (const bad of [[...header(2, 1, 0x12345678), 0, 0xff], [...header(2, 2), 0, 0xff], [...header(65), ...new Array(65).fill(0)]]) {
      const c = await open(server.port);
      c.socket.write(Uint8Array.from(bad));
      await c.closed;
      expect(c.frames).toEqual([]);
    }
    expect(server.stats.badFrames).toBe(3);
  });

  it('serves one host at a time and does not hand a departed host\'s responses to the next', async () => {
    const { server } = await serve();
    const a = await open(server.port);
    const b = await open(server.port);
    await b.closed;
    expect(server.stats.refused).toBe(1);
    a.socket.write(Uint8Array.from([...header(2), 0x00, 0xfe, ...header(2), 0x00, 0xff]));
    a.socket.destroy();
    await a.closed;
    await until(() => !server.attached);
    const c = await open(server.port);
    c.socket.write(Uint8Array.from([...header(2), 0x00, 0x01]));
    await until(() => c.frames.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.frames.length).toBe(1);
    expect(new TextDecoder().decode(c.frames[0]!.subarray(10, 10 + 11))).toBe('flashwright');
  });

  it('the project\'s own TCP client and CMSIS-DAP host round-trip RAM through it', async () => {
    const { server, target } = await serve();
    const p = new CmsisDapProgrammer({ open: async () => dapOverStream(await openTcp({ host: '127.0.0.1', port: server.port })), description: `tcp:127.0.0.1:${server.port}` });
    await p.connect();
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    await p.writeMemory(0x20000010, data);
    expect(target.core.peek(0x20000010, data.length)).toEqual(data);
    expect(await p.readMemory(0x20000010, data.length)).toEqual(data);
    await p.close();
  });
});
