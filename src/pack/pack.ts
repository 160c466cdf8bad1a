/** A pack opened for use: its files and parsed .pdsc, and the way from a part name to a target. */
import { PackDeviceUnknownError, PackFormatError } from './errors.js';
import { findPdsc, type PackFiles } from './files.js';
import { deviceTarget, type PackTarget } from './device-target.js';
import { parsePdsc, type PackDevice, type Pdsc } from './pdsc.js';

export interface OpenPack {
  id: string;
  pdsc: Pdsc;
  files: PackFiles;
}

export function openPack(files: PackFiles): OpenPack {
  const pdscPath = findPdsc(files);
  const bytes = files.read(pdscPath)!;
  const pdsc = parsePdsc(new TextDecoder().decode(bytes), `${files.source}/${pdscPath}`);
  return { id: `${pdsc.vendor}.${pdsc.name}`, pdsc, files };
}

/** The device called `name` (case-insensitive; `NAME:Pname` picks a core of a multi-core part). */
export function packDevice(pack: OpenPack, name: string): { device: PackDevice; pname?: string | undefined } {
  const [base, pname] = name.split(':') as [string, string | undefined];
  const device = pack.pdsc.devices.find((d) => d.name.toLowerCase() === base.toLowerCase());
  if (!device) throw new PackDeviceUnknownError(name, [], `device of ${pack.id}`);
  if (pname === undefined) return { device };
  const p = device.processors.find((x) => x.pname?.toLowerCase() === pname.toLowerCase());
  if (!p) throw new PackFormatError(pack.id, `has no core '${pname}' in ${device.name}.`, { device: device.name });
  return { device, pname: p.pname };
}

/** The target description and algorithms of one part of the pack. */
export function packTarget(pack: OpenPack, name: string): PackTarget {
  const { device, pname } = packDevice(pack, name);
  return deviceTarget(pack.pdsc, device, pack.files, { pname });
}

/**
 * Every problem a pack has, for `pack add` to name before installing: each device is turned
 * into a target (loading its FLMs), so a missing FLM or a broken one is found now.
 */
export function checkPack(pack: OpenPack): { errors: Error[]; warnings: string[] } {
  const errors: Error[] = [];
  const warnings: string[] = [];
  for (const d of pack.pdsc.devices) {
    const pnames = d.processors.map((p) => p.pname).filter((p): p is string => p !== undefined);
    for (const pname of pnames.length ? pnames : [undefined]) {
      try {
        const t = deviceTarget(pack.pdsc, d, pack.files, { pname });
        for (const w of t.warnings) warnings.push(`${t.target.name}: ${w}`);
      } catch (e) {
        // One message per cause: a missing FLM shared by two cores of a device is named once.
        if (!errors.some((x) => x.message === (e as Error).message)) errors.push(e as Error);
      }
    }
  }
  return { errors, warnings };
}
