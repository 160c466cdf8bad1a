/**
 * `flashwright explain TOKEN`: one code or value looked up in the decoders. Tokens:
 *   10203, kStatusMemoryCumulativeWrite   MCUboot status
 *   Ef(11), Ee(42), Wc(03)                 LinkServer codes
 *   CFSR=0x00008200, HFSR=…, DFSR=…         Cortex-M fault registers
 *   FSEC=0x7B, FOPT=0xFF                   Kinetis flash configuration bytes
 *   RDP=0xBB[:f1]                          STM32 read protection
 *   0xC0000007 (or FLEXSPI=…)              FlexSPI NOR option word
 *   DPIDR=…, CPUID=…, APIDR=… (IDR=…)      debug identification registers
 *   NACK:0x31[:address|data|…]             STM32 bootloader NACK per command and step
 *   any other text                          an error string, run through the doctor's rules
 */
import { hex } from '../core/format.js';
import { decodeApIdr, decodeCpuid, decodeDpidr } from './decoders/adi.js';
import { decodeFaultStatus } from './decoders/cortex-m.js';
import { decodeFopt } from './decoders/kinetis-fopt.js';
import { LINKSERVER_CODES, linkServerCodeInfo } from './decoders/linkserver.js';
import { decodeRdp } from './decoders/stm32-option.js';
import { STATUS_TABLE, statusInfo } from '../protocol/mcuboot/status.js';
import { explainNack, type Stm32Phase } from '../protocol/stm32-uart/errors.js';
import { Cmd, commandName } from '../protocol/stm32-uart/commands.js';
import { decodeFsec, describeFsec } from '../flash/checks/kinetis-fcf.js';
import { describeFlexspiOption } from '../imxrt/flexspi-option.js';
import { diagnose } from './diagnose.js';

export interface Explanation {
  token: string;
  kind: 'mcuboot-status' | 'linkserver' | 'fault' | 'fsec' | 'fopt' | 'rdp' | 'flexspi-option' | 'dpidr' | 'cpuid' | 'ap-idr' | 'stm32-nack' | 'message';
  title: string;
  lines: string[];
  source: string;
}

function num(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '');
  if (/^0x[0-9a-f]{1,8}$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[0-9a-f]{1,8}h?$/i.test(t) && /[a-f]/i.test(t)) return Number.parseInt(t.replace(/h$/i, ''), 16);
  if (/^\d{1,10}$/.test(t)) return Number(t);
  return undefined;
}

function mcuboot(code: number, token: string): Explanation {
  const s = statusInfo(code);
  return { token, kind: 'mcuboot-status', title: `MCUboot status ${s.code} (${hex(s.code, 4)}) ${s.name}`, lines: [s.meaning, `What to do: ${s.hint}`], source: s.source };
}

const PHASES: readonly Stm32Phase[] = ['command', 'address', 'length', 'data', 'pages', 'result'];
const CMD_BY_NAME = new Map(Object.entries(Cmd).map(([k, v]) => [k.toLowerCase(), v]));

function explainRegister(reg: string, value: number, token: string, extra: string | undefined): Explanation | undefined {
  switch (reg) {
    case 'CFSR': case 'HFSR': case 'DFSR': {
      const d = decodeFaultStatus(reg === 'CFSR' ? value : 0, reg === 'HFSR' ? value : 0, reg === 'DFSR' ? value : 0);
      const bits = reg === 'CFSR' ? d.decoded.cfsr : reg === 'HFSR' ? d.decoded.hfsr : d.decoded.dfsr;
      return { token, kind: 'fault', title: `${reg} ${hex(value)}`, lines: bits.length ? bits.map((b) => `set: ${b}`) : ['no fault bits set'], source: 'ARMv7-M ARM DDI0403E §B3.2.15–17, §C1.6.1' };
    }
    case 'FSEC': {
      const d = decodeFsec(value);
      const lines = [describeFsec(d)];
      if (d.permanentLock) lines.push('Secure with mass erase disabled and no backdoor key: the part can never be unsecured.');
      else if (d.secure) lines.push('Secure after reset: debug and flash reads are refused until a mass erase; a probe that quietly unsecures writes SEC=10 instead, so verify then differs here. Use 0xFE for an unsecure part.');
      return { token, kind: 'fsec', title: `Kinetis FSEC ${hex(value, 2)} (flash configuration field 0x40C)`, lines, source: 'K64 Sub-Family RM §29.3.1 "Flash Configuration Field Description"' };
    }
    case 'FOPT':
      return { token, kind: 'fopt', title: `Kinetis FOPT ${hex(value, 2)} (flash configuration field 0x40D)`, lines: decodeFopt(value).lines.slice(1), source: 'K64 Sub-Family RM "Flash Option Register (FTFE_FOPT)"' };
    case 'RDP': {
      const d = decodeRdp(value, extra);
      return { token, kind: 'rdp', title: `STM32 RDP option byte ${hex(value, 2)}${extra ? ` (${extra})` : ''}`, lines: [d.summary], source: 'RM0090 §3.7.3, RM0008 §2.5' };
    }
    case 'DPIDR': case 'IDCODE':
      return { token, kind: 'dpidr', title: `Debug port ID ${hex(value)}`, lines: [decodeDpidr(value).summary], source: 'ARM IHI0031 (ADIv5) §B2.2.5 DPIDR; JEP106' };
    case 'CPUID':
      return { token, kind: 'cpuid', title: `CPUID ${hex(value)}`, lines: [decodeCpuid(value).summary], source: 'ARMv7-M ARM DDI0403E §B3.2.3; core TRMs' };
    case 'IDR': case 'APIDR': case 'AP':
      return { token, kind: 'ap-idr', title: `Access port IDR ${hex(value)}`, lines: [decodeApIdr(value).summary], source: 'ARM IHI0031 (ADIv5) §C1.2.1 IDR' };
    case 'FLEXSPI': case 'OPTION':
      return flexspi(value, token);
    default:
      return undefined;
  }
}

function flexspi(value: number, token: string): Explanation | undefined {
  try {
    return { token, kind: 'flexspi-option', title: `FlexSPI NOR option word ${hex(value)}`, lines: [describeFlexspiOption(value)], source: 'i.MX RT RM "FlexSPI NOR configuration option block"; MCUBOOTRM "Configure FlexSPI NOR"' };
  } catch (e) {
    return { token, kind: 'flexspi-option', title: `${hex(value)} is not a valid FlexSPI NOR option word`, lines: [(e as Error).message], source: 'i.MX RT RM "FlexSPI NOR configuration option block"' };
  }
}

function nack(rest: string, token: string): Explanation | undefined {
  const [cmdText = '', phaseText = 'command', addrText] = rest.split(/[:@\s]+/).filter(Boolean);
  const code = num(cmdText) ?? CMD_BY_NAME.get(cmdText.toLowerCase().replace(/[\s_-]/g, ''));
  if (code === undefined) return undefined;
  const phase = (PHASES as readonly string[]).includes(phaseText.toLowerCase()) ? (phaseText.toLowerCase() as Stm32Phase) : 'command';
  const address = addrText === undefined ? undefined : num(addrText);
  const steps = phase === 'command' && phaseText.toLowerCase() === 'command' && !rest.includes(':') ? PHASES.slice(0, 4) : [phase];
  return {
    token, kind: 'stm32-nack', title: `STM32 bootloader NACK to ${commandName(code)}`,
    lines: steps.map((p) => `at the ${p} step: ${explainNack(code, p, address)}`),
    source: 'AN3155 (USART protocol used in the STM32 bootloader) §3',
  };
}

/** Every reading of `token` the decoders know; empty when none applies. */
export function explainToken(input: string): Explanation[] {
  const token = input.trim();
  if (!token) return [];
  const out: Explanation[] = [];
  const reg = /^([A-Za-z]{2,8})\s{0,2}[=:]\s{0,2}([0-9a-fx_]{1,12}h?)(?::([a-z0-9]{1,20}))?$/i.exec(token);
  if (reg) {
    const value = num(reg[2]!);
    if (value !== undefined) {
      const e = explainRegister(reg[1]!.toUpperCase(), value >>> 0, token, reg[3]);
      if (e) return [e];
    }
  }
  const nackM = /^NACK[:\s]\s{0,2}(.{1,60})$/i.exec(token);
  if (nackM) { const e = nack(nackM[1]!, token); if (e) return [e]; }
  const ls = linkServerCodeInfo(token);
  if (ls) {
    return [{ token, kind: 'linkserver', title: `LinkServer ${ls.code}${ls.text ? ` "${ls.text}"` : ''}`, lines: [ls.meaning], source: ls.source }];
  }
  const kname = /^k?Status_?([A-Za-z0-9_]{2,60})$/.exec(token);
  if (kname) {
    const want = kname[1]!.replace(/_/g, '').toLowerCase();
    const row = STATUS_TABLE.find((s) => s.name.replace(/_/g, '').toLowerCase() === want);
    if (row) return [mcuboot(row.code, token)];
  }
  const n = num(token);
  if (n !== undefined) {
    // Decimal as blhost prints it, or its hex form ("0x27db") for codes above one byte.
    if (STATUS_TABLE.some((s) => s.code === n) && (/^\d{1,6}$/.test(token) || (/^0x[0-9a-f]{3,4}$/i.test(token) && n > 0xff))) out.push(mcuboot(n, token));
    if (n >>> 28 === 0xc && /^0x/i.test(token)) { const e = flexspi(n, token); if (e) out.push(e); }
    if (out.length) return out;
  }
  // Anything else: an error string. Run it through the rules as a one-line log.
  const report = diagnose(token, { maxCauses: 3, anyTool: true });
  for (const c of report.causes) {
    out.push({ token, kind: 'message', title: `${c.category}: ${c.summary}`, lines: c.fix.map((f) => `fix: ${f}`), source: c.source });
  }
  return out;
}

/** The LinkServer codes the table documents (for `explain --list`). */
export const KNOWN_LINKSERVER_CODES = LINKSERVER_CODES.map((c) => c.code);
