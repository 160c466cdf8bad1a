import type { TargetDescription } from '../../src/target/types.js';
import { MemoryImage } from '../../src/image/memory-image.js';

/** STM32F103xB-like: 128 × 1 KiB pages, half-word programming (RM0008 §3.3.3). */
export const f103: TargetDescription = {
  name: 'TEST-F103', vendor: 'ST', family: 'STM32F1', core: 'cortex-m3', source: 'test fixture after RM0008',
  regions: [
    { name: 'flash', kind: 'flash', start: 0x08000000, size: 0x20000, sectors: [{ size: 0x400, count: 128 }], pageSize: 2, erasedValue: 0xff },
    { name: 'sram', kind: 'ram', start: 0x20000000, size: 0x5000 },
    { name: 'system', kind: 'rom', start: 0x1ffff000, size: 0x800 },
  ],
  features: { stm32OptionBytes: { address: 0x1ffff800, rdpOffset: 0, hasLevel2: false } },
};

/** STM32F407-like non-uniform map: 4×16K, 1×64K, 7×128K (RM0090 §3.3). */
export const f407: TargetDescription = {
  name: 'TEST-F407', vendor: 'ST', family: 'STM32F4', core: 'cortex-m4', source: 'test fixture after RM0090',
  regions: [
    { name: 'flash', kind: 'flash', start: 0x08000000, size: 0x100000, sectors: [{ size: 0x4000, count: 4 }, { size: 0x10000, count: 1 }, { size: 0x20000, count: 7 }], pageSize: 4 },
    { name: 'sram', kind: 'ram', start: 0x20000000, size: 0x20000 },
    { name: 'option-bytes', kind: 'option-bytes', start: 0x1fffc000, size: 0x10, pageSize: 1 },
  ],
  features: { stm32OptionBytes: { address: 0x1fffc000, rdpOffset: 1, hasLevel2: true } },
};

/** Kinetis MKV58-like with flash at 0x10000000 and a 0xA770-byte bootloader (seed 003). */
export const kv58: TargetDescription = {
  name: 'TEST-KV58', vendor: 'NXP', family: 'Kinetis KV5x', core: 'cortex-m7', source: 'test fixture after KV5XP144M240RM',
  regions: [
    { name: 'flash', kind: 'flash', start: 0x10000000, size: 0x100000, sectors: [{ size: 0x2000, count: 128 }], pageSize: 8 },
    { name: 'sram', kind: 'ram', start: 0x20000000, size: 0x40000 },
  ],
  reserved: [{ start: 0x10000000, size: 0xa770, owner: 'application bootloader' }],
  features: { kinetisFlashConfig: true },
};

/** Kinetis K64-like: flash at 0, FCF at 0x400 (seed 002). */
export const k64: TargetDescription = {
  name: 'TEST-K64', vendor: 'NXP', family: 'Kinetis K6x', core: 'cortex-m4', source: 'test fixture after K64P144M120SF5RM',
  regions: [
    { name: 'flash', kind: 'flash', start: 0, size: 0x100000, sectors: [{ size: 0x1000, count: 256 }], pageSize: 8 },
    { name: 'sram', kind: 'ram', start: 0x1fff0000, size: 0x40000 },
  ],
  features: { kinetisFlashConfig: true },
};

/** i.MX RT1021-like: no internal flash; FlexSPI NOR at 0x60000000 (seed 000). */
export const rt1021: TargetDescription = {
  name: 'TEST-RT1021', vendor: 'NXP', family: 'i.MX RT1020', core: 'cortex-m7', source: 'test fixture after IMXRT1020RM',
  regions: [
    { name: 'itcm', kind: 'ram', start: 0, size: 0x10000 },
    { name: 'dtcm', kind: 'ram', start: 0x20000000, size: 0x10000 },
    { name: 'ocram', kind: 'ram', start: 0x20200000, size: 0x20000 },
    { name: 'flexspi', kind: 'external-nor', start: 0x60000000, size: 0x800000, sectors: [{ size: 0x1000, count: 2048 }], pageSize: 256, needsConfiguration: true },
  ],
  features: { imxrtBoot: { flexspiBase: 0x60000000, fcbOffset: 0, ivtOffset: 0x1000 } },
};

/** rt1021 without the external flash described. */
export const rt1021NoFlash: TargetDescription = { ...rt1021, name: 'TEST-RT1021-bare', regions: rt1021.regions.filter((r) => r.kind !== 'external-nor') };

export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

/** A minimal Cortex-M image: vector table (SP, reset) then code, at `base`. */
export function firmware(base: number, size: number, sp = 0x20005000, seed = 7): MemoryImage {
  const data = bytes(size, seed);
  const dv = new DataView(data.buffer);
  dv.setUint32(0, sp, true);
  dv.setUint32(4, (base + 0x41) >>> 0, true);
  return MemoryImage.fromSegments([{ address: base, data, source: 'fw' }]);
}
