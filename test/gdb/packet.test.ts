import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asciiBytes, binaryChunkLength, bytesToAscii, encodeBinaryPacket, encodePacket, escapeBinary, expandRunLength, fromHex, PacketDecoder, rspChecksum, toHex, unescapeBinary,
} from '../../src/protocol/gdb-rsp/packet.js';

// Frames recorded from gdb-multiarch 13 talking to qemu-system-arm 7.2 (`set debug remote 1`).
const RECORDED = [
  '$m0,4#fd', '$Hgp0.0#ad', '$qXfer:features:read:target.xml:0,ffb#79', '$M20000000,4:78563412#0d',
  '$qRcmd,73797374656d5f7265736574#86', '$P0=05000000#42', '$Z0,100,2#a5', '$z0,100,2#c5', '$vCont?#49',
  '$vMustReplyEmpty#3a', '$qTStatus#49', '$?#3f', '$g#67', '$X20000000,0:#70', '$mfffffffc,4#fa',
];

describe('RSP framing', () => {
  it('frames packets exactly as gdb does', () => {
    for (const frame of RECORDED) {
      const payload = frame.slice(1, frame.indexOf('#'));
      expect(bytesToAscii(encodePacket(payload))).toBe(frame);
    }
  });

  it('checksum is the modulo-256 sum', () => {
    expect(rspChecksum(asciiBytes('m0,4'))).toBe(0xfd);
    expect(rspChecksum(new Uint8Array(300).fill(1))).toBe(300 & 0xff);
  });

  it('escapes } # $ * as } followed by the byte XOR 0x20', () => {
    const data = Uint8Array.from([0x7d, 0x23, 0x24, 0x2a, 0x41]);
    expect([...escapeBinary(data)]).toEqual([0x7d, 0x5d, 0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x0a, 0x41]);
    expect([...unescapeBinary(escapeBinary(data))]).toEqual([...data]);
    const frame = encodeBinaryPacket('X20000000,5:', data);
    expect(frame.filter((b) => b === 0x23).length).toBe(1); // the only '#' is the checksum separator
  });

  it('escape/unescape round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (d) => {
      expect([...unescapeBinary(escapeBinary(d))]).toEqual([...d]);
    }));
  });

  it('sizes binary chunks so the escaped bytes fit the room', () => {
    const data = Uint8Array.from([0x7d, 1, 0x23, 2, 3]);
    expect(binaryChunkLength(data, 0, 3)).toBe(2); // '}' costs 2, 0x01 costs 1
    expect(binaryChunkLength(data, 1, 3)).toBe(2); // 0x01, then '#' (2) would not fit
    expect(binaryChunkLength(data, 0, 1)).toBe(1); // always progress
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.integer({ min: 2, max: 50 }), (d, room) => {
      const n = binaryChunkLength(d, 0, room);
      expect(escapeBinary(d.subarray(0, n)).length).toBeLessThanOrEqual(room);
      if (n < d.length) expect(escapeBinary(d.subarray(0, n + 1)).length).toBeGreaterThan(room);
    }));
  });

  it('expands run-length encoding (x*N = N-29 more copies)', () => {
    expect(bytesToAscii(expandRunLength(asciiBytes('0* ')))).toBe('0000');
    expect(bytesToAscii(expandRunLength(asciiBytes('ab*"c')))).toBe('abbbbbbc');
    expect(bytesToAscii(expandRunLength(asciiBytes('f*}')))).toBe('f'.repeat(97));
  });

  it('decodes frames split across chunks, acks, naks and notifications', () => {
    const d = new PacketDecoder();
    const wire = asciiBytes('+$OK#9a-%Stop:T05#xx$00*"#');
    const events = [];
    for (let i = 0; i < wire.length; i += 3) events.push(...d.push(wire.subarray(i, i + 3)));
    events.push(...d.push(asciiBytes(rspChecksum(asciiBytes('00*"')).toString(16))));
    expect(events.map((e) => e.type)).toEqual(['ack', 'packet', 'nak', 'notification', 'packet']);
    expect(events[1]).toMatchObject({ checksumOk: true });
    expect(bytesToAscii((events[4] as { payload: Uint8Array }).payload)).toBe('0000000');
  });

  it('flags a bad checksum and keeps the raw frame', () => {
    const [e] = new PacketDecoder().push(asciiBytes('$OK#00'));
    expect(e).toMatchObject({ type: 'packet', checksumOk: false });
  });

  it('reports the interrupt byte only on the server side', () => {
    expect(new PacketDecoder(true).push(new Uint8Array([3]))).toEqual([{ type: 'interrupt' }]);
    expect(new PacketDecoder().push(new Uint8Array([3]))).toEqual([]);
  });

  it('encodes and decodes any payload through a frame', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (d) => {
      const frame = encodeBinaryPacket('X0,0:', d);
      const e = new PacketDecoder().push(frame)[0]!;
      expect(e.type).toBe('packet');
      const payload = (e as { payload: Uint8Array }).payload;
      expect([...unescapeBinary(payload.subarray(5))]).toEqual([...d]);
    }));
  });

  it('hex helpers reject odd or non-hex text', () => {
    expect(toHex(Uint8Array.from([0, 0xab]))).toBe('00ab');
    expect(fromHex('00aB')).toEqual(Uint8Array.from([0, 0xab]));
    expect(fromHex('abc')).toBeUndefined();
    expect(fromHex('zz')).toBeUndefined();
  });
});
