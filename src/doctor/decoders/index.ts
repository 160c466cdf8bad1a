/**
 * Every decoder the doctor and `flashwright explain` use, in one place for the web app:
 * the new ones (debug IDs, LinkServer codes, STM32 RDP) and the tables that already live
 * with their protocols (MCUboot status, STM32 bootloader NACK causes, Kinetis FSEC,
 * FlexSPI option word, Cortex-M fault registers).
 */
export * from './adi.js';
export * from './linkserver.js';
export * from './stm32-option.js';
export * from './cortex-m.js';
export { STATUS_TABLE, statusInfo, type StatusInfo } from '../../protocol/mcuboot/status.js';
export { explainNack, type Stm32Phase } from '../../protocol/stm32-uart/errors.js';
export { Cmd as Stm32Cmd, commandName as stm32CommandName } from '../../protocol/stm32-uart/commands.js';
export { decodeFsec, describeFsec, FSEC_UNSECURE, type FsecDecoded } from '../../flash/checks/kinetis-fcf.js';
export { parseFlexspiOption, describeFlexspiOption } from '../../imxrt/flexspi-option.js';
