import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/flash/checks/index.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { buildBootImage, findBootLayout, parseIvt } from '../../src/imxrt/boot-image.js';
import { buildQspiFcb, FCB_SIZE, lutInstruction, LutOp, parseFcb } from '../../src/imxrt/fcb.js';
import { buildFlexspiOption, describeFlexspiOption, parseFlexspiOption } from '../../src/imxrt/flexspi-option.js';
import { requireTarget } from '../../src/target/lookup.js';

function app(at = 0x60002000, size = 6000): MemoryImage {
  const data = new Uint8Array(size).fill(0x5a);
  new DataView(data.buffer).setUint32(0, 0x20010000, true);
  new DataView(data.buffer).setUint32(4, at + 0x401, true);
  return MemoryImage.fromSegments([{ address: at, data, source: 'app.elf:.text' }]);
}

describe('FlexSPI option words from named fields', () => {
  it('QuadSPI SDR at 133 MHz is 0xC0000007', () => {
    expect(buildFlexspiOption({ detection: 'quadspi-sdr', frequencyMhz: 133 })).toEqual([0xc0000007]);
    expect(describeFlexspiOption(0xc0000007)).toBe('quadspi-sdr, 133 MHz, 1-pad query, 1-pad commands, quad enable none');
  });

  it('every field lands in its bits and parses back', () => {
    const [w, x] = buildFlexspiOption({ detection: 'hyperflash-3v', queryPads: 8, commandPads: 8, quadEnable: 'sr2-bit1', frequencyMhz: 166, extraWords: [0x12345678] });
    expect(w).toBe(0xc1333208);
    expect(x).toBe(0x12345678);
    expect(parseFlexspiOption(w!)).toEqual({ detection: 'hyperflash-3v', queryPads: 8, commandPads: 8, quadEnable: 'sr2-bit1', frequencyMhz: 166, optionSize: 1 });
  });

  it('refuses a wrong tag, an undefined field and an unknown frequency', () => {
    expect(() => parseFlexspiOption(0x40000007)).toThrow(/tag is 0x4, not 0xC/);
    expect(() => parseFlexspiOption(0xc0500007)).toThrow(/does not define/);
    expect(() => buildFlexspiOption({ detection: 'quadspi-sdr', frequencyMhz: 120 })).toThrow(/120 MHz/);
  });
});

describe('FCB for a QuadSPI NOR', () => {
  it('has the documented tag, version, sizes and quad read LUT', () => {
    const fcb = buildQspiFcb({ size: 8 << 20 });
    expect(fcb.length).toBe(FCB_SIZE);
    expect([...fcb.subarray(0, 8)]).toEqual([0x46, 0x43, 0x46, 0x42, 0x00, 0x04, 0x01, 0x56]);
    expect(parseFcb(fcb)).toEqual({ tag: 0x42464346, version: 0x56010400, deviceType: 1, padType: 4, serialClkFreq: 7, size: 8 << 20, pageSize: 256, sectorSize: 4096, blockSize: 65536, readCommand: 0xeb });
    // Sequence 0: CMD_SDR 1 pad 0xEB, RADDR_SDR 4 pads 24 bits → 0x0A1804EB as the first LUT word.
    expect(new DataView(fcb.buffer).getUint32(0x80, true)).toBe(0x0a1804eb);
    expect(lutInstruction(LutOp.READ_SDR, 4, 4)).toBe(0x2604);
  });

  it('rejects nonsense parameters', () => {
    expect(() => buildQspiFcb({ size: 8 << 20, sectorSize: 3000 })).toThrow(/sectorSize 3000/);
    expect(() => buildQspiFcb({ size: 8 << 20, frequencyMhz: 90 })).toThrow(/90 MHz/);
  });
});

describe('boot image for rt1021', () => {
  const layout = findBootLayout('rt1021')!;

  it('wraps a plain XIP app with FCB, IVT and boot data that the engine check accepts', () => {
    const boot = buildBootImage(app(), layout);
    const img = boot.image;
    expect(img.start).toBe(0x60000000);
    expect(img.read(0x60000000, 4)).toEqual(Uint8Array.of(0x46, 0x43, 0x46, 0x42));
    const ivt = parseIvt(img.read(0x60001000, 32));
    expect(ivt).toEqual({ header: 0x402000d1, entry: 0x60002000, dcd: 0, bootData: 0x60001020, self: 0x60001000, csf: 0 });
    expect([...img.read(0x60001020, 8)]).toEqual([0, 0, 0, 0x60, 0x70, 0x37, 0, 0]); // start 0x60000000, length 0x3770
    expect(boot.length).toBe(0x2000 + 6000);
    const findings = runChecks(img, requireTarget('MIMXRT1021'));
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    // A bare app leaves the header area alone (info only); a header area without FCB/IVT is flagged.
    expect(runChecks(app(), requireTarget('MIMXRT1021')).some((f) => f.id === 'imxrt.fcb-missing')).toBe(false);
    expect(runChecks(MemoryImage.fromSegments([{ address: 0x60000000, data: new Uint8Array(0x1100) }]), requireTarget('MIMXRT1021')).map((f) => f.id)).toContain('imxrt.fcb-missing');
  });

  it('the vector-table check follows the IVT: entry = vector table, an odd (reset handler) entry, and no IVT', () => {
    const t = requireTarget('MIMXRT1021');
    // Older MCUXpresso projects put the reset handler (odd) into the IVT entry.
    const old = buildBootImage(app(), layout).image;
    const seg = old.segments.find((x) => x.address <= 0x60001004 && x.address + x.data.length > 0x60001008)!;
    new DataView(seg.data.buffer, seg.data.byteOffset).setUint32(0x60001004 - seg.address, 0x60002401, true);
    expect(parseIvt(old.read(0x60001000, 32)).entry).toBe(0x60002401);
    expect(runChecks(old, t).filter((f) => f.severity !== 'info')).toEqual([]);
    // No IVT: an app linked at 0x60002000 leaves the header alone and passes cleanly.
    expect(runChecks(app(), t).filter((f) => f.severity !== 'info')).toEqual([]);
    // No IVT and data at 0x60000000: the word at the IVT's entry offset is app data (here 0),
    // not a pointer, so address 0 is not checked (the i.MX RT boot check warns instead).
    const bare = new Uint8Array(0x2000);
    new DataView(bare.buffer).setUint32(0, 0x20010000, true);
    new DataView(bare.buffer).setUint32(4, 0x60000101, true);
    const ids = runChecks(MemoryImage.fromSegments([{ address: 0x60000000, data: bare }]), t).map((f) => f.id);
    expect(ids.filter((id) => id.startsWith('vector-table.'))).toEqual([]);
    expect(ids).toContain('imxrt.ivt-missing');
    // A broken vector table behind a proper IVT is still caught.
    const broken = buildBootImage(app(), layout).image;
    const b = broken.segments.find((x) => x.address <= 0x60002000 && x.address + x.data.length > 0x60002004)!;
    new DataView(b.data.buffer, b.data.byteOffset).setUint32(0x60002004 - b.address, 0x60002400, true);
    expect(runChecks(broken, t).map((f) => f.id)).toContain('vector-table.reset-not-thumb');
  });

  it('refuses apps that are not plain XIP images at 0x60002000', () => {
    expect(() => buildBootImage(app(0x20000000), layout)).toThrow(/outside the RT1021 FlexSPI NOR/);
    expect(() => buildBootImage(app(0x60001000), layout)).toThrow(/inside the boot header area/);
    expect(() => buildBootImage(app(0x60003000), layout)).toThrow(/must be at 0x60002000/);
    const wrapped = buildBootImage(app(), layout).image;
    expect(() => buildBootImage(wrapped, layout)).toThrow(/already has a FlexSPI boot header/);
    const bad = app();
    new DataView(bad.segments[0]!.data.buffer).setUint32(4, 0x00000400, true);
    expect(() => buildBootImage(bad, layout)).toThrow(/reset vector 0x00000400/);
  });

  it('knows the part names people type', () => {
    expect(findBootLayout('MIMXRT1062DVL6A')?.fcbOffset).toBe(0);
    expect(findBootLayout('rt1011')?.fcbOffset).toBe(0x400);
    expect(findBootLayout('rt1176')?.flexspiBase).toBe(0x30000000);
    expect(findBootLayout('stm32f103')).toBeUndefined();
  });
});
