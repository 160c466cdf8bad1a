/**
 * Kinetis flash security as the simulated MCUboot device models it: FSEC latched from the
 * flash configuration field at reset (the flash controller copies 0x40C into its FSEC
 * register then, so erasing or programming the field changes security only after a reset),
 * FlashEraseAllUnsecure (refused when MEEN disables mass erase) and the backdoor key compare
 * (only with KEYEN = 0b10 and a key that is not all 0x00/0xFF; a wrong key blocks retries until
 * reset). K64 Sub-Family Reference Manual, "Flash security" and the FTFE FSEC register.
 */
import type { MemoryRegion } from '../../target/types.js';
import { FSEC_UNSECURE, KINETIS_FCF } from '../../target/facts/kinetis-fcf.js';
import type { SimMemory } from '../sim-memory.js';
import { S } from './status.js';

export class KinetisFlashSecurity {
  private latched?: number | undefined;
  private unlocked = false;
  private backdoorBlocked = false;

  /** `flash` undefined (no internal flash, or no Kinetis flash configuration field): never secure. */
  constructor(private readonly memory: SimMemory, private readonly flash: MemoryRegion | undefined) {
    this.latch();
  }

  /** FSEC as latched at the last reset. */
  get fsec(): number | undefined {
    return this.latched;
  }

  /** Secure = FSEC.SEC ≠ 0b10 and not unlocked by the backdoor key since reset. */
  get secure(): boolean {
    return this.latched !== undefined && (this.latched & 3) !== 2 && !this.unlocked;
  }

  /** A reset: the unlock and the backdoor block go, FSEC is latched again. */
  reset(): void {
    this.unlocked = false;
    this.backdoorBlocked = false;
    this.latch();
  }

  /** Mass erase, then program FSEC = 0xFE (unsecure); memory errors propagate to the caller. */
  eraseAllUnsecure(): number {
    if (!this.flash || this.latched === undefined) return S.UnknownCommand;
    if (((this.latched >> 4) & 3) === 2) return S.FlashAccess;
    this.memory.eraseAllFlash();
    this.memory.program(this.flash.start + KINETIS_FCF.fsec, Uint8Array.of(FSEC_UNSECURE));
    this.latched = FSEC_UNSECURE;
    return S.Success;
  }

  /** FlashSecurityDisable: the backdoor key as two little-endian words. */
  securityDisable(low: number, high: number): number {
    if (!this.flash || this.latched === undefined) return S.UnknownCommand;
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(0, low, true);
    new DataView(key.buffer).setUint32(4, high, true);
    const stored = this.memory.read(this.flash.start + KINETIS_FCF.backdoorKey, 8);
    const keyen = (this.latched >> 6) & 3;
    const trivial = stored.every((b) => b === 0) || stored.every((b) => b === 0xff);
    if (this.backdoorBlocked || keyen !== 2 || trivial || stored.some((b, i) => b !== key[i])) {
      this.backdoorBlocked = true;
      return S.FlashAccess;
    }
    this.unlocked = true;
    return S.Success;
  }

  private latch(): void {
    this.latched = this.flash ? this.memory.read(this.flash.start + KINETIS_FCF.fsec, 1)[0] : undefined;
  }
}
