/**
 * Which tool wrote the log: each reader names the lines only that tool prints. The reader
 * with the most distinct signatures seen wins; ties go to the earlier (more specific) entry.
 * Patterns are anchored or literal-led and free of nested quantifiers (see rules/safety.ts).
 */
import { requiredLiteral } from '../rules/safety.js';

export interface ToolReader {
  id: string;
  name: string;
  signatures: RegExp[];
}

export const TOOL_READERS: readonly ToolReader[] = [
  { id: 'flashwright', name: 'flashwright', signatures: [/^\{"type":"(?:error|event|result|start)"/, /flashwright doctor/, /^hint: /, /^doctor: error [A-Z]/] },
  { id: 'jlink', name: 'SEGGER J-Link Commander', signatures: [/SEGGER J-Link Commander/, /^J-Link>/, /J-Link Command File/, /Connecting to J-Link via USB/, /^J-Link: Flash download:/, /^VTref\s?=/] },
  { id: 'jlink-gdbserver', name: 'SEGGER J-Link GDB Server', signatures: [/J-Link GDB Server/, /Waiting for GDB connection/, /GDB Server V\d/] },
  { id: 'jflash', name: 'SEGGER J-Flash', signatures: [/\bJ-Flash\b/, /\.jflash\b/] },
  { id: 'linkserver', name: 'NXP LinkServer / MCUXpresso GUI Flash Tool', signatures: [/LinkServer/, /RedlinkMulti Driver/, /crt_emu_cm_redlink/, /\bE[a-z]\([0-9a-f]{1,3}\)\. /i, /^Executing flash operation '/, /^Probe\(\d{1,2}\): Connected&Reset/, /Wc\(03\)\. No cache support/] },
  { id: 'pemicro', name: 'PEmicro GDB Server', signatures: [/P&E GDB Server/, /PEmicro Interface detected/, /P&E Microcomputer Systems/, /pegdbserver_console/, /Byte in module is \$/, /\.arp\b/] },
  { id: 'mcubootutility', name: 'NXP MCUBootUtility', signatures: [/MCUBootUtility|MCU Boot Utility/i, /"status":\s?\{\s?"description":/] },
  { id: 'kinetis-flash-tool', name: 'NXP KinetisFlashTool', signatures: [/KinetisFlashTool|Kinetis ?Flash ?Tool/i] },
  { id: 'blhost', name: 'NXP blhost', signatures: [/^blhost\b/, /\bblhost\s-[pu]\b/, /^Inject command '/, /^Response status = \d/, /Ping responded in \d/, /^Response word \d/, /kStatus_?[A-Z]/] },
  { id: 'cubeprogrammer', name: 'STM32CubeProgrammer', signatures: [/STM32CubeProgrammer/, /STM32_Programmer_CLI/, /^ST-LINK FW\s{0,4}:/, /^Device name\s{0,4}:/, /^Memory Programming \.\.\./, /^Opening and parsing file:/, /\.stldr\b/, /^UR connection mode/] },
  { id: 'stlink-utility', name: 'STM32 ST-LINK Utility', signatures: [/ST-LINK Utility/, /ST-LINK_CLI/, /Can not connect to target!/, /Disable Read Out Protection and retry/, /Could not set Option bytes!/, /^ST-LINK SN : /] },
  { id: 'flash-loader-demo', name: 'STM32 Flash Loader Demonstrator', signatures: [/Flash Loader Demonstrator/, /the Boot loader can not be started/, /Check read\/write protections/] },
  { id: 'stm32flash', name: 'stm32flash', signatures: [/^stm32flash \d/, /^Interface serial_\w{1,10}:/, /Got NACK from device on command/, /stm32flash/, /^Failed to init device\./] },
  { id: 'st-flash', name: 'st-flash (stlink-org)', signatures: [/\bst-flash\b/, /\bst-info\b/, /(?:common|usb|flash_loader|read_write)\.c: /, /stlink\/src\//, /Couldn't find any ST-Link/] },
  { id: 'openocd', name: 'OpenOCD', signatures: [/Open On-Chip Debugger/, /^(?:Info|Warn|Debug) : /, /\bopenocd\b/i, /^in procedure '/, /OpenOCD init failed/] },
  { id: 'pyocd', name: 'pyOCD', signatures: [/\bpyocd\b/i, /^\d{7}:(?:CRITICAL|ERROR|WARNING|INFO|DEBUG):/, /^\d{7} [CEWID] .{1,200} \[[a-z_]{2,30}\]$/] },
  { id: 'probe-rs', name: 'probe-rs / cargo-flash', signatures: [/probe[-_]rs/, /cargo[- ](?:flash|embed)/, /^\s{0,8}Caused by:/, /^\s{0,4}(?:WARN|ERROR) probe_rs/] },
  { id: 'iar', name: 'IAR C-SPY', signatures: [/IAR Embedded Workbench|\bEWARM\b/, /C-SPY/, /cspybat/i, /Use Flash Loader/i] },
  { id: 'keil', name: 'Keil µVision', signatures: [/µVision|uVision|\bKeil\b/, /No Algorithm found for/, /Flash Download failed/, /^Flash Load finished at/, /Erase skipped!/, /Contents mismatch at:/] },
  { id: 'dfu-util', name: 'dfu-util', signatures: [/\bdfu-util\b/, /DfuSe interface name/, /state\(\d{1,2}\) = dfu/, /No DFU capable USB device/] },
  { id: 'esptool', name: 'esptool', signatures: [/\besptool(?:\.py)?\b/, /^A fatal error occurred:/, /^Chip is ESP/, /^Serial port \S{1,80}$/] },
  { id: 'avrdude', name: 'avrdude', signatures: [/\bavrdude\b/] },
];

/** Each signature's required literal (case-sensitive patterns keep their case), for a whole-text pre-test. */
const LITERALS = new Map<RegExp, string>(TOOL_READERS.flatMap((r) => r.signatures.map((s) => {
  const lit = requiredLiteral(s.source);
  return [s, s.flags.includes('i') ? lit : caseKept(s.source, lit)] as [RegExp, string];
})));

/** The literal in its original case (requiredLiteral lower-cases it). */
function caseKept(source: string, lower: string): string {
  if (!lower) return '';
  const at = source.toLowerCase().indexOf(lower);
  return at >= 0 && !source.slice(at, at + lower.length).includes('\\') ? source.slice(at, at + lower.length) : '';
}

/** The reader whose signatures the log shows most; null when none shows. */
export function detectTool(lines: readonly string[]): ToolReader | null {
  const hits = new Map<string, Set<number>>();
  const all = lines.join('\n');
  const lowerAll = all.toLowerCase();
  // Signatures whose literal occurs nowhere cannot match any line.
  const live = TOOL_READERS.map((r) => r.signatures.map((s) => {
    const lit = LITERALS.get(s) ?? '';
    return !lit || (s.flags.includes('i') ? lowerAll.includes(lit) : all.includes(lit));
  }));
  for (const line of lines) {
    for (let k = 0; k < TOOL_READERS.length; k++) {
      const r = TOOL_READERS[k]!;
      for (let i = 0; i < r.signatures.length; i++) {
        if (live[k]![i] && r.signatures[i]!.test(line)) {
          let set = hits.get(r.id);
          if (!set) { set = new Set(); hits.set(r.id, set); }
          set.add(i);
        }
      }
    }
  }
  let best: ToolReader | null = null;
  let bestScore = 0;
  for (const r of TOOL_READERS) {
    const score = hits.get(r.id)?.size ?? 0;
    if (score > bestScore) { best = r; bestScore = score; }
  }
  return best;
}
