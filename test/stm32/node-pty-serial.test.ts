import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPipe } from '../../src/link/pipe.js';
import { ByteReader } from '../../src/link/byte-reader.js';
import { exposeOnPty } from '../../src/sim/node-pty.js';
import { openSerialPort } from '../../src/link/node-serial.js';
import { needs } from '../helpers/peers.js';

const socat = needs('socat');

describe.skipIf(socat.skip)(socat.title('exposeOnPty + openSerialPort over socat'), () => {
  it('bridges a simulated device to a pty that several clients can open in turn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-pty-'));
    const path = join(dir, 'tty');
    const pipe = createPipe();
    // An "inverting echo" device: answers each byte with its complement.
    pipe.device.onData((c) => { void pipe.device.write(c.map((b) => b ^ 0xff)); });
    const pty = await exposeOnPty(pipe.host, path);
    try {
      for (let round = 0; round < 2; round++) {
        const port = await openSerialPort({ path, baudRate: 115200, parity: 'none' });
        const reader = new ByteReader(port);
        await port.write(new Uint8Array([0x7f, 0x00, 0x55 + round]));
        const got = await reader.readExact(3, { timeoutMs: 3000 });
        expect([...got]).toEqual([0x80, 0xff, 0xaa - round]);
        await port.close();
      }
      expect(pipe.counters.bytesToDevice).toBe(6);
      expect(pipe.counters.bytesToHost).toBe(6);
    } finally {
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(path)).toBe(false);
  });

  it('changes the baud rate, and explains that a pty has no modem-control lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-pty-'));
    const pty = await exposeOnPty(createPipe().host, join(dir, 'tty'));
    try {
      const port = await openSerialPort({ path: join(dir, 'tty'), parity: 'none' });
      await port.setBaudRate!(57600);
      await expect(port.setSignals!({ dtr: false, rts: true })).rejects.toMatchObject({ code: 'SERIAL_PORT', hint: expect.stringMatching(/--entry/) });
      await port.close();
    } finally {
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a link path that already exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-pty-'));
    try {
      await expect(exposeOnPty(createPipe().host, dir)).rejects.toMatchObject({ code: 'PTY' });
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('openSerialPort errors', () => {
  it('names the port it could not open', async () => {
    await expect(openSerialPort({ path: '/nonexistent/ttyFW0' })).rejects.toMatchObject({ code: 'SERIAL_PORT', context: { path: '/nonexistent/ttyFW0' } });
  });
});
