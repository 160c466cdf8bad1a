/**
 * The Kinetis MDM-AP (AP 1; NXP Kinetis K64 Sub-Family Reference Manual K64P144M120SF5RM
 * §9.3.1 "MDM-AP Control and Status Registers", and ../shared/design/PROTOCOL-FACTS.md):
 * Status 0x00 (bit 0 Flash Mass Erase Acknowledge, 1 Flash Ready, 2 System Security,
 * 3 System Reset (0 = held in reset), 5 Mass Erase Enable, 16 Core Halted), Control 0x04
 * (bit 0 Flash Mass Erase in Progress — set it to start, it clears when done; 3 System
 * Reset Request; 4 Core Hold Reset), IDR 0xFC = 0x001C0000.
 * A mass erase erases all flash and leaves the part unsecure until the next power-on reset,
 * through system resets (the K-series reference manuals' MDM-AP mass-erase flow, as debug
 * hosts such as pyOCD and probe-rs rely on: erase, reset, then program FSEC = 0xFE); a
 * power-on reset reloads FSEC from flash (erased 0xFF = secure again unless 0x40C was
 * programmed). While the part is secured, Debug Disable and Debug Request are not writable;
 * mass erase, System Reset Request and Core Hold Reset are, which is what the recovery flow
 * of NXP AN4835 §4.1.1 needs (hold the part in reset, then mass erase) and what OpenOCD's
 * `kinetis mdm mass_erase` does.
 */
import type { AccessPort } from './dp.js';

export interface KinetisSecurity {
  /** FSEC as the flash controller holds it now. */
  secured(): boolean;
  massEraseEnabled(): boolean;
  coreHalted(): boolean;
  /** Erases all flash; afterwards the controller reports unsecure until reset. */
  massErase(): void;
  /** Holds (true) or releases (false) the system in reset. */
  holdReset(hold: boolean): void;
  /** Whether the system is held in reset (by nRESET or this AP). */
  inReset(): boolean;
}

export interface MdmStats { massErases: number }

export class MdmAp implements AccessPort {
  readonly name = 'MDM-AP';
  private control = 0;
  /** Status reads left before an accepted mass erase finishes. */
  private eraseCountdown = -1;
  private eraseAck = false;
  readonly stats: MdmStats = { massErases: 0 };

  constructor(private readonly chip: KinetisSecurity, private readonly eraseReads = 3) {}

  read(offset: number): number {
    switch (offset) {
      case 0x00: {
        this.tick();
        return ((this.eraseAck ? 1 : 0) | 0x2 | (this.chip.secured() ? 0x4 : 0) | (this.chip.inReset() ? 0 : 0x8)
          | (this.chip.massEraseEnabled() ? 0x20 : 0) | (this.chip.coreHalted() ? 0x10000 : 0)) >>> 0;
      }
      case 0x04: this.tick(); return this.control >>> 0;
      case 0xfc: return 0x001c0000;
      default: return 0;
    }
  }

  write(offset: number, value: number): void {
    if (offset !== 0x04) return;
    const start = (value & 1) && !(this.control & 1);
    // Secured: Debug Disable (bit 1) and Debug Request (bit 2) keep their values.
    if (this.chip.secured()) value = (value & ~0x6) | (this.control & 0x6);
    this.control = value & 0x3f;
    if ((value & 0x8) !== 0 || (value & 0x10) !== 0) this.chip.holdReset(true);
    else this.chip.holdReset(false);
    if (start) {
      if (!this.chip.massEraseEnabled()) { this.control &= ~1; return; } // MEEN = 10: the request is ignored
      this.eraseAck = true;
      this.eraseCountdown = this.eraseReads;
    }
  }

  private tick(): void {
    if (this.eraseCountdown < 0) return;
    if (this.eraseCountdown-- > 0) return;
    this.chip.massErase();
    this.stats.massErases++;
    this.control &= ~1;
    this.eraseCountdown = -1;
  }
}
