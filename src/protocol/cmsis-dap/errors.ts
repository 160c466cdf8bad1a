/**
 * CMSIS-DAP errors. Each says what happened on the wire (Arm CMSIS-DAP v2.1, "Response
 * Status" and DAP_Transfer "Transfer Response"), so a user reading "FAULT" or "no ACK" learns
 * what the target actually did and what usually causes it.
 */
import { FlashwrightError, type ErrorDetails } from '../../core/errors.js';
import { hex, hexByte } from '../../core/format.js';

/** Acknowledge values in bits [2:0] of a Transfer Response (SWD ACK, JTAG: 1 = OK/FAULT, 2 = WAIT). */
export const DapAck = { OK: 1, WAIT: 2, FAULT: 4, NO_ACK: 7 } as const;

/** What each ACK means on the wire, and what typically causes it. */
export const ACK_MEANING: Readonly<Record<number, { name: string; meaning: string; hint: string }>> = {
  [DapAck.WAIT]: {
    name: 'WAIT',
    meaning: 'the target answered WAIT on every retry the probe was told to make: the access port was still busy with the previous access',
    hint: 'A slow bus behind the AP (a clock gated off, flash wait states, a core held in reset or deep sleep); retry at a lower --speed or connect under reset.',
  },
  [DapAck.FAULT]: {
    name: 'FAULT',
    meaning: 'the target answered FAULT: a sticky error flag in DP CTRL/STAT is set (an earlier AP access hit a bus error, e.g. an unmapped or protected address)',
    hint: 'The access that failed went to memory that is not there or not accessible (secured part, peripheral clock off); the flags are cleared through DP ABORT.',
  },
  [DapAck.NO_ACK]: {
    name: 'no ACK',
    meaning: 'nothing drove SWDIO in the ACK phase: no target answered',
    hint: 'Check wiring (SWDIO, SWCLK, GND), target power and VTref; the part may be held in reset, asleep with its debug port off, or need --connect-under-reset; try a lower --speed.',
  },
};

/** A DAP_Transfer / DAP_TransferBlock that did not complete: the ACK, protocol-error or mismatch flag explains why. */
export class DapTransferError extends FlashwrightError {
  constructor(
    readonly ack: number,
    readonly completed: number,
    readonly flags: { protocolError: boolean; valueMismatch: boolean },
    readonly what: string,
    details: ErrorDetails = {},
  ) {
    const m = ACK_MEANING[ack];
    const why = flags.protocolError
      ? 'an SWD protocol error: the read data failed its parity check or the ACK pattern was invalid (signal integrity: long wires, too fast a clock)'
      : flags.valueMismatch
        ? 'the value read never matched the expected value within the probe\'s match retries'
        : m?.meaning ?? `an invalid ACK ${ack.toString(2).padStart(3, '0')}b (neither OK, WAIT nor FAULT)`;
    const code = (flags.protocolError ? 'DAP_PROTOCOL_ERROR' : flags.valueMismatch ? 'DAP_VALUE_MISMATCH' : m ? `DAP_${m.name.replace(' ', '_').toUpperCase()}` : 'DAP_BAD_ACK') as 'DAP_WAIT' | 'DAP_FAULT' | 'DAP_NO_ACK' | 'DAP_PROTOCOL_ERROR' | 'DAP_VALUE_MISMATCH' | 'DAP_BAD_ACK';
    super(code, `${what} failed after ${completed} transfer(s): ${why}.`, {
      hint: details.hint ?? (flags.protocolError ? 'Lower the SWD clock (--speed 1MHz) and check the wiring.' : flags.valueMismatch ? 'The register never reached the expected state.' : m?.hint ?? 'Lower the SWD clock and check the wiring.'),
      context: { ack, ackName: m?.name ?? (ack === DapAck.OK ? 'OK' : 'invalid'), completed, ...flags, ...details.context },
      cause: details.cause,
    });
  }
}

/** The probe answered DAP_ERROR (0xFF) to a command, or refused to connect. */
export class DapCommandError extends FlashwrightError {
  constructor(readonly command: string, message: string, details: ErrorDetails = {}) {
    super('DAP_COMMAND', message, { ...details, context: { command, ...details.context } });
  }
}

/** The probe's answer was not a well-formed response to what was sent. */
export class DapResponseError extends FlashwrightError {
  constructor(message: string, response: Uint8Array | undefined, details: ErrorDetails = {}) {
    super('DAP_RESPONSE', message, {
      hint: details.hint ?? 'The probe answered out of step (a response lost or duplicated): unplug and replug the probe.',
      context: { response: response ? Array.from(response.subarray(0, 16), hexByte).join(' ') : undefined, ...details.context },
      cause: details.cause,
    });
  }
}

/** A command the probe does not implement (it answered the single byte 0xFF). */
export function notImplemented(command: string, id: number): DapCommandError {
  return new DapCommandError(command, `The probe does not implement ${command} (command ${hex(id, 2)}): it answered 0xFF.`, {
    hint: 'Update the probe firmware, or use a probe whose CMSIS-DAP version has this command.',
  });
}
