/** CMSIS-Packs (browser-safe part): reading .pack/.pdsc, device → target, the part catalog, probe-rs target files. */
export * from './catalog.js';
export * from './device-target.js';
export * from './errors.js';
export * from './files.js';
export * from './pack.js';
export * from './pdsc.js';
export * from './pidx.js';
export * from './xml.js';
export * from './probe-rs.js';
