/**
 * What the simulated MCUboot device answers to GetProperty (MCUBOOTRM, the property table):
 * the chip profile's identity, the memory map as the bootloader reports it (flash start and
 * size, sector and page size, the largest contiguous RAM, reserved regions), the session's
 * state (last error, verify-writes, security) and FlexSPI NOR attributes once configured.
 */
import { MemoryId } from '../../protocol/mcuboot/commands.js';
import { encodeAvailableCommands, encodeExternalMemoryAttributes, PropertyTag } from '../../protocol/mcuboot/properties.js';
import type { TargetDescription } from '../../target/types.js';
import type { SimMemory } from '../sim-memory.js';
import type { McubootChipProfile } from './chips.js';
import { S } from './status.js';

/** The device state a property answer reads. */
export interface PropertySource {
  chip: McubootChipProfile;
  memory: SimMemory;
  reserved: ReadonlyArray<{ start: number; end: number }>;
  maxPacketSize: number;
  lastError: number;
  verifyWrites: number;
  secure: boolean;
}

const PROPERTY_TAGS: ReadonlySet<number> = new Set(Object.values(PropertyTag));

/** Whether `tag` names a property at all (SetProperty answers 10301 read-only, else 10300 unknown). */
export function isPropertyTag(tag: number): boolean {
  return PROPERTY_TAGS.has(tag);
}

/** The largest block of contiguous RAM (K64: SRAM_L + SRAM_U; RT: OCRAM). */
export function mainRam(target: TargetDescription): { start: number; size: number } {
  const rams = target.regions.filter((r) => r.kind === 'ram').sort((x, y) => x.start - y.start);
  const blocks: Array<{ start: number; size: number }> = [];
  for (const r of rams) {
    const last = blocks[blocks.length - 1];
    if (last && last.start + last.size === r.start) last.size += r.size;
    else blocks.push({ start: r.start, size: r.size });
  }
  return blocks.reduce((a, b) => (b.size > a.size ? b : a));
}

/** The property's values, or the status code that refuses it. */
export function propertyValues(tag: number, memoryId: number, d: PropertySource): number[] | number {
  const f = d.chip.target.regions.find((r) => r.kind === 'flash');
  const ram = mainRam(d.chip.target);
  switch (tag) {
    case PropertyTag.CurrentVersion: case PropertyTag.TargetVersion: return [d.chip.version];
    case PropertyTag.AvailablePeripherals: return [d.chip.peripherals];
    case PropertyTag.FlashStartAddress: return f ? [f.start] : S.UnknownProperty;
    case PropertyTag.FlashSize: return f ? [f.size] : S.UnknownProperty;
    case PropertyTag.FlashSectorSize: return f?.sectors?.[0] ? [f.sectors[0].size] : S.UnknownProperty;
    case PropertyTag.FlashBlockCount: return f ? [1] : S.UnknownProperty;
    case PropertyTag.FlashPageSize: return f ? [f.pageSize ?? 1] : S.UnknownProperty;
    case PropertyTag.AvailableCommands: return [encodeAvailableCommands(d.chip.commands)];
    case PropertyTag.LastError: return [d.lastError];
    case PropertyTag.VerifyWrites: return [d.verifyWrites];
    case PropertyTag.MaxPacketSize: return [d.maxPacketSize];
    case PropertyTag.ReservedRegions: return d.reserved.flatMap((r) => [r.start, r.end]);
    case PropertyTag.RamStartAddress: return [ram.start];
    case PropertyTag.RamSize: return [ram.size];
    case PropertyTag.SystemDeviceIdent: return [d.chip.sdid];
    case PropertyTag.FlashSecurityState: return [d.secure ? 1 : 0];
    case PropertyTag.UniqueDeviceIdent: return [0x46575349, 0x4d000000, 0x00000001, 0x00000002];
    case PropertyTag.ExternalMemoryAttributes: {
      if (memoryId !== MemoryId.FlexSpiNor) return S.InvalidArgument;
      const r = d.memory.regions.find((x) => x.region.kind === 'external-nor');
      if (!r) return S.InvalidArgument;
      if (!r.configured) return S.NotConfigured;
      const sector = r.region.sectors?.[0]?.size ?? r.region.size;
      return encodeExternalMemoryAttributes({ startAddress: r.region.start, sizeBytes: r.region.size, pageSize: r.region.pageSize ?? 256, sectorSize: sector, blockSize: 64 * 1024 });
    }
    default: return S.UnknownProperty;
  }
}
