// An AbortSignal reaches every wait, long erases included: per way in, the device goes quiet
// in the middle of an erase and of a program (test/helpers/stall.ts), the signal fires, and
// the write ends at once with a typed CancelledError — not after the link timeouts (set to a
// minute here, so a wait the signal does not reach shows as a hang or a TimeoutError).
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.js';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { createPipe } from '../../src/link/pipe.js';
import { GdbProgrammer } from '../../src/programmer/gdb-programmer.js';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { SimProgrammer } from '../../src/programmer/sim.js';
import { Stm32UartProgrammer } from '../../src/programmer/stm32-uart.js';
import type { DeviceInfo, Programmer } from '../../src/programmer/types.js';
import { HidTransport } from '../../src/protocol/mcuboot/hid.js';
import { UartTransport } from '../../src/protocol/mcuboot/transport.js';
import { DEFAULT_TIMEOUTS } from '../../src/protocol/stm32-uart/session.js';
import { McubootHidSim } from '../../src/sim/mcuboot/hid.js';
import { McubootUartSim } from '../../src/sim/mcuboot/uart.js';
import { SimMemory } from '../../src/sim/sim-memory.js';
import { requireTarget } from '../../src/target/lookup.js';
import { FakeGdbServer, QEMU_LIKE_XML } from '../gdb/fake-server.js';
import { simTarget, pattern } from '../mcuboot/helpers.js';
import { rig as stm32Rig } from '../stm32/helpers.js';
import { startsWith, stallingDevice, stallingStream, type StallOptions } from '../helpers/stall.js';

const MINUTE = 60_000;
type Phase = 'erase' | 'program';

interface Way {
  name: string;
  image: MemoryImage;
  /** What the host sends just before the device goes quiet, per phase. */
  stall: Record<Phase, StallOptions>;
  open(stall: StallOptions): Promise<{ programmer: Programmer; stalled: Promise<void> }>;
}

/** Runs a write, aborts once the device has gone quiet, and returns the CancelledError. */
async function abortMidway(way: Way, phase: Phase): Promise<CancelledError> {
  const { programmer, stalled } = await way.open(way.stall[phase]);
  const device: DeviceInfo = await programmer.connect();
  const ac = new AbortController();
  const write = writeImage(programmer, device, way.image, { signal: ac.signal, allowUnbootable: true, skipUnchanged: false }).then(() => undefined, (e: unknown) => e);
  await stalled;
  await new Promise((r) => setTimeout(r, 20)); // the host is now in the wait
  ac.abort();
  const e = await write;
  const cancelled = e instanceof CancelledError ? e : (e as { cause?: unknown } | undefined)?.cause;
  expect(cancelled, String(e)).toBeInstanceOf(CancelledError);
  return cancelled as CancelledError;
}

const stm32: Way = {
  name: 'stm32-uart',
  image: MemoryImage.fromSegments([{ address: 0x08000000, data: pattern(0x1800) }]),
  stall: {
    // Erase (0x43 0xBC) or Extended Erase (0x44 0xBB), then the page list; the chip answers only when the pages are erased.
    erase: { trigger: (() => { let seen = false; return (d: Uint8Array) => (seen ? true : (seen = startsWith(d, 0x43, 0xbc) || startsWith(d, 0x44, 0xbb), false)); })() },
    // Write Memory: 0x31 0xCE, address, then the data; the ACK comes after programming.
    program: { trigger: (() => { let n = -1; return (d: Uint8Array) => { if (n < 0 && startsWith(d, 0x31, 0xce)) n = 0; else if (n >= 0) n++; return n === 2; }; })() },
  },
  async open(stall) {
    const r = stm32Rig('stm32f103xb');
    const { stream, stalled } = stallingStream(r.pipe.host, stall);
    const timeouts = { ...DEFAULT_TIMEOUTS, ackMs: MINUTE, writeMs: MINUTE, erasePageMs: MINUTE, massEraseMs: MINUTE };
    return { programmer: new Stm32UartProgrammer({ stream, session: { timeouts }, resetWaitMs: 1 }), stalled };
  },
};

// MCUboot command frame: 5A A4 len crc tag…; data frame: 5A A5 …. Over UART the device ACKs a
// frame (one answer) before it works on it.
const mcubootUart: Way = {
  name: 'mcuboot-uart',
  image: MemoryImage.fromSegments([{ address: 0x8000, data: pattern(0x2000) }]),
  stall: {
    erase: { trigger: (d) => startsWith(d, 0x5a, 0xa4) && d[6] === 0x02, pass: 1 },
    program: { trigger: (d) => startsWith(d, 0x5a, 0xa5), pass: 1 },
  },
  async open(stall) {
    const pipe = createPipe();
    new McubootUartSim(pipe.device, simTarget('MK64FN1M0'));
    const { stream, stalled } = stallingStream(pipe.host, stall);
    return { programmer: new McubootProgrammer({ transport: new UartTransport(stream, { timeoutMs: MINUTE }), target: requireTarget('MK64FN1M0') }), stalled };
  },
};

// Over HID (no ACKs): report 1 = command out (tag at byte 4), report 2 = data out.
const mcubootHid: Way = {
  name: 'mcuboot-hid',
  image: mcubootUart.image,
  stall: {
    erase: { trigger: (d) => d[0] === 1 && d[4] === 0x02 },
    program: { trigger: (d) => d[0] === 2 },
  },
  async open(stall) {
    const sim = new McubootHidSim(simTarget('MK64FN1M0', { maxPacketSize: 60 }), 64);
    const { device, stalled } = stallingDevice(sim.host, stall);
    return { programmer: new McubootProgrammer({ transport: new HidTransport(device, { timeoutMs: MINUTE, padReports: true }), target: requireTarget('MK64FN1M0') }), stalled };
  },
};

const MAP = '<memory-map><memory type="flash" start="0x8000000" length="0x10000"><property name="blocksize">0x400</property></memory><memory type="ram" start="0x20000000" length="0x5000"/></memory-map>';
const ascii = (d: Uint8Array) => String.fromCharCode(...d.subarray(0, 40));

const gdb: Way = {
  name: 'gdb (vFlash)',
  image: MemoryImage.fromSegments([{ address: 0x8000400, data: pattern(0x1200) }]),
  stall: {
    erase: { trigger: (d) => ascii(d).includes('vFlashErase') },
    program: { trigger: (d) => ascii(d).includes('vFlashWrite') },
  },
  async open(stall) {
    const pipe = createPipe();
    new FakeGdbServer(pipe.device, { targetXml: QEMU_LIKE_XML, memoryMap: MAP, noAck: true });
    const { stream, stalled } = stallingStream(pipe.host, stall);
    return { programmer: new GdbProgrammer({ open: async () => stream, description: 'fake', timeoutMs: MINUTE }), stalled };
  },
};

describe.each([stm32, mcubootUart, mcubootHid, gdb])('abort while the device is busy: $name', (way) => {
  it('mid-erase: a prompt CancelledError', async () => {
    await abortMidway(way, 'erase');
  }, 15_000);

  it('mid-program: a prompt CancelledError', async () => {
    await abortMidway(way, 'program');
  }, 15_000);
});

describe('abort while the simulated device works: sim', () => {
  const image = MemoryImage.fromSegments([{ address: 0x08000000, data: pattern(0x2000) }]);
  for (const phase of ['erase', 'program'] as const) {
    it(`mid-${phase}: the next sector or block is not started`, async () => {
      const memory = new SimMemory(requireTarget('stm32f103xb'));
      const programmer = new SimProgrammer(memory);
      const device = await programmer.connect();
      const ac = new AbortController();
      const e = await writeImage(programmer, device, image, {
        signal: ac.signal, allowUnbootable: true, skipUnchanged: false,
        onEvent: (ev) => { if (ev.type === 'progress' && ev.phase === phase && ev.bytesDone > 0) ac.abort(); },
      }).then(() => undefined, (x: unknown) => x);
      const cancelled = e instanceof CancelledError ? e : (e as { cause?: unknown } | undefined)?.cause;
      expect(cancelled, String(e)).toBeInstanceOf(CancelledError);
    });
  }
});
