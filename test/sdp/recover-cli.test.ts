/** `flashwright imxrt recover` against the simulated RT1021 ROM (in-process): plan first, SDP load + jump, MCUboot FlexSPI write and verify. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { buildIvtImage } from '../../src/imxrt/flashloader-image.js';
import { buildBootImage, findBootLayout } from '../../src/imxrt/boot-image.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { planRecovery } from '../../src/programmer/imxrt-recover.js';
import { requireTarget } from '../../src/target/lookup.js';

function capture(): Io & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: (t) => { buf += t; }, isTty: false, text: () => buf };
}

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'fw-recover-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files() {
  const fl = join(dir, 'ivt_flashloader.bin');
  writeFileSync(fl, buildIvtImage(0x20208000, new Uint8Array(3000).fill(0x5a), { ivtOffset: 0x200 }));
  const app = new Uint8Array(0x600);
  const v = new DataView(app.buffer);
  v.setUint32(0, 0x20210000, true);
  v.setUint32(4, 0x60002101, true);
  for (let i = 8; i < app.length; i++) app[i] = (i * 13) & 0xff;
  const boot = buildBootImage(MemoryImage.fromSegments([{ address: 0x60002000, data: app, source: 'app' }]), findBootLayout('rt1021')!);
  const img = join(dir, 'boot.hex');
  writeFileSync(img, encodeImage(boot.image, 'hex'));
  return { fl, img };
}

describe('flashwright imxrt recover (simulated RT1021 ROM)', () => {
  it('shows the plan, loads and starts the flashloader over SDP-HID, configures FlexSPI and writes + verifies the boot image', async () => {
    const { fl, img } = files();
    const io = capture();
    const code = await runCli(['imxrt', 'recover', '--flashloader', fl, '--via', 'sdp-sim', '--flexspi-option', '0xC0000007', '--write', img], io);
    const text = io.text();
    expect(code, text).toBe(0);
    const planAt = text.indexOf('plan:');
    const firstStep = text.indexOf('step 1:');
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(firstStep).toBeGreaterThan(planAt);
    expect(text).toMatch(/WRITE_FILE: load the flashloader, .* at 0x20208000/);
    expect(text).toMatch(/JUMP_ADDRESS 0x20208200/);
    expect(text).toMatch(/recovered — \d+ sector\(s\) written, verify .* OK/);
    // The write stage's own plan (memory map) comes before its erase/program progress and the result.
    expect(text.indexOf('flexspi')).toBeGreaterThan(text.indexOf('step 6:'));
    expect(text.indexOf('flexspi')).toBeLessThan(text.indexOf('recovered —'));
  });

  it('the same over the UART form', async () => {
    const { fl, img } = files();
    const io = capture();
    expect(await runCli(['imxrt', 'recover', '--flashloader', fl, '--via', 'sdp-sim-uart', '--flexspi-option', '0xC0000007', '--write', img], io), io.text()).toBe(0);
    expect(io.text()).toMatch(/ping the flashloader/);
  });

  it('HAB closed: explained, nothing written (exit 1, no WRITE_FILE step)', async () => {
    const { fl } = files();
    const io = capture();
    expect(await runCli(['imxrt', 'recover', '--flashloader', fl, '--via', 'sdp-sim', '--sim-hab', 'closed'], io)).toBe(1);
    expect(io.text()).toMatch(/HAB closed .* nothing was written/);
    expect(io.text()).not.toMatch(/step 2:/);
  });

  it('without --write the flashloader is left running and the output says how to reach it', async () => {
    const { fl } = files();
    const io = capture();
    expect(await runCli(['imxrt', 'recover', '--flashloader', fl, '--via', 'sdp-sim'], io), io.text()).toBe(0);
    expect(io.text()).toMatch(/flashloader running from 0x20208000; reach it with --via mcuboot-hid/);
  });

  it('a file without IVT, or one linked outside the chip\'s RAM, is refused before anything is sent', async () => {
    const bad = join(dir, 'plain.bin');
    writeFileSync(bad, new Uint8Array(4096));
    const io = capture();
    expect(await runCli(['imxrt', 'recover', '--flashloader', bad, '--via', 'sdp-sim'], io)).toBe(1);
    expect(io.text()).toMatch(/No Image Vector Table/);
    expect(io.text()).not.toMatch(/step 1:/);
    const rt = requireTarget('MIMXRT1021');
    expect(() => planRecovery({ flashloader: buildIvtImage(0x60000000, new Uint8Array(64)), target: rt, link: 'hid' })).toThrow(/not inside one RAM region/);
  });

  it('no --via: a usage error naming sdp-hid and sdp-uart', async () => {
    const { fl } = files();
    const io = capture();
    expect(await runCli(['imxrt', 'recover', '--flashloader', fl], io)).toBe(2);
    expect(io.text()).toMatch(/--via sdp-hid or sdp-uart/);
  });
});

describe('runRecovery (library)', () => {
  it('a chip that is not in serial-download mode: IMXRT_ROM_SILENT with the BOOT_MODE pins to set', async () => {
    const { runRecovery } = await import('../../src/programmer/imxrt-recover.js');
    const { SdpSession } = await import('../../src/protocol/sdp/session.js');
    const silent = { maxPacketSize: 1025, write: async () => undefined, onPacket: () => undefined, onClose: () => undefined, close: async () => undefined };
    const plan = planRecovery({ flashloader: buildIvtImage(0x20208000, new Uint8Array(64)), target: requireTarget('MIMXRT1021'), link: 'hid' });
    let opened = false;
    const e = await runRecovery(SdpSession.overHid(silent, { timeoutMs: 50 }), plan, { openFlashloader: async () => { opened = true; throw new Error('unreachable'); } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'IMXRT_ROM_SILENT', hint: expect.stringMatching(/BOOT_MODE1 = 0, BOOT_MODE0 = 1/) });
    expect(opened).toBe(false);
  });
});
