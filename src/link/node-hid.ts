/**
 * PacketDevice over node-hid (hidapi): USB HID reports in and out, report ID first in both
 * directions (numbered reports, as MCUboot uses). Node-only; the browser equivalent is WebHID.
 */
import { readFileSync } from 'node:fs';
import type { HIDAsync } from 'node-hid';
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { PacketDevice } from './types.js';

export interface NodeHidOptions {
  vid: number;
  pid: number;
  /** A specific hidapi path when several matching devices are attached. */
  path?: string | undefined;
  /** Largest report, report ID included, when the descriptor cannot be read; default 4 + 1024. */
  maxReportSize?: number;
}

/** A HID device whose output report length may be known from its report descriptor. */
export interface HidPacketDevice extends PacketDevice {
  /** True when maxPacketSize is the output report length the descriptor declares. */
  readonly reportLengthKnown: boolean;
}

/**
 * Output report lengths by report ID (bytes after the ID) from a HID report descriptor
 * (Device Class Definition for HID 1.11, §6.2.2: short items; Report Size 0x74, Report
 * Count 0x94, Report ID 0x84 are global; Output 0x90 is a main item). Push/Pop are not
 * used by MCUboot descriptors and are not tracked.
 */
export function hidOutputReportLengths(descriptor: Uint8Array): Map<number, number> {
  const bits = new Map<number, number>();
  let reportSize = 0;
  let reportCount = 0;
  let reportId = 0;
  for (let i = 0; i < descriptor.length;) {
    const prefix = descriptor[i]!;
    if (prefix === 0xfe) { i += 3 + (descriptor[i + 1] ?? 0); continue; } // long item: skipped
    const size = [0, 1, 2, 4][prefix & 3]!;
    let value = 0;
    for (let b = 0; b < size; b++) value |= (descriptor[i + 1 + b] ?? 0) << (8 * b);
    value >>>= 0;
    switch (prefix & 0xfc) {
      case 0x74: reportSize = value; break;
      case 0x94: reportCount = value; break;
      case 0x84: reportId = value; break;
      case 0x90: bits.set(reportId, (bits.get(reportId) ?? 0) + reportSize * reportCount); break;
      default: break;
    }
    i += 1 + size;
  }
  return new Map([...bits].map(([id, n]) => [id, Math.ceil(n / 8)]));
}

/** Linux hidraw: the kernel publishes each device's report descriptor in sysfs. */
function readReportDescriptor(path: string | undefined): Uint8Array | undefined {
  const m = path ? /^\/dev\/(hidraw\d+)$/.exec(path) : null;
  if (!m) return undefined;
  try {
    return new Uint8Array(readFileSync(`/sys/class/hidraw/${m[1]}/device/report_descriptor`));
  } catch {
    return undefined;
  }
}

/** The longest output report (report ID byte included) the descriptor declares, if it can be read. */
function outputReportLength(path: string | undefined): number | undefined {
  const descriptor = readReportDescriptor(path);
  if (!descriptor) return undefined;
  const lengths = [...hidOutputReportLengths(descriptor)].filter(([id]) => id !== 0).map(([, n]) => n + 1);
  return lengths.length ? Math.max(...lengths) : undefined;
}

export class HidOpenError extends FlashwrightError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super('HID_OPEN', message, {
      hint: 'Check the USB cable and that the chip is in its bootloader; on Linux, allow access to /dev/hidraw* with a udev rule.', context, cause,
    });
  }
}

/** Opens the first HID device matching vid:pid (or `path`). */
export async function openHidDevice(options: NodeHidOptions): Promise<HidPacketDevice> {
  // Loaded on first use: a missing native hidapi must not break the commands that do not need USB.
  let HID: typeof import('node-hid');
  try {
    HID = (await import('node-hid')).default as unknown as typeof import('node-hid');
  } catch (e) {
    throw new HidOpenError('The node-hid native module could not be loaded, so USB HID is not available.', {}, e);
  }
  let path = options.path;
  if (!path) {
    const found = await HID.devicesAsync(options.vid, options.pid);
    if (found.length === 0) {
      throw new HidOpenError(`No USB HID device ${hex(options.vid, 4)}:${hex(options.pid, 4)} is attached.`, { vid: options.vid, pid: options.pid });
    }
    path = found[0]!.path;
  }
  let dev: HIDAsync;
  try {
    dev = path ? await HID.HIDAsync.open(path) : await HID.HIDAsync.open(options.vid, options.pid);
  } catch (e) {
    throw new HidOpenError(`Cannot open the USB HID device ${path ?? `${hex(options.vid, 4)}:${hex(options.pid, 4)}`}.`, { path, vid: options.vid, pid: options.pid }, e);
  }
  let closed = false;
  let onClose: ((error?: Error) => void) | undefined;
  dev.on('error', (err: Error) => { if (!closed) { closed = true; onClose?.(err); } });
  const declared = outputReportLength(path);
  return {
    // MCUboot's HID reports have the fixed length its descriptor declares.
    maxPacketSize: declared ?? options.maxReportSize ?? 4 + 1024,
    reportLengthKnown: declared !== undefined,
    async write(packet: Uint8Array) {
      await dev.write(Array.from(packet));
    },
    onPacket(listener) {
      dev.on('data', (data: Buffer) => listener(new Uint8Array(data)));
    },
    onClose(listener) {
      onClose = listener;
    },
    async close() {
      if (closed) return;
      closed = true;
      await dev.close();
    },
  };
}
