/**
 * FlexSPI NOR Configuration Block (FCB) for a QuadSPI NOR, generated from parameters.
 * Layout: i.MX RT1020/RT1060 reference manuals, "FlexSPI NOR Configuration Block" table;
 * LUT instruction encoding: FlexSPI chapter, "Look Up Table" ([15:10] opcode, [9:8] pads,
 * [7:0] operand; two instructions per 32-bit word, the first in the low half). The LUT
 * sequence numbers follow the ROM's convention (0 read, 1 read status, 3 write enable,
 * 4 write status, 5 sector erase, 8 block erase, 9 page program, 11 chip erase).
 * Commands: the JEDEC SPI NOR set the IS25LP064A datasheet lists (0xEB quad I/O read, 0x05,
 * 0x06, 0x01, 0x20, 0xD8, 0x02, 0x60).
 */
import { UsageError } from '../core/errors.js';
import { FREQUENCY_MHZ } from './flexspi-option.js';
import { FCB_TAG } from '../target/facts/imxrt-boot.js';

export const FCB_SIZE = 512;
export { FCB_TAG } from '../target/facts/imxrt-boot.js';
export const FCB_VERSION = 0x56010400; // 'V' 1.4.0

/** FlexSPI LUT opcodes (RT10xx RM, FlexSPI "Instruction set"). */
export const LutOp = {
  STOP: 0x00, CMD_SDR: 0x01, RADDR_SDR: 0x02, CADDR_SDR: 0x03, MODE8_SDR: 0x07, WRITE_SDR: 0x08, READ_SDR: 0x09, DUMMY_SDR: 0x0c,
} as const;

/** Pads field of a LUT instruction: 0 = 1 pad, 1 = 2, 2 = 4, 3 = 8. */
const PADS: Readonly<Record<1 | 2 | 4 | 8, number>> = { 1: 0, 2: 1, 4: 2, 8: 3 };

export function lutInstruction(opcode: number, pads: 1 | 2 | 4 | 8, operand: number): number {
  return ((opcode & 0x3f) << 10) | (PADS[pads] << 8) | (operand & 0xff);
}

/** The LUT sequence numbers the boot ROM and flashloader use. */
export const LutSeq = { Read: 0, ReadStatus: 1, WriteEnable: 3, WriteStatus: 4, EraseSector: 5, EraseBlock: 8, PageProgram: 9, ChipErase: 11 } as const;

export interface QspiNorParameters {
  /** Bytes of flash (IS25LP064A: 8 MiB). */
  size: number;
  pageSize?: number;
  sectorSize?: number;
  blockSize?: number;
  /** Serial clock in MHz (one of the FlexSPI frequency codes: 30, 50, 60, 75, 80, 100, 133, 166). */
  frequencyMhz?: number;
  /** Dummy cycles of the 0xEB read (IS25LP064A: 6 at the default read parameters). */
  readDummyCycles?: number;
  /** Set the quad-enable bit with a Write Status command (IS25LP064A: SR1 bit 6 → value 0x40). */
  quadEnableStatusValue?: number;
  /** readSampleClkSrc: 0 internal loopback, 1 loopback from DQS pad (default), 3 flash-provided DQS. */
  readSampleClockSource?: number;
}

/** IS25LP064A, the built-in i.MX RT boards' default part (IS25LP064A datasheet). */
export const IS25LP064A: Required<QspiNorParameters> = {
  size: 8 * 1024 * 1024, pageSize: 256, sectorSize: 4096, blockSize: 64 * 1024, frequencyMhz: 133, readDummyCycles: 6,
  quadEnableStatusValue: 0x40, readSampleClockSource: 1,
};

/** Builds the 512-byte FCB. */
export function buildQspiFcb(params: QspiNorParameters): Uint8Array {
  const p = { ...IS25LP064A, ...params };
  const clk = Number(Object.keys(FREQUENCY_MHZ).find((k) => FREQUENCY_MHZ[Number(k)] === p.frequencyMhz));
  if (!Number.isInteger(clk)) throw new UsageError(`FlexSPI has no ${p.frequencyMhz} MHz setting.`, { hint: `Choose one of ${Object.values(FREQUENCY_MHZ).join(', ')} MHz.` });
  for (const [name, v] of [['size', p.size], ['pageSize', p.pageSize], ['sectorSize', p.sectorSize], ['blockSize', p.blockSize]] as const) {
    if (!Number.isInteger(v) || v <= 0 || (name !== 'size' && (v & (v - 1)) !== 0)) {
      throw new UsageError(`The flash ${name} ${v} is not valid (sizes are positive, page/sector/block sizes powers of two).`, { context: { [name]: v } });
    }
  }
  const fcb = new Uint8Array(FCB_SIZE);
  const v = new DataView(fcb.buffer);
  v.setUint32(0x000, FCB_TAG, true);
  v.setUint32(0x004, FCB_VERSION, true);
  fcb[0x00c] = p.readSampleClockSource;
  fcb[0x00d] = 3; // csHoldTime
  fcb[0x00e] = 3; // csSetupTime
  if (p.quadEnableStatusValue !== undefined && p.quadEnableStatusValue >= 0) {
    fcb[0x010] = 1; // deviceModeCfgEnable
    fcb[0x011] = 1; // deviceModeType: quad enable
    v.setUint32(0x014, (LutSeq.WriteStatus << 8) | 1, true); // deviceModeSeq: 1 sequence starting at LUT seq 4
    v.setUint32(0x018, p.quadEnableStatusValue, true); // deviceModeArg
  }
  fcb[0x044] = 1; // deviceType: serial NOR
  fcb[0x045] = 4; // sflashPadType: quad
  fcb[0x046] = clk; // serialClkFreq
  v.setUint32(0x050, p.size, true); // sflashA1Size
  const seq = (n: number, ...ins: number[]) => ins.forEach((x, i) => v.setUint16(0x080 + n * 16 + i * 2, x, true));
  seq(LutSeq.Read, lutInstruction(LutOp.CMD_SDR, 1, 0xeb), lutInstruction(LutOp.RADDR_SDR, 4, 24), lutInstruction(LutOp.DUMMY_SDR, 4, p.readDummyCycles), lutInstruction(LutOp.READ_SDR, 4, 4));
  seq(LutSeq.ReadStatus, lutInstruction(LutOp.CMD_SDR, 1, 0x05), lutInstruction(LutOp.READ_SDR, 1, 4));
  seq(LutSeq.WriteEnable, lutInstruction(LutOp.CMD_SDR, 1, 0x06));
  seq(LutSeq.WriteStatus, lutInstruction(LutOp.CMD_SDR, 1, 0x01), lutInstruction(LutOp.WRITE_SDR, 1, 1));
  seq(LutSeq.EraseSector, lutInstruction(LutOp.CMD_SDR, 1, 0x20), lutInstruction(LutOp.RADDR_SDR, 1, 24));
  seq(LutSeq.EraseBlock, lutInstruction(LutOp.CMD_SDR, 1, 0xd8), lutInstruction(LutOp.RADDR_SDR, 1, 24));
  seq(LutSeq.PageProgram, lutInstruction(LutOp.CMD_SDR, 1, 0x02), lutInstruction(LutOp.RADDR_SDR, 1, 24), lutInstruction(LutOp.WRITE_SDR, 1, 4));
  seq(LutSeq.ChipErase, lutInstruction(LutOp.CMD_SDR, 1, 0x60));
  v.setUint32(0x1c0, p.pageSize, true);
  v.setUint32(0x1c4, p.sectorSize, true);
  fcb[0x1c8] = clk; // ipcmdSerialClkFreq
  fcb[0x1c9] = 0; // isUniformBlockSize: sectors differ from blocks
  v.setUint32(0x1d0, p.blockSize, true);
  return fcb;
}

/** The fields an FCB reader checks, for tests and `imxrt image --explain`. */
export interface FcbSummary {
  tag: number;
  version: number;
  deviceType: number;
  padType: number;
  serialClkFreq: number;
  size: number;
  pageSize: number;
  sectorSize: number;
  blockSize: number;
  readCommand: number;
}

export function parseFcb(fcb: Uint8Array): FcbSummary {
  // DataView.getUint32 at 0x1d0 below throws a RangeError on a short block, so the byte reads at 0x44–0x46 are in range.
  const v = new DataView(fcb.buffer, fcb.byteOffset, fcb.byteLength);
  return {
    tag: v.getUint32(0, true), version: v.getUint32(4, true), deviceType: v.getUint8(0x44), padType: v.getUint8(0x45), serialClkFreq: v.getUint8(0x46),
    size: v.getUint32(0x50, true), pageSize: v.getUint32(0x1c0, true), sectorSize: v.getUint32(0x1c4, true), blockSize: v.getUint32(0x1d0, true),
    readCommand: v.getUint16(0x80, true) & 0xff,
  };
}
