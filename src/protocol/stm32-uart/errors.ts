/**
 * Errors of the STM32 UART bootloader session, each explaining the likely cause the way a
 * person who has debugged many boards would: which command, which step, what usually
 * causes it and what to do.
 */
import type { ErrorContext } from '../../core/errors.js';
import { FlashwrightError } from '../../core/errors.js';
import { hex, hexByte } from '../../core/format.js';
import { Cmd, commandName } from './commands.js';
import { FAMILY_BOOT, type Stm32Family } from './devices.js';

/** Where in a command the device said NACK. */
export type Stm32Phase = 'command' | 'address' | 'length' | 'data' | 'pages' | 'result';

const GUARDED = new Set<number>([Cmd.ReadMemory, Cmd.WriteMemory, Cmd.Erase, Cmd.ExtendedErase, Cmd.Go, Cmd.WriteProtect, Cmd.WriteUnprotect, Cmd.GetChecksum]);

/** The likely cause of a NACK, one sentence, from the command and the step it came at. */
export function explainNack(command: number, phase: Stm32Phase, address?: number): string {
  if (phase === 'command') {
    if (command === Cmd.ReadoutProtect) return 'Read protection is probably already active (the bootloader refuses Readout Protect then).';
    if (GUARDED.has(command)) return 'Read protection (RDP level 1) is probably active: the bootloader then refuses to read, write, erase or run; `--unprotect` removes it and mass-erases the flash.';
    return 'The bootloader does not accept this command here (it is missing from its Get list, or the byte was garbled on the line).';
  }
  if (phase === 'address') {
    const where = address === undefined ? 'The address' : `The address ${hex(address)}`;
    return `${where} is not valid for this command on this part (outside flash, RAM, option bytes and system memory, or not 4-byte aligned for Write Memory).`;
  }
  if (phase === 'data') return 'Programming failed: the target area is not erased, the sector is write-protected, or the data was garbled on the line.';
  if (phase === 'pages') return 'A page number does not exist on this part or the page is write-protected (remove write protection with `--write-unprotect`, which sends Write Unprotect (0x73) and the chip resets).';
  if (phase === 'length') return 'The length is not accepted (Read Memory takes at most 256 bytes; Get Checksum needs a multiple of 4 inside one memory).';
  return 'The bootloader could not finish the operation.';
}

/** The device answered NACK (0x1F). */
export class Stm32NackError extends FlashwrightError {
  readonly command: number;
  readonly phase: Stm32Phase;
  constructor(command: number, phase: Stm32Phase, context: ErrorContext = {}) {
    const address = typeof context.address === 'number' ? context.address : undefined;
    super('STM32_NACK', `The bootloader refused ${commandName(command)} at the ${phase} step${address === undefined ? '' : ` for ${hex(address)}`} (NACK).`, {
      hint: explainNack(command, phase, address),
      context: { command: hexByte(command), phase, ...context },
    });
    this.command = command;
    this.phase = phase;
  }
}

/** A byte that is neither ACK, NACK nor BUSY where an answer was expected. */
export class Stm32UnexpectedByteError extends FlashwrightError {
  constructor(command: number, phase: Stm32Phase, byte: number) {
    super('STM32_UNEXPECTED_BYTE', `Expected ACK (0x79) or NACK (0x1F) to ${commandName(command)} at the ${phase} step but received ${hexByte(byte)}.`, {
      hint: 'The line is noisy or the settings differ: check baud rate, parity (8E1 on a UART, 8N1 on a pseudo-terminal) and ground.',
      context: { command: hexByte(command), phase, received: hexByte(byte) },
    });
  }
}

/** Nothing answered 0x7F: the most common first-time failure, so the hint is a checklist. */
export class Stm32NoAnswerError extends FlashwrightError {
  constructor(context: { port?: string | undefined; baud?: number | undefined; parity?: string | undefined; family?: Stm32Family | undefined; attempts: number }) {
    super('STM32_NO_ANSWER', `The STM32 bootloader did not answer the 0x7F synchronisation byte${context.port ? ` on ${context.port}` : ''} (${context.attempts} attempts).`, {
      hint: noAnswerChecklist(context.family, context.baud, context.parity),
      context: { ...context },
    });
  }
}

/** The checklist printed when the bootloader does not answer. */
export function noAnswerChecklist(family?: Stm32Family, baud?: number, parity?: string): string {
  const boot = family ? FAMILY_BOOT[family] : undefined;
  const lines = [
    boot ? `Boot mode: ${boot.pattern} (STM32${family}, AN2606).` : 'Boot mode: BOOT0 high (and BOOT1/PB2 low on F1/F2/F4), then reset the chip; on newer parts check the nBOOT0/nSWBOOT0 option bits (AN2606).',
    boot ? `Port: the bootloader listens on ${boot.usarts}.` : 'Port: only some USARTs carry the bootloader, usually USART1 on PA9 (TX) / PA10 (RX) (AN2606 lists them per part).',
    'Wiring: adapter TX to the chip RX and adapter RX to the chip TX (crossed), common ground, 3.3 V levels.',
    `Link: ${baud ?? 115200} baud is fine for the ROM (it measures 0x7F); ${parity === 'none'
      ? 'you passed --parity none, which is right only for a pseudo-terminal or simulator: a real STM32 UART needs even parity (8E1, the default)'
      : `parity must be even (8E1)${parity && parity !== 'even' ? `, not ${parity}` : ''}`}; flow control off.`,
    'Entry: if DTR/RTS drive BOOT0/NRST, pass --entry with your wiring (e.g. --entry rts-reset-dtr-boot0); otherwise press reset with BOOT0 held high just before running.',
    'Last: a chip at read protection level 2 has its bootloader disabled for good and never answers.',
  ];
  return lines.join(' ');
}

/** The device started answering 0x7F with ACK in the middle of a session: it reset. */
export class Stm32DeviceResetError extends FlashwrightError {
  constructor(command: number, context: ErrorContext = {}) {
    super('STM32_DEVICE_RESET', `The device reset during ${commandName(command)}: its bootloader started over and the operation was lost.`, {
      hint: 'Check the supply and the reset line (an adapter toggling DTR/RTS on open can reset boards); run the command again to resume.',
      context: { command: hexByte(command), ...context },
    });
  }
}

/** A write whose ACK was lost left the target in a state that is neither written nor erased. */
export class Stm32WriteUncertainError extends FlashwrightError {
  constructor(address: number, length: number, cause: unknown, firstDifference: number) {
    super('STM32_WRITE_UNCERTAIN', `Write Memory at ${hex(address)} got no clear answer and read-back differs from the data at ${hex(firstDifference)} without being erased.`, {
      hint: 'flashwright does not re-send over programmed flash (that would corrupt it): erase the sector and write again.',
      context: { address, length, firstDifference },
      cause,
    });
  }
}

/** The bootloader's Get list lacks a command the operation needs. */
export class Stm32UnsupportedError extends FlashwrightError {
  constructor(command: number, available: number[]) {
    super('STM32_UNSUPPORTED', `This bootloader does not offer ${commandName(command)}.`, {
      hint: 'Its Get list says what it can do; `flashwright info --via stm32-uart` shows it.',
      context: { command: hexByte(command), available: available.map(hexByte) },
    });
  }
}
