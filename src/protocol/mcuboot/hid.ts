/**
 * MCUboot over USB-HID (MCUBOOTRM "USB HID packetization"): report ID 1 = command out,
 * 2 = data out, 3 = command in, 4 = data in; every report is `reportID, 0x00, len_lo,
 * len_hi, packet…` with no 0x5A framing, no CRC and no ACKs (USB already guarantees delivery).
 */
import { TimeoutError } from '../../core/errors.js';
import { hexBytes } from '../../core/format.js';
import type { PacketDevice } from '../../link/types.js';
import { Mailbox } from '../../link/waiter.js';
import { McubootPacketError } from './commands.js';
import { McubootLinkError, type Incoming, type McubootTransport, type TransferOptions } from './transport.js';

export const HidReportId = { CommandOut: 1, DataOut: 2, CommandIn: 3, DataIn: 4 } as const;

/** NXP's flashloader (and KBOOT-based ROMs) enumerate with this VID:PID. */
export const FLASHLOADER_VID = 0x15a2;
export const FLASHLOADER_PID = 0x0073;

export const HID_HEADER_SIZE = 4;

export function encodeHidReport(reportId: number, packet: Uint8Array, reportSize?: number): Uint8Array {
  const size = Math.max(reportSize ?? 0, HID_HEADER_SIZE + packet.length);
  const out = new Uint8Array(size);
  out.set([reportId, 0, packet.length & 0xff, packet.length >>> 8]);
  out.set(packet, HID_HEADER_SIZE);
  return out;
}

export interface HidReport {
  reportId: number;
  packet: Uint8Array;
}

/** Parses a report (padding after the announced length is ignored). */
export function parseHidReport(report: Uint8Array): HidReport {
  if (report.length < HID_HEADER_SIZE) throw new McubootPacketError(`A ${report.length}-byte HID report is shorter than its 4-byte header.`, { received: hexBytes(report) });
  const len = report[2]! | (report[3]! << 8);
  if (HID_HEADER_SIZE + len > report.length) {
    throw new McubootPacketError(`The HID report announces ${len} bytes but carries ${report.length - HID_HEADER_SIZE}.`, { received: hexBytes(report) });
  }
  return { reportId: report[0]!, packet: report.slice(HID_HEADER_SIZE, HID_HEADER_SIZE + len) };
}

/** MCUboot packets as HID reports over a PacketDevice. */
export class HidTransport implements McubootTransport {
  readonly kind = 'hid' as const;
  private readonly inbox = new Mailbox<Uint8Array>();
  private readonly timeoutMs: number;
  private readonly padTo?: number | undefined;

  /** `padReports`: send every report at the device's full report size (some HID stacks need it). */
  constructor(private readonly device: PacketDevice, options: { timeoutMs?: number; padReports?: boolean } = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.padTo = options.padReports ? device.maxPacketSize : undefined;
    device.onPacket((p) => this.inbox.push(p));
    device.onClose((err) => this.inbox.close(new McubootLinkError('The USB HID device went away (it reset or was unplugged).', {}, err)));
  }

  /** Largest MCUboot packet one report can carry. */
  get maxPayload(): number {
    return this.device.maxPacketSize - HID_HEADER_SIZE;
  }

  discard(): void {
    this.inbox.discard();
  }

  async sendCommand(payload: Uint8Array, _options?: TransferOptions): Promise<void> {
    this.discard();
    await this.write(encodeHidReport(HidReportId.CommandOut, payload, this.padTo), _options);
  }

  async sendData(payload: Uint8Array, _options?: TransferOptions): Promise<'ok' | 'abort'> {
    // A device that gave up mid-transfer sends its final response early: treat it as abort.
    if (this.inbox.has((r) => r[0] === HidReportId.CommandIn)) return 'abort';
    await this.write(encodeHidReport(HidReportId.DataOut, payload, this.padTo), _options);
    return 'ok';
  }

  private async write(report: Uint8Array, options?: TransferOptions): Promise<void> {
    if (this.inbox.closed) throw this.inbox.closed;
    try {
      await this.device.write(report);
    } catch (e) {
      throw new McubootLinkError(`Writing a USB HID report failed${options?.what ? ` (${options.what})` : ''}; the device may have reset or been unplugged.`, { what: options?.what }, e);
    }
  }

  async receive(options: TransferOptions = {}): Promise<Incoming> {
    const report = parseHidReport(await this.next(options));
    if (report.reportId === HidReportId.CommandIn) return { kind: 'command', payload: report.packet };
    if (report.reportId === HidReportId.DataIn) return { kind: 'data', payload: report.packet };
    throw new McubootPacketError(`Unexpected HID report ID ${report.reportId} from the device (expected 3 or 4).`, { reportId: report.reportId });
  }

  close(): Promise<void> {
    return this.device.close();
  }

  private next(options: TransferOptions): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return this.inbox.next({
      timeoutMs,
      signal: options.signal,
      onTimeout: () => new TimeoutError(`No HID report from the device within ${timeoutMs} ms${options.what ? ` (waiting for ${options.what})` : ''}.`, {
        hint: 'Check that the device is in bootloader mode and no other program has it open.', context: { timeoutMs, what: options.what },
      }),
    });
  }
}
