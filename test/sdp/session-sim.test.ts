/** The SDP session against the simulated i.MX RT ROM, in-process, over HID and UART: the good path and the bad inputs. */
import { describe, expect, it } from 'vitest';
import { createPipe } from '../../src/link/pipe.js';
import { SdpCommandError, SdpSession } from '../../src/protocol/sdp/session.js';
import { HidTransport } from '../../src/protocol/mcuboot/hid.js';
import { McubootSession } from '../../src/protocol/mcuboot/session.js';
import { UartTransport } from '../../src/protocol/mcuboot/transport.js';
import { PropertyTag } from '../../src/protocol/mcuboot/properties.js';
import { SdpHidSim } from '../../src/sim/sdp/hid.js';
import { SdpUartSim } from '../../src/sim/sdp/uart.js';
import { buildIvtImage, parseIvtImage } from '../../src/imxrt/flashloader-image.js';
import { TimeoutError } from '../../src/core/errors.js';

const LOAD = 0x20208000;
const flashloader = () => buildIvtImage(LOAD, Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff), { ivtOffset: 0x200 });

function hidRig(hab: 'open' | 'closed' = 'open') {
  const sim = new SdpHidSim({ hab });
  return { sim, session: SdpSession.overHid(sim.host, { timeoutMs: 500 }) };
}

function uartRig(hab: 'open' | 'closed' = 'open') {
  const pipe = createPipe();
  const sim = new SdpUartSim(pipe.device, { hab });
  return { pipe, sim, session: SdpSession.overUart(pipe.host, { timeoutMs: 500 }) };
}

describe('SDP over USB-HID against the simulated RT1021 ROM', () => {
  it('ERROR_STATUS on a fresh ROM: HAB open, no error', async () => {
    const { session } = hidRig();
    const r = await session.errorStatus();
    expect(r.hab.mode).toBe('open');
    expect(r.status.name).toBe('HabSuccess');
  });

  it('WRITE_FILE into OCRAM lands byte-exact (5 data reports), READ_REGISTER reads it back over several report 4s', async () => {
    const { sim, session } = hidRig();
    const img = flashloader();
    const progress: number[] = [];
    await session.writeFile(LOAD, img, { onProgress: (s) => progress.push(s) });
    expect(sim.rom.peek(LOAD, img.length)).toEqual(img);
    expect(sim.counters.dataReports).toBe(Math.ceil(img.length / 1024));
    expect(progress.at(-1)).toBe(img.length);
    expect(await session.readRegister(LOAD, 200)).toEqual(img.subarray(0, 200));
  });

  it('WRITE_REGISTER then READ_REGISTER of one word', async () => {
    const { session } = hidRig();
    await session.writeRegister(0x20200010, 0xa5c3e10f);
    expect(await session.readRegister(0x20200010, 4)).toEqual(Uint8Array.of(0x0f, 0xe1, 0xc3, 0xa5));
  });

  it('SKIP_DCD_HEADER answers 0x900DD009', async () => {
    const { sim, session } = hidRig();
    await session.skipDcdHeader();
    expect(sim.rom.skipDcd).toBe(true);
  });

  it('JUMP_ADDRESS to the IVT of a loaded image: the ROM leaves the bus and the MCUboot flashloader answers', async () => {
    const { sim, session } = hidRig();
    const img = parseIvtImage(flashloader());
    await session.writeFile(img.loadAddress, img.bytes);
    const next = sim.nextDevice();
    await session.jumpAddress(img.ivtAddress);
    const device = await next;
    const mcu = new McubootSession(new HidTransport(device, { timeoutMs: 500 }));
    const version = await mcu.getProperty(PropertyTag.CurrentVersion);
    expect(version).toBeTruthy();
    expect(sim.rom.flashloader).toBeDefined();
  });

  it('write outside RAM (FlexSPI NOR, the boot ROM): a clear SDP_STATUS error, nothing stored', async () => {
    const { sim, session } = hidRig();
    for (const at of [0x60000000, 0x00200000]) {
      const e = await session.writeFile(at, new Uint8Array(64)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SdpCommandError);
      expect((e as SdpCommandError).message).toMatch(/WRITE_FILE failed: the ROM answered 0x33333333 instead of 0x88888888/);
    }
    expect(sim.rom.flashloader).toBeUndefined();
    expect((await session.errorStatus()).status.name).toBe('HabFailure');
  });

  it('jump to an address without an IVT: SDP_JUMP_FAILED, the ROM stays in serial-download mode', async () => {
    const { sim, session } = hidRig();
    await session.writeFile(LOAD, new Uint8Array(1024).fill(0x11));
    await expect(session.jumpAddress(LOAD + 0x200)).rejects.toMatchObject({ code: 'SDP_JUMP_FAILED', message: expect.stringMatching(/0x33333333/) });
    expect(sim.rom.flashloader).toBeUndefined();
    expect((await session.errorStatus()).hab.mode).toBe('open');
  });

  it('jump to an IVT whose image was only partly written is refused', async () => {
    const { sim, session } = hidRig();
    const img = parseIvtImage(flashloader());
    await session.writeFile(img.loadAddress, img.bytes.subarray(0, 0x400));
    await expect(session.jumpAddress(img.ivtAddress)).rejects.toMatchObject({ code: 'SDP_JUMP_FAILED' });
    expect(sim.rom.flashloader).toBeUndefined();
  });

  it('HAB closed: every answer says so; the unsigned image is refused on jump with a hint about signing', async () => {
    const { sim, session } = hidRig('closed');
    expect((await session.errorStatus()).hab.mode).toBe('closed');
    const img = parseIvtImage(flashloader());
    await session.writeFile(img.loadAddress, img.bytes);
    const e = await session.jumpAddress(img.ivtAddress).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SDP_JUMP_FAILED', hint: expect.stringMatching(/signed/) });
    expect(sim.rom.flashloader).toBeUndefined();
  });

  it('a dropped data report: a timeout naming the WRITE_FILE answer, and nothing stored', async () => {
    const { sim, session } = hidRig();
    sim.faults = { dropDataReports: [3] };
    const img = flashloader();
    const e = await session.writeFile(LOAD, img).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as Error).message).toMatch(/HAB word answering WRITE_FILE/);
    expect(sim.rom.peek(LOAD, 16)).toEqual(new Uint8Array(16));
  });

  it('a device that is not the ROM (garbage HAB word) is an SDP_PACKET error', async () => {
    let listener: ((p: Uint8Array) => void) | undefined;
    const notRom = {
      maxPacketSize: 1025,
      write: async () => { queueMicrotask(() => listener?.(Uint8Array.of(3, 0xf0, 0x99, 0xe1, 0xd6))); },
      onPacket: (l: (p: Uint8Array) => void) => { listener = l; },
      onClose: () => undefined,
      close: async () => undefined,
    };
    const s = SdpSession.overHid(notRom, { timeoutMs: 300 });
    await expect(s.errorStatus()).rejects.toMatchObject({ code: 'SDP_PACKET', message: expect.stringMatching(/0xF099E1D6 is not a HAB/i) });
  });
});

describe('SDP over UART against the simulated ROM', () => {
  it('ERROR_STATUS, WRITE_FILE, READ_REGISTER, jump; then MCUboot pings on the same wire', async () => {
    const { pipe, sim, session } = uartRig();
    expect((await session.errorStatus()).status.name).toBe('HabSuccess');
    const img = parseIvtImage(flashloader());
    await session.writeFile(img.loadAddress, img.bytes);
    expect(await session.readRegister(img.ivtAddress, 4)).toEqual(Uint8Array.of(0xd1, 0x00, 0x20, 0x40));
    await session.jumpAddress(img.ivtAddress);
    expect(sim.flashloader).toBeDefined();
    const mcu = new McubootSession(new UartTransport(pipe.host, { timeoutMs: 500 }));
    await mcu.ping();
    expect(await mcu.getProperty(PropertyTag.CurrentVersion)).toBeTruthy();
  });

  it('lost bytes in the file: the ROM waits for the rest, the host times out on the HAB word', async () => {
    const { sim, session } = uartRig();
    sim.faults = { loseDataBytes: { after: 100, count: 3 } };
    await expect(session.writeFile(LOAD, new Uint8Array(2048).fill(1))).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/WRITE_FILE/) });
    expect(sim.rom.peek(LOAD, 4)).toEqual(new Uint8Array(4));
  });

  it('HAB closed over UART reads as closed', async () => {
    const { session } = uartRig('closed');
    expect((await session.errorStatus()).hab.mode).toBe('closed');
  });
});

describe('WRITE_CSF and SET_BAUDRATE against the simulated ROM', () => {
  const csf = () => { const c = new Uint8Array(0x300).fill(0x5a); c[0] = 0xd4; c[1] = 0x03; c[2] = 0x00; c[3] = 0x40; return c; };

  it('WRITE_CSF over HID and UART: the CSF lands at its address, answered 0x128A8A12', async () => {
    const h = hidRig();
    await h.session.writeCsf(0x20204000, csf());
    expect(h.sim.rom.peek(0x20204000, 0x300)).toEqual(csf());
    expect(h.sim.rom.csfAddress).toBe(0x20204000);
    const u = uartRig();
    await u.session.writeCsf(0x20205000, csf());
    expect(u.sim.rom.peek(0x20205000, 4)).toEqual(csf().subarray(0, 4));
  });

  it('WRITE_CSF of data without the CSF tag 0xD4 is refused with the HAB failure word', async () => {
    const { session, sim } = hidRig();
    const bad = csf(); bad[0] = 0xd2;
    const e = await session.writeCsf(0x20204000, bad).catch((x) => x);
    expect(e).toBeInstanceOf(SdpCommandError);
    expect(e.message).toMatch(/^WRITE_CSF failed: the ROM answered 0x33333333 instead of 0x128A8A12/);
    expect(sim.rom.csfAddress).toBeUndefined();
  });

  it('SET_BAUDRATE over UART: the ROM answers 0x09D00D90 (no HAB word), then both sides run at the new rate', async () => {
    const { pipe, sim, session } = uartRig();
    const rates: number[] = [];
    const host = pipe.host as typeof pipe.host & { setBaudRate: (b: number) => Promise<void> };
    const original = host.setBaudRate.bind(host);
    host.setBaudRate = async (b) => { rates.push(b); await original(b); };
    const sent = pipe.counters.bytesToHost;
    await session.setBaudrate(1000000);
    expect(pipe.counters.bytesToHost - sent).toBe(4);
    expect(rates).toEqual([1000000]);
    expect(sim.rom.baud).toBe(1000000);
    expect((pipe.device as { baud?: number }).baud).toBe(1000000);
    // The session still works at the new rate.
    expect((await session.errorStatus()).status.name).toBe('HabSuccess');
  });

  it('SET_BAUDRATE is refused before anything is sent: over USB-HID, on a port that cannot change rate, for a rate of 0', async () => {
    const h = hidRig();
    await expect(h.session.setBaudrate(115200)).rejects.toThrow(/applies to the UART serial downloader only/);
    expect(h.sim.rom.log).toEqual([]);
    const pipe = createPipe();
    const sim = new SdpUartSim(pipe.device);
    const fixed = { write: (d: Uint8Array) => pipe.host.write(d), onData: (l: (c: Uint8Array) => void) => pipe.host.onData(l), onClose: (l: (e?: Error) => void) => pipe.host.onClose(l), close: () => pipe.host.close() };
    const s = SdpSession.overUart(fixed, { timeoutMs: 500 });
    await expect(s.setBaudrate(921600)).rejects.toThrow(/cannot change its baud rate, so SET_BAUDRATE 921600 is not sent/);
    await expect(uartRig().session.setBaudrate(0)).rejects.toThrow(/not a positive whole number/);
    expect(sim.rom.log).toEqual([]);
  });

  it('the simulated ROM refuses a rate of 0 sent raw (HAB failure word, nothing else)', () => {
    const { sim } = hidRig();
    const out = sim.rom.command(Uint8Array.of(0x0d, 0x0d, ...new Array(14).fill(0)));
    expect(out.map((o) => Array.from(o.bytes))).toEqual([[0x33, 0x33, 0x33, 0x33]]);
    expect(sim.rom.baud).toBeUndefined();
  });
});
