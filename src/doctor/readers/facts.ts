/**
 * Facts every tool's log can carry, found line by line: chip, probe, interface and speed,
 * target voltage, debug IDs (decoded), vendor error codes (decoded), expected-vs-read
 * mismatches in each tool's wording, fault registers, RDP, `size` output and application
 * addresses. Each pattern is anchored or literal-led with bounded repeats only.
 */
import { hex } from '../../core/format.js';
import { decodeApIdr, decodeCpuid, decodeDpidr } from '../decoders/adi.js';
import { decodeFaultStatus } from '../decoders/cortex-m.js';
import { linkServerCodeInfo } from '../decoders/linkserver.js';
import { decodeRdp } from '../decoders/stm32-option.js';
import { statusInfo, STATUS_TABLE } from '../../protocol/mcuboot/status.js';
import type { Facts, LogLine } from '../types.js';

const h = (s: string): number => Number.parseInt(s, 16);

/** Chip names as each tool prints them; first match wins. */
const CHIP: RegExp[] = [
  /^Device "([^"]{2,40})" selected/, // J-Link
  /^Device selected is (\S{2,40})/, // PEmicro
  /^NXP: (\S{2,40})$/, // LinkServer
  /^Device name\s{0,4}:\s?(.{2,40})$/, // CubeProgrammer
  /Target type is (\S{2,40})/, // pyOCD
  /--chip[ =]"?([A-Za-z0-9_.-]{2,40})/, // probe-rs, esptool
  /^Chip is (ESP[^\s(]{1,30})/, // esptool
  /-p(?:art)?\s?(atmega\w{1,10}|attiny\w{1,10}|m\d{2,4}p?)\b/i, // avrdude
  /target\/([a-z0-9]{4,20})\.cfg/, // OpenOCD target config
  /-device=(\S{2,40})/, // PEmicro command line
  /^Device ID\s{0,6}:\s?(0x[0-9a-f]{3,4}(?: \([^)]{1,40}\))?)/i, // stm32flash / CubeProgrammer
];

const PROBE: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^Firmware: (J-Link [^,]{1,40}?) compiled/, (m) => m[1]!],
  [/^Probe Firmware: (.{2,60})$/, (m) => m[1]!],
  [/\bSTLINK (V\d\w{1,12}) \(API/i, (m) => `ST-LINK ${m[1]!}`],
  [/^ST-LINK FW\s{0,4}:\s?(\S{2,20})/, (m) => `ST-LINK ${m[1]!}`],
  [/-interface=(\w{2,30})/, (m) => m[1]!],
  [/^\s{0,4}\d{1,2}\s{1,4}(ARM CMSIS-DAP[^\s]{0,10}|Segger[^\d]{0,40}|ST-?Link[^\d]{0,20})/i, (m) => m[1]!.trim()],
];

const MISMATCH: Array<{ re: RegExp; f: (m: RegExpExecArray) => { address?: number; expected?: number; read?: number } }> = [
  { re: /Verify failed @ address (0x[0-9a-f]{1,8})/i, f: (m) => ({ address: h(m[1]!) }) }, // J-Link, address line
  { re: /^Expected ([0-9a-f]{2}) read ([0-9a-f]{2})\b/i, f: (m) => ({ expected: h(m[1]!), read: h(m[2]!) }) },
  { re: /Verify error at address \$([0-9a-f]{1,8})/i, f: (m) => ({ address: h(m[1]!) }) }, // PEmicro
  { re: /Byte in module is \$([0-9a-f]{2}) and should be \$([0-9a-f]{2})/i, f: (m) => ({ read: h(m[1]!), expected: h(m[2]!) }) },
  { re: /Data mismatch found at address\s{1,3}0x([0-9a-f]{1,8}) \(byte = 0x([0-9a-f]{2}) instead of 0x([0-9a-f]{2})\)/i, f: (m) => ({ address: h(m[1]!), read: h(m[2]!), expected: h(m[3]!) }) }, // CubeProgrammer
  { re: /Contents mismatch at: ([0-9a-f]{8})H \(Flash=([0-9a-f]{2})H Required=([0-9a-f]{2})H\)/i, f: (m) => ({ address: h(m[1]!), read: h(m[2]!), expected: h(m[3]!) }) }, // Keil
  { re: /diff \d{1,10} address 0x([0-9a-f]{1,8})\. Was 0x([0-9a-f]{2}) instead of 0x([0-9a-f]{2})/i, f: (m) => ({ address: h(m[1]!), read: h(m[2]!), expected: h(m[3]!) }) }, // OpenOCD verify_image
  { re: /Verify failed at 0x([0-9a-f]{1,8})\b.{0,80}?expected 0x([0-9a-f]{2}), read 0x([0-9a-f]{2})/i, f: (m) => ({ address: h(m[1]!), expected: h(m[2]!), read: h(m[3]!) }) }, // flashwright
  { re: /first mismatch at byte (0x[0-9a-f]{1,8})/i, f: (m) => ({ address: h(m[1]!) }) }, // avrdude
];

function push<T>(list: T[] | undefined, v: T, max = 20): T[] {
  const l = list ?? [];
  if (l.length < max && !l.includes(v)) l.push(v);
  return l;
}

const MISMATCH_GATE = /verif|expected|byte in module|mismatch|diff \d/i;
const FAULT_GATE = /FSR|DEBUGEVT|FORCED|VECTTBL|VIOL|ERR\b|UNDEFINSTR|INVSTATE|INVPC/;
const ERRORISH = /^(?:error|fatal|critical)\b|\berror\b|\bfailed\b|\bfailure\b|\bfatal\b|\bcannot\b|\bcan ?not\b|\bunable\b|\bno response\b|\bNACK\b|\bmismatch\b/i;

const KSTATUS_NAMES = new Map(STATUS_TABLE.map((s) => [s.name.toLowerCase(), s.code]));

/** Reads the facts of one log. */
export function extractFacts(lines: readonly LogLine[]): Facts {
  const f: Facts = {};
  let pendingAddress: number | undefined;
  let pendingLine = '';
  const apIdr: NonNullable<Facts['apIdr']> = [];
  const fault: { cfsr?: number; hfsr?: number; dfsr?: number; bits: string[] } = { bits: [] };
  const appAddresses: number[] = [];
  let inOptionBytes = false;

  for (const { text } of lines) {
    if (f.chip === undefined) for (const re of CHIP) { const m = re.exec(text); if (m) { f.chip = m[1]!.trim(); break; } }
    if (f.probe === undefined) for (const [re, g] of PROBE) { const m = re.exec(text); if (m) { f.probe = g(m); break; } }
    if (f.core === undefined) { const m = /\b(Cortex-M\d{1,2}(?:\+|P)?)\b/.exec(text); if (m) f.core = m[1]!; }
    if (f.interface === undefined) {
      const m = /\b(?:via|protocol:|interface type =|transport|selected\.?)\s{0,2}"?(SWD|JTAG)\b/i.exec(text) ?? /\b(SWD|JTAG)\b (?:selected|freq)/i.exec(text);
      if (m) f.interface = m[1]!.toUpperCase();
    }
    if (f.speed === undefined) {
      const m = /(?:clock speed|SWD freq\s{0,4}:|-speed=|adapter speed:?|interface speed:?)\s{0,3}(\d{1,6})\s{0,2}(kHz|MHz)?\b/i.exec(text);
      if (m) f.speed = `${m[1]!} ${m[2] ?? 'kHz'}`;
    }
    if (f.targetVoltage === undefined) {
      const m = /\b(?:VTref|VTarget|Target voltage|Voltage)\s{0,8}[:=]\s{0,3}(\d{1,2}(?:[.,]\d{1,6})?)\s?V?\b/i.exec(text);
      if (m) f.targetVoltage = Number(m[1]!.replace(',', '.'));
    }
    if (f.port === undefined) {
      const m = /(?:Serial port|Using Port\s{0,4}:|-P\s?|--port[ =]|port=)\s{0,2}(\/dev\/\S{2,40}|COM\d{1,3}|\\\\\.\\COM\d{1,3})/i.exec(text);
      if (m) f.port = m[1]!;
    }
    if (f.baud === undefined) {
      const m = /\b(\d{4,7})\s?(?:baud|8[EN]1)\b/i.exec(text) ?? /(?:Overriding Baud Rate\s{0,4}:|-b\s?|--baud[ =]|br=)\s{0,2}(\d{4,7})\b/.exec(text);
      if (m) f.baud = Number(m[1]!);
    }
    // Debug IDs.
    if (f.dpidr === undefined) {
      const m = /\b(?:DPIDR|DpID|DP ID|DP IDR|SW-DP with ID|IDCODE)\b\s{0,2}[:=]?\s{0,2}(?:0x)?([0-9a-f]{8})\b/i.exec(text);
      if (m) { const d = decodeDpidr(h(m[1]!)); f.dpidr = { value: d.value, summary: d.summary }; }
    }
    if (f.cpuid === undefined) {
      const m = /\bCPU ?ID(?: register)?\b\s{0,2}[:=]?\s{0,2}(?:0x)?([0-9a-f]{3,8})\b/i.exec(text);
      if (m) {
        const d = decodeCpuid(h(m[1]!));
        f.cpuid = { value: d.value, summary: d.summary };
        if (f.core === undefined && d.core) f.core = d.core;
      }
    }
    if (/AP/.test(text)) {
      const m = /\bAP\[(\d{1,3})\][^()]{0,40}\(IDR:\s?(?:0x)?([0-9a-f]{8})\)/i.exec(text)
        ?? /\bAP#?(\d{1,3}) IDR\s?=\s?(?:0x)?([0-9a-f]{8})\b/i.exec(text)
        ?? /\b(?:APID|AP ID register)()\s{0,2}=?\s{0,2}(?:0x)?([0-9a-f]{8})\b/i.exec(text);
      if (m && apIdr.length < 8) { const d = decodeApIdr(h(m[2]!)); apIdr.push({ ap: m[1] ? Number(m[1]) : null, value: d.value, summary: d.summary }); }
    }
    // Vendor codes.
    if (text.includes('(')) for (const m of text.matchAll(/\b(E[a-z]|W[a-z])\(([0-9a-f]{1,3})\)/gi)) {
      const code = `${m[1]!}(${m[2]!})`;
      const info = linkServerCodeInfo(code);
      if (info) { f.errorCodes = push(f.errorCodes, code); f.decodedCodes = pushCode(f.decodedCodes, code, info.meaning); }
    }
    if (text.includes('Status')) for (const m of text.matchAll(/\bkStatus_?([A-Za-z0-9_]{2,60})/g)) {
      const name = m[1]!.replace(/^_/, '');
      const code = KSTATUS_NAMES.get(name.toLowerCase()) ?? KSTATUS_NAMES.get(name.replace(/_/g, '').toLowerCase());
      f.errorCodes = push(f.errorCodes, m[0]);
      if (code !== undefined) f.decodedCodes = pushCode(f.decodedCodes, String(code), `${statusInfo(code).name}: ${statusInfo(code).meaning}`);
    }
    {
      const m = /(?:Response status|status)\s?[=:]\s?(\d{1,5})\b/i.exec(text) ?? /"value":\s?(\d{3,5})\b/.exec(text);
      if (m && /status|"value"/i.test(text)) {
        const code = Number(m[1]!);
        const info = statusInfo(code);
        if (info.source !== 'not in the table' && code !== 0) {
          f.errorCodes = push(f.errorCodes, String(code));
          f.decodedCodes = pushCode(f.decodedCodes, String(code), `${info.name}: ${info.meaning}`);
        }
      }
    }
    // Expected vs read (the gate keeps the nine patterns off ordinary lines).
    if (MISMATCH_GATE.test(text)) for (const { re, f: get } of MISMATCH) {
      const m = re.exec(text);
      if (!m) continue;
      const v = get(m);
      if (v.address !== undefined && v.expected === undefined) { pendingAddress = v.address; pendingLine = text; continue; }
      if (f.mismatch === undefined && v.expected !== undefined && v.read !== undefined) {
        const address = v.address ?? pendingAddress;
        if (address !== undefined) f.mismatch = { address, expected: v.expected, read: v.read, line: v.address === undefined ? `${pendingLine} / ${text}` : text };
      }
    }
    if (f.addresses === undefined || f.addresses.length < 20) {
      if (ERRORISH.test(text)) for (const m of text.matchAll(/(?:0x|\$)([0-9a-f]{8})\b/gi)) f.addresses = push(f.addresses, hex(h(m[1]!)));
    }
    // Fault registers.
    if (FAULT_GATE.test(text)) for (const m of text.matchAll(/\b(CFSR|HFSR|DFSR)\s{0,2}[:=]\s{0,2}(?:0x)?([0-9a-f]{1,8})\b/gi)) {
      const reg = m[1]!.toLowerCase() as 'cfsr' | 'hfsr' | 'dfsr';
      fault[reg] = h(m[2]!);
    }
    if (FAULT_GATE.test(text)) for (const m of text.matchAll(/\b(DEBUGEVT|FORCED|VECTTBL|IACCVIOL|DACCVIOL|PRECISERR|IMPRECISERR|UNDEFINSTR|INVSTATE|INVPC|STKERR|UNSTKERR|IBUSERR)\b/g)) {
      if (!fault.bits.includes(m[1]!)) fault.bits.push(m[1]!);
    }
    // Option bytes: "OPTION BYTES BANK: 0" starts CubeProgrammer's list of "NAME : 0xVALUE (…)".
    if (/^\s{0,8}(?:OPTION BYTES|Option Bytes)\b/.test(text)) inOptionBytes = true;
    else if (inOptionBytes) {
      const m = /^\s{0,12}([A-Za-z][A-Za-z0-9_]{1,24})\s{0,16}:\s{0,4}0x([0-9a-f]{1,8})\b/i.exec(text);
      if (m) { const ob = f.optionBytes ?? (f.optionBytes = {}); if (Object.keys(ob).length < 64) ob[m[1]!] = h(m[2]!); }
      else if (!/^\s{0,12}(?:[A-Za-z ]{1,40}:?\s{0,4}$|-{3,})/.test(text)) inOptionBytes = false;
    }
    // RDP.
    if (f.rdp === undefined) {
      const m = /\bRDP\b\s{0,12}[:=]\s{0,3}(?:0x)?([0-9a-f]{2})\b/i.exec(text);
      if (m) { const d = decodeRdp(h(m[1]!), f.chip); f.rdp = { value: d.value, level: d.level, summary: d.summary }; }
    }
    // `size` (berkeley) output: text data bss dec hex filename.
    {
      const m = /^\s{0,8}(\d{1,9})\s{1,12}(\d{1,9})\s{1,12}(\d{1,9})\s{1,12}(\d{1,10})\s{1,12}([0-9a-f]{1,8})\s{1,12}("?[^\s"]{1,200}"?)\s{0,4}$/i.exec(text);
      if (m && Number(m[4]) === Number(m[1]) + Number(m[2]) + Number(m[3])) {
        const sizes = f.imageSizes ?? (f.imageSizes = []);
        if (sizes.length < 10) sizes.push({ file: m[6]!.replace(/"/g, ''), text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]), total: Number(m[4]) });
      }
    }
    {
      const m = /\b(?:BL_APP_VECTOR_TABLE_ADDRESS|APP(?:LICATION)?[ _]?(?:START[ _]?)?ADDR(?:ESS)?)\b.{0,40}?(0x[0-9a-f]{4,8})\b/i.exec(text);
      if (m) appAddresses.push(h(m[1]!.slice(2)));
    }
    if (ERRORISH.test(text)) f.errors = push(f.errors, text.trim().slice(0, 300));
  }
  if (apIdr.length) f.apIdr = apIdr;
  if (fault.cfsr !== undefined || fault.hfsr !== undefined || fault.dfsr !== undefined || fault.bits.length) {
    const d = decodeFaultStatus(fault.cfsr ?? 0, fault.hfsr ?? 0, fault.dfsr ?? 0);
    const bits = [...d.decoded.cfsr, ...d.decoded.hfsr, ...d.decoded.dfsr];
    for (const b of fault.bits) if (!bits.some((x) => x.startsWith(b))) bits.push(b);
    f.faults = { ...(fault.cfsr === undefined ? {} : { cfsr: fault.cfsr }), ...(fault.hfsr === undefined ? {} : { hfsr: fault.hfsr }), ...(fault.dfsr === undefined ? {} : { dfsr: fault.dfsr }), bits };
  }
  if (appAddresses.length) f.applicationAddress = Math.min(...appAddresses);
  return f;
}

function pushCode(list: Facts['decodedCodes'], code: string, meaning: string): NonNullable<Facts['decodedCodes']> {
  const l = list ?? [];
  if (l.length < 20 && !l.some((c) => c.code === code)) l.push({ code, meaning });
  return l;
}
