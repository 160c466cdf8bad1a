/**
 * MCUboot status codes as data: name, one-sentence meaning and the likely cause + fix.
 * Codes are `group * 100 + code` (MCU Bootloader Reference Manual, "Status and error codes";
 * the flash-driver group 1 comes from the Kinetis SDK flash driver, fsl_flash.h).
 */
import type { ErrorContext } from '../../core/errors.js';
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
const FLEXSPI = 'i.MX RT flashloader / MCUXpresso SDK FlexSPI NOR driver (status group 201)';

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
  { code: 10100, name: 'RomLdrSectionOverrun', meaning: 'The SB file section overran its announced length.', hint: 'The SB file is damaged or truncated; regenerate it.', source: RM },
  { code: 10101, name: 'RomLdrSignature', meaning: 'The SB file signature is wrong.', hint: 'This is not an SB file for this bootloader; regenerate it with the right tool version.', source: RM },
  { code: 10102, name: 'RomLdrSectionLength', meaning: 'An SB file section length is invalid.', hint: 'The SB file is damaged; regenerate it.', source: RM },
  { code: 10103, name: 'RomLdrUnencryptedOnly', meaning: 'The bootloader accepts only unencrypted SB files.', hint: 'Build the SB file without encryption or use a bootloader with keys.', source: RM },
  { code: 10104, name: 'RomLdrEOFReached', meaning: 'The end of the SB file was reached.', hint: 'The SB file ended early or was sent twice.', source: RM },
  { code: 10105, name: 'RomLdrChecksum', meaning: 'An SB file checksum is wrong.', hint: 'The file was corrupted in transit or on disk; resend or regenerate it.', source: RM },
  { code: 10106, name: 'RomLdrCrc32Error', meaning: 'An SB file CRC-32 is wrong.', hint: 'The file was corrupted in transit or on disk; resend or regenerate it.', source: RM },
  { code: 10107, name: 'RomLdrUnknownCommand', meaning: 'The SB file contains an unknown command.', hint: 'The SB file targets a newer bootloader version.', source: RM },
  { code: 10108, name: 'RomLdrIdNotFound', meaning: 'The SB file section ID was not found.', hint: 'Check the section ID in the SB file description.', source: RM },
  { code: 10109, name: 'RomLdrDataUnderrun', meaning: 'The SB file ended before the data its commands need.', hint: 'The SB file is truncated; resend the whole file.', source: RM },
  { code: 10110, name: 'RomLdrJumpReturned', meaning: 'A jump command in the SB file returned.', hint: 'The code the SB file jumped to returned; check its entry point.', source: RM },
  { code: 10111, name: 'RomLdrCallFailed', meaning: 'A call command in the SB file failed.', hint: 'Check the called code and its argument.', source: RM },
  { code: 10112, name: 'RomLdrKeyNotFound', meaning: 'No key in the SB file matches the device key.', hint: 'Encrypt the SB file with the key provisioned in this device.', source: RM },
  { code: 10113, name: 'RomLdrSecureOnly', meaning: 'The device accepts only secure (signed/encrypted) SB files.', hint: 'Sign and encrypt the SB file.', source: RM },
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
  { code: 10300, name: 'UnknownProperty', meaning: 'The device does not know this property tag.', hint: 'The property is not supported by this bootloader or memory (see flashwright info).', source: RM },
  { code: 10301, name: 'ReadOnlyProperty', meaning: 'The property cannot be set.', hint: 'Only a few properties (VerifyWrites, FlexSPI/QSPI options) are writable.', source: RM },
  { code: 10302, name: 'InvalidPropertyValue', meaning: 'The value is not allowed for this property.', hint: 'Check the value against the reference manual.', source: RM },
  { code: 20100, name: 'FlexSPINOR_ProgramFail', meaning: 'The FlexSPI NOR page program failed.', hint: 'Check the external flash configuration (option word / FCB) and its power.', source: FLEXSPI },
  { code: 20101, name: 'FlexSPINOR_EraseSectorFail', meaning: 'The FlexSPI NOR sector erase failed.', hint: 'The external flash may be write-protected (status register BP bits) or misconfigured.', source: FLEXSPI },
  { code: 20102, name: 'FlexSPINOR_EraseAllFail', meaning: 'The FlexSPI NOR chip erase failed.', hint: 'The external flash may be write-protected or misconfigured.', source: FLEXSPI },
  { code: 20103, name: 'FlexSPINOR_WaitTimeout', meaning: 'The FlexSPI NOR did not finish in time.', hint: 'Lower the frequency in the option word; check the flash part and wiring.', source: FLEXSPI },
  { code: 20104, name: 'FlexSPINOR_NotSupported', meaning: 'The FlexSPI NOR operation is not supported.', hint: 'Use an option word matching the attached flash type.', source: FLEXSPI },
  { code: 20105, name: 'FlexSPINOR_WriteAlignmentError', meaning: 'The FlexSPI NOR write is not aligned.', hint: 'Align writes to the flash page size.', source: FLEXSPI },
  { code: 20106, name: 'FlexSPINOR_CommandFailure', meaning: 'A FlexSPI NOR command failed.', hint: 'Check the option word (pads, quad-enable type, frequency).', source: FLEXSPI },
  { code: 20107, name: 'FlexSPINOR_SFDP_NotFound', meaning: 'The flash did not answer the SFDP read.', hint: 'The detection type or pads in the option word do not match the attached flash; try 0xC0000007 for QuadSPI NOR.', source: FLEXSPI },
  { code: 20108, name: 'FlexSPINOR_Unsupported_SFDP_Version', meaning: 'The flash SFDP table version is not supported.', hint: 'Give a full FCB instead of an option word.', source: FLEXSPI },
  { code: 20109, name: 'FlexSPINOR_Flash_NotFound', meaning: 'No flash was found on the FlexSPI bus.', hint: 'Check the flash part, its power, the boot pins and the option word.', source: FLEXSPI },
  { code: 20110, name: 'FlexSPINOR_DTRRead_DummyProbeFailed', meaning: 'The DDR read dummy-cycle probe failed.', hint: 'Use SDR (detection type 0) or a lower frequency.', source: FLEXSPI },
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

  constructor(status: number, commandTag: number, context: ErrorContext = {}) {
    const info = statusInfo(status);
    const where = typeof context.address === 'number' ? ` at ${hex(context.address)}` : '';
    super('MCUBOOT_STATUS', `${commandName(commandTag)}${where} failed with status ${status} (${info.name}): ${info.meaning}`, {
      hint: info.hint, context: { status, statusName: info.name, command: commandName(commandTag), ...context },
    });
    this.status = status;
    this.command = commandName(commandTag);
  }
}
