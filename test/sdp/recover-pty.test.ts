/** `flashwright imxrt recover --via sdp-uart` over a real serial port (a socat pty) to the simulated RT1021 ROM, then MCUboot on the same wire. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { buildIvtImage } from '../../src/imxrt/flashloader-image.js';
import { buildBootImage, findBootLayout } from '../../src/imxrt/boot-image.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { createPipe } from '../../src/link/pipe.js';
import { exposeOnPty, type PtyExposure } from '../../src/sim/node-pty.js';
import { SdpUartSim } from '../../src/sim/sdp/uart.js';
import { needs } from '../helpers/peers.js';

const socat = needs('socat');

describe.skipIf(socat.skip)(socat.title('imxrt recover --via sdp-uart over a socat pty'), () => {
  let dir: string;
  let pty: PtyExposure | undefined;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'fw-sdp-pty-')); });
  afterEach(async () => {
    await pty?.close();
    pty = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the flashloader, jumps, and the flashloader writes and verifies the boot image in FlexSPI NOR', async () => {
    const pipe = createPipe();
    const sim = new SdpUartSim(pipe.device, { chip: 'MIMXRT1021' });
    const tty = join(dir, 'tty');
    pty = await exposeOnPty(pipe.host, tty);
    const fl = join(dir, 'ivt_flashloader.bin');
    const flashloader = buildIvtImage(0x20208000, new Uint8Array(6000).fill(0x3c), { ivtOffset: 0x200 });
    writeFileSync(fl, flashloader);
    const app = new Uint8Array(0x400);
    new DataView(app.buffer).setUint32(0, 0x20210000, true);
    new DataView(app.buffer).setUint32(4, 0x60002101, true);
    const boot = buildBootImage(MemoryImage.fromSegments([{ address: 0x60002000, data: app, source: 'app' }]), findBootLayout('rt1021')!);
    const img = join(dir, 'boot.hex');
    writeFileSync(img, encodeImage(boot.image, 'hex'));
    let text = '';
    const io: Io = { out: (t) => { text += t; }, err: (t) => { text += t; }, isTty: false };
    const code = await runCli(['imxrt', 'recover', '--flashloader', fl, '--via', 'sdp-uart', '--port', tty, '--flexspi-option', '0xC0000007', '--write', img], io);
    expect(code, text).toBe(0);
    expect(sim.rom.peek(0x20208000, flashloader.length)).toEqual(flashloader);
    const nor = sim.rom.flashloader!.memory;
    expect(nor.read(0x60002000, app.length)).toEqual(app);
    expect(text).toMatch(/recovered — .* OK/);
  }, 30_000);
});

describe.skipIf(socat.skip)(socat.title('flashwright sim sdp as a process, recovered by flashwright imxrt recover over its pty'), () => {
  it('HAB closed ROM: recover explains and stops after ERROR_STATUS; the sim counts exactly one SDP command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-sdp-sim-'));
    const tty = join(dir, 'tty');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', 'sdp', '--pty', tty, '--hab', 'closed', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    let text = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => { if (out.includes('"ready"')) { clearInterval(timer); resolve(); } }, 50);
        child.once('exit', (code) => { clearInterval(timer); reject(new Error(`sim exited early (${code}): ${out}`)); });
      });
      const fl = join(dir, 'fl.bin');
      writeFileSync(fl, buildIvtImage(0x20208000, new Uint8Array(2000), { ivtOffset: 0x200 }));
      const io: Io = { out: (t) => { text += t; }, err: (t) => { text += t; }, isTty: false };
      expect(await runCli(['imxrt', 'recover', '--flashloader', fl, '--via', 'sdp-uart', '--port', tty], io)).toBe(1);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(text).toMatch(/HAB closed .* nothing was written/);
    expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ type: 'stats', commands: 1, flashloaderStarted: false });
  }, 30_000);
});
