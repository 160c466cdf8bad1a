/** Issue 11 §4: each seed thread yields the right top cause and fix. */
import { describe, expect, it } from 'vitest';
import { diagnose, type DoctorReport } from '../../src/doctor/index.js';
import { readSeed } from '../helpers/seeds.js';

const seed = readSeed;

const rules = (r: DoctorReport) => r.causes.map((c) => c.rule);
const fixText = (r: DoctorReport, i = 0) => r.causes[i]!.fix.join(' ');

describe('seed logs', () => {
  it('000: Ef(11) → no flash driver for 0x60000000: configure FlexSPI NOR, check the FCB, recover via serial download and erase', () => {
    const r = diagnose(seed('000'));
    expect(r.tool).toBe('linkserver');
    expect(r.causes[0]).toMatchObject({ rule: 'linkserver.ef11-no-flash-driver', category: 'external-flash-config' });
    expect(r.causes[0]!.evidence.join('\n')).toContain('Ef(11). No flash configured at the specified address');
    const fix = fixText(r);
    expect(fix).toMatch(/--flexspi-option 0xC0000007/);
    expect(fix).toMatch(/FlexSPI configuration block|FCB/);
    expect(fix).toMatch(/serial downloader.*erase/s);
    expect(rules(r)).toContain('linkserver.ee42-core');
    expect(r.facts).toMatchObject({ chip: 'MIMXRT1021xxxxx', core: 'Cortex-M7', target: 'MIMXRT1021' });
    expect(r.facts.dpidr?.value).toBe(0x0bd11477);
  });

  it('001: PEmicro verify $FF should be $46 at $60000000 → QSPI algorithm did not program: boot mode, QE bit, flashloader path, read back', () => {
    const r = diagnose(seed('001'));
    expect(r.tool).toBe('pemicro');
    expect(r.causes[0]).toMatchObject({ rule: 'pemicro.qspi-not-programmed', category: 'flash-algorithm' });
    expect(r.facts.mismatch).toMatchObject({ address: 0x60000000, expected: 0x46, read: 0xff });
    const fix = fixText(r);
    for (const want of [/boot mode/i, /quad-enable \(QE\) bit/, /flash part/, /--via mcuboot/, /read back|readback/]) expect(fix).toMatch(want);
    expect(r.causes[0]!.evidence.join('\n')).toContain('Byte in module is $FF and should be $46.');
  });

  it('002: Expected 7B read 7A at 0x40C → FSEC rewritten to unsecure by the probe: set FSEC = 0xFE', () => {
    const r = diagnose(seed('002'));
    expect(r.tool).toBe('jlink');
    expect(r.causes[0]).toMatchObject({ rule: 'kinetis.fsec-rewritten', category: 'protection-security' });
    expect(r.facts.fsecRewrite).toMatchObject({ address: 0x40c, expected: '0x7B', read: '0x7A' });
    expect(r.causes[0]!.summary).toMatch(/FSEC 0x7B.*wrote 0x7A \(unsecure\)/);
    expect(fixText(r)).toMatch(/FSEC = 0xFE/);
    expect(fixText(r)).toMatch(/flashwright check IMAGE --target MK24FN1M0\b/);
    expect(r.facts.apIdr?.map((a) => a.summary).join(' ')).toMatch(/Kinetis MDM-AP/);
    // The generic verify rule is made redundant by the specific one.
    expect(rules(r)).not.toContain('jlink.verify-failed');
  });

  it('003: kStatusMemoryCumulativeWrite → stale read after erase (cache/prefetch); bootloader 0xA770 overlaps the app at 0xA000', () => {
    const r = diagnose(seed('003'));
    expect(r.causes[0]).toMatchObject({ rule: 'mcuboot.cumulative-write', category: 'flash-algorithm' });
    expect(r.causes[0]!.summary).toMatch(/stale read/);
    expect(fixText(r)).toMatch(/invalidate the flash controller's cache and prefetch/);
    const overlap = r.causes.find((c) => c.rule === 'mcuboot.bootloader-overlaps-app');
    expect(overlap?.category).toBe('image-layout');
    expect(r.facts.bootloaderOverlap).toMatchObject({ total: 0xa770, gap: 0xa000, appAddress: 0x1000a000 });
    expect(overlap!.fix.join(' ')).toMatch(/0x1000C000/);
  });

  it('004: read protection first; boot pins and USART, line settings, external loader faults (HFSR decoded), "Flash loader can not be loaded"', () => {
    const r = diagnose(seed('004'));
    expect(r.causes[0]).toMatchObject({ rule: 'stm32.read-protection', category: 'protection-security' });
    expect(fixText(r)).toMatch(/RDP=0xAA/);
    expect(fixText(r)).toMatch(/mass-erases/);
    const ids = rules(r);
    for (const want of ['stm32.uart-bootloader-not-started', 'stm32.uart-line-settings', 'stm32.loader-hardfault', 'cubeprog.flash-loader-not-loaded', 'stm32.external-loader', 'iar.flash-loader-off']) expect(ids).toContain(want);
    const boot = r.causes.find((c) => c.rule === 'stm32.uart-bootloader-not-started')!;
    expect(boot.fix.join(' ')).toMatch(/BOOT0 = 1.*BOOT1/);
    expect(boot.fix.join(' ')).toMatch(/USART1.*USART2/);
    expect(r.causes.find((c) => c.rule === 'stm32.uart-line-settings')!.fix.join(' ')).toMatch(/no handshaking/);
    expect(r.facts.faults?.bits).toContain('DEBUGEVT');
    expect(r.causes.find((c) => c.rule === 'stm32.loader-hardfault')!.fix.join(' ')).toMatch(/DEBUGEVT in HFSR means/);
  });
});
