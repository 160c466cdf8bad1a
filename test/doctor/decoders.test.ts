/** Decoders and `explain`: byte-exact against the register layouts in the cited documents. */
import { describe, expect, it } from 'vitest';
import { decoders, explainToken } from '../../src/doctor/index.js';

const { decodeDpidr, decodeCpuid, decodeApIdr, decodeRdp, linkServerCodeInfo, parseLinkServerCode } = decoders;

describe('debug ID decoders (ADIv5 IHI0031, ARMv7-M DDI0403E)', () => {
  it('DPIDR 0x2BA01477: DPv1, ARM (JEP106 0x23B), part 0xBA, revision 2', () => {
    expect(decodeDpidr(0x2ba01477)).toMatchObject({ version: 1, designer: 0x23b, designerName: 'ARM Ltd', partno: 0xba, revision: 2, min: false, valid: true });
  });
  it('DPIDR 0x0BD11477 (seed 000): MIN set; 0x6BA02477: DPv2; an even value is not a DP ID', () => {
    expect(decodeDpidr(0x0bd11477)).toMatchObject({ min: true, partno: 0xbd, version: 1 });
    expect(decodeDpidr(0x6ba02477)).toMatchObject({ version: 2, revision: 6 });
    expect(decodeDpidr(0xffffffff).valid).toBe(false);
    expect(decodeDpidr(0x2ba01476).summary).toMatch(/not a valid DP ID/);
  });
  it('CPUID: full register and LinkServer\'s bare part number', () => {
    expect(decodeCpuid(0x410fc241)).toMatchObject({ core: 'Cortex-M4', variant: 0, revision: 1, implementer: 0x41 });
    expect(decodeCpuid(0x411fc272)).toMatchObject({ core: 'Cortex-M7', variant: 1, revision: 2 });
    expect(decodeCpuid(0x410cc601).core).toBe('Cortex-M0+');
    expect(decodeCpuid(0x410fd213).core).toBe('Cortex-M33');
    expect(decodeCpuid(0xc27).core).toBe('Cortex-M7');
    expect(decodeCpuid(0x560fc241).core).toBeNull();
  });
  it('AP IDR: AHB-AP, Kinetis MDM-AP, APB-AP, an empty slot', () => {
    expect(decodeApIdr(0x24770011)).toMatchObject({ apClass: 8, type: 1, designer: 0x23b, revision: 2 });
    expect(decodeApIdr(0x24770011).kind).toBe('MEM-AP, AHB-AP (AHB3)');
    expect(decodeApIdr(0x001c0000).kind).toMatch(/Kinetis MDM-AP/);
    expect(decodeApIdr(0x54770002).kind).toBe('MEM-AP, APB-AP (APB2/3)');
    expect(decodeApIdr(0).kind).toMatch(/no AP/);
  });
});

describe('STM32 RDP and LinkServer codes', () => {
  it('RDP levels, with the STM32F1 level-0 value', () => {
    expect(decodeRdp(0xaa).level).toBe(0);
    expect(decodeRdp(0xcc).level).toBe(2);
    expect(decodeRdp(0xbb).level).toBe(1);
    expect(decodeRdp(0xa5, 'STM32F103xB').level).toBe(0);
    expect(decodeRdp(0xaa, 'STM32F103xB').level).toBe(1);
    expect(decodeRdp(0xcc, 'stm32f1').level).toBe(1);
  });
  it('LinkServer codes parse in their printed forms; unknown codes keep their class', () => {
    expect(parseLinkServerCode('Ef(11)')).toEqual({ cls: 'Ef', num: '11' });
    expect(parseLinkServerCode('ee(42).')).toEqual({ cls: 'Ee', num: '42' });
    expect(linkServerCodeInfo('Ef(11)')?.text).toBe('No flash configured at the specified address.');
    expect(linkServerCodeInfo('Wc(3)')?.code).toBe('Wc(03)');
    expect(linkServerCodeInfo('Ef(77)')?.meaning).toMatch(/flash driver code this table does not document/);
    expect(linkServerCodeInfo('hello')).toBeUndefined();
  });
});

describe('flashwright explain TOKEN', () => {
  const one = (t: string) => { const e = explainToken(t); expect(e.length, t).toBeGreaterThan(0); return e[0]!; };
  it('MCUboot status by number and by name', () => {
    expect(one('10203')).toMatchObject({ kind: 'mcuboot-status', title: expect.stringContaining('MemoryCumulativeWrite') });
    expect(one('kStatusMemoryCumulativeWrite').title).toContain('10203');
    expect(one('0x27db').title).toContain('MemoryCumulativeWrite');
    expect(one('kStatus_SecurityViolation').title).toContain('10001');
    expect(one('kStatus_FlexSPINOR_Flash_NotFound').title).toContain('20109');
  });
  it('LinkServer, fault registers, FSEC, FOPT, RDP', () => {
    expect(one('Ef(11)').kind).toBe('linkserver');
    expect(one('HFSR=0x80000000').lines.join()).toContain('DEBUGEVT');
    expect(one('HFSR=0x40000000').lines.join()).toContain('FORCED');
    expect(one('CFSR=0x00008200').lines.join(' ')).toMatch(/PRECISERR.*BFARVALID/);
    expect(one('DFSR=0x2').lines.join()).toContain('BKPT');
    expect(one('FSEC=0x7B').lines.join(' ')).toMatch(/SEC=11 secure.*Use 0xFE/);
    expect(one('FSEC=0xFE').lines.join(' ')).toMatch(/SEC=10 unsecure/);
    expect(one('FSEC=0x7F').lines.join(' ')).toMatch(/can never be unsecured|secure/);
    expect(one('FOPT=0xFD').lines.join(' ')).toMatch(/EZPORT_DIS \(bit 1\) = 0/);
    expect(one('RDP=0xCC').lines.join()).toMatch(/level 2/);
    expect(one('RDP=0xA5:f1').lines.join()).toMatch(/level 0/);
  });
  it('FlexSPI option word, debug IDs, STM32 NACK per command and step', () => {
    expect(one('0xC0000007')).toMatchObject({ kind: 'flexspi-option', lines: [expect.stringMatching(/quadspi-sdr, 133 MHz/)] });
    expect(one('FLEXSPI=0x12345678').title).toMatch(/not a valid/);
    expect(one('DPIDR=0x2BA01477').lines[0]).toMatch(/DPv1 by ARM Ltd/);
    expect(one('CPUID=0x410FC241').lines[0]).toMatch(/Cortex-M4 r0p1/);
    expect(one('APIDR=0x24770011').lines[0]).toMatch(/AHB-AP/);
    const n = one('NACK:0x31');
    expect(n.kind).toBe('stm32-nack');
    expect(n.lines.length).toBe(4);
    expect(n.lines[0]).toMatch(/Read protection \(RDP level 1\)/);
    expect(one('NACK:WriteMemory:address:0x08000001').lines[0]).toMatch(/0x08000001 is not valid/);
  });
  it('error strings go through the rules; unknown tokens give nothing', () => {
    expect(one('Error: init mode failed (unable to connect to the target)').kind).toBe('message');
    expect(one('A fatal error occurred: Failed to connect to ESP32: Wrong boot mode detected (0x13)! The chip needs to be in download mode.').title).toMatch(/^boot-mode:/);
    expect(explainToken('just some words')).toEqual([]);
    expect(explainToken('')).toEqual([]);
  });
});
