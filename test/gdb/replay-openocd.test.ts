/**
 * Replays of an OpenOCD-style session (memory map, qCRC, vFlash), byte for byte. The
 * transcript is HAND-WRITTEN from the packet formats in the GDB manual (Appendix E, "Remote
 * Serial Protocol": qSupported, QStartNoAckMode, qXfer:memory-map:read, qCRC, vFlashWrite,
 * vFlashDone; the memory-map DTD from §"Memory Map Format") in the shape OpenOCD answers —
 * it was not captured from a running OpenOCD. Host frames must match exactly, checksums
 * included; server frames are sent exactly as written.
 */
import { describe, expect, it } from 'vitest';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { createPipe } from '../../src/link/pipe.js';
import type { ByteStream } from '../../src/link/types.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';

const IMAGE = 'ABCDEFGHIJKLMNOP'.repeat(64); // one 1 KiB sector, no bytes that need escaping
const MAP = '<?xml version="1.0"?>\n<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" "http://sourceware.org/gdb/gdb-memory-map.dtd">\n'
  + '<memory-map><memory type="flash" start="0x08000000" length="0x10000"><property name="blocksize">0x400</property></memory><memory type="ram" start="0x20000000" length="0x5000"/></memory-map>';

/** [host frame, server bytes]. Before no-ack mode the server acks each frame with '+'. */
const CONNECT: Array<[string, string]> = [
  ['$qSupported:multiprocess-;swbreak+;hwbreak+;vContSupported+;xmlRegisters=arm#5e', '+$PacketSize=3fff;qXfer:memory-map:read+;qXfer:features:read-;qXfer:threads:read+;QStartNoAckMode+;vContSupported+#a5'],
  ['$QStartNoAckMode#b0', '+$OK#9a'],
  ['$?#3f', '$T05#b9'],
  ['$qXfer:memory-map:read::0,3fdf#4d', `$l${MAP}#a1`],
  // The connect-time probe: 4 erased bytes (CRC-32/MPEG-2 of FF FF FF FF is 0).
  ['$qCRC:8000000,4#3b', '$C00000000#c3'],
];
const FIRST_WRITE: Array<[string, string]> = [
  ['$qCRC:8000000,400#9b', '$Cd000a3e2#62'], // the sector is erased: program without erasing
  [`$vFlashWrite:8000000:${IMAGE}#3b`, '$OK#9a'],
  ['$vFlashDone#ea', '$OK#9a'],
  ['$qCRC:8000000,400#9b', '$Cd5728ebd#a8'], // verify by the server's CRC
];
const SECOND_WRITE: Array<[string, string]> = [
  ['$qCRC:8000000,400#9b', '$Cd5728ebd#a8'], // already there: skipped, nothing written
];

class ReplayServer {
  private buffer = '';
  private step = 0;
  readonly mismatches: string[] = [];
  constructor(private readonly stream: ByteStream, private readonly script: Array<[string, string]>) {
    stream.onData((chunk) => {
      this.buffer += Buffer.from(chunk).toString('latin1');
      for (;;) {
        this.buffer = this.buffer.replace(/^\++/, ''); // host acks
        const m = /^\$[^#]*#[0-9a-f]{2}/.exec(this.buffer);
        if (!m) break;
        this.buffer = this.buffer.slice(m[0].length);
        const expected = this.script[this.step];
        if (!expected || expected[0] !== m[0]) {
          this.mismatches.push(`step ${this.step}: got ${m[0].slice(0, 60)}, expected ${expected?.[0].slice(0, 60) ?? 'nothing'}`);
          void this.stream.write(Buffer.from('$E99#b4', 'latin1'));
          continue;
        }
        this.step++;
        void this.stream.write(Buffer.from(expected[1], 'latin1'));
      }
    });
  }
  get done(): boolean {
    return this.step === this.script.length;
  }
}

describe('replay of an OpenOCD-style session (hand-written transcript)', () => {
  it('connects, plans from the memory map, programs with vFlash, verifies and then skips by qCRC', async () => {
    const pipe = createPipe();
    const server = new ReplayServer(pipe.device, [...CONNECT, ...FIRST_WRITE, ...SECOND_WRITE]);
    const p = new GdbProgrammer({ open: async () => pipe.host, description: 'openocd (replay)', timeoutMs: 1000 });
    const device = await p.connect();
    expect(device.details).toMatchObject({ strategy: 'vflash', serverCrc: true });
    expect(device.target.regions.find((r) => r.kind === 'flash')).toMatchObject({ start: 0x08000000, size: 0x10000, sectors: [{ size: 0x400, count: 64 }] });
    const image = MemoryImage.fromSegments([{ address: 0x08000000, data: new Uint8Array(Buffer.from(IMAGE, 'latin1')) }]);
    const first = await writeImage(p, device, image, { allowUnbootable: true });
    expect(first).toMatchObject({ verify: 'digest', sectorsErased: 0, sectorsWritten: 1 });
    const second = await writeImage(p, device, image, { allowUnbootable: true });
    expect(second).toMatchObject({ sectorsSkipped: 1, sectorsWritten: 0 });
    await p.close();
    expect(server.mismatches).toEqual([]);
    expect(server.done).toBe(true);
  }, 10000);
});
