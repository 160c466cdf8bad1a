import type { MemoryRegion, TargetDescription } from '../types.js';
import { KiB, MiB, ram, rom } from './helpers.js';
import { RT10XX_BOOT } from '../facts/imxrt-boot.js';

/*
 * i.MX RT crossover MCUs boot from external FlexSPI NOR mapped at 0x60000000. Internal
 * memory from the RT1020/RT1060 reference manuals (system memory map, FlexRAM default
 * configuration from fuses). The default external part is the ISSI IS25LP064A (8 MiB,
 * 4 KiB sectors, 256-byte pages; IS25LP064A datasheet). The boot image places the FlexSPI
 * configuration block (FCB) at offset 0 and the IVT at 0x1000 on these parts (RT1020/1060
 * reference manuals, "Boot ROM / FlexSPI NOR boot").
 */

/** The FlexSPI NOR region for an external QSPI part; override with a target file for another part. */
export function flexspiNor(size = 8 * MiB, sector = 4 * KiB, page = 256, part = 'IS25LP064A'): MemoryRegion {
  return {
    name: 'flexspi', kind: 'external-nor', start: 0x60000000, size,
    sectors: [{ size: sector, count: size / sector }], pageSize: page, erasedValue: 0xff,
    needsConfiguration: true, note: `${part} QSPI NOR on FlexSPI (configure it before use)`,
    // FlexSPI NOR boot (BOOT_CFG default on the EVKs): the ROM reads the FCB and IVT from here.
    boot: true,
  };
}

const boot = { imxrtBoot: RT10XX_BOOT } as const;

export const imxrtTargets: TargetDescription[] = [
  {
    name: 'MIMXRT1021', aliases: ['MIMXRT1021DAG5A', 'MIMXRT1021CAG4A', 'RT1021', 'MIMXRT1020'], vendor: 'NXP', family: 'i.MX RT1020', core: 'cortex-m7',
    source: 'IMXRT1020RM Rev 2: system memory map, FlexRAM 256 KiB default split (ITCM 64K, DTCM 64K, OCRAM 128K), ROM 96 KiB; IS25LP064A datasheet',
    regions: [
      flexspiNor(),
      ram('itcm', 0x00000000, 64 * KiB),
      ram('dtcm', 0x20000000, 64 * KiB),
      ram('ocram', 0x20200000, 128 * KiB),
      rom('boot-rom', 0x00200000, 96 * KiB),
    ],
    features: boot,
  },
  {
    name: 'MIMXRT1062', aliases: ['MIMXRT1062DVL6A', 'MIMXRT1062DVJ6A', 'RT1062', 'MIMXRT1060'], vendor: 'NXP', family: 'i.MX RT1060', core: 'cortex-m7',
    source: 'IMXRT1060RM Rev 3: system memory map, FlexRAM 512 KiB default split (ITCM 128K, DTCM 128K, OCRAM 256K at 0x20280000), OCRAM2 512 KiB at 0x20200000, ROM 128 KiB; IS25LP064A datasheet',
    regions: [
      flexspiNor(),
      ram('itcm', 0x00000000, 128 * KiB),
      ram('dtcm', 0x20000000, 128 * KiB),
      ram('ocram2', 0x20200000, 512 * KiB),
      ram('ocram', 0x20280000, 256 * KiB),
      rom('boot-rom', 0x00200000, 128 * KiB),
    ],
    features: boot,
  },
];
