/**
 * One contract for every way in (issue 9 §9): the same tests against the simulated device,
 * the STM32 ROM bootloader, MCUboot over UART and USB-HID, and a GDB server (in-process fake
 * with vFlash), and QEMU's micro:bit through its GDB stub with our nRF51 flash algorithm (when
 * qemu-system-arm and arm-none-eabi-gcc are installed): connect changes nothing; progress never goes backwards; a cancel midway
 * leaves a true record and --skip resumes to a verified image; read after write equals the
 * image; the plan is what the write does, call for call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planWrite, readMemoryRange, verifyImage, writeImage } from '../../src/flash/engine.js';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import type { FlashEvent } from '../../src/flash/events.js';
import type { FlashPlan } from '../../src/flash/plan.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { actualCalls, expectedCalls, recording } from './calls.js';
import { checkRecord } from './record.js';
import { QEMU_PEERS, qemuRig } from './qemu-rig.js';
import { makeRig as makeSimRig, RIG_NAMES, type Rig } from './rigs.js';

function pattern(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  return Uint8Array.from({ length: n }, () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x & 0xff; });
}

function imageFor(rig: Rig, seed: number): MemoryImage {
  const { start, sector } = rig.area;
  // Two pieces: whole sectors, then a piece ending inside a sector (preserve matters there).
  return MemoryImage.fromSegments([
    { address: start, data: pattern(sector * 2, seed) },
    { address: start + sector * 3 + 0x40, data: pattern(sector - 0x100, seed + 1) },
  ]);
}

const OPTS = { allowUnbootable: true } as const;

const WAYS_IN: ReadonlyArray<{ name: string; make: () => Rig; skip: boolean; timeout?: number }> = [
  ...RIG_NAMES.map((name) => ({ name, make: () => makeSimRig(name), skip: false })),
  { name: QEMU_PEERS.title('qemu-microbit'), make: qemuRig, skip: QEMU_PEERS.skip, timeout: 30000 },
];

describe.each(WAYS_IN)('way-in contract: $name', ({ make, skip, timeout }) => {
  const made: Rig[] = [];
  const makeRig = () => { const r = make(); made.push(r); return r; };
  afterEach(async () => { for (const r of made.splice(0)) await r.dispose?.(); });

  it.skipIf(skip)('connect changes nothing on the device', async () => {
    const rig = makeRig();
    rig.load(rig.area.start + 0x10, pattern(0x20, 9));
    const before = await rig.state();
    await rig.programmer.connect();
    expect(await rig.state()).toBe(before);
    await rig.programmer.close();
  }, timeout);

  it.skipIf(skip)('plan equals write, call for call; read after write equals the image; progress never goes backwards', async () => {
    const rig = makeRig();
    rig.load(rig.area.start + rig.area.sector * 3, pattern(0x80, 3)); // old bytes the write keeps
    const device = await rig.programmer.connect();
    const image = imageFor(rig, 5);
    const before = await rig.state();
    const { plan } = await planWrite(rig.programmer, device, image, OPTS);
    expect(await rig.state()).toBe(before);
    const rec = recording(rig.programmer);
    const events: FlashEvent[] = [];
    const summary = await writeImage(rec.programmer, device, image, { ...OPTS, onEvent: (e) => events.push(e) });
    expect(summary.plan.operations).toEqual(plan.operations);
    expect(actualCalls(rec.calls)).toEqual(expectedCalls(plan));
    for (const s of image.segments) expect(await readMemoryRange(rig.programmer, device, s.address, s.data.length)).toEqual(s.data);
    // Old bytes outside the image in a partly covered sector were kept.
    expect(await rig.read(rig.area.start + rig.area.sector * 3, 0x40)).toEqual(pattern(0x80, 3).subarray(0, 0x40));
    const last = new Map<string, number>();
    for (const e of events) {
      if (e.type === 'start') last.set(e.phase, 0);
      if (e.type === 'progress') {
        expect(e.bytesDone, `${e.phase} went backwards`).toBeGreaterThanOrEqual(last.get(e.phase) ?? 0);
        expect(e.bytesDone).toBeLessThanOrEqual(e.totalBytes);
        last.set(e.phase, e.bytesDone);
      }
    }
    expect(events.map((e) => e.type)).toContain('plan');
    await rig.programmer.close();
  }, timeout);

  it.skipIf(skip)('cancel midway leaves a true record, and --skip resumes to a verified image', async () => {
    const rig = makeRig();
    rig.load(rig.area.start, pattern(rig.area.sector * 4, 77)); // an older build: the write must erase
    const device = await rig.programmer.connect();
    const image = imageFor(rig, 11);
    const before = await rig.read(rig.area.start, rig.area.size);
    const controller = new AbortController();
    let plan: FlashPlan | undefined;
    let seen = 0;
    const err = await writeImage(rig.programmer, device, image, {
      ...OPTS, signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'plan') plan = e.plan;
        if (e.type === 'progress' && e.phase === 'program' && ++seen === (rig.cancelAt ?? 2)) controller.abort(new Error('Ctrl-C'));
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashInterruptedError);
    const progress = (err as FlashInterruptedError).progress;
    checkRecord(plan!, device.target, progress, rig.area, before, await rig.read(rig.area.start, rig.area.size));
    const again = await writeImage(rig.programmer, device, image, { ...OPTS, skipUnchanged: true });
    expect(again.bytesVerified).toBeGreaterThan(0);
    await verifyImage(rig.programmer, device, image);
    await rig.programmer.close();
  }, timeout);
});
