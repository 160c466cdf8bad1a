/**
 * The nRF51 non-volatile memory controller, for the executing memory target. From the nRF51
 * Series Reference Manual v3.0, chapter 6 (NVMC at 0x4001E000): READY (+0x400, 1 = ready),
 * CONFIG (+0x504, WEN: 0 read-only, 1 write enabled, 2 erase enabled), ERASEPAGE (+0x508:
 * the address of the code-region page to erase), ERASEALL (+0x50C: 1 erases code and UICR),
 * ERASEUICR (+0x514: 1 erases UICR). Flash is written one aligned 32-bit word at a time and
 * only while CONFIG is write enabled; a write can only clear bits (erased = 1).
 * Stricter than silicon where the manual leaves it open: a flash write without write enable,
 * of a byte or halfword, or an erase request without erase enable is a bus fault, not
 * silently dropped; operations finish at once (READY stays 1).
 */
import { ApBusError } from './dp.js';
import type { AccessSize } from './mem-ap.js';

export const NVMC_BASE = 0x4001e000;
export const NVMC = { READY: 0x400, CONFIG: 0x504, ERASEPAGE: 0x508, ERASEALL: 0x50c, ERASEUICR: 0x514 } as const;
const WEN = { readOnly: 0, write: 1, erase: 2 } as const;

export interface FlashArea { start: number; size: number; bytes: Uint8Array }

export class Nvmc {
  readonly start = NVMC_BASE;
  readonly size = 0x1000;
  config: number = WEN.readOnly;
  readonly stats = { pageErases: 0, eraseAlls: 0, wordsWritten: 0 };

  constructor(private readonly code: FlashArea, private readonly uicr: FlashArea | undefined, private readonly pageSize = 1024) {}

  read(offset: number, size: AccessSize): number {
    if (size !== 4) throw new ApBusError(`NVMC registers are 32-bit: ${size}-byte read at +0x${offset.toString(16)}`);
    if (offset === NVMC.READY) return 1;
    if (offset === NVMC.CONFIG) return this.config;
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4) throw new ApBusError(`NVMC registers are 32-bit: ${size}-byte write at +0x${offset.toString(16)}`);
    if (offset === NVMC.CONFIG) { this.config = value & 3; return; }
    const eraseOp = offset === NVMC.ERASEPAGE || offset === NVMC.ERASEALL || offset === NVMC.ERASEUICR;
    if (!eraseOp) return;
    if (this.config !== WEN.erase) throw new ApBusError(`NVMC erase request (+0x${offset.toString(16)}) with CONFIG.WEN=${this.config}, not erase enabled`);
    if (offset === NVMC.ERASEPAGE) {
      const a = value >>> 0;
      if (a % this.pageSize || a < this.code.start || a >= this.code.start + this.code.size) throw new ApBusError(`ERASEPAGE 0x${a.toString(16)} is not the start of a code-region page`);
      this.code.bytes.fill(0xff, a - this.code.start, a - this.code.start + this.pageSize);
      this.stats.pageErases++;
    } else if (offset === NVMC.ERASEALL && value & 1) {
      this.code.bytes.fill(0xff);
      this.uicr?.bytes.fill(0xff);
      this.stats.eraseAlls++;
    } else if (offset === NVMC.ERASEUICR && value & 1) {
      this.uicr?.bytes.fill(0xff);
    }
  }

  /** A store into code flash or UICR. */
  writeFlash(area: FlashArea, address: number, size: AccessSize, value: number): void {
    if (this.config !== WEN.write) throw new ApBusError(`flash write at 0x${address.toString(16)} with NVMC CONFIG.WEN=${this.config}, not write enabled`);
    if (size !== 4 || address % 4) throw new ApBusError(`flash is written in aligned 32-bit words: ${size}-byte write at 0x${address.toString(16)}`);
    const o = address - area.start;
    for (let i = 0; i < 4; i++) area.bytes[o + i]! &= (value >>> (8 * i)) & 0xff;
    this.stats.wordsWritten++;
  }
}
