/** Simulated MCUboot devices: the command engine, its UART and USB-HID front ends, chip profiles. */
export * from './chips.js';
export * from './target.js';
export * from './uart.js';
export * from './hid.js';
export * from './stale-cache.js';
