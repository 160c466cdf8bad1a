/**
 * The i.MX RT FlexSPI NOR boot image judged by a reader written here, from the reference
 * manuals' tables, sharing no code with src/imxrt (not parseIvt / parseFcb / checkImxrtBoot):
 *  - IMXRT1020RM / IMXRT1060RM "Program image": IVT = header (tag 0xD1, length u16 big
 *    endian = 0x20, version 0x40/0x41), entry, reserved, dcd, boot_data, self, csf,
 *    reserved; boot data = start, length, plugin. For FlexSPI NOR the IVT is at offset
 *    0x1000 and boot data `start` is the FlexSPI base.
 *  - The same manuals, "FlexSPI configuration block": tag "FCFB" at +0, version 'V'.1.x at +4,
 *    readSampleClkSrc +0x0C, csHoldTime/csSetupTime +0x0D/+0x0E, deviceModeCfgEnable +0x10,
 *    deviceModeType +0x11, deviceModeSeq +0x14 (seqNum, seqId), deviceModeArg +0x18,
 *    deviceType +0x44 (1 = serial NOR), sflashPadType +0x45, serialClkFreq +0x46,
 *    sflashA1Size +0x50, LUT +0x80 (16 sequences × 8 instructions of 16 bits: opcode [15:10],
 *    pads [9:8], operand [7:0]; LUT index 0 = read, 1 = read status, 3 = write enable),
 *    pageSize +0x1C0, sectorSize +0x1C4, blockSize +0x1D0.
 *  - FlexSPI LUT opcodes (FlexSPI chapter): STOP 0x00, CMD_SDR 0x01, RADDR_SDR 0x02,
 *    WRITE_SDR 0x08, READ_SDR 0x09, DUMMY_SDR 0x0C.
 *  - ISSI IS25LP064A datasheet: 0xEB fast read quad I/O (24-bit address on 4 lines), 0x05
 *    read status, 0x06 write enable, 0x01 write status (QE = SR bit 6), 0x20 4 KiB sector
 *    erase, 0xD8 64 KiB block erase, 0x02 page program (256 B), 0x60 chip erase; 8 MiB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { buildBootImage, findBootLayout } from '../../src/imxrt/boot-image.js';
import { needs } from '../helpers/peers.js';

const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;

const OP = { STOP: 0x00, CMD_SDR: 0x01, RADDR_SDR: 0x02, WRITE_SDR: 0x08, READ_SDR: 0x09, DUMMY_SDR: 0x0c } as const;
const OP_NAME: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
const PADS = [1, 2, 4, 8];

/** One LUT sequence as "CMD_SDR/1/0xEB RADDR_SDR/4/0x18 …" up to STOP. */
function lutSequence(fcb: Uint8Array, index: number): string {
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const ins = u16(fcb, 0x80 + index * 16 + i * 2);
    const opcode = ins >> 10;
    if (opcode === OP.STOP) break;
    out.push(`${OP_NAME[opcode] ?? hex(opcode)}/${PADS[(ins >> 8) & 3]}/${hex(ins & 0xff)}`);
  }
  return out.join(' ');
}

interface BootReading { problems: string[]; entry: number; resetHandler: number; length: number; fcb: Record<string, number | string> }

/**
 * Reads a flat FlexSPI NOR image (byte 0 = the FlexSPI base) as the boot ROM would and lists
 * every rule it breaks.
 */
function readBootImage(flat: Uint8Array, base: number, fcbOffset: number): BootReading {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => { if (!ok) problems.push(what); };
  const fcb = flat.subarray(fcbOffset, fcbOffset + 512);
  need(String.fromCharCode(...fcb.subarray(0, 4)) === 'FCFB', 'FCB tag is not "FCFB"');
  need(fcb[7] === 0x56 && fcb[6] === 1, `FCB version ${hex(u32(fcb, 4))} is not V1.x`);
  need(fcb[0x44] === 1, `FCB deviceType ${fcb[0x44]} is not 1 (serial NOR)`);
  need(fcb[0x45] === 4, `FCB sflashPadType ${fcb[0x45]} is not 4 (quad)`);
  need(fcb[0x46]! >= 1 && fcb[0x46]! <= 8, `FCB serialClkFreq ${fcb[0x46]} is not a defined code`);
  need([0, 1, 3].includes(fcb[0x0c]!), `FCB readSampleClkSrc ${fcb[0x0c]} is undefined`);
  const size = u32(fcb, 0x50);
  need(size === 8 << 20, `FCB sflashA1Size ${hex(size)} is not the IS25LP064A's 8 MiB`);
  need(u32(fcb, 0x1c0) === 256 && u32(fcb, 0x1c4) === 4096 && u32(fcb, 0x1d0) === 0x10000, 'FCB page/sector/block sizes are not 256 B / 4 KiB / 64 KiB');
  const read = lutSequence(fcb, 0);
  const m = /^CMD_SDR\/1\/0xEB RADDR_SDR\/4\/0x18 DUMMY_SDR\/4\/0x([0-9A-F]+) READ_SDR\/4\/0x[0-9A-F]+$/.exec(read);
  need(m !== null && parseInt(m[1]!, 16) > 0, `LUT 0 (read) is "${read}", not a quad I/O fast read 0xEB`);
  need(lutSequence(fcb, 1).startsWith('CMD_SDR/1/0x5 READ_SDR/1/'), `LUT 1 (read status) is "${lutSequence(fcb, 1)}"`);
  need(lutSequence(fcb, 3) === 'CMD_SDR/1/0x6', `LUT 3 (write enable) is "${lutSequence(fcb, 3)}"`);
  if (fcb[0x10] === 1) {
    // Device mode configuration: run LUT seqId (seqNum sequences) with deviceModeArg: the QE bit.
    const seqId = fcb[0x15]!;
    need(fcb[0x14] === 1, `deviceModeSeq seqNum ${fcb[0x14]} is not 1`);
    need(lutSequence(fcb, seqId) === 'CMD_SDR/1/0x1 WRITE_SDR/1/0x1', `LUT ${seqId} (device mode) is "${lutSequence(fcb, seqId)}", not write status`);
    need(u32(fcb, 0x18) === 0x40, `deviceModeArg ${hex(u32(fcb, 0x18))} does not set QE (SR bit 6)`);
  }

  const ivtAt = 0x1000;
  const ivt = flat.subarray(ivtAt, ivtAt + 32);
  need(ivt[0] === 0xd1, `IVT tag ${hex(ivt[0]!)} is not 0xD1`);
  need(((ivt[1]! << 8) | ivt[2]!) === 0x20, `IVT length ${(ivt[1]! << 8) | ivt[2]!} (big endian) is not 32`);
  need(ivt[3] === 0x40 || ivt[3] === 0x41, `IVT version ${hex(ivt[3]!)} is not 0x40/0x41`);
  const entry = u32(ivt, 4);
  const dcd = u32(ivt, 12);
  const bootDataAt = u32(ivt, 16);
  const self = u32(ivt, 20);
  const csf = u32(ivt, 24);
  need(u32(ivt, 8) === 0 && u32(ivt, 28) === 0, 'IVT reserved words are not 0');
  need(self === base + ivtAt, `IVT self ${hex(self)} is not where the IVT is (${hex(base + ivtAt)})`);
  need(dcd === 0, `IVT dcd ${hex(dcd)}: XIP from NOR needs none`);
  need(csf === 0, `IVT csf ${hex(csf)} on an unsigned image`);
  const bd = bootDataAt - base;
  need(bd >= 0 && bd + 12 <= flat.length, `boot data at ${hex(bootDataAt)} lies outside the image`);
  const start = u32(flat, bd);
  const length = u32(flat, bd + 4);
  const plugin = u32(flat, bd + 8);
  need(start === base, `boot data start ${hex(start)} is not the FlexSPI base ${hex(base)}`);
  need(length >= flat.length, `boot data length ${hex(length)} does not cover the ${hex(flat.length)} bytes of the image`);
  need(length <= size, `boot data length ${hex(length)} exceeds the flash`);
  need(plugin === 0, `boot data plugin ${plugin} is set on an application image`);
  // Cortex-M: the ROM starts the application from the vector table the entry points at.
  const vt = entry - base;
  need(vt > ivtAt + 32 && vt + 8 <= flat.length, `IVT entry ${hex(entry)} does not point into the application`);
  const resetHandler = vt + 8 <= flat.length ? u32(flat, vt + 4) : 0;
  need((resetHandler & 1) === 1 && resetHandler - 1 >= entry && resetHandler - 1 < base + flat.length, `reset vector ${hex(resetHandler)} is not Thumb code inside the image`);
  return { problems, entry, resetHandler, length, fcb: { read, clk: fcb[0x46] ?? NaN, sampleClk: fcb[0x0c] ?? NaN } };
}

/** A plain XIP application: vector table (SP, reset handler) and code bytes. */
function app(at: number, size: number): MemoryImage {
  const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
  new DataView(data.buffer).setUint32(0, 0x20010000, true);
  new DataView(data.buffer).setUint32(4, at + 0x201, true);
  return MemoryImage.fromSegments([{ address: at, data }]);
}

/** The boot image as the flat file written to flash at the FlexSPI base. */
function flat(image: MemoryImage, base: number): Uint8Array {
  return image.filled(0xff).read(base, image.end! - base);
}

describe('i.MX RT boot image read by an independent reader (reference-manual tables)', () => {
  it('RT1021: FCB at 0, IVT at 0x1000, boot data covering the application, entry at its vector table', () => {
    const layout = findBootLayout('rt1021')!;
    const built = buildBootImage(app(0x60002000, 9000), layout);
    const r = readBootImage(flat(built.image, 0x60000000), 0x60000000, 0);
    expect(r.problems).toEqual([]);
    expect(r.entry).toBe(0x60002000);
    expect(r.resetHandler).toBe(0x60002201);
    expect(r.length).toBe(0x2000 + 9000);
    expect(r.fcb).toEqual({ read: 'CMD_SDR/1/0xEB RADDR_SDR/4/0x18 DUMMY_SDR/4/0x6 READ_SDR/4/0x4', clk: 7, sampleClk: 1 });
  });

  it('RT1011: the FCB at offset 0x400, the IVT still at 0x1000', () => {
    const built = buildBootImage(app(0x60002000, 3000), findBootLayout('rt1011')!);
    const image = flat(built.image, 0x60000000);
    expect([...image.subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]); // nothing at offset 0
    expect(readBootImage(image, 0x60000000, 0x400).problems).toEqual([]);
  });

  it('the reader is not vacuous: it finds each broken field', () => {
    const good = flat(buildBootImage(app(0x60002000, 4000), findBootLayout('rt1021')!).image, 0x60000000);
    const broken = (edit: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice();
      edit(b, new DataView(b.buffer));
      return readBootImage(b, 0x60000000, 0).problems;
    };
    expect(broken((b) => { b[0] = 0x41; })).toEqual(['FCB tag is not "FCFB"']);
    expect(broken((_, v) => v.setUint32(0x1014, 0x60001004, true))).toEqual(['IVT self 0x60001004 is not where the IVT is (0x60001000)']);
    expect(broken((b) => { b[0x1001] = 0x20; b[0x1002] = 0x00; })).toEqual(['IVT length 8192 (big endian) is not 32']);
    expect(broken((_, v) => v.setUint32(0x1024, 0x100, true))[0]).toMatch(/^boot data length 0x100 does not cover/);
    expect(broken((_, v) => v.setUint32(0x1004, 0x60002001, true))[0]).toMatch(/^reset vector/);
    expect(broken((_, v) => v.setUint16(0x80, (OP.CMD_SDR << 10) | 0x03, true))[0]).toMatch(/^LUT 0 \(read\) is "CMD_SDR\/1\/0x3 /);
  });

  const gcc = needs('arm-none-eabi-gcc', 'arm-none-eabi-nm');
  const dir = mkdtempSync(join(tmpdir(), 'fw-imxrt-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.skipIf(gcc.skip)(gcc.title('`flashwright imxrt image` on a gcc-built RT1021 application writes a file the reader boots'), async () => {
    writeFileSync(join(dir, 'app.c'), [
      'extern unsigned int __stack_top;',
      'volatile unsigned int counter;',
      'void Reset_Handler(void) { for (;;) counter++; }',
      '__attribute__((section(".isr_vector"), used)) const void *vectors[] = { &__stack_top, (void *)Reset_Handler };',
    ].join('\n'));
    writeFileSync(join(dir, 'app.ld'), [
      'MEMORY { FLASH (rx) : ORIGIN = 0x60002000, LENGTH = 0x7FE000  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K }',
      '__stack_top = ORIGIN(RAM) + LENGTH(RAM);',
      'SECTIONS { .text : { KEEP(*(.isr_vector)) *(.text*) *(.rodata*) } > FLASH  .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM }',
    ].join('\n'));
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m7', '-mthumb', '-Os', '-nostdlib', '-T', join(dir, 'app.ld'), '-o', join(dir, 'app.elf'), join(dir, 'app.c')]);
    let text = '';
    const io = { out: (t: string) => { text += t; }, err: (t: string) => { text += t; }, isTty: false };
    expect(await runCli(['imxrt', 'image', join(dir, 'app.elf'), '--part', 'rt1021', '-o', join(dir, 'boot.bin')], io), text).toBe(0);
    const boot = new Uint8Array(readFileSync(join(dir, 'boot.bin')));
    const r = readBootImage(boot, 0x60000000, 0);
    expect(r.problems).toEqual([]);
    expect(r.entry).toBe(0x60002000);
    // The reset handler the reader found is the one the linker placed (nm), not just any Thumb address.
    const nm = execFileSync('arm-none-eabi-nm', [join(dir, 'app.elf')], { encoding: 'utf8' });
    expect(r.resetHandler).toBe((parseInt(/^([0-9a-f]+) T Reset_Handler$/m.exec(nm)![1]!, 16) | 1) >>> 0);
  });
});
