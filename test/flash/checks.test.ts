import { describe, it, expect } from 'vitest';
import { runChecks, assertChecksPass, decodeFsec, describeFsec } from '../../src/flash/checks/index.js';
import { CheckRefusedError } from '../../src/flash/errors.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { listTargets, requireTarget } from '../../src/target/lookup.js';
import { f103, f407, k64, rt1021, firmware } from './fixtures.js';

function kinetisImage(fsec: number | undefined, fprot = [0xff, 0xff, 0xff, 0xff]): MemoryImage {
  const data = firmware(0, 0x800, 0x20000000).read(0, 0x800);
  if (fsec === undefined) return MemoryImage.fromSegments([{ address: 0, data: data.subarray(0, 0x400) }, { address: 0x410, data: data.subarray(0x410) }]);
  data.fill(0xff, 0x400, 0x410);
  data.set(fprot, 0x408);
  data[0x40c] = fsec;
  return MemoryImage.fromSegments([{ address: 0, data }]);
}
const ids = (f: ReturnType<typeof runChecks>) => f.map((x) => `${x.severity}:${x.id}`);

describe('vector table', () => {
  it('accepts a good table', () => {
    expect(runChecks(firmware(0x08000000, 0x400), f103)).toEqual([]);
  });
  it('refuses SP outside RAM, even reset, reset outside the image (the chip would not boot); warns on an unaligned SP', () => {
    expect(ids(runChecks(firmware(0x08000000, 0x400, 0x30000000), f103))).toEqual(['error:vector-table.sp-outside-ram']);
    expect(ids(runChecks(firmware(0x08000000, 0x400, 0x20000ffc), f103))).toEqual(['warning:vector-table.sp-unaligned']);
    const d = firmware(0x08000000, 0x400).read(0x08000000, 0x400);
    new DataView(d.buffer).setUint32(4, 0x08000100, true);
    expect(ids(runChecks(MemoryImage.fromSegments([{ address: 0x08000000, data: d }]), f103))).toEqual(['error:vector-table.reset-not-thumb']);
    new DataView(d.buffer).setUint32(4, 0x08010001, true);
    const f = runChecks(MemoryImage.fromSegments([{ address: 0x08000000, data: d }]), f103);
    expect(f[0]!.message).toBe('The reset vector 0x08010001 at 0x08000004 points at 0x08010000, which the image does not program: the chip would not boot it.');
    // --allow-unbootable insists: the finding stays, as a warning.
    expect(ids(runChecks(MemoryImage.fromSegments([{ address: 0x08000000, data: d }]), f103, { allowUnbootable: true }))).toEqual(['warning:vector-table.reset-outside-image.allowed']);
  });
  it('does not judge an image that does not cover the boot address (an application behind a bootloader)', () => {
    // Garbage where a vector table would be, but at 0x08004000: the bootloader at 0x08000000 starts it.
    expect(runChecks(firmware(0x08004000, 0x400, 0x30000000), f103)).toEqual([]);
    expect(runChecks(MemoryImage.fromSegments([{ address: 0x08004000, data: new Uint8Array(64).fill(0x5a) }]), f103)).toEqual([]);
  });
  it('accepts SP at the very top of RAM', () => {
    expect(runChecks(firmware(0x08000000, 0x400, 0x20005000), f103)).toEqual([]);
  });
});

describe('Kinetis flash configuration field (seed 002)', () => {
  it('decodes FSEC', () => {
    expect(decodeFsec(0xfe)).toMatchObject({ secure: false, permanentLock: false });
    expect(decodeFsec(0x7b)).toMatchObject({ secure: true, massEraseDisabled: false, backdoorEnabled: false, permanentLock: false });
    expect(decodeFsec(0xff)).toMatchObject({ secure: true, permanentLock: false });
    expect(decodeFsec(0x64)).toMatchObject({ secure: true, massEraseDisabled: true, backdoorEnabled: false, permanentLock: true });
    expect(decodeFsec(0xa4)).toMatchObject({ permanentLock: false, backdoorEnabled: true });
    expect(describeFsec(decodeFsec(0x7b))).toBe('FSEC=0x7B (SEC=11 secure, MEEN=11 mass erase enabled, KEYEN=01 backdoor disabled)');
  });
  it('passes FSEC=0xFE', () => {
    expect(runChecks(kinetisImage(0xfe), k64)).toEqual([]);
  });
  it('refuses a secure FSEC with the seed 002 explanation unless --allow-secure', () => {
    const f = runChecks(kinetisImage(0x7b), k64);
    expect(ids(f)).toEqual(['error:kinetis.fsec-secure']);
    expect(f[0]!.message).toBe('The image sets FSEC=0x7B (SEC=11 secure, MEEN=11 mass erase enabled, KEYEN=01 backdoor disabled) at 0x0000040C: after reset the part refuses debug access and flash reads until a mass erase, and a programmer that quietly unsecures it writes 0x7A instead, so verify then fails with "Expected 7B read 7A at 0x40C".');
    expect(f[0]!.hint).toContain('FSEC to 0xFE');
    expect(() => assertChecksPass(f)).toThrow(CheckRefusedError);
    expect(ids(runChecks(kinetisImage(0x7b), k64, { allowSecure: true }))).toEqual(['warning:kinetis.fsec-secure.allowed']);
    expect(ids(runChecks(kinetisImage(0x7b), k64, { allowPermanentLock: true }))).toEqual(['error:kinetis.fsec-secure']);
  });
  it('refuses a permanent lock unless --allow-permanent-lock', () => {
    expect(ids(runChecks(kinetisImage(0x64), k64))).toEqual(['error:kinetis.fsec-permanent-lock']);
    expect(ids(runChecks(kinetisImage(0x64), k64, { allowSecure: true }))).toEqual(['error:kinetis.fsec-permanent-lock']);
    expect(ids(runChecks(kinetisImage(0x64), k64, { allowPermanentLock: true }))).toEqual(['warning:kinetis.fsec-permanent-lock.allowed']);
  });
  it('warns when the image leaves the field unwritten, and about FPROT', () => {
    const f = runChecks(kinetisImage(undefined), k64);
    expect(ids(f)).toEqual(['warning:kinetis.fcf-unwritten']);
    expect(f[0]!.message).toContain('erased 0xFF there means FSEC=0xFF, a secured part after reset');
    expect(ids(runChecks(kinetisImage(0xfe, [0xff, 0xff, 0xff, 0xfe]), k64))).toEqual(['warning:kinetis.fprot']);
    expect(runChecks(firmware(0x8000, 0x100, 0x20000000), k64)).toEqual([]);
  });
});

describe('i.MX RT FlexSPI boot header', () => {
  const header = (fcb: boolean, ivt: boolean) => {
    const data = new Uint8Array(0x3000).fill(0);
    const dv = new DataView(data.buffer);
    if (fcb) dv.setUint32(0, 0x42464346, true);
    if (ivt) dv.setUint32(0x1000, 0x402000d1, true);
    dv.setUint32(0x1004, 0x60002000, true);
    dv.setUint32(0x2000, 0x20010000, true);
    dv.setUint32(0x2004, 0x60002401, true);
    return MemoryImage.fromSegments([{ address: 0x60000000, data }]);
  };
  it('accepts an image with FCB and IVT and checks its vector table through the IVT', () => {
    expect(runChecks(header(true, true), rt1021)).toEqual([]);
  });
  it('refuses an image for the boot header area without FCB or IVT (the ROM would not boot it) unless --allow-unbootable', () => {
    expect(ids(runChecks(header(false, false), rt1021))).toEqual(['error:imxrt.fcb-missing', 'error:imxrt.ivt-missing']);
    expect(ids(runChecks(header(false, false), rt1021, { allowUnbootable: true }))).toEqual(['warning:imxrt.fcb-missing.allowed', 'warning:imxrt.ivt-missing.allowed']);
    expect(runChecks(header(false, true), rt1021)[0]!.message).toBe('The image for 0x60000000 has no FlexSPI configuration block tag "FCFB" at 0x60000000 (found 0x00000000): the boot ROM will not boot it.');
  });
  it('notes that an image above the header keeps the device\'s boot header', () => {
    expect(ids(runChecks(firmware(0x60010000, 0x100, 0x20010000), rt1021))).toEqual(['info:imxrt.boot-header-kept']);
  });
});

describe('STM32 option bytes', () => {
  const ob = (rdp: number) => firmware(0x08000000, 0x100, 0x20010000).merge(MemoryImage.fromSegments([{ address: 0x1fffc000, data: new Uint8Array([0xff, rdp]) }]));
  it('refuses RDP level 2 (0xCC) unless --allow-permanent-lock', () => {
    const f = runChecks(ob(0xcc), f407);
    expect(ids(f)).toEqual(['error:stm32.rdp-level2']);
    expect(f[0]!.message).toBe('The image writes RDP = 0xCC at 0x1FFFC001: read protection level 2 disables debug and the system bootloader on TEST-F407 permanently.');
    expect(ids(runChecks(ob(0xcc), f407, { allowPermanentLock: true }))).toEqual(['warning:stm32.rdp-level2.allowed']);
  });
  it('warns on level 1 and passes level 0', () => {
    expect(ids(runChecks(ob(0x00), f407))).toEqual(['warning:stm32.rdp-level1']);
    expect(runChecks(ob(0xaa), f407)).toEqual([]);
    expect(runChecks(ob(0x00), f407)[0]!.hint).toBe('Use 0xAA for level 0 on TEST-F407 if read-back is needed.');
  });
});

describe('STM32F1 option bytes: level 0 is RDP = 0xA5, and there is no level 2 (RM0008 §2.5)', () => {
  // RDP at 0x1FFFF800, its complement nRDP at 0x1FFFF801.
  const f1 = (rdp: number) => firmware(0x08000000, 0x100).merge(MemoryImage.fromSegments([{ address: 0x1ffff800, data: new Uint8Array([rdp, ~rdp & 0xff]) }]));
  const stm32f103 = requireTarget('STM32F103xB');
  it('the built-in F1 descriptions say so', () => {
    for (const t of listTargets().filter((x) => x.family === 'STM32F1')) expect(t.features?.stm32OptionBytes?.rdpLevel0).toBe(0xa5);
    for (const t of listTargets().filter((x) => x.family !== 'STM32F1' && x.features?.stm32OptionBytes)) expect(t.features?.stm32OptionBytes?.rdpLevel0).toBe(0xaa);
  });
  it('passes 0xA5', () => {
    expect(runChecks(f1(0xa5), stm32f103)).toEqual([]);
  });
  it('warns that 0xAA protects an F1, and says to use 0xA5', () => {
    const f = runChecks(f1(0xaa), stm32f103);
    expect(ids(f)).toEqual(['warning:stm32.rdp-level1']);
    expect(f[0]!.message).toBe('The image writes RDP = 0xAA at 0x1FFFF800: read protection level 1 on STM32F103xB (level 0 is 0xA5), so flash can no longer be read back and removing it mass-erases the chip.');
    expect(f[0]!.hint).toBe('Use 0xA5 for level 0 on STM32F103xB if read-back is needed.');
  });
  it('treats 0xCC on an F1 as level 1, not level 2', () => {
    const f = runChecks(f1(0xcc), stm32f103);
    expect(ids(f)).toEqual(['warning:stm32.rdp-level1']);
    expect(f[0]!.message).not.toContain('level 2');
  });
  it('a description without rdpLevel0 follows its family', () => {
    // The shared fixture has no rdpLevel0; family STM32F1 means 0xA5.
    expect(runChecks(f1(0xa5), f103)).toEqual([]);
    expect(ids(runChecks(f1(0xaa), f103))).toEqual(['warning:stm32.rdp-level1']);
  });
});
