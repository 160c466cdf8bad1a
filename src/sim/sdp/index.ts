/** Simulated i.MX RT boot ROM (serial downloader) over USB-HID and UART; becomes the MCUboot flashloader on a good jump. */
export * from './rom.js';
export * from './hid.js';
export * from './uart.js';
