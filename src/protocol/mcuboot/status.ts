/**
 * MCUboot status codes as data: name, one-sentence meaning and the likely cause + fix.
 * Codes are `group * 100 + code` (MCU Bootloader Reference Manual, "Status and error codes";
 * the flash-driver group 1 comes from the Kinetis SDK flash driver, fsl_flash.h).
 */
import { FlashwrightError } from '../../core/errors.js';
import { hex } from '../../core/format.js';
import { commandName } from './commands.js';

export interface StatusInfo {
  code: number;
  name: string;
  meaning: string;
  hint: string;
  source: string;
}

const RM = 'MCUBOOTRM "Status and error codes"';
const FLASH = 'Kinetis SDK fsl_flash.h (status group 1), via MCUBOOTRM';

/** Every documented status code. */
export const STATUS_TABLE: readonly StatusInfo[] = [
  { code: 0, name: 'Success', meaning: 'The command succeeded.', hint: 'Nothing to do.', source: RM },
  { code: 1, name: 'Fail', meaning: 'The command failed for an unspecified reason.', hint: 'Read the LastError property (0x09) and retry; reset the device if it persists.', source: RM },
  { code: 2, name: 'ReadOnly', meaning: 'The property or memory is read-only.', hint: 'Do not try to set this property; it is reported, not configured.', source: RM },
  { code: 3, name: 'OutOfRange', meaning: 'A parameter is outside its allowed range.', hint: 'Check the address and length against the device memory map (flashwright info).', source: RM },
  { code: 4, name: 'InvalidArgument', meaning: 'A parameter is not valid for this command.', hint: 'Check the command arguments: memory ID, alignment, property tag.', source: RM },
  { code: 5, name: 'Timeout', meaning: 'The operation timed out inside the device.', hint: 'The flash controller or external memory did not finish; check the external memory configuration and power.', source: RM },
  { code: 6, name: 'NoTransferInProgress', meaning: 'No transfer is in progress for this request.', hint: 'The data phase was already over; resynchronise with a ping and resend the command.', source: RM },
  { code: 100, name: 'FlashSizeError', meaning: 'The flash driver reports a size error.', hint: 'The length is not a multiple of the flash unit; align the region to the sector or phrase size.', source: FLASH },
  { code: 101, name: 'FlashAlignmentError', meaning: 'The address or length is not aligned as the flash requires.', hint: 'Align erase regions to FlashSectorSize and writes to the program unit (see flashwright info).', source: FLASH },
  { code: 102, name: 'FlashAddressError', meaning: 'The address is not in the flash.', hint: 'Check the address against FlashStartAddress and FlashSize.', source: FLASH },
  { code: 103, name: 'FlashAccessError', meaning: 'The flash controller reported an access error (ACCERR).', hint: 'The command touched a protected or invalid location, often the flash configuration field or a secured part.', source: FLASH },
  { code: 104, name: 'FlashProtectionViolation', meaning: 'The flash region is write- or erase-protected (FPVIOL).', hint: 'FPROT bits protect this region; unprotect it (FPROT in the flash configuration field) or mass-erase with --unsecure.', source: FLASH },
  { code: 105, name: 'FlashCommandFailure', meaning: 'The flash command finished with a failure (MGSTAT0).', hint: 'Erase/verify failed in silicon; retry, and check supply voltage and clock.', source: FLASH },
  { code: 106, name: 'FlashUnknownProperty', meaning: 'The flash driver does not know this property.', hint: 'The property is not supported on this part.', source: FLASH },
  { code: 107, name: 'FlashEraseKeyError', meaning: 'The flash erase key was wrong.', hint: 'A bootloader-internal error; reset the device and retry.', source: FLASH },
  { code: 108, name: 'FlashRegionExecuteOnly', meaning: 'The region is execute-only and cannot be read.', hint: 'Execute-only regions cannot be read back or verified; erase them or skip verification there.', source: FLASH },
  { code: 10000, name: 'UnknownCommand', meaning: 'The bootloader does not know this command tag.', hint: 'Check AvailableCommands (flashwright info); the ROM may be older than the flashloader.', source: RM },
  { code: 10001, name: 'SecurityViolation', meaning: 'The device is secure and refuses this command.', hint: 'Unsecure it with --backdoor-key KEY (FlashSecurityDisable) or --unsecure (FlashEraseAllUnsecure, which erases the whole flash).', source: RM },
  { code: 10002, name: 'AbortDataPhase', meaning: 'The data phase was aborted.', hint: 'One side stopped the transfer; the memory range may be partly written: erase and write it again.', source: RM },
  { code: 10003, name: 'Ping', meaning: 'A ping arrived during a command.', hint: 'Another program is talking to the port; close it.', source: RM },
  { code: 10004, name: 'NoResponse', meaning: 'No response packet arrived from the device.', hint: 'Check the link and that the device is in bootloader mode.', source: RM },
  { code: 10005, name: 'NoResponseExpected', meaning: 'The command expects no response.', hint: 'A Reset or Execute command: the device left the bootloader.', source: RM },
  { code: 10006, name: 'UnsupportedCommand', meaning: 'The command is known but not supported in this configuration.', hint: 'The bootloader was built without this command; check AvailableCommands.', source: RM },
  { code: 10200, name: 'MemoryRangeInvalid', meaning: 'The address range is not in any memory the bootloader knows.', hint: 'Check the address against the memory map; external memory needs the right memory ID.', source: RM },
  { code: 10201, name: 'MemoryReadFailed', meaning: 'Reading the memory failed.', hint: 'External memory may be misconfigured; check the ConfigureMemory option block.', source: RM },
  { code: 10202, name: 'MemoryWriteFailed', meaning: 'Writing the memory failed.', hint: 'The region may be protected, or external memory misconfigured.', source: RM },
  {
    code: 10203, name: 'MemoryCumulativeWrite', meaning: 'The destination is not erased: flash can only clear bits, so this write would corrupt it.',
    hint: 'Erase it first; if it was just erased and the error persists, the bootloader read stale data (flash cache / prefetch not invalidated after erase).', source: RM,
  },
  { code: 10204, name: 'MemoryAppOverlapWithExecuteOnlyRegion', meaning: 'The write overlaps an execute-only region.', hint: 'Move the image away from the execute-only region or erase that region first.', source: RM },
  { code: 10205, name: 'MemoryNotConfigured', meaning: 'The external memory has not been configured.', hint: 'Configure it first: --flexspi-option 0xC0000007 (FillMemory + ConfigureMemory 9) for i.MX RT FlexSPI NOR.', source: RM },
  { code: 10206, name: 'MemoryAlignmentError', meaning: 'The address or length is not aligned for this memory.', hint: 'Align to the page size for writes and the sector size for erases.', source: RM },
  { code: 10207, name: 'MemoryVerifyFailed', meaning: 'The bootloader read back different data after writing.', hint: 'Flash may be worn or the supply unstable; erase and retry.', source: RM },
  { code: 10208, name: 'MemoryWriteProtected', meaning: 'The memory is write-protected.', hint: 'Clear the protection (FPROT, external flash status register) before writing.', source: RM },
];

const BY_CODE = new Map(STATUS_TABLE.map((s) => [s.code, s]));

/** The table row for `code`, or a generic row for an undocumented code. */
export function statusInfo(code: number): StatusInfo {
  return BY_CODE.get(code) ?? {
    code, name: `Status${code}`, meaning: `The device returned undocumented status ${code}.`,
    hint: 'Look the code up in the reference manual for this bootloader version.', source: 'not in the table',
  };
}

export const STATUS_SUCCESS = 0;

/** A command finished with a non-zero status. */
export class McubootStatusError extends FlashwrightError {
  readonly status: number;
  readonly command: string;

  constructor(status: number, commandTag: number, context: Record<string, unknown> = {}) {
    const info = statusInfo(status);
    const where = typeof context.address === 'number' ? ` at ${hex(context.address)}` : '';
    super('MCUBOOT_STATUS', `${commandName(commandTag)}${where} failed with status ${status} (${info.name}): ${info.meaning}`, {
      hint: info.hint, context: { status, statusName: info.name, command: commandName(commandTag), ...context },
    });
    this.status = status;
    this.command = commandName(commandTag);
  }
}
