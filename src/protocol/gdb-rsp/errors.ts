import { FlashwrightError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';

/** The stub answered a command with `Exx`. */
export class GdbErrorReply extends FlashwrightError {
  constructor(readonly command: string, readonly errno: number, detail?: string, hint?: string) {
    super('GDB_ERROR_REPLY', `The GDB server refused '${command}' with error E${errno.toString(16).padStart(2, '0').toUpperCase()}${detail ? ` (${detail})` : ''}.`, {
      hint: hint ?? 'The address may be unmapped or protected, or the target may not be halted; check the memory map and the server log.',
      context: { command, errno },
    });
  }
}

/** The stub does not implement something flashwright needs. */
export class GdbUnsupportedError extends FlashwrightError {
  constructor(readonly feature: string, readonly offered: readonly string[], hint?: string) {
    super('GDB_UNSUPPORTED', `The GDB server does not support ${feature}.`, {
      hint: hint ?? `It offered: ${offered.length ? offered.join(', ') : '(nothing beyond the basic packets)'}; choose another way in (e.g. --algo) or a server that supports it.`,
      context: { feature, offered: [...offered] },
    });
  }
}

/** The byte stream does not follow the protocol (bad checksums, unexpected replies). */
export class GdbProtocolError extends FlashwrightError {
  constructor(message: string, context: ErrorContext = {}, hint?: string) {
    super('GDB_PROTOCOL', message, {
      hint: hint ?? 'Check that the port really is a GDB server (not a telnet or serial console port) and that no other debugger is attached.',
      context,
    });
  }
}
