/**
 * An SDP session with the i.MX RT boot ROM over either transport. Every command's answer starts
 * with the HAB security configuration; the session checks it is one of the two documented words
 * and keeps the last one (`hab`), then reads the command's own status or data.
 */
import type { ErrorContext } from '../../core/errors.js';
import { FlashwrightError, TimeoutError } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import type { ByteStream, PacketDevice } from '../../link/types.js';
import {
  decodeHab, decodeSdpStatus, dcdWriteCommand, errorStatusCommand, jumpAddressCommand, parseWord, readRegisterCommand,
  SdpFormat, SdpPacketError, SdpStatus, skipDcdHeaderCommand, writeFileCommand, writeRegisterCommand, type HabState, type SdpStatusInfo,
} from './commands.js';
import { SdpHidTransport, SdpLinkError, SdpUartTransport, type SdpTransport, type SdpWaitOptions } from './transport.js';

/** The ROM answered a command with a status other than the one that means success. */
export class SdpCommandError extends FlashwrightError {
  constructor(command: string, expected: number, status: SdpStatusInfo, hab: HabState, extra: Record<string, unknown> = {}) {
    super('SDP_STATUS', `${command} failed: the ROM answered ${hex(status.word)} instead of ${hex(expected)}. ${status.sentence}`, {
      hint: hab.mode === 'closed' ? 'The part is HAB closed: only signed images are accepted.' : 'Read ERROR_STATUS for the ROM\'s error code; check the address is RAM the ROM lets you write.',
      context: { command, expected, status: status.word, statusName: status.name, hab: hab.word, ...extra },
    });
  }
}

export interface SdpSessionOptions {
  timeoutMs?: number;
}

export interface SdpCallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export class SdpSession {
  /** The HAB security configuration of the last answer. */
  hab?: HabState | undefined;

  constructor(readonly transport: SdpTransport) {}

  static overHid(device: PacketDevice, options: SdpSessionOptions = {}): SdpSession {
    return new SdpSession(new SdpHidTransport(device, options));
  }

  static overUart(stream: ByteStream, options: SdpSessionOptions = {}): SdpSession {
    return new SdpSession(new SdpUartTransport(stream, options));
  }

  /** ERROR_STATUS: the HAB mode and the ROM's last error status (doubles as "is the ROM there?"). */
  async errorStatus(options: SdpCallOptions = {}): Promise<{ hab: HabState; status: SdpStatusInfo }> {
    await this.transport.sendCommand(errorStatusCommand(), { ...options, what: 'ERROR_STATUS' });
    const hab = await this.readHab(options, 'ERROR_STATUS');
    const status = decodeSdpStatus(parseWord(await this.transport.readResponse(4, { ...options, what: 'the ERROR_STATUS word' })));
    return { hab, status };
  }

  /** READ_REGISTER: `count` bytes from `address` at the given access width. */
  async readRegister(address: number, count: number, format: SdpFormat = SdpFormat.Word, options: SdpCallOptions = {}): Promise<Uint8Array> {
    await this.transport.sendCommand(readRegisterCommand(address, count, format), { ...options, what: 'READ_REGISTER' });
    await this.readHab(options, 'READ_REGISTER');
    return this.transport.readResponse(count, { ...options, what: `${count} bytes read from ${hex(address)}` });
  }

  async writeRegister(address: number, value: number, format: SdpFormat = SdpFormat.Word, options: SdpCallOptions = {}): Promise<void> {
    await this.transport.sendCommand(writeRegisterCommand(address, value, format), { ...options, what: 'WRITE_REGISTER' });
    const hab = await this.readHab(options, 'WRITE_REGISTER');
    await this.expect('WRITE_REGISTER', SdpStatus.WriteComplete, hab, options, { address, value });
  }

  /** WRITE_FILE: the bytes go to `address` in the chip's RAM. */
  async writeFile(address: number, data: Uint8Array, options: SdpCallOptions & { onProgress?: ((sent: number, total: number) => void) | undefined } = {}): Promise<void> {
    await this.transport.sendCommand(writeFileCommand(address, data.length), { ...options, what: 'WRITE_FILE' });
    await this.transport.sendData(data, { ...options, what: 'WRITE_FILE data', onChunk: (sent) => options.onProgress?.(sent, data.length) });
    const hab = await this.readHab(options, 'WRITE_FILE');
    await this.expect('WRITE_FILE', SdpStatus.WriteFileComplete, hab, options, { address, length: data.length });
  }

  /** DCD_WRITE: the ROM runs the Device Configuration Data (e.g. to bring up SDRAM before a load there). */
  async dcdWrite(address: number, dcd: Uint8Array, options: SdpCallOptions = {}): Promise<void> {
    await this.transport.sendCommand(dcdWriteCommand(address, dcd.length), { ...options, what: 'DCD_WRITE' });
    await this.transport.sendData(dcd, { ...options, what: 'DCD data' });
    const hab = await this.readHab(options, 'DCD_WRITE');
    await this.expect('DCD_WRITE', SdpStatus.WriteComplete, hab, options, { address, length: dcd.length });
  }

  async skipDcdHeader(options: SdpCallOptions = {}): Promise<void> {
    await this.transport.sendCommand(skipDcdHeaderCommand(), { ...options, what: 'SKIP_DCD_HEADER' });
    const hab = await this.readHab(options, 'SKIP_DCD_HEADER');
    await this.expect('SKIP_DCD_HEADER', SdpStatus.SkipDcdHeaderOk, hab, options, {});
  }

  /**
   * JUMP_ADDRESS to the IVT at `ivtAddress`. The ROM answers the HAB word and jumps; only when
   * the jump fails does a status word follow. So a status within `settleMs` is a failure, and
   * silence (or the USB device leaving the bus) is the jump taken.
   */
  async jumpAddress(ivtAddress: number, options: SdpCallOptions & { settleMs?: number | undefined } = {}): Promise<void> {
    await this.transport.sendCommand(jumpAddressCommand(ivtAddress), { ...options, what: 'JUMP_ADDRESS' });
    const hab = await this.readHab(options, 'JUMP_ADDRESS');
    let word: number;
    try {
      word = parseWord(await this.transport.readResponse(4, { signal: options.signal, timeoutMs: options.settleMs ?? 300, what: 'a JUMP_ADDRESS error status' }));
    } catch (e) {
      if (e instanceof TimeoutError || e instanceof SdpLinkError) return;
      throw e;
    }
    const status = decodeSdpStatus(word);
    throw new FlashwrightError('SDP_JUMP_FAILED', `JUMP_ADDRESS ${hex(ivtAddress)} failed: the ROM stayed in serial-download mode and answered ${hex(word)}. ${status.sentence}`, {
      hint: hab.mode === 'closed' ? 'The part is HAB closed: the flashloader must be signed for this chip.' : `Check that the file was written where its IVT says and that ${hex(ivtAddress)} is the IVT's own address.`,
      context: { ivtAddress, status: word, hab: hab.word },
    });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private async readHab(options: SdpCallOptions, what: string): Promise<HabState> {
    const hab = decodeHab(parseWord(await this.transport.readHab({ ...options, what: `the HAB word answering ${what}` })));
    if (hab.mode === 'unknown') throw new SdpPacketError(`${what}: ${hab.sentence}`, { hab: hab.word });
    this.hab = hab;
    return hab;
  }

  private async expect(command: string, expected: number, hab: HabState, options: SdpWaitOptions, context: ErrorContext): Promise<void> {
    const status = decodeSdpStatus(parseWord(await this.transport.readResponse(4, { ...options, what: `the ${command} status` })));
    if (status.word !== expected) throw new SdpCommandError(command, expected, status, hab, context);
  }
}
