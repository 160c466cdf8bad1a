import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteReader, LinkClosedError } from '../../src/link/byte-reader.js';
import { openTcp, parseHostPort, TcpConnectError } from '../../src/link/node-tcp.js';

const servers: Server[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await new Promise((r) => s.close(r)); });

function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const s = createServer(onConnection);
  servers.push(s);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
}

describe('ByteStream over TCP', () => {
  it('carries bytes both ways and reports the peer closing', async () => {
    const port = await listen((sock) => { sock.on('data', (d: Buffer) => { sock.write(d.reverse()); sock.end(); }); });
    const stream = await openTcp({ host: '127.0.0.1', port });
    const reader = new ByteReader(stream);
    await stream.write(Uint8Array.from([1, 2, 3]));
    expect([...(await reader.readExact(3, { timeoutMs: 2000 }))]).toEqual([3, 2, 1]);
    await expect(reader.readExact(1, { timeoutMs: 2000 })).rejects.toBeInstanceOf(LinkClosedError);
    await stream.close();
  });

  it('fails with TcpConnectError naming host and port when nothing listens', async () => {
    const port = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const e = await openTcp({ host: '127.0.0.1', port, timeoutMs: 2000 }).catch((x) => x);
    expect(e).toBeInstanceOf(TcpConnectError);
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.hint).toContain('-gdb tcp::3333');
  });

  it('parses HOST:PORT, :PORT and PORT', () => {
    expect(parseHostPort('localhost:3333')).toEqual({ host: 'localhost', port: 3333 });
    expect(parseHostPort(':1234')).toEqual({ host: 'localhost', port: 1234 });
    expect(parseHostPort('2331')).toEqual({ host: 'localhost', port: 2331 });
    expect(parseHostPort('[::1]:3333')).toEqual({ host: '::1', port: 3333 });
    expect(parseHostPort('host:99999')).toBeUndefined();
    expect(parseHostPort('host:')).toBeUndefined();
  });
});
