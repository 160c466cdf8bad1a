/** i.MX RT boot ROM Serial Download Protocol: command blocks, HAB/status words, HID and UART transports, session. */
export * from './commands.js';
export * from './transport.js';
export * from './session.js';
