/**
 * flashwright — the library. Everything here runs in Node and in browsers; Node-only
 * adapters live under src/link/node-*.ts and src/sim/node-*.ts and are not exported here.
 */
export * from './core/errors.js';
export * from './core/format.js';
export * from './core/crc.js';
export * from './image/memory-image.js';
export * from './image/errors.js';
export * from './image/elf.js';
export * from './image/intel-hex.js';
export * from './image/srec.js';
export * from './image/binary.js';
export { detectFormat, formatFromName, parseFormatName, chooseFormat, checkBaseApplies, formatLabel, loadImage, encodeImage, estimateDataBytes, IMAGE_FORMATS, type ImageFormat, type LoadOptions, type LoadedImage, type EncodeOptions } from './image/formats.js';
export type * from './target/types.js';
export * from './target/lookup.js';
export * from './target/validate.js';
export * from './target/describe.js';
export type * from './link/types.js';
export * from './link/byte-reader.js';
export * from './link/pipe.js';
export type * from './programmer/types.js';
export type * from './flash/events.js';
export { writeImage, verifyImage, planWrite, readMemoryRange, eraseRange, type WriteOptions, type WriteSummary, type VerifyOptions, type VerifySummary, type EraseOptions, type EraseSummary, type ReadOptions, type EngineOptions, type PreparedWrite } from './flash/engine.js';
export * from './flash/plan.js';
export * from './flash/errors.js';
export * from './target/geometry.js';
export * from './flash/checks/index.js';
export * from './sim/nor-flash.js';
export * from './sim/sim-memory.js';
export * from './programmer/sim.js';
export * as stm32Uart from './protocol/stm32-uart/index.js';
export { Stm32UartProgrammer, Stm32ReadProtectedError, type Stm32UartProgrammerOptions } from './programmer/stm32-uart.js';
export { Stm32BootloaderSim, type Stm32SimOptions, type Stm32SimWiring } from './sim/stm32/bootloader.js';
export { STM32_SIM_PROFILES, type Stm32SimProfile } from './sim/stm32/profiles.js';
export type { Stm32LinkFaults } from './sim/stm32/faults.js';
export * from './link/line-sequence.js';
export * as mcuboot from './protocol/mcuboot/index.js';
export { McubootProgrammer, McubootSecureError, type McubootProgrammerOptions } from './programmer/mcuboot.js';
export * as mcubootSim from './sim/mcuboot/index.js';
export * as imxrt from './imxrt/index.js';
export * as gdbRsp from './protocol/gdb-rsp/index.js';
export * as flashAlgo from './protocol/flash-algo/index.js';
export type * from './arch/core-access.js';
export * from './arch/cortex-m.js';
export { GdbCoreAccess, GdbResetError, type GdbCoreAccessOptions } from './programmer/gdb-core-access.js';
export { GdbProgrammer, type GdbProgrammerOptions, type GdbStrategy } from './programmer/gdb-programmer.js';
export * as doctor from './doctor/index.js';
