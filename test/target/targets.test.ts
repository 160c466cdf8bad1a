import { describe, expect, it } from 'vitest';
import { findTarget, findTargetById, listTargets, loadTargetFile, requireTarget, UnknownTargetError } from '../../src/target/lookup.js';
import { TargetDescriptionError, validateTarget } from '../../src/target/validate.js';
import { describeTarget } from '../../src/target/describe.js';

describe('built-in targets', () => {
  it('has the whole required set, each valid and citing its source', () => {
    const names = listTargets().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['STM32F030x8', 'STM32F103xB', 'STM32F103xE', 'STM32F407xG', 'STM32F767xI', 'STM32L476xG', 'STM32H743xI',
      'MK22FN512', 'MK24FN1M0', 'MK64FN1M0', 'MKV58F1M0', 'MIMXRT1021', 'MIMXRT1062', 'nRF51822']));
    for (const t of listTargets()) {
      expect(() => validateTarget(t)).not.toThrow();
      expect(t.source.length).toBeGreaterThan(10);
    }
  });

  it('describes non-uniform STM32F4 sectors exactly', () => {
    const f4 = requireTarget('STM32F407xG').regions.find((r) => r.kind === 'flash')!;
    expect(f4.sectors).toEqual([{ size: 0x4000, count: 4 }, { size: 0x10000, count: 1 }, { size: 0x20000, count: 7 }]);
  });

  it('puts KV58 flash at 0x10000000 and i.MX RT NOR at 0x60000000 (needs configuration)', () => {
    expect(requireTarget('mkv58f1m0').regions.find((r) => r.kind === 'flash')!.start).toBe(0x10000000);
    const nor = requireTarget('mimxrt1021').regions.find((r) => r.kind === 'external-nor')!;
    expect(nor).toMatchObject({ start: 0x60000000, size: 8 << 20, pageSize: 256, needsConfiguration: true });
    expect(nor.sectors).toEqual([{ size: 4096, count: 2048 }]);
  });

  it('looks names up case-insensitively, with package letters and longer part numbers', () => {
    expect(findTarget('stm32f103xb')?.name).toBe('STM32F103xB');
    expect(findTarget('STM32F103CB')?.name).toBe('STM32F103xB');
    expect(findTarget('stm32f103re')?.name).toBe('STM32F103xE');
    expect(findTarget('mk64fn1m0vll12')?.name).toBe('MK64FN1M0');
    expect(findTarget('MIMXRT1021')?.name).toBe('MIMXRT1021');
    expect(findTarget('nrf51822')?.name).toBe('nRF51822');
    // 64 KiB part: not the xB description, but its own size by ST's ordering scheme (issue 10 §4).
    expect(findTarget('stm32f103c8')?.name).toBe('STM32F103C8');
    expect(findTarget('stm32f103c8')?.regions.find((r) => r.kind === 'flash')?.size).toBe(64 * 1024);
    expect(findTargetById('stm32Pid', 0x413)?.name).toBe('STM32F407xG');
  });

  it('never hands a sibling variant the memory map of the one a description spells (nRF51822_xxAB is 128 KiB)', () => {
    expect(findTarget('nRF51822_xxAA')?.name).toBe('nRF51822');
    expect(findTarget('nrf51822-qfaa')?.name).toBe('nRF51822');
    expect(findTarget('nRF51822_xxAB')).toBeUndefined();
    expect(findTarget('nRF51822-QFAC')).toBeUndefined();
    expect(() => requireTarget('nRF51822_xxAB')).toThrow(/No built-in target is called 'nRF51822_xxAB'/);
    // Package and speed letters with no separator still resolve (the memory is in FN1M0).
    expect(findTarget('MK64FN1M0VLQ12')?.name).toBe('MK64FN1M0');
  });

  it('suggests close names for a typo', () => {
    const e = (() => { try { requireTarget('stm32f170xb'); } catch (err) { return err as UnknownTargetError; } })()!;
    expect(e).toBeInstanceOf(UnknownTargetError);
    expect(e.hint).toContain('STM32F103xB');
  });

  it('prints a readable description', () => {
    const text = describeTarget(requireTarget('mk64fn1m0')).join('\n');
    expect(text).toContain('0x00000000–0x000FFFFF');
    expect(text).toContain('256 × 4 KiB');
    expect(text).toContain('flash configuration field');
  });
});

describe('target files', () => {
  it('reads YAML with hex strings and sizes', () => {
    const t = loadTargetFile(`
name: MyChip
regions:
  - { name: flash, kind: flash, start: "0x08000000", size: 64K, sectors: [{ size: 2K, count: 32 }], pageSize: 8 }
  - { name: ram, kind: ram, start: 0x20000000, size: "16K" }
reserved:
  - { start: "0x08000000", size: "8K", owner: my bootloader }
`, 'my.yaml');
    expect(t.regions[0]).toMatchObject({ start: 0x08000000, size: 0x10000, pageSize: 8 });
    expect(t.reserved?.[0]).toMatchObject({ size: 8192, owner: 'my bootloader' });
    expect(t.vendor).toBe('custom');
  });

  it('extends a built-in and replaces a region by name (another NOR part)', () => {
    const t = loadTargetFile(JSON.stringify({
      extends: 'mimxrt1021', name: 'rt1021-w25q128',
      regions: [{ name: 'flexspi', kind: 'external-nor', start: '0x60000000', size: '16M', sectors: [{ size: '4K', count: 4096 }], pageSize: 256 }],
    }), 'board.json');
    expect(t.name).toBe('rt1021-w25q128');
    expect(t.regions.find((r) => r.name === 'flexspi')!.size).toBe(16 << 20);
    expect(t.regions.some((r) => r.name === 'ocram')).toBe(true);
    expect(t.features?.imxrtBoot).toBeDefined();
  });

  it('a file that extends a built-in cannot switch off its safety checks (issue 10 §5: K64 FSEC, F407 RDP)', () => {
    const k64 = loadTargetFile(JSON.stringify({ extends: 'MK64FN1M0', name: 'my-k64', features: {} }), 'k64.json');
    expect(k64.features?.kinetisFlashConfig).toBe(true);
    const f4 = loadTargetFile(JSON.stringify({ extends: 'STM32F407xG', name: 'my-f4', features: { stm32OptionBytes: { address: 0x1FFFC000, rdpOffset: 5, hasLevel2: false } } }), 'f4.json');
    expect(f4.features?.stm32OptionBytes).toEqual(requireTarget('STM32F407xG').features?.stm32OptionBytes);
    // Adding a check stays possible.
    const added = loadTargetFile(JSON.stringify({ extends: 'nRF51822', name: 'n', features: { kinetisFlashConfig: true } }), 'n.json');
    expect(added.features?.kinetisFlashConfig).toBe(true);
  });

  it.each([
    ['sectors that do not add up', `{"name":"x","regions":[{"name":"f","kind":"flash","start":0,"size":4096,"sectors":[{"size":1024,"count":3}]}]}`, "sectors add up to 3072 bytes but the region is 4096"],
    ['overlapping regions', `{"name":"x","regions":[{"name":"a","kind":"ram","start":0,"size":4096},{"name":"b","kind":"ram","start":2048,"size":4096}]}`, "regions 'a' and 'b' overlap at 0x00000800"],
    ['flash without sectors', `{"name":"x","regions":[{"name":"f","kind":"flash","start":0,"size":4096}]}`, 'has no sector layout'],
    ['a bad number', `{"name":"x","regions":[{"name":"f","kind":"ram","start":"0xZZ","size":4096}]}`, "is '0xZZ', not a number"],
    ['past 32 bits', `{"name":"x","regions":[{"name":"f","kind":"ram","start":"0xFFFFF000","size":"8K"}]}`, 'do not fit 32-bit memory'],
    ['not YAML', `name: [unclosed`, 'is not valid JSON or YAML'],
    ['an unknown region kind', `{"name":"x","regions":[{"name":"f","kind":"Flash","start":0,"size":4096,"sectors":[{"size":1024,"count":4}]}]}`, "region 'f' has kind 'Flash', which is not one of flash, ram, rom, external-nor, option-bytes"],
    ['a region without a kind', `{"name":"x","regions":[{"name":"f","start":0,"size":4096}]}`, "region 'f' has no kind, which is not one of flash"],
    ['a region without a name', `{"name":"x","regions":[{"kind":"ram","start":0,"size":4096}]}`, 'regions[0] has no name'],
    ['a region with an empty name', `{"name":"x","regions":[{"name":"r","kind":"ram","start":0,"size":4096},{"name":"","kind":"ram","start":8192,"size":4096}]}`, 'regions[1] has no name'],
    ['a region with a numeric name', `{"name":"x","regions":[{"name":7,"kind":"ram","start":0,"size":4096}]}`, 'regions[0] has no name'],
    ['a region that is not an object', `{"name":"x","regions":[42]}`, 'regions[0] is not an object'],
    ['a zero page size', `{"name":"x","regions":[{"name":"f","kind":"flash","start":0,"size":4096,"sectors":[{"size":1024,"count":4}],"pageSize":0}]}`, 'page size 0, not a positive whole number'],
    ['a fractional page size', `{"name":"x","regions":[{"name":"f","kind":"flash","start":0,"size":4096,"sectors":[{"size":1024,"count":4}],"pageSize":2.5}]}`, 'page size 2.5, not a positive whole number'],
    ['a page size given as text', `{"name":"x","regions":[{"name":"r","kind":"ram","start":0,"size":4096,"pageSize":true}]}`, 'page size true'],
    ['an erased value above a byte', `{"name":"x","regions":[{"name":"f","kind":"flash","start":0,"size":4096,"sectors":[{"size":1024,"count":4}],"erasedValue":256}]}`, 'erased value 256, not a whole number from 0 to 255'],
    ['a fractional erased value', `{"name":"x","regions":[{"name":"f","kind":"flash","start":0,"size":4096,"sectors":[{"size":1024,"count":4}],"erasedValue":1.5}]}`, 'erased value 1.5'],
    ['an rdpLevel0 that is not a byte', `{"name":"x","regions":[{"name":"r","kind":"ram","start":0,"size":4096}],"features":{"stm32OptionBytes":{"address":0,"rdpOffset":0,"hasLevel2":false,"rdpLevel0":"0x1A5"}}}`, 'rdpLevel0 is 421, not a byte'],
    ['reserved outside regions', `{"name":"x","regions":[{"name":"r","kind":"ram","start":0,"size":4096}],"reserved":[{"start":8192,"size":16,"owner":"bl"}]}`, 'lies outside every region'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => loadTargetFile(text, 'f.json')).toThrow(TargetDescriptionError);
    expect(() => loadTargetFile(text, 'f.json')).toThrow(message);
  });
});
