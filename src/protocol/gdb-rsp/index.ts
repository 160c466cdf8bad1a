/** GDB remote serial protocol: framing, commands, XML documents, connection and client session. */
export * from './packet.js';
export * from './commands.js';
export * from './xml.js';
export * from './errors.js';
export * from './connection.js';
export * from './client.js';
