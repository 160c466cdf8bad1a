/**
 * flashwright — the library. Everything here runs in Node and in browsers; Node-only
 * adapters live under link/node-* and are exported from 'flashwright/node' later.
 */
export * from './core/errors.js';
export * from './core/format.js';
export * from './core/crc.js';
export * from './image/memory-image.js';
export type * from './target/types.js';
export type * from './link/types.js';
export * from './link/byte-reader.js';
export * from './link/pipe.js';
export type * from './programmer/types.js';
export type * from './flash/events.js';
export { writeImage, verifyImage, planWrite, readMemoryRange, eraseRange, type WriteOptions, type WriteSummary, type VerifyOptions, type VerifySummary, type EraseOptions, type EraseSummary, type ReadOptions, type EngineOptions, type PreparedWrite } from './flash/engine.js';
export * from './flash/plan.js';
export * from './flash/errors.js';
export * from './flash/layout.js';
export * from './flash/checks/index.js';
export * from './sim/nor-flash.js';
export * from './sim/sim-memory.js';
export * from './programmer/sim.js';
