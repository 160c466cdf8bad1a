/** The STM32 UART bootloader protocol (AN3155) as one namespace for library users. */
export * from './commands.js';
export * from './crc.js';
export * from './devices.js';
export * from './errors.js';
export * from './session.js';
export * from './write-protection.js';
