/**
 * Numbers the simulated probe and target answer to, each from the document that defines it:
 * the Arm CMSIS-DAP v2.1 specification (command IDs, DAP_Info IDs, transfer request and
 * response bits), Arm ADIv5.2 IHI0031 (DP/AP registers, ACK codes, ABORT and CTRL/STAT
 * bits, JTAG-DP instructions) and the Armv6-M/Armv7-M ARM (debug registers in the SCS).
 * Written for the simulator from the specifications; the host side keeps its own table.
 */

/** CMSIS-DAP command IDs (CMSIS-DAP "Commands" chapter). */
export const CMD = {
  Info: 0x00, HostStatus: 0x01, Connect: 0x02, Disconnect: 0x03, TransferConfigure: 0x04, Transfer: 0x05,
  TransferBlock: 0x06, TransferAbort: 0x07, WriteAbort: 0x08, Delay: 0x09, ResetTarget: 0x0a,
  SwjPins: 0x10, SwjClock: 0x11, SwjSequence: 0x12, SwdConfigure: 0x13, JtagSequence: 0x14,
  JtagConfigure: 0x15, JtagIdcode: 0x16, SwdSequence: 0x1d, QueueCommands: 0x7e, ExecuteCommands: 0x7f,
} as const;

export const DAP_OK = 0x00;
export const DAP_ERROR = 0xff;

/** DAP_Info IDs. */
export const INFO = {
  vendor: 0x01, product: 0x02, serial: 0x03, protocolVersion: 0x04, targetVendor: 0x05, targetName: 0x06,
  boardVendor: 0x07, boardName: 0x08, firmwareVersion: 0x09, capabilities: 0xf0, timerFrequency: 0xf1,
  uartRxBuffer: 0xfb, uartTxBuffer: 0xfc, swoBuffer: 0xfd, packetCount: 0xfe, packetSize: 0xff,
} as const;

/** DAP_Info capabilities byte 0 (bit 0 SWD, 1 JTAG, 4 atomic commands, 5 test domain timer). */
export const CAP = { swd: 0x01, jtag: 0x02, atomic: 0x10, timer: 0x20 } as const;

/** DAP_Transfer request bits. */
export const REQ = { APnDP: 0x01, RnW: 0x02, A: 0x0c, matchValue: 0x10, matchMask: 0x20, timestamp: 0x80 } as const;

/** Transfer response: ACK in bits 2:0, plus protocol error (bit 3) and value mismatch (bit 4). */
export const ACK = { OK: 0x1, WAIT: 0x2, FAULT: 0x4, NONE: 0x7 } as const;
export const RESP_PROTOCOL_ERROR = 0x08;
export const RESP_MISMATCH = 0x10;

/** SWJ pin bits (DAP_SWJ_Pins). */
export const PIN = { SWCLK: 0x01, SWDIO: 0x02, TDI: 0x04, TDO: 0x08, nTRST: 0x20, nRESET: 0x80 } as const;

/** DP register addresses A[3:2] << 2 (ADIv5.2 B2.2). */
export const DP = { DPIDR: 0x0, ABORT: 0x0, CTRL_STAT: 0x4, SELECT: 0x8, RESEND: 0x8, RDBUFF: 0xc, TARGETSEL: 0xc } as const;

/** ABORT bits (ADIv5.2 B2.2.1). */
export const ABORT = { DAPABORT: 1 << 0, STKCMPCLR: 1 << 1, STKERRCLR: 1 << 2, WDERRCLR: 1 << 3, ORUNERRCLR: 1 << 4 } as const;

/** CTRL/STAT bits (ADIv5.2 B2.2.2). */
export const CTRL = {
  ORUNDETECT: 1 << 0, STICKYORUN: 1 << 1, TRNMODE: 3 << 2, STICKYCMP: 1 << 4, STICKYERR: 1 << 5, READOK: 1 << 6, WDATAERR: 1 << 7,
  CDBGRSTREQ: 1 << 26, CDBGRSTACK: 1 << 27, CDBGPWRUPREQ: 1 << 28, CDBGPWRUPACK: 1 << 29, CSYSPWRUPREQ: 1 << 30, CSYSPWRUPACK: 1 << 31,
} as const;

/** MEM-AP register offsets (ADIv5.2 C2.6). */
export const MEMAP = { CSW: 0x00, TAR: 0x04, TAR_HI: 0x08, DRW: 0x0c, BD0: 0x10, CFG: 0xf4, BASE: 0xf8, IDR: 0xfc } as const;

/** JTAG-DP instructions (4-bit IR, ADIv5.2 B3.3). */
export const JTAG_IR = { ABORT: 0x8, DPACC: 0xa, APACC: 0xb, IDCODE: 0xe, BYPASS: 0xf } as const;
/** JTAG-DP ACK in the 3 bits captured by DPACC/APACC: OK/FAULT 0b010, WAIT 0b001. */
export const JTAG_ACK = { OK_FAULT: 0x2, WAIT: 0x1 } as const;

/** Cortex-M debug and system registers (Armv7-M ARM C1.6, B3.2; Armv6-M ARM C1.6). */
export const SCS = {
  CPUID: 0xe000ed00, ICSR: 0xe000ed04, VTOR: 0xe000ed08, AIRCR: 0xe000ed0c, DFSR: 0xe000ed30,
  DHCSR: 0xe000edf0, DCRSR: 0xe000edf4, DCRDR: 0xe000edf8, DEMCR: 0xe000edfc,
} as const;
export const DHCSR = {
  KEY: 0xa05f0000, C_DEBUGEN: 1 << 0, C_HALT: 1 << 1, C_STEP: 1 << 2, C_MASKINTS: 1 << 3,
  S_REGRDY: 1 << 16, S_HALT: 1 << 17, S_SLEEP: 1 << 18, S_LOCKUP: 1 << 19, S_RETIRE_ST: 1 << 24, S_RESET_ST: 1 << 25,
} as const;
export const DFSR = { HALTED: 1 << 0, BKPT: 1 << 1, DWTTRAP: 1 << 2, VCATCH: 1 << 3, EXTERNAL: 1 << 4 } as const;
export const DEMCR = { VC_CORERESET: 1 << 0, TRCENA: 1 << 24 } as const;
export const AIRCR = { VECTKEY: 0x05fa0000, VECTRESET: 1 << 0, VECTCLRACTIVE: 1 << 1, SYSRESETREQ: 1 << 2 } as const;
/** FPB (Armv7-M C1.11; Armv6-M C1.9 "BPU"): FP_CTRL, FP_REMAP, comparators from +8. */
export const FPB = { BASE: 0xe0002000, CTRL: 0xe0002000, REMAP: 0xe0002004, COMP0: 0xe0002008 } as const;
export const DWT_CTRL = 0xe0001000;
