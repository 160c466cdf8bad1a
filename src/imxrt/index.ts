/** i.MX RT boot tools: FlexSPI option words, FCB generation, IVT + boot data wrapping. */
export * from './flexspi-option.js';
export * from './fcb.js';
export * from './boot-image.js';
export * from './flashloader-image.js';
