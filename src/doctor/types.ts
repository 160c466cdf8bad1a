/**
 * The doctor's vocabulary: a log becomes numbered lines, readers turn lines into facts,
 * rules (data files) turn facts and lines into ranked causes. Everything here is plain data
 * so the web app can render it the same way the CLI does.
 */

/** The cause categories a rule may name (issue 11 §1). */
export const CATEGORIES = [
  'connection', 'wrong-target-config', 'protection-security', 'flash-algorithm', 'external-flash-config',
  'verify-mismatch', 'bootloader-protocol', 'boot-mode', 'power-reset', 'image-layout', 'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** One line of the log after clean-up, with its 1-based number in the input. */
export interface LogLine {
  n: number;
  text: string;
  /** The whole line, uncut, where it is a JSON object (flashwright's own --json record can be
   * longer than MAX_LINE: an interrupted write lists every range). Rules never see it. */
  json?: string;
}

/** Expected vs read at one address, as a verify step reported it. */
export interface Mismatch {
  address: number;
  expected: number;
  read: number;
  /** The line it came from. */
  line: string;
}

/**
 * What a log says, as far as the readers understood it. Every key is optional: a reader
 * sets only what it saw. Numbers are numbers; decoded registers carry their raw value.
 */
export interface Facts {
  chip?: string;
  /** The flashwright built-in target that chip name belongs to, when there is one. */
  target?: string;
  probe?: string;
  probeFirmware?: string;
  core?: string;
  interface?: string;
  speed?: string;
  targetVoltage?: number;
  port?: string;
  baud?: number;
  dpidr?: { value: number; summary: string };
  cpuid?: { value: number; summary: string };
  apIdr?: Array<{ ap: number | null; value: number; summary: string }>;
  addresses?: string[];
  mismatch?: Mismatch;
  /** Vendor error codes as printed: "Ef(11)", "kStatusMemoryCumulativeWrite", "10203". */
  errorCodes?: string[];
  /** Each code decoded: what it means, from the decoders. */
  decodedCodes?: Array<{ code: string; meaning: string }>;
  faults?: { cfsr?: number; hfsr?: number; dfsr?: number; bits: string[] };
  rdp?: { value: number; level: number; summary: string };
  /** Option bytes as a tool listed them (STM32CubeProgrammer `-ob displ`): name → value. */
  optionBytes?: Record<string, number>;
  fsec?: { value: number; summary: string };
  /** Sizes from `size` output in the log: name → total bytes (dec column). */
  imageSizes?: Array<{ file: string; text: number; data: number; bss: number; total: number }>;
  /** Start addresses named in linker MEMORY blocks or "application address" settings. */
  applicationAddress?: number;
  /** Derived: the reader saw an FSEC byte rewritten from secure to unsecure by the probe. */
  fsecRewrite?: { address: number; expected: string; read: string; summary: string };
  /** Derived: the bootloader build is larger than the space before the application. */
  bootloaderOverlap?: { file: string; total: number; gap: number; appAddress: number };
  /** flashwright's own failure record (--json), when the input was one. */
  flashwright?: { code: string; message: string; hint?: string; context: Record<string, unknown>; causeCode?: string; command?: string; target?: string; via?: string };
  /** The connected device as flashwright's --json record describes it (its {"type":"device"} line). */
  device?: DeviceFacts;
  /** The error lines of the log, verbatim (first 20). */
  errors?: string[];
}

/** What connect learned about the device, as a flashwright --json record carries it. */
export interface DeviceFacts {
  target: string;
  via?: string;
  /** As the way in reported them: { pid: 0x410, bootloader: '2.2' }, { dpidr: '0x2BA01477' }. */
  ids: Record<string, string | number>;
  readProtected?: boolean;
  protection?: string;
  writeProtectedSectors?: number[];
  /** "flash 128 KiB at 0x08000000, sram 20 KiB at 0x20000000". */
  memory?: string;
}

/** One likely cause, best first in a report. */
export interface Cause {
  /** The rule that found it (stable; used by tests and the web app). */
  rule: string;
  category: Category;
  summary: string;
  /** Log lines that show it, quoted as they appear. */
  evidence: string[];
  /** What to do, in order. */
  fix: string[];
  /** 0–1: how sure the rule is when it matches. */
  confidence: number;
  /** The public document or thread the rule rests on. */
  source: string;
}

export interface DoctorReport {
  /** Reader id of the tool recognised, or null. */
  tool: string | null;
  /** Human name of the tool ("OpenOCD"), or null. */
  toolName: string | null;
  facts: Facts;
  causes: Cause[];
}

/** The `--json` shape of issue 11 §1, exactly: tool, facts, causes with five keys each. */
export interface DoctorJson {
  tool: string | null;
  facts: Facts;
  causes: Array<{ category: Category; summary: string; evidence: string[]; fix: string[]; confidence: number }>;
}

export function toDoctorJson(r: DoctorReport): DoctorJson {
  return {
    tool: r.tool,
    facts: r.facts,
    causes: r.causes.map((c) => ({ category: c.category, summary: c.summary, evidence: c.evidence, fix: c.fix, confidence: c.confidence })),
  };
}
