/** Session behaviour against a scripted device: replies the simulator never gives. */
import { describe, expect, it } from 'vitest';
import { CommandTag, encodeResponse, McubootSession, McubootShortReadError, ResponseTag, type Incoming, type McubootTransport } from '../../src/protocol/mcuboot/index.js';

/** Answers every command with the next scripted packets; records what the host sent. */
function scripted(replies: Incoming[]): McubootTransport & { sent: Uint8Array[] } {
  const queue = [...replies];
  const sent: Uint8Array[] = [];
  return {
    kind: 'uart', sent,
    async sendCommand(payload) { sent.push(payload); },
    async sendData(payload) { sent.push(payload); return 'ok'; },
    async receive() {
      const next = queue.shift();
      if (!next) throw new Error('script ran out');
      return next;
    },
    discard() {},
    async close() {},
  };
}

const cmd = (payload: Uint8Array): Incoming => ({ kind: 'command', payload });
const data = (n: number, fill = 0x5a): Incoming => ({ kind: 'data', payload: new Uint8Array(n).fill(fill) });
const ok = cmd(encodeResponse(ResponseTag.Generic, 0, [CommandTag.ReadMemory]));

describe('ReadMemory against a device that does not send what was asked', () => {
  it('a shorter announced length is a typed error, not a short buffer', async () => {
    const session = new McubootSession(scripted([cmd(encodeResponse(ResponseTag.ReadMemory, 0, [8])), data(8), ok]));
    const err = await session.readMemory(0x1000, 16).catch((e) => e);
    expect(err).toBeInstanceOf(McubootShortReadError);
    expect(err.code).toBe('MCUBOOT_SHORT_READ');
    expect(err.message).toBe('ReadMemory at 0x00001000 asked for 16 bytes, but the device announced only 8.');
    expect(err.context).toMatchObject({ asked: 16, announced: 8 });
  });

  it('more data than announced is refused', async () => {
    const session = new McubootSession(scripted([cmd(encodeResponse(ResponseTag.ReadMemory, 0, [16])), data(12), data(12), ok]));
    const err = await session.readMemory(0x2000, 16).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_PACKET');
    expect(err.message).toBe('ReadMemory sent 24 bytes, more than the 16 announced.');
  });

  it('a final response before all data arrived says how far it got', async () => {
    const session = new McubootSession(scripted([cmd(encodeResponse(ResponseTag.ReadMemory, 0, [16])), data(8), ok]));
    const err = await session.readMemory(0x3000, 16).catch((e) => e);
    expect(err.code).toBe('MCUBOOT_PACKET');
    expect(err.message).toBe('ReadMemory ended after 8 of 16 bytes.');
    expect(err.context).toMatchObject({ bytesReceived: 8 });
  });

  it('the full length comes back unchanged', async () => {
    const session = new McubootSession(scripted([cmd(encodeResponse(ResponseTag.ReadMemory, 0, [16])), data(16, 7), ok]));
    expect(await session.readMemory(0x1000, 16)).toEqual(new Uint8Array(16).fill(7));
  });
});
