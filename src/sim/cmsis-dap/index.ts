/** The simulated CMSIS-DAP probe, its DP/AP model and the targets behind it. */
export { createSimDapProbe, SimDapProbe, ProbeUnpluggedError, type SimDapProbeOptions, type ProbeFaults, type ProbeStats } from './probe.js';
export { createMemoryTarget, MemoryCore, MEMORY_CHIPS, type MemoryChip, type MemoryTarget, type MemoryTargetOptions, type ResumeHandler } from './memory-target.js';
export { assembleTarget, type DapTarget, type TargetParts } from './target.js';
export { USB_LINKS, USB_LINK_MODELS, UsbTimingModel, type UsbLinkName, type UsbLinkModel } from './usb-timing.js';
export { SwdTargetWire, parity32, type SwdResponder, type SwdRequest } from './swd-wire.js';
export { DebugPort, ApBusError, type AccessPort } from './dp.js';
export { MemAp, type MemoryBus, type AccessSize } from './mem-ap.js';
export { CortexDebug, type CoreControl, type CortexProfile, type HaltCause } from './cortex-m.js';
export { MdmAp } from './mdm-ap.js';
