/** NXP MCUboot / KBOOT protocol: framing, packets, status codes, properties, transports, session. */
export * from './framing.js';
export * from './commands.js';
export * from './status.js';
export * from './properties.js';
export * from './transport.js';
export * from './hid.js';
export * from './session.js';
export * from './memory-map.js';
