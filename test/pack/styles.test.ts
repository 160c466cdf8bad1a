/**
 * Algorithm paths with `$` macros and the algorithm `style` attribute: the macros a
 * programmer can resolve are, the others are named (never kept in the path); a device whose
 * only algorithm for a region is IAR-style says so (the region is read-only, with the reason),
 * and a runnable algorithm is preferred over a default of another style.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { filesFromMap } from '../../src/pack/files.js';
import { checkPack, openPack, packTarget } from '../../src/pack/pack.js';
import { expandPackMacros, parsePdsc } from '../../src/pack/pdsc.js';
import { planFlash } from '../../src/flash/plan.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
afterAll(() => tc?.cleanup());

const pdsc = (devices: string) => `<?xml version="1.0"?>
<package><vendor>Flashwright</vendor><name>Styles_DFP</name><releases><release version="1.0.0"/></releases><devices>
  <family Dfamily="S" Dvendor="Test:0"><processor Dcore="Cortex-M0"/>
    <memory name="SRAM" access="rwx" start="0x20000000" size="0x4000" default="1"/>
    ${devices}
  </family></devices></package>`;

describe('$ macros in pack paths', () => {
  it('expands $D, $S (the pack root) and $$, and names the ones a programmer cannot resolve', () => {
    expect(expandPackMacros('Flash\\$D.FLM', 'NRF51')).toEqual({ path: 'Flash\\NRF51.FLM' });
    expect(expandPackMacros('$S\\Flash\\x.FLM', 'D')).toEqual({ path: 'Flash\\x.FLM' });
    expect(expandPackMacros('$S/Flash/x.FLM', 'D')).toEqual({ path: 'Flash/x.FLM' });
    expect(expandPackMacros('Flash/a$$b.FLM', 'D')).toEqual({ path: 'Flash/a$b.FLM' });
    expect(expandPackMacros('$P/RTE/x.FLM', 'D').problem).toMatch(/\$P \(the project folder\), which a programmer does not have/);
    expect(expandPackMacros('Flash/$B.FLM', 'D').problem).toMatch(/\$B \(the board of a project\)/);
    expect(expandPackMacros('Flash/$X.FLM', 'D').problem).toMatch(/\$X, which is not a macro of the CMSIS-Pack specification/);
    expect(expandPackMacros('Flash/x.FLM$', 'D').problem).toMatch(/lone \$/);
  });

  it('an algorithm whose path uses an unknown macro is named by checkPack (pack add) and when the part is used', () => {
    const text = pdsc(`<device Dname="MACRO1"><memory name="Flash" access="rx" start="0" size="0x40000" startup="1"/>
      <algorithm name="Flash\\$Q.FLM" start="0" size="0x40000" default="1"/></device>`);
    const dev = parsePdsc(text, 'm.pdsc').devices[0]!;
    expect(dev.algorithms[0]).toMatchObject({ path: 'Flash\\$Q.FLM', problem: expect.stringContaining('$Q') });
    const pack = openPack(filesFromMap({ 'Flashwright.Styles_DFP.pdsc': new TextEncoder().encode(text) }, 'm'));
    expect(checkPack(pack).errors.map((e) => e.message)).toEqual([expect.stringMatching(/names the flash algorithm 'Flash\\\$Q\.FLM' for MACRO1, whose path uses \$Q, which is not a macro/)]);
    expect(() => packTarget(pack, 'MACRO1')).toThrow(/\$Q/);
  });
});

describe.skipIf(peers.skip)(peers.title('the algorithm style attribute'), () => {
  const flm = tc ? tc.flm(['FLM_NAME="keil 256K"']).data : new Uint8Array();
  // An IAR flash loader is not an ELF FLM: loading it as one would fail obscurely, so it must not be loaded at all.
  const iar = new TextEncoder().encode('IAR flash loader, not an FLM');
  const files = (text: string) => filesFromMap({ 'Flashwright.Styles_DFP.pdsc': new TextEncoder().encode(text), 'Flash/keil.FLM': flm, 'Flash/iar.flash': iar, 'Flash/$money.FLM': flm }, 'styles');

  it('a region whose only algorithm is IAR-style is read-only and says why; a write there is refused naming it', () => {
    const pack = openPack(files(pdsc(`<device Dname="IARONLY"><memory name="Flash" access="rx" start="0" size="0x40000" startup="1"/>
      <algorithm name="Flash\\iar.flash" start="0" size="0x40000" default="1" style="IAR"/></device>`)));
    expect(checkPack(pack).errors).toEqual([]);
    const t = packTarget(pack, 'IARONLY');
    expect(t.algorithms).toEqual([]);
    expect(t.unrunnable.map((r) => [r.path, r.style])).toEqual([['Flash\\iar.flash', 'IAR']]);
    expect(t.warnings.join('\n')).toContain("flash 0x00000000–0x0003FFFF: the pack's only flash algorithm for it is Flash/iar.flash (IAR style), which flashwright cannot run");
    expect(t.target.regions.find((r) => r.name === 'flash')).toMatchObject({ kind: 'rom' });
    const image = MemoryImage.fromSegments([{ address: 0, data: new Uint8Array(16) }]);
    expect(() => planFlash({ image, target: t.target })).toThrow(expect.objectContaining({ code: 'PLAN_READ_ONLY', hint: expect.stringContaining('IAR style), which flashwright cannot run') }));
  });

  it('prefers a runnable style over an IAR default, and a CMSIS-style algorithm runs like a Keil one; $$ and $S paths load', () => {
    const pack = openPack(files(pdsc(`<device Dname="BOTH"><memory name="Flash" access="rx" start="0" size="0x40000" startup="1"/>
      <algorithm name="Flash\\iar.flash" start="0" size="0x40000" default="1" style="IAR"/>
      <algorithm name="$S\\Flash\\keil.FLM" start="0" size="0x40000" default="0" style="Keil"/></device>
      <device Dname="CMSISSTYLE"><memory name="Flash" access="rx" start="0" size="0x40000" startup="1"/>
      <algorithm name="Flash/$$money.FLM" start="0" size="0x40000" default="1" style="CMSIS"/></device>`)));
    const both = packTarget(pack, 'BOTH');
    expect(both.defaults.map((a) => a.ref.path)).toEqual(['Flash\\keil.FLM']);
    expect(both.target.regions.find((r) => r.name === 'flash')).toMatchObject({ kind: 'flash', algorithm: 'keil 256K' });
    const cmsis = packTarget(pack, 'CMSISSTYLE');
    expect(cmsis.defaults.map((a) => [a.ref.path, a.ref.style])).toEqual([['Flash/$money.FLM', 'CMSIS']]);
  });
});
