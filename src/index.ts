/**
 * flashwright — the library. Everything here runs in Node and in browsers; Node-only
 * adapters live under src/link/node-*.ts and src/sim/node-*.ts and are not exported here.
 *
 * The public API, named one by one: what is not listed (the plan's expectedSector /
 * programData, formatting helpers of error messages, ELF section constants…) is internal
 * and may change. Protocol toolkits are grouped as namespaces (stm32Uart, mcuboot, gdbRsp,
 * flashAlgo, packs, imxrt, mcubootSim, doctor).
 */
export { CancelledError, FlashwrightError, RefusedBeforeSendingError, throwIfAborted, TimeoutError, UsageError, type ContextValue, type ErrorCode, type ErrorContext, type ErrorDetails } from './core/errors.js';
export { formatSize, hex, hexByte, hexBytes, parseNumber } from './core/format.js';
export { crc16Xmodem, crc32, crc32Msb, sha256 } from './core/crc.js';
export { AddressRangeError, ImageOverlapError, MemoryImage, MemoryImageBuilder, type Origin, type Segment } from './image/memory-image.js';
export { EmptyImageError, ImageParseError, type ImageParseCode, type ParseLocation } from './image/errors.js';
export { elfToImage, isElf, parseElf, type ElfFile, type ElfProgramHeader, type ElfSection, type ElfSymbol } from './image/elf.js';
export { IntelHexParser, parseIntelHex, writeIntelHex, intelHexChunks, type IntelHexWriteOptions } from './image/intel-hex.js';
export { parseSrec, SrecParser, writeSrec, srecChunks, type ParsedSrec, type SrecWriteOptions } from './image/srec.js';
export { BinaryGapError, checkBinaryGaps, MAX_BINARY_GAP, readBinary, writeBinary, type BinaryWriteOptions } from './image/binary.js';
export { detectFormat, formatFromName, parseFormatName, chooseFormat, checkBaseApplies, formatLabel, loadImage, encodeImage, encodeImageChunks, estimateDataBytes, IMAGE_FORMATS, type ImageFormat, type LoadOptions, type LoadedImage, type EncodeOptions } from './image/formats.js';
export type { MemoryRegion, RegionKind, ReservedArea, SectorRun, TargetDescription, TargetFeatures } from './target/types.js';
export { findTarget, findTargetById, listTargets, loadTargetFile, requireTarget, UnknownTargetError } from './target/lookup.js';
export { TargetDescriptionError, validateTarget } from './target/validate.js';
export { describeSectors, describeTarget } from './target/describe.js';
export type { ByteStream, LineSignals, PacketDevice } from './link/types.js';
export { ByteReader, LinkClosedError, type ReadOptions as ByteReadOptions } from './link/byte-reader.js';
export { createPipe, modeledSeconds, transferMs, type LinkClock, type LinkCounters, type LinkModel, type Pipe } from './link/pipe.js';
export type { CallContext, DetailValue, DeviceChange, DeviceChangeKind, DeviceDigest, DeviceInfo, OperationOptions, Programmer, ProtectionState } from './programmer/types.js';
export type { DeviceEvent, EventSink, FlashEvent, FlashSummary, LogContext, LogLevel, Phase } from './flash/events.js';
export { writeImage, verifyImage, planWrite, readMemoryRange, eraseRange, type WriteOptions, type WriteSummary, type VerifyOptions, type VerifySummary, type EraseOptions, type EraseSummary, type ReadOptions, type EngineOptions, type PreparedWrite } from './flash/engine.js';
export { isChangeOperation, planFlash, type ChangeOperation, type EraseMode, type FlashPlan, type PlanCost, type PlanInput, type PlanOperation, type ProgramOperation, type RamOperation, type RangeOperation, type SectorAction, type SectorKnowledge, type SectorPlan, type VerifyRange } from './flash/plan.js';
export { CheckRefusedError, FlashInterruptedError, PlanRefusedError, VerifyError, type Range, type VerifyErrorDetails, type WriteProgress } from './flash/errors.js';
export { describeRegion, erasedValueOf, isFlashLike, nearestRegions, overlaps, pageSizeOf, rangesOverlap, regionAt, regionHolding, regionHolds, regionSectors, sectorAt, type FlashSector } from './target/geometry.js';
export { assertChecksPass, decodeFsec, describeFsec, runChecks, type CheckFinding, type CheckOptions, type CheckOverride } from './flash/checks/index.js';
export { NOR_TIMING_PRESETS, NorAddressError, NorFaultError, NorFlash, NorProgramError, NorProtectedError, NorResetError, VirtualClock, type NorFaults, type NorFlashOptions, type NorSector, type NorSnapshot, type NorTiming, type OverwriteMode } from './sim/nor-flash.js';
export { SimAccessError, SimMemory, type SimMemoryOptions, type SimMemorySnapshot, type SimRegion } from './sim/sim-memory.js';
export { SimProgrammer, type SimCall, type SimProgrammerOptions } from './programmer/sim.js';
export * as stm32Uart from './protocol/stm32-uart/index.js';
export { Stm32UartProgrammer, Stm32ReadProtectedError, type Stm32UartProgrammerOptions } from './programmer/stm32-uart.js';
export { Stm32BootloaderSim, type Stm32SimOptions, type Stm32SimWiring } from './sim/stm32/bootloader.js';
export { STM32_SIM_PROFILES, type Stm32SimProfile } from './sim/stm32/profiles.js';
export type { Stm32LinkFaults } from './sim/stm32/faults.js';
export { formatLineSequence, LINE_PRESETS, parseLineSequence, runLineSequence, type LinePreset, type LineStep } from './link/line-sequence.js';
export * as mcuboot from './protocol/mcuboot/index.js';
export { McubootProgrammer, McubootSecureError, type McubootProgrammerOptions } from './programmer/mcuboot.js';
export * as mcubootSim from './sim/mcuboot/index.js';
export * as imxrt from './imxrt/index.js';
export * as sdp from './protocol/sdp/index.js';
export * as sdpSim from './sim/sdp/index.js';
export * as gdbRsp from './protocol/gdb-rsp/index.js';
export * as flashAlgo from './protocol/flash-algo/index.js';
export * as packs from './pack/index.js';
export { ResetUnsupportedError, type CoreAccess, type CoreOptions, type CoreRegister, type HaltState, type RegisterWriteOptions } from './arch/core-access.js';
export { AIRCR, CPUID, CPUID_ARCHITECTURE_V7M, DCRDR, DCRSR, decodeCpuId, decodeFaultStatus, decodeFpCtrl, DEMCR, DFSR, DHCSR, EXCEPTION_NAMES, exceptionNumber, FAULT_REGISTERS, FPB, fpComparator, readFaultStatus, REGSEL, VTOR, XPSR_THUMB, type CpuId, type FaultStatus } from './arch/cortex-m.js';
export { GdbCoreAccess, GdbResetError, type GdbCoreAccessOptions } from './programmer/gdb-core-access.js';
export { GdbProgrammer, type GdbProgrammerOptions, type GdbStrategy } from './programmer/gdb-programmer.js';
export * as doctor from './doctor/index.js';
