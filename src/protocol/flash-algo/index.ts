/** CMSIS-Pack flash algorithms: FLM loading, descriptors, the pyOCD importer, RAM layout and the runner. */
export * from './algorithm.js';
export * from './errors.js';
export * from './flash-device.js';
export * from './flm.js';
export * from './layout.js';
export * from './load.js';
export * from './pyocd-import.js';
export * from './python-literal.js';
export * from './runner.js';
export * from './stldr.js';
