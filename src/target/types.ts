/**
 * Target descriptions: what a chip's memory looks like, as data. Every description cites
 * the document its numbers came from. Descriptions are plain JSON-compatible objects so a
 * user can supply their own file (`--target-file`).
 */

export type RegionKind = 'flash' | 'ram' | 'rom' | 'external-nor' | 'option-bytes';

/** `count` consecutive sectors of `size` bytes. A list of runs describes non-uniform maps. */
export interface SectorRun {
  size: number;
  count: number;
}

export interface MemoryRegion {
  /** Short name, unique within the target: "flash", "sram1", "flexspi", "option-bytes". */
  name: string;
  kind: RegionKind;
  start: number;
  size: number;
  /** Erase granularity; required for flash-like kinds. Runs cover the region exactly. */
  sectors?: SectorRun[] | undefined;
  /** Minimum program unit in bytes (page or double-word); writes are padded to it. */
  pageSize?: number | undefined;
  /** Value of an erased byte (0xFF for almost all NOR; 0x00 on a few parts). */
  erasedValue?: number | undefined;
  /** Not configured until the host sets it up (e.g. i.MX RT FlexSPI NOR needs ConfigureMemory). */
  needsConfiguration?: boolean | undefined;
  /**
   * How the host configures a region that needs it, when the user gives nothing on the
   * command line: FlexSPI NOR option words (as `--flexspi-option` takes them, i.MX RT
   * flashloader ConfigureMemory 9). A target file names the board's block here.
   */
  configuration?: { flexspiOption?: number[] } | undefined;
  /** Free text: the external part, bank, alias. */
  note?: string | undefined;
  /**
   * The flash algorithm that erases and programs this region, when the way in runs
   * algorithms (a target with several flash regions can have one per region).
   */
  algorithm?: string | undefined;
  /**
   * The chip boots from this region (its start holds the vector table or the boot header),
   * and a raw binary without --base goes there. At most one region per target; when none is
   * marked, the first internal flash region is taken.
   */
  boot?: boolean | undefined;
}

/** Memory the bootloader or ROM owns; the plan refuses to write there. */
export interface ReservedArea {
  start: number;
  size: number;
  /** Who owns it: "STM32 system bootloader", "MCUboot", "application bootloader". */
  owner: string;
}

/** Family-specific checks the flash engine runs before writing. */
export interface TargetFeatures {
  /**
   * Built from what a device reports, with no description of the chip (no --target, and the
   * device named no part: an i.MX RT flashloader has no SystemDeviceId): where it boots is not
   * known, so an image starting a flash region is refused (checks/vector-table.ts).
   */
  unidentified?: boolean;
  /** Kinetis flash configuration field at 0x400–0x40F (relative to flash start). */
  kinetisFlashConfig?: boolean;
  /** STM32 option bytes: where RDP lives, so an image carrying option bytes can be checked. */
  stm32OptionBytes?: {
    address: number;
    rdpOffset: number;
    hasLevel2: boolean;
    /**
     * The RDP byte value that means level 0 (no protection): 0xA5 on STM32F1 (RM0008 §2.5
     * and the PM0075 option byte description, where 0xAA is an ordinary level-1 value), 0xAA on every other
     * family. When absent it follows the family (see stm32RdpLevel0).
     */
    rdpLevel0?: number;
  };
  /** i.MX RT FlexSPI boot: FCB offset inside the boot device and the IVT offset. */
  imxrtBoot?: { flexspiBase: number; fcbOffset: number; ivtOffset: number };
}

export interface TargetDescription {
  /** Canonical name, e.g. "STM32F103xB"; lookups are case-insensitive. */
  name: string;
  aliases?: string[];
  vendor: string;
  family: string;
  core: string;
  /** The document(s) the numbers came from: "RM0008 Rev 21 §3.3.3; AN2606 Table 3". */
  source: string;
  regions: MemoryRegion[];
  reserved?: ReservedArea[];
  features?: TargetFeatures | undefined;
  /** IDs by which a way in recognises the chip: STM32 PID, Kinetis SDID… */
  ids?: Record<string, number>;
}
