/**
 * The memory map as the device reports it (GetProperty), merged with a built-in target
 * description when the chip is known: the device wins on what it measures (flash size,
 * sectors, reserved regions, FlexSPI attributes once configured), the description adds what
 * the bootloader does not say (RAM banks, features such as the Kinetis FCF or i.MX RT boot).
 */
import { formatSize, hex } from '../../core/format.js';
import type { MemoryRegion, ReservedArea, TargetDescription } from '../../target/types.js';
import { MemoryId } from './commands.js';
import { decodeExternalMemoryAttributes, decodeReservedRegions, formatProperty, formatVersion, isSecure, propertyName, PropertyTag, type ReservedRegion } from './properties.js';
import type { McubootSession } from './session.js';
import { McubootStatusError } from './status.js';

export interface DeviceProperties {
  version?: string | undefined;
  flashStart?: number | undefined;
  flashSize?: number | undefined;
  flashSectorSize?: number | undefined;
  flashPageSize?: number | undefined;
  ramStart?: number | undefined;
  ramSize?: number | undefined;
  maxPacketSize?: number | undefined;
  availableCommands?: number | undefined;
  reserved: ReservedRegion[];
  secure?: boolean | undefined;
  sdid?: number | undefined;
  /** FlexSPI NOR (memory 9): whether configured, and its attributes once it is. */
  flexspi?: { configured: boolean; start?: number | undefined; size?: number | undefined; pageSize?: number | undefined; sectorSize?: number | undefined } | undefined;
  /** Every property read, as text (for `info`); unsupported ones say so. */
  formatted: Record<string, string>;
}

const READ_ORDER = [
  PropertyTag.CurrentVersion, PropertyTag.TargetVersion, PropertyTag.AvailablePeripherals, PropertyTag.FlashStartAddress, PropertyTag.FlashSize,
  PropertyTag.FlashSectorSize, PropertyTag.FlashPageSize, PropertyTag.FlashBlockCount, PropertyTag.RamStartAddress, PropertyTag.RamSize,
  PropertyTag.MaxPacketSize, PropertyTag.ReservedRegions, PropertyTag.AvailableCommands, PropertyTag.FlashSecurityState,
  PropertyTag.SystemDeviceIdent, PropertyTag.UniqueDeviceIdent,
];

/** Reads every property `info` shows; a property the device does not support is noted, not fatal. */
export async function readDeviceProperties(session: McubootSession, options: { signal?: AbortSignal | undefined } = {}): Promise<DeviceProperties> {
  const values = new Map<number, number[]>();
  const formatted: Record<string, string> = {};
  const get = async (tag: number, memoryId = 0): Promise<number[] | undefined> => {
    try {
      return await session.getProperty(tag, memoryId, options);
    } catch (e) {
      if (e instanceof McubootStatusError) return undefined;
      throw e;
    }
  };
  for (const tag of READ_ORDER) {
    const v = await get(tag);
    if (v) values.set(tag, v);
    formatted[propertyName(tag)] = v ? formatProperty(tag, v) : 'not supported';
  }
  const one = (tag: number) => values.get(tag)?.[0];
  const props: DeviceProperties = {
    version: values.has(PropertyTag.CurrentVersion) ? formatVersion(one(PropertyTag.CurrentVersion)!) : undefined,
    flashStart: one(PropertyTag.FlashStartAddress), flashSize: one(PropertyTag.FlashSize), flashSectorSize: one(PropertyTag.FlashSectorSize),
    flashPageSize: one(PropertyTag.FlashPageSize), ramStart: one(PropertyTag.RamStartAddress), ramSize: one(PropertyTag.RamSize),
    maxPacketSize: one(PropertyTag.MaxPacketSize), availableCommands: one(PropertyTag.AvailableCommands),
    reserved: decodeReservedRegions(values.get(PropertyTag.ReservedRegions) ?? []),
    secure: values.has(PropertyTag.FlashSecurityState) ? isSecure(one(PropertyTag.FlashSecurityState)!) : undefined,
    sdid: one(PropertyTag.SystemDeviceIdent), formatted,
  };
  // FlexSPI NOR: 10205 means present but not configured; other errors mean no such memory.
  try {
    const a = decodeExternalMemoryAttributes(await session.getProperty(PropertyTag.ExternalMemoryAttributes, MemoryId.FlexSpiNor, options));
    props.flexspi = { configured: true, start: a.startAddress, size: a.sizeBytes, pageSize: a.pageSize, sectorSize: a.sectorSize };
    formatted['ExternalMemoryAttributes(FlexSPI NOR)'] = `${hex(a.startAddress ?? 0)}, ${formatSize(a.sizeBytes ?? 0)}, page ${a.pageSize}, sector ${a.sectorSize}`;
  } catch (e) {
    if (!(e instanceof McubootStatusError)) throw e;
    if (e.status === 10205) {
      props.flexspi = { configured: false };
      formatted['ExternalMemoryAttributes(FlexSPI NOR)'] = 'not configured (10205): use --flexspi-option';
    }
  }
  return props;
}

/** The device's memory map, merged with `known` (built-in or user target) when given. */
export function buildDeviceTarget(p: DeviceProperties, known?: TargetDescription): TargetDescription {
  const regions: MemoryRegion[] = known ? known.regions.map((r) => ({ ...r })) : [];
  if (p.flashSize && p.flashStart !== undefined) {
    const sector = p.flashSectorSize && p.flashSize % p.flashSectorSize === 0 ? p.flashSectorSize : p.flashSize;
    const fromDevice: MemoryRegion = {
      name: 'flash', kind: 'flash', start: p.flashStart, size: p.flashSize, sectors: [{ size: sector, count: p.flashSize / sector }],
      pageSize: p.flashPageSize ?? regions.find((r) => r.kind === 'flash')?.pageSize ?? 8, erasedValue: 0xff,
    };
    const i = regions.findIndex((r) => r.kind === 'flash' && r.start === p.flashStart);
    if (i >= 0) regions[i] = { ...regions[i], ...fromDevice, name: regions[i]!.name };
    else regions.push(fromDevice);
  }
  if (!known && p.ramStart !== undefined && p.ramSize) regions.push({ name: 'ram', kind: 'ram', start: p.ramStart, size: p.ramSize });
  const f = p.flexspi;
  if (f?.configured && f.start !== undefined && f.size && f.sectorSize) {
    const nor: MemoryRegion = {
      name: 'flexspi', kind: 'external-nor', start: f.start, size: f.size, sectors: [{ size: f.sectorSize, count: f.size / f.sectorSize }],
      pageSize: f.pageSize ?? 256, erasedValue: 0xff, needsConfiguration: true, note: 'FlexSPI NOR, attributes reported by the flashloader',
    };
    const i = regions.findIndex((r) => r.kind === 'external-nor');
    if (i >= 0) regions[i] = { ...regions[i], ...nor, name: regions[i]!.name };
    else regions.push(nor);
  }
  const reserved: ReservedArea[] = [
    ...(known?.reserved ?? []),
    ...p.reserved.map((r) => ({ start: r.start, size: r.end - r.start + 1, owner: 'MCUboot (ReservedRegions property)' })),
  ];
  const base = known ?? {
    name: `MCUboot device${p.version ? ` (bootloader ${p.version})` : ''}`, vendor: 'NXP', family: 'MCUboot', core: 'cortex-m',
    source: 'MCUboot GetProperty: FlashStartAddress, FlashSize, FlashSectorSize, RamStartAddress, RamSize, ReservedRegions',
    regions: [],
    ...(p.flashStart === 0 && p.secure !== undefined ? { features: { kinetisFlashConfig: true } } : {}),
  };
  // A device that reports flash security for flash at 0 is a Kinetis with its flash
  // configuration field (MCUBOOTRM FlashSecurityState): its checks run whatever the
  // description says (a target file may add checks, never remove them).
  const kinetis = p.flashStart === 0 && p.secure !== undefined;
  const identified = kinetis && !base.features?.kinetisFlashConfig ? { ...base.features, kinetisFlashConfig: true } : base.features;
  // No description and no boot address the device's own map implies (Kinetis boots from flash at 0).
  const features = !known && !kinetis ? { ...identified, unidentified: true } : identified;
  return { ...base, regions: regions.sort((a, b) => a.start - b.start), ...(reserved.length ? { reserved } : {}), ...(features ? { features } : {}) };
}
