/**
 * The chips the MCUboot simulator can play. Memory maps come from the built-in target
 * descriptions (src/target/builtin); the bootloader facts below are the simulator's model of
 * a Kinetis ROM-style KBOOT and of the i.MX RT flashloader (MCUBOOTRM "Kinetis bootloader
 * properties"; the i.MX RT1020 flashloader release notes for its RAM use).
 */
import { requireTarget } from '../../target/lookup.js';
import type { TargetDescription } from '../../target/types.js';
import { CommandTag } from '../../protocol/mcuboot/commands.js';
import { encodeVersion } from '../../protocol/mcuboot/properties.js';

export interface McubootChipProfile {
  /** Built-in target name. */
  target: TargetDescription;
  flavour: 'kinetis' | 'imxrt-flashloader';
  /** CurrentVersion property. */
  version: number;
  /** MaxPacketSize the device reports over UART. */
  maxPacketSize: number;
  /** Memory the bootloader itself uses (ReservedRegions, end inclusive). */
  reserved: Array<{ start: number; end: number; owner: string }>;
  /** AvailablePeripherals mask: bit 0 UART, bit 4 USB-HID. */
  peripherals: number;
  /** Commands the bootloader implements. */
  commands: number[];
  /** SystemDeviceIdent value the simulator reports (a model value, not a silicon ID). */
  sdid: number;
  /** The largest data packet this simulated bootloader can buffer. */
  maxBuffer: number;
}

const ALL_COMMANDS = Object.values(CommandTag).filter((t) => t !== CommandTag.ReliableUpdate);

/** A ROM-style KBOOT on a K64: no flash reserved, the first 8 KiB of SRAM_L reserved. */
function kinetis(name: string): McubootChipProfile {
  const target = requireTarget(name);
  const sram = target.regions.find((r) => r.kind === 'ram')!;
  return {
    target, flavour: 'kinetis', version: encodeVersion('K', 3, 0, 0), maxPacketSize: 32,
    reserved: [{ start: sram.start, end: sram.start + 0x1fff, owner: 'MCUboot (stack and buffers)' }],
    peripherals: 0b10001, commands: ALL_COMMANDS.filter((t) => t !== CommandTag.ConfigureMemory), sdid: 0x10030000, maxBuffer: 4096,
  };
}

/** The i.MX RT flashloader runs from OCRAM; FlexSPI NOR needs ConfigureMemory(9) first. */
function imxrt(name: string): McubootChipProfile {
  const target = requireTarget(name);
  const ocram = target.regions.find((r) => r.name === 'ocram')!;
  return {
    target, flavour: 'imxrt-flashloader', version: encodeVersion('K', 1, 0, 0), maxPacketSize: 512,
    reserved: [{ start: ocram.start, end: ocram.start + 0xffff, owner: 'MCUboot flashloader (code, stack and buffers)' }],
    peripherals: 0b10001, commands: ALL_COMMANDS.filter((t) => t !== CommandTag.FlashSecurityDisable && t !== CommandTag.FlashEraseAllUnsecure), sdid: 0, maxBuffer: 4096,
  };
}

const FACTORIES: Record<string, () => McubootChipProfile> = {
  mk64fn1m0: () => kinetis('MK64FN1M0'),
  mk22fn512: () => kinetis('MK22FN512'),
  mk24fn1m0: () => kinetis('MK24FN1M0'),
  mkv58f1m0: () => kinetis('MKV58F1M0'),
  mimxrt1021: () => imxrt('MIMXRT1021'),
  mimxrt1062: () => imxrt('MIMXRT1062'),
};

export const MCUBOOT_SIM_CHIPS = Object.keys(FACTORIES).map((k) => k.toUpperCase());

/** The profile for `name` (case-insensitive), or undefined. */
export function mcubootChip(name: string): McubootChipProfile | undefined {
  return FACTORIES[name.toLowerCase()]?.();
}
