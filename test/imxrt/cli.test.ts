import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage, loadImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { parseIvt } from '../../src/imxrt/boot-image.js';

function capture(): Io & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: (t) => { buf += t; }, isTty: false, text: () => buf };
}

describe('flashwright imxrt', () => {
  it('image: HEX in, HEX out, with FCB and IVT in front of the app', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-imxrt-'));
    try {
      const app = new Uint8Array(3000).fill(0x11);
      new DataView(app.buffer).setUint32(0, 0x20010000, true);
      new DataView(app.buffer).setUint32(4, 0x60002101, true);
      writeFileSync(join(dir, 'app.hex'), encodeImage(MemoryImage.fromSegments([{ address: 0x60002000, data: app }]), 'hex'));
      const io = capture();
      expect(await runCli(['imxrt', 'image', join(dir, 'app.hex'), '--part', 'MIMXRT1021', '-o', join(dir, 'boot.hex')], io), io.text()).toBe(0);
      expect(io.text()).toMatch(/boot image for RT1021 at 0x60000000 \(FCB 0x60000000, IVT 0x60001000, entry 0x60002000 = vector table, reset 0x60002101\)/);
      const out = loadImage(new Uint8Array(readFileSync(join(dir, 'boot.hex'))), { source: 'boot.hex' }).image;
      expect(out.read(0x60000000, 4)).toEqual(Uint8Array.of(0x46, 0x43, 0x46, 0x42));
      expect(parseIvt(out.read(0x60001000, 32)).entry).toBe(0x60002000);
      expect(out.read(0x60002000, 3000)).toEqual(app);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('image: an unknown part is a usage error; a non-XIP app fails with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-imxrt-'));
    try {
      writeFileSync(join(dir, 'ram.hex'), encodeImage(MemoryImage.fromSegments([{ address: 0x20000000, data: new Uint8Array(64) }]), 'hex'));
      let io = capture();
      expect(await runCli(['imxrt', 'image', join(dir, 'ram.hex'), '--part', 'rt9999', '-o', join(dir, 'x.bin')], io)).toBe(2);
      expect(io.text()).toMatch(/Unknown i.MX RT part 'rt9999'/);
      io = capture();
      expect(await runCli(['imxrt', 'image', join(dir, 'ram.hex'), '--part', 'rt1062', '-o', join(dir, 'x.bin')], io)).toBe(1);
      expect(io.text()).toMatch(/outside the RT1062 FlexSPI NOR/);
      expect(io.text()).toMatch(/hint: Link the application for XIP from flash at 0x60002000/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('option: builds and explains words', async () => {
    let io = capture();
    expect(await runCli(['imxrt', 'option', '--detection', 'quadspi-sdr', '--frequency', '133', '--json'], io)).toBe(0);
    expect(JSON.parse(io.text()).words).toEqual(['0xC0000007']);
    io = capture();
    expect(await runCli(['imxrt', 'option', '--explain', '0xC0000007'], io)).toBe(0);
    expect(io.text()).toMatch(/quadspi-sdr, 133 MHz/);
    io = capture();
    expect(await runCli(['imxrt', 'option', '--detection', 'warp-drive'], io)).toBe(2);
  });
});
