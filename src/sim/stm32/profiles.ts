/**
 * Simulated STM32 bootloaders: which chip, what its bootloader reports and offers.
 *
 * Bootloader versions and command sets as AN2606 lists them for these parts (F103 v2.2
 * with Erase 0x43; F407 v3.1 and L476 with Extended Erase 0x44). Get Checksum (0xA1)
 * belongs to newer bootloader revisions (AN3155 Get Checksum); the L476 profile offers it
 * so the host's checksum path has a peer here. Every profile can be overridden.
 */
import { Cmd } from '../../protocol/stm32-uart/commands.js';
import { findTargetById } from '../../target/lookup.js';
import type { TargetDescription } from '../../target/types.js';
import { NOR_TIMING_PRESETS, type NorTiming } from '../nor-flash.js';

export interface Stm32SimProfile {
  /** Lower-case chip key used by `--chip`. */
  chip: string;
  pid: number;
  /** Get / Get Version byte: 0x22 = v2.2. */
  version: number;
  commands: number[];
  /** RDP byte value meaning level 0 (F1: 0xA5; others 0xAA). */
  rdpLevel0: number;
  /** Sends one BUSY (0x76) per this many modelled ms of erase; undefined = never. */
  busyEveryMs?: number;
  /** Flash timing preset (nor-flash.ts). */
  timing: NorTiming;
  /** Program-unit alignment the flash controller enforces. */
  writeAlignment: number;
  /** Page number where bank 2 starts, for Extended Erase 0xFFFD. */
  bank2FirstPage?: number;
}

const BASE = [Cmd.Get, Cmd.GetVersion, Cmd.GetId, Cmd.ReadMemory, Cmd.Go, Cmd.WriteMemory];
const PROTECT = [Cmd.WriteProtect, Cmd.WriteUnprotect, Cmd.ReadoutProtect, Cmd.ReadoutUnprotect];

export const STM32_SIM_PROFILES = {
  stm32f103xb: {
    chip: 'stm32f103xb', pid: 0x410, version: 0x22, commands: [...BASE, Cmd.Erase, ...PROTECT],
    rdpLevel0: 0xa5, timing: NOR_TIMING_PRESETS.stm32f1, writeAlignment: 2,
  },
  stm32f407xg: {
    chip: 'stm32f407xg', pid: 0x413, version: 0x31, commands: [...BASE, Cmd.ExtendedErase, ...PROTECT],
    rdpLevel0: 0xaa, busyEveryMs: 500, timing: NOR_TIMING_PRESETS.stm32f4, writeAlignment: 4,
  },
  stm32l476xg: {
    // Get Checksum (0xA1) here models a NEWER bootloader revision (AN3155: newer bootloaders
    // only; a host must check the Get list). It is not a claim that the L476's own ROM
    // offers it: it gives the host's checksum path (skip, CRC-checked reads, digest verify)
    // a peer. Drop it from `commands` to simulate a bootloader without it.
    chip: 'stm32l476xg', pid: 0x415, version: 0x32, commands: [...BASE, Cmd.ExtendedErase, ...PROTECT, Cmd.GetChecksum],
    // RM0351 / DS10198: 2 KiB page erase 22 ms typ, double-word program 81.7 µs typ.
    rdpLevel0: 0xaa, busyEveryMs: 500, timing: { sectorEraseMs: 22, chipEraseMs: 22, programMs: 0.0817, unitBytes: 8 }, writeAlignment: 8,
    bank2FirstPage: 256,
  },
} satisfies Record<string, Stm32SimProfile>;

/** The profile named `chip` (case-insensitive), or undefined. */
export function findStm32SimProfile(chip: string): Stm32SimProfile | undefined {
  const all: Readonly<Record<string, Stm32SimProfile>> = STM32_SIM_PROFILES;
  return all[chip.toLowerCase()];
}

/** The built-in target description behind a profile. */
export function profileTarget(profile: Stm32SimProfile): TargetDescription {
  const t = findTargetById('stm32Pid', profile.pid);
  if (!t) throw new Error(`No built-in target carries stm32Pid ${profile.pid.toString(16)}`);
  return t;
}
