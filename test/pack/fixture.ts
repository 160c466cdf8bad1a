/**
 * A test Device Family Pack built by the tests: a hand-written .pdsc using the quirks real
 * packs have (three inheritance levels, two algorithms with one default, a multi-core part
 * with Pname, backslash paths and `$D`, id- and name-style memories, a sequence override) and
 * FLMs compiled from our own nRF51 NVMC algorithm source (test/fixtures/flash-algo).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll } from 'vitest';
import type { Toolchain } from '../flash-algo/toolchain.js';

/**
 * A temp folder whose `store/` is the pack store for this test file (FLASHWRIGHT_PACK_DIR,
 * so a user's installed packs are never seen): set before the tests, put back and the folder
 * removed after them. Returns the folder.
 */
export function usePackStore(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const saved = process.env.FLASHWRIGHT_PACK_DIR;
  beforeAll(() => { process.env.FLASHWRIGHT_PACK_DIR = join(dir, 'store'); });
  afterAll(() => {
    if (saved === undefined) delete process.env.FLASHWRIGHT_PACK_DIR; else process.env.FLASHWRIGHT_PACK_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export const PDSC = `<?xml version="1.0" encoding="UTF-8"?>
<package schemaVersion="1.7.7" xmlns:xs="http://www.w3.org/2001/XMLSchema-instance" xs:noNamespaceSchemaLocation="PACK.xsd">
  <vendor>Flashwright</vendor>
  <name>TestNRF51_DFP</name>
  <description>Test pack for flashwright &amp; its tests</description>
  <url>http://127.0.0.1/packs/</url>
  <releases>
    <release version="1.2.0">Second</release>
    <release version="1.0.0">First</release>
  </releases>
  <devices>
    <family Dfamily="nRF51 Series" Dvendor="Nordic Semiconductor:54">
      <processor Dcore="Cortex-M0" DcoreVersion="r0p0" Dfpu="NO_FPU" Dendian="Little-endian" Dclock="16000000"/>
      <memory id="IRAM1" start="0x20000000" size="0x4000" init="0" default="1"/>
      <debug __ap="0" __dp="0" svd="SVD\\nrf51.svd"/>
      <subFamily DsubFamily="nRF51822">
        <!-- the non-default algorithm fails on purpose: picking it would show -->
        <algorithm name="Flash\\nrf51_broken.FLM" start="0x00000000" size="0x40000" RAMstart="0x20000000" RAMsize="0x4000" default="0"/>
        <device Dname="nRF51822_xxAA">
          <memory name="Flash" access="rx" start="0x00000000" size="0x40000" startup="1" default="1"/>
          <memory name="UICR" access="r" start="0x10001000" size="0x100"/>
          <algorithm name="Flash\\$D.FLM" start="0x00000000" size="0x40000" RAMstart="0x20000000" RAMsize="0x4000" default="1" style="Keil"/>
          <variant Dvariant="nRF51822-QFAA-R"/>
        </device>
        <device Dname="nRF51822_xxAC">
          <processor Dclock="32000000"/>
          <memory id="IROM1" start="0x00000000" size="0x20000" startup="1" default="1"/>
          <memory id="IRAM1" start="0x20000000" size="0x8000" init="0" default="1"/>
          <algorithm name="./Flash/nrf51_128.flm" start="0x00000000" size="0x20000" default="1"/>
        </device>
      </subFamily>
      <device Dname="nRF51DUAL">
        <processor Pname="cm0a" Dcore="Cortex-M0"/>
        <processor Pname="cm0b" Dcore="Cortex-M0+"/>
        <memory name="FlashA" access="rx" start="0x00000000" size="0x40000" startup="1" Pname="cm0a"/>
        <memory name="FlashB" access="rx" start="0x00000000" size="0x20000" startup="1" Pname="cm0b"/>
        <memory name="RamB" access="rwx" start="0x20002000" size="0x2000" Pname="cm0b"/>
        <algorithm name="Flash\\nRF51822_xxAA.FLM" start="0x00000000" size="0x40000" RAMstart="0x20000000" RAMsize="0x2000" default="1" Pname="cm0a"/>
        <algorithm name="Flash\\nrf51_128.flm" start="0x00000000" size="0x20000" RAMstart="0x20002000" RAMsize="0x2000" default="1" Pname="cm0b"/>
        <debug Pname="cm0a" __ap="0"/>
        <debug Pname="cm0b" __ap="1"/>
        <sequences>
          <sequence name="ResetSystem"><block>Write32(0xE000ED0C, 0x05FA0004);</block></sequence>
          <sequence name="MyHelper"><block>__var x = 0;</block></sequence>
        </sequences>
      </device>
    </family>
  </devices>
</package>
`;

/** The FLMs the .pdsc names, compiled here; the zip stores them with other case and slashes than the .pdsc writes. */
export function buildFlms(tc: Toolchain): Record<string, Uint8Array> {
  return {
    'Flash/nRF51822_xxAA.FLM': tc.flm(['FLM_NAME="nRF51 256K (pack default)"']).data,
    'Flash/NRF51_BROKEN.FLM': tc.flm(['FLM_NAME="nRF51 broken"', 'FAIL_PROGRAM_AT=0']).data,
    'Flash/nrf51_128.flm': tc.flm(['FLM_NAME="nRF51 128K"', 'FLM_SIZE=0x20000']).data,
  };
}

export function buildPack(flms: Record<string, Uint8Array>, pdsc = PDSC, omit: string[] = []): Uint8Array {
  const files: Record<string, Uint8Array> = { 'Flashwright.TestNRF51_DFP.pdsc': new TextEncoder().encode(pdsc) };
  for (const [k, v] of Object.entries(flms)) if (!omit.includes(k)) files[k] = v;
  return zipSync(files);
}
