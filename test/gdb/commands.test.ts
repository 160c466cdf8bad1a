import { describe, expect, it } from 'vitest';
import { classifyReply, encodeBreakpoint, encodeCrc, gdbCrc32, offeredFeatures, parseCrcReply, parseRegisterHex, parseStopReply, parseSupported, registerHex } from '../../src/protocol/gdb-rsp/commands.js';
import { DEFAULT_ARM_REGISTERS, includedFiles, parseMemoryMap, parseRegisters } from '../../src/protocol/gdb-rsp/xml.js';
import { QEMU_LIKE_XML } from './fake-server.js';

describe('RSP command parsing', () => {
  it('parses qSupported replies as QEMU 7.2 and OpenOCD send them', () => {
    const q = parseSupported('PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+');
    expect(q.packetSize).toBe(0x1000);
    expect(q.flags.get('qXfer:features:read')).toBe(true);
    const o = parseSupported('PacketSize=4000;qXfer:memory-map:read+;qXfer:features:read-;QStartNoAckMode+;vContSupported+');
    expect(o.packetSize).toBe(0x4000);
    expect(o.flags.get('qXfer:features:read')).toBe(false);
    expect(offeredFeatures(o)).toEqual(['PacketSize=4000', 'qXfer:memory-map:read', 'QStartNoAckMode', 'vContSupported']);
  });

  it('classifies OK, empty, Exx and E.message replies', () => {
    expect(classifyReply('OK')).toEqual({ kind: 'ok' });
    expect(classifyReply('')).toEqual({ kind: 'empty' });
    expect(classifyReply('E0e')).toEqual({ kind: 'error', errno: 14 });
    expect(classifyReply('E.memtype')).toEqual({ kind: 'error', errno: 0, message: 'memtype' });
    expect(classifyReply('0011')).toEqual({ kind: 'data', text: '0011' });
  });

  it('parses stop replies', () => {
    expect(parseStopReply('T05thread:p01.01;')).toMatchObject({ kind: 'signal', signal: 5, thread: 'p01.01' });
    expect(parseStopReply('T05swbreak:;0f:00010020;')).toMatchObject({ kind: 'signal', reason: 'swbreak', pairs: { '0f': '00010020' } });
    expect(parseStopReply('S02')).toMatchObject({ kind: 'signal', signal: 2 });
    expect(parseStopReply('W00')).toEqual({ kind: 'exited', status: 0 });
    expect(parseStopReply('X09')).toEqual({ kind: 'terminated', signal: 9 });
    expect(parseStopReply('O68690a')).toEqual({ kind: 'output', text: 'hi\n' });
    expect(parseStopReply('OK')).toBeUndefined();
  });

  it('computes the qCRC checksum as GDB does (CRC-32/MPEG-2: check value 0x0376E6E7)', () => {
    expect(gdbCrc32(new TextEncoder().encode('123456789'))).toBe(0x0376e6e7);
    expect(gdbCrc32(new Uint8Array(0))).toBe(0xffffffff);
    expect(encodeCrc(0x8000000, 0x400)).toBe('qCRC:8000000,400');
    expect(parseCrcReply('C376e6e7')).toBe(0x0376e6e7);
    expect(parseCrcReply('E01')).toBeUndefined();
  });

  it('encodes registers little-endian and breakpoints with a Thumb kind', () => {
    expect(registerHex(0x20000128)).toBe('28010020');
    expect(parseRegisterHex('28010020')).toBe(0x20000128);
    expect(parseRegisterHex('xxxxxxxx')).toBeUndefined();
    expect(encodeBreakpoint(true, 0, 0x100)).toBe('Z0,100,2');
    expect(encodeBreakpoint(false, 1, 0x20000000)).toBe('z1,20000000,2');
  });
});

describe('target description and memory map XML', () => {
  it('finds includes and numbers registers like GDB (regnum attribute wins)', () => {
    expect(includedFiles(QEMU_LIKE_XML['target.xml']!)).toEqual(['arm-m-profile.xml']);
    const { registers } = parseRegisters(QEMU_LIKE_XML['arm-m-profile.xml']!);
    expect(registers.map((r) => `${r.name}:${r.regnum}`).slice(12)).toEqual(['r12:12', 'sp:13', 'lr:14', 'pc:15', 'xpsr:25']);
    expect(registers[0]!.feature).toBe('org.gnu.gdb.arm.m-profile');
    const more = parseRegisters('<feature name="x"><reg name="msp" bitsize="32"/><!-- <reg name="ghost"/> --></feature>', 26);
    expect(more.registers).toEqual([{ name: 'msp', regnum: 26, bitsize: 32, feature: 'x' }]);
    expect(DEFAULT_ARM_REGISTERS.find((r) => r.name === 'xpsr')?.regnum).toBe(25);
  });

  it('parses an OpenOCD-style memory map and skips unreadable regions', () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" "http://sourceware.org/gdb/gdb-memory-map.dtd">
<memory-map>
<memory type="flash" start="0x08000000" length="0x20000">
<property name="blocksize">0x400</property>
</memory>
<memory type="ram" start="0x20000000" length="0x5000"/>
<memory type="rom" start="0x1fff0000" length="4096"/>
<memory type="weird" start="0x0" length="0x10"/>
<memory type="ram" start="nonsense" length="0x10"/>
</memory-map>`;
    expect(parseMemoryMap(xml)).toEqual([
      { type: 'flash', start: 0x08000000, length: 0x20000, blockSize: 0x400 },
      { type: 'ram', start: 0x20000000, length: 0x5000 },
      { type: 'rom', start: 0x1fff0000, length: 4096 },
    ]);
  });
});
