/**
 * An SDP session with the i.MX RT boot ROM over either transport. Every command's answer starts
 * with the HAB security configuration; the session checks it is one of the two documented words
 * and keeps the last one (`hab`), then reads the command's own status or data.
 */
import type { ErrorContext } from '../../core/errors.js';
import { FlashwrightError, TimeoutError, UsageError } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import type { ByteStream, PacketDevice } from '../../link/types.js';
import {
  decodeHab, decodeSdpStatus, dcdWriteCommand, errorStatusCommand, jumpAddressCommand, parseWord, readRegisterCommand,
  HabMode, SdpFormat, SdpPacketError, SdpStatus, setBaudrateCommand, skipDcdHeaderCommand, writeCsfCommand, writeFileCommand, writeRegisterCommand,
  type HabState, type SdpStatusInfo,
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

  /** WRITE_CSF: the HAB Command Sequence File the ROM authenticates the next image with (signed boot on a closed part). */
  async writeCsf(address: number, csf: Uint8Array, options: SdpCallOptions = {}): Promise<void> {
    await this.transport.sendCommand(writeCsfCommand(address, csf.length), { ...options, what: 'WRITE_CSF' });
    await this.transport.sendData(csf, { ...options, what: 'CSF data' });
    const hab = await this.readHab(options, 'WRITE_CSF');
    await this.expect('WRITE_CSF', SdpStatus.WriteComplete, hab, options, { address, length: csf.length });
  }

  /**
   * SET_BAUDRATE (UART only): the ROM answers BAUDRATE_SET (0x09D00D90) at the old rate and
   * listens at the new one from then on, so the host switches its own port after the answer.
   * SPSDK reads that answer as one word without a HAB word before it; a ROM that does send the
   * HAB word first is accepted too.
   */
  async setBaudrate(baud: number, options: SdpCallOptions = {}): Promise<void> {
    if (this.transport.kind !== 'uart') throw new UsageError('SET_BAUDRATE applies to the UART serial downloader only; over USB-HID there is no baud rate.', { hint: 'Leave out the baud-rate change when the chip is on USB.' });
    if (!Number.isInteger(baud) || baud <= 0 || baud > 0xffffffff) throw new UsageError(`The baud rate ${baud} is not a positive whole number.`, { hint: 'E.g. 115200 or 1000000.' });
    // Checked before sending: once the ROM has switched, a host that cannot follow has lost it.
    if (!this.transport.canChangeBaud) throw new UsageError(`This serial link cannot change its baud rate, so SET_BAUDRATE ${baud} is not sent (the ROM would switch and the host could not follow).`, { hint: 'Stay at the rate the ROM autobauded to.' });
    await this.transport.sendCommand(setBaudrateCommand(baud), { ...options, what: 'SET_BAUDRATE' });
    let word = parseWord(await this.transport.readResponse(4, { ...options, what: 'the SET_BAUDRATE answer' }));
    if (word === HabMode.Open || word === HabMode.Closed) {
      this.hab = decodeHab(word);
      word = parseWord(await this.transport.readResponse(4, { ...options, what: 'the SET_BAUDRATE status' }));
    }
    const status = decodeSdpStatus(word);
    if (word !== SdpStatus.BaudrateSet) {
      throw new FlashwrightError('SDP_STATUS', `SET_BAUDRATE ${baud} failed: the ROM answered ${hex(word)} instead of ${hex(SdpStatus.BaudrateSet)}. ${status.sentence}`, {
        hint: 'The ROM keeps the old rate; stay at it, or try a standard rate (115200, 230400, 460800, 921600).', context: { command: 'SET_BAUDRATE', baud, status: word },
      });
    }
    await this.transport.setBaudRate(baud);
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
