/** STM32CubeProgrammer external loaders: StorageInfo from .dev_info (UM2237, ST's Dev_Inf.h layout) and the checks that catch broken loaders. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '../../src/image/elf.js';
import { checkStorageInfo, parseStorageInfo, readStldr, STORAGE_INFO } from '../../src/protocol/flash-algo/stldr.js';
import { needs } from '../helpers/peers.js';
import { runCli } from '../../src/cli/main.js';

function storageInfo(name: string, fields: { type: number; start: number; size: number; page: number; erase: number; sectors: Array<[number, number]> }): Uint8Array {
  const out = new Uint8Array(200);
  out.set(new TextEncoder().encode(name));
  const v = new DataView(out.buffer);
  v.setUint16(STORAGE_INFO.deviceType, fields.type, true);
  v.setUint32(104, fields.start, true);
  v.setUint32(108, fields.size, true);
  v.setUint32(112, fields.page, true);
  v.setUint8(116, fields.erase);
  fields.sectors.forEach(([n, s], i) => { v.setUint32(120 + 8 * i, n, true); v.setUint32(124 + 8 * i, s, true); });
  return out;
}

describe('StorageInfo (.dev_info)', () => {
  it('reads the fields at their naturally aligned offsets (name 0, type 100, start 104, size 108, page 112, erase 116, sectors 120)', () => {
    const info = parseStorageInfo(storageInfo('MX25L512_STM32F769I-DISCO', { type: 3, start: 0x90000000, size: 0x4000000, page: 0x100, erase: 0xff, sectors: [[0x400, 0x10000]] }));
    expect(info).toEqual({ name: 'MX25L512_STM32F769I-DISCO', deviceType: 3, deviceTypeName: 'NOR flash', start: 0x90000000, size: 0x4000000, pageSize: 0x100, eraseValue: 0xff, sectors: [{ count: 0x400, size: 0x10000 }] });
    expect(checkStorageInfo(info)).toEqual([]);
  });
  it('finds a sector table that does not cover the device and a page size that does not divide the sectors', () => {
    const info = parseStorageInfo(storageInfo('bad', { type: 3, start: 0x90000000, size: 0x1000000, page: 0x300, erase: 0xff, sectors: [[0x80, 0x10000]] }));
    const problems = checkStorageInfo(info);
    expect(problems).toEqual([expect.stringMatching(/covers 8 MiB .* device size is 16 MiB/), expect.stringMatching(/PageSize 0x00000300 does not divide/)]);
  });
  it('refuses a .dev_info too short to hold one', () => {
    expect(() => parseStorageInfo(new Uint8Array(64))).toThrow(/StorageInfo needs at least 128/);
  });
});

const gcc = needs('arm-none-eabi-gcc');

describe.skipIf(gcc.skip)(gcc.title('a .stldr built with arm-none-eabi-gcc, linked at 0x20000004 like ST\'s examples'), () => {
  it('StorageInfo, entry points and the link range come out of the ELF (and `algo info`); a missing SectorErase is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-stldr-'));
    try {
      const c = `
struct DeviceSectors { unsigned long SectorNum; unsigned long SectorSize; };
struct StorageInfo { char DeviceName[100]; unsigned short DeviceType; unsigned long DeviceStartAddress; unsigned long DeviceSize; unsigned long PageSize; unsigned char EraseValue; struct DeviceSectors sectors[10]; };
__attribute__((section(".dev_info"), used)) const struct StorageInfo StorageInfo = { "FW_TEST_QSPI", 3, 0x90000000, 0x800000, 0x100, 0xFF, { { 128, 0x10000 }, { 0, 0 } } };
int Init(void) { return 1; }
int Write(unsigned long a, unsigned long n, unsigned char *b) { (void)a; (void)n; (void)b; return 1; }
${'int SectorErase(unsigned long s, unsigned long e) { (void)s; (void)e; return 1; }'}
int MassErase(void) { return 1; }
`;
      const build = (src: string, out: string) => {
        writeFileSync(join(dir, 'l.c'), src);
        execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m4', '-mthumb', '-Os', '-nostdlib', '-Wl,-Ttext=0x20000004', '-Wl,--section-start=.dev_info=0x20010000', '-Wl,-e,Init', '-o', join(dir, out), join(dir, 'l.c')]);
        return readStldr(parseElf(new Uint8Array(readFileSync(join(dir, out))), out));
      };
      const good = build(c, 'good.stldr');
      expect(good.storage).toMatchObject({ name: 'FW_TEST_QSPI', start: 0x90000000, size: 0x800000, pageSize: 0x100, sectors: [{ count: 128, size: 0x10000 }] });
      expect(Object.keys(good.entries).sort()).toEqual(['Init', 'MassErase', 'SectorErase', 'Write']);
      expect(good.linked.start).toBe(0x20000004);
      expect(good.problems).toEqual([]);
      let text = '';
      const io = { out: (t: string) => { text += t; }, err: (t: string) => { text += t; }, isTty: false };
      expect(await runCli(['algo', 'info', join(dir, 'good.stldr')], io), text).toBe(0);
      expect(text).toMatch(/device: +FW_TEST_QSPI \(NOR flash\)/);
      expect(text).toMatch(/linked at: +0x20000004/);
      expect(text).toMatch(/StorageInfo consistent/);
      const bad = build(c.replace(/int SectorErase[^\n]*\n/, ''), 'bad.stldr');
      expect(bad.missing).toEqual(['SectorErase']);
      expect(bad.problems).toContain('The entry point SectorErase is missing (required).');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(gcc.skip)(gcc.title('algo info loader.stldr --target: the link address and RAM use against the target'), () => {
  it('fits, is linked outside RAM, leaves no room for the stack, or has a PageSize Write cannot be given', async () => {
    const { Toolchain } = await import('./toolchain.js');
    const tc = new Toolchain();
    try {
      const targetFile = join(tc.dir, 'mps2.json');
      writeFileSync(targetFile, JSON.stringify({ name: 'mps2-an385', vendor: 'Arm', family: 'MPS2', core: 'cortex-m3', source: 'Arm AN385 memory map',
        regions: [{ name: 'ssram1', kind: 'ram', start: 0, size: 0x400000 }, { name: 'ssram2', kind: 'ram', start: 0x20000000, size: 0x400000 }] }));
      const info = async (path: string) => {
        let text = '';
        const io = { out: (t: string) => { text += t; }, err: (t: string) => { text += t; }, isTty: false };
        const code = await runCli(['algo', 'info', path, '--target-file', targetFile], io);
        return { code, text };
      };
      const good = await info(tc.stldr().path);
      expect(good.code, good.text).toBe(0);
      expect(good.text).toMatch(/runs in: +mps2-an385 ssram2 0x20000000–0x203FFFFF; flashwright adds a stack 0x2[0-9A-F]{7}–0x2[0-9A-F]{7} and Write's page buffer/);
      expect(good.text).toMatch(/checks: .*fits mps2-an385's RAM/);

      const outside = await info(tc.stldr([], 0x30000000).path);
      expect(outside.text).toMatch(/problem: +The loader is linked at 0x30000000–0x300000[0-9A-F]{2}, outside mps2-an385's RAM \(ssram1 0x00000000–0x003FFFFF, ssram2 0x20000000–0x203FFFFF\)/);

      const atTop = await info(tc.stldr([], 0x203ffc00).path);
      expect(atTop.text).toMatch(/problem: +Above the loader .* too little for flashwright's stack/);

      const bigPage = await info(tc.stldr(['PAGE_SIZE=0x400000u', 'SECTOR_SIZE=0x400000u', 'SECTOR_COUNT=1u']).path);
      expect(bigPage.text).toMatch(/problem: +PageSize 4 MiB is more than Write can be given here/);

      // Without --target nothing about RAM is claimed.
      let text = '';
      await runCli(['algo', 'info', tc.stldr([], 0x30000000).path], { out: (t) => { text += t; }, err: (t) => { text += t; }, isTty: false });
      expect(text).toMatch(/add --target NAME to check the link address/);
    } finally {
      tc.cleanup();
    }
  });
});
