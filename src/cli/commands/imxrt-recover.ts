/**
 * `flashwright imxrt recover --flashloader FILE (--via sdp-hid | --via sdp-uart --port P)
 * [--flexspi-option W] [--write IMAGE]`: the board-recovery procedure. The plan of every step is
 * printed first; the SDP steps load and start the flashloader; the MCUboot steps continue as
 * `write --via mcuboot(-hid)` does. `--via sdp-sim` runs it against the simulated RT1021 ROM.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatSize, hex, parseNumber } from '../../core/format.js';
import { writeImage } from '../../flash/engine.js';
import { createPipe } from '../../link/pipe.js';
import { openHidDevice } from '../../link/node-hid.js';
import { openSerialPort } from '../../link/node-serial.js';
import type { ByteStream } from '../../link/types.js';
import { planRecovery, runRecovery } from '../../programmer/imxrt-recover.js';
import { McubootProgrammer } from '../../programmer/mcuboot.js';
import { FLASHLOADER_PID, FLASHLOADER_VID, HidTransport } from '../../protocol/mcuboot/hid.js';
import { UartTransport, type McubootTransport } from '../../protocol/mcuboot/transport.js';
import { sdpRomUsbId } from '../../protocol/sdp/commands.js';
import { SdpSession } from '../../protocol/sdp/session.js';
import { SdpHidSim } from '../../sim/sdp/hid.js';
import { SdpUartSim } from '../../sim/sdp/uart.js';
import { requireTarget } from '../../target/lookup.js';
import { abortOnSignals, writeOptionsFrom } from '../device.js';
import { readInputFile } from '../files.js';
import { loadImageFile } from '../load-image.js';
import type { Io } from '../output.js';
import { createProgressSink } from '../progress.js';
import { parseFlexspiOptionArg } from '../vias/mcuboot.js';
import { renderChangeRows, renderMemoryMap } from './plan.js';

interface RecoverOptions {
  flashloader: string; via?: string; port?: string; vid?: string; pid?: string; target?: string; flexspiOption?: string; write?: string;
  simHab?: string; verify?: string; preserve?: boolean; json?: boolean; yes?: boolean;
}

interface Links { session: SdpSession; openFlashloader: () => Promise<McubootTransport> }

const VIAS = ['sdp-hid', 'sdp-uart', 'sdp-sim', 'sdp-sim-uart'] as const;

function usbId(text: string | undefined, name: string, fallback: number | undefined): number {
  const n = text === undefined ? fallback : parseNumber(text);
  if (n === undefined || n > 0xffff) throw new UsageError(`${name} '${text ?? ''}' is not a 16-bit USB ID.`, { hint: 'The i.MX RT1020/RT1050 ROM is 0x1fc9:0x0130, RT1060 0x1fc9:0x0135.' });
  return n;
}

async function openLinks(opts: RecoverOptions, targetName: string): Promise<Links> {
  switch (opts.via) {
    case 'sdp-hid': {
      const id = sdpRomUsbId(targetName);
      const device = await openHidDevice({ vid: usbId(opts.vid, '--vid', id?.vid), pid: usbId(opts.pid, '--pid', id?.pid) });
      return {
        session: SdpSession.overHid(device),
        // The flashloader enumerates anew as NXP's MCUboot HID device; give USB a moment.
        openFlashloader: async () => new HidTransport(await retry(() => openHidDevice({ vid: FLASHLOADER_VID, pid: FLASHLOADER_PID })), { padReports: true }),
      };
    }
    case 'sdp-uart': {
      if (!opts.port) throw new UsageError('--via sdp-uart needs --port PATH.', { hint: 'The ROM listens on LPUART1 (115200 8N1); `flashwright ports` lists serial ports.' });
      const stream = await openSerialPort({ path: opts.port, baudRate: 115200, parity: 'none' });
      return { session: SdpSession.overUart(stream), openFlashloader: async () => new UartTransport(stream) };
    }
    case 'sdp-sim': {
      const sim = new SdpHidSim({ chip: targetName, hab: opts.simHab === 'closed' ? 'closed' : 'open' });
      return { session: SdpSession.overHid(sim.host), openFlashloader: async () => new HidTransport(await sim.nextDevice(), { padReports: true }) };
    }
    case 'sdp-sim-uart': {
      const pipe = createPipe();
      new SdpUartSim(pipe.device, { chip: targetName, hab: opts.simHab === 'closed' ? 'closed' : 'open' });
      const stream: ByteStream = pipe.host;
      return { session: SdpSession.overUart(stream), openFlashloader: async () => new UartTransport(stream) };
    }
    default:
      throw new UsageError(`imxrt recover needs --via ${VIAS.slice(0, 2).join(' or ')}${opts.via ? ` (not '${opts.via}')` : ''}.`, { hint: 'USB: --via sdp-hid; serial: --via sdp-uart --port PATH; the simulator: --via sdp-sim.' });
  }
}

async function retry<T>(fn: () => Promise<T>, tries = 20, ms = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, ms));
    }
  }
}

export function addRecoverCommand(group: Command, io: Io): void {
  group.command('recover')
    .description('Board recovery: load the flashloader through the boot ROM\'s serial downloader (SDP), start it, then configure FlexSPI and write over MCUboot.')
    .requiredOption('--flashloader <file>', 'IVT-wrapped flashloader (ivt_flashloader.bin from NXP\'s flashloader package; flashwright does not ship it)')
    .option('--via <name>', 'sdp-hid (USB), sdp-uart (--port), or sdp-sim / sdp-sim-uart (the simulated RT1021 ROM, in-process)')
    .option('--port <path>', 'serial port for --via sdp-uart')
    .option('--vid <id>', 'ROM USB vendor ID (default by --target: 0x1fc9)')
    .option('--pid <id>', 'ROM USB product ID (default by --target: 0x0130 RT1020/RT1050, 0x0135 RT1060)')
    .option('--target <name>', 'the chip (default MIMXRT1021)')
    .option('--flexspi-option <words>', 'configure FlexSPI NOR through the flashloader, e.g. 0xC0000007')
    .option('--write <image>', 'then write this image to flash (plan, erase, program, verify)')
    .option('--verify <method>', 'auto, readback, digest or none (with --write)', 'auto')
    .option('--no-preserve', 'with --write: erase whole sectors without keeping bytes outside the image')
    .option('--sim-hab <mode>', 'sdp-sim: open (default) or closed')
    .option('--json', 'JSON event lines, then a result line')
    .action(async (opts: RecoverOptions) => {
      if (!VIAS.includes(opts.via as (typeof VIAS)[number])) await openLinks(opts, '');
      const target = requireTarget(opts.target ?? 'MIMXRT1021');
      const bytes = new Uint8Array(readInputFile(opts.flashloader, 'the flashloader (--flashloader)', 'Give the path of ivt_flashloader.bin.'));
      const flexspiOption = parseFlexspiOptionArg(opts.flexspiOption);
      const image = opts.write ? loadImageFile(opts.write).image : undefined;
      const base = writeOptionsFrom({ verify: opts.verify ?? 'auto', preserve: opts.preserve ?? true });
      const plan = planRecovery({
        flashloader: bytes, target, link: opts.via === 'sdp-uart' || opts.via === 'sdp-sim-uart' ? 'uart' : 'hid', flexspiOption,
        write: image && opts.write ? `${opts.write} (${formatSize(image.size)} at ${hex(image.start ?? 0)})` : undefined,
      });
      if (opts.json) io.out(JSON.stringify({ type: 'recovery-plan', target: target.name, steps: plan.steps }) + '\n');
      else io.err(['plan:', ...plan.steps.map((s, i) => `  ${i + 1}. [${s.stage}] ${s.description}`)].join('\n') + '\n');
      const links = await openLinks(opts, target.name);
      const controller = new AbortController();
      const release = abortOnSignals(controller, io.signals ?? process);
      const onEvent = createProgressSink(io, { json: opts.json });
      let programmer: McubootProgrammer | undefined;
      try {
        const { transport } = await runRecovery(links.session, plan, {
          signal: controller.signal, emit: onEvent, openFlashloader: links.openFlashloader,
          onStep: (i) => { if (!opts.json) io.err(`step ${i + 1}: ${plan.steps[i]!.description}\n`); },
        });
        programmer = new McubootProgrammer({ transport, target, flexspiOption });
        const device = await programmer.connect({ signal: controller.signal, emit: onEvent });
        if (!image) {
          const msg = `flashloader running from ${hex(plan.flashloader.loadAddress)}; reach it with --via ${opts.via === 'sdp-uart' ? `mcuboot --port ${opts.port ?? ''}` : 'mcuboot-hid'} until the chip is reset`;
          io.out(opts.json ? JSON.stringify({ type: 'result', command: 'imxrt recover', flashloader: plan.flashloader.loadAddress, target: device.target.name }) + '\n' : `${msg}\n`);
          return;
        }
        if (!opts.json) io.err(`step ${plan.steps.length}: ${plan.steps.at(-1)!.description}\n`);
        const summary = await writeImage(programmer, device, image, {
          ...base, signal: controller.signal,
          onEvent: (e) => {
            onEvent(e);
            // The write's own plan (sectors to erase and program), as `flashwright write` shows it, before the erase.
            if (e.type === 'plan' && !opts.json) io.err([...renderChangeRows(e.plan), ...renderMemoryMap(e.plan, device.target, { columns: io.columns, legend: false })].join('\n') + '\n');
          },
        });
        io.out(opts.json ? JSON.stringify({ type: 'result', command: 'imxrt recover', sectorsWritten: summary.sectorsWritten, bytesVerified: summary.bytesVerified, verify: summary.verify }) + '\n'
          : `${summary.target}: recovered — ${summary.sectorsWritten} sector(s) written, verify ${summary.verify === 'none' ? 'skipped' : `${summary.verify} over ${formatSize(summary.bytesVerified)}, OK`}\n`);
      } finally {
        release();
        if (programmer) await programmer.close();
        else await links.session.close().catch(() => undefined);
      }
    });
}
