/**
 * PacketDevice over node-hid (hidapi): USB HID reports in and out, report ID first in both
 * directions (numbered reports, as MCUboot uses). Node-only; the browser equivalent is WebHID.
 */
import type { HIDAsync } from 'node-hid';
import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';
import type { PacketDevice } from './types.js';

export interface NodeHidOptions {
  vid: number;
  pid: number;
  /** A specific hidapi path when several matching devices are attached. */
  path?: string;
  /** Largest report, report ID included (bounds the packet size); default 4 + 1024. */
  maxReportSize?: number;
}

export class HidOpenError extends FlashwrightError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super('HID_OPEN', message, {
      hint: 'Check the USB cable and that the chip is in its bootloader; on Linux, allow access to /dev/hidraw* with a udev rule.', context, cause,
    });
  }
}

/** Opens the first HID device matching vid:pid (or `path`). */
export async function openHidDevice(options: NodeHidOptions): Promise<PacketDevice> {
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
    path = found[0].path;
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
  return {
    maxPacketSize: options.maxReportSize ?? 4 + 1024,
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
