/**
 * The register side of a GDB session as pure functions: the layout from the target
 * description (qXfer:features:read, includes in document order), the g/G register block
 * decoded and patched in regnum order, and a stop reply's register values.
 */
import { parseRegisterHex, parseStopReply, registerHex } from './commands.js';
import { GdbProtocolError } from './errors.js';
import { DEFAULT_ARM_REGISTERS, includedFiles, parseRegisters, type RegisterInfo } from './xml.js';

/** What a stop reply said, reduced to what callers need. */
export interface StopInfo {
  signal: number;
  reason?: string | undefined;
  /** Register values the T reply carried, by regnum. */
  registers: Map<number, number>;
  raw: string;
}

/** Registers by lower-case name, and each register once in regnum order (the g block's order). */
export interface RegisterLayout {
  byName: Map<string, RegisterInfo>;
  ordered: RegisterInfo[];
}

/**
 * Reads the registers of the target description through `xfer` (an annex → XML reader), each
 * included file where it is referenced; without a description (or without a pc), the Arm defaults.
 */
export async function readRegisterLayout(xfer: ((annex: string) => Promise<string>) | undefined): Promise<RegisterLayout> {
  let regs: RegisterInfo[] = [];
  if (xfer) {
    const seen = new Set<string>();
    let next = 0;
    const load = async (annex: string): Promise<void> => {
      if (seen.has(annex)) return;
      seen.add(annex);
      const parts = (await xfer(annex)).split(/(<xi:include[^>]*>)/);
      for (const part of parts) {
        const inc = includedFiles(part);
        if (inc.length) { for (const f of inc) await load(f); continue; }
        const parsed = parseRegisters(part, next);
        regs.push(...parsed.registers);
        next = parsed.nextRegnum;
      }
    };
    await load('target.xml');
  }
  if (!regs.some((r) => r.name === 'pc')) regs = [...DEFAULT_ARM_REGISTERS];
  const byName = new Map<string, RegisterInfo>();
  for (const r of regs) if (!byName.has(r.name)) byName.set(r.name, r);
  // 'cpsr' on A-profile-style descriptions is the same register as xpsr for our purposes.
  if (!byName.has('xpsr') && byName.has('cpsr')) byName.set('xpsr', byName.get('cpsr')!);
  const ordered = [...byName.values()].filter((r, i, a) => a.indexOf(r) === i).sort((a, b) => a.regnum - b.regnum);
  return { byName, ordered };
}

/** Walks the g block: each register's hex span in regnum order, while the block lasts. */
function* blockSpans(text: string, ordered: readonly RegisterInfo[]): Generator<{ reg: RegisterInfo; pos: number; width: number }> {
  let pos = 0;
  for (const reg of ordered) {
    const width = (reg.bitsize / 8) * 2;
    if (pos + width > text.length) return;
    yield { reg, pos, width };
    pos += width;
  }
}

/** The 32-bit register values of a g block, by regnum (wider registers are skipped). */
export function decodeRegisterBlock(text: string, ordered: readonly RegisterInfo[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const { reg, pos, width } of blockSpans(text, ordered)) {
    if (reg.bitsize !== 32) continue;
    const v = parseRegisterHex(text.slice(pos, pos + width));
    if (v !== undefined) out.set(reg.regnum, v);
  }
  return out;
}

/** The g block with `values` written in, or undefined when one of them is not a 32-bit register of the block. */
export function patchRegisterBlock(text: string, ordered: readonly RegisterInfo[], values: ReadonlyMap<number, number>): string | undefined {
  const pending = new Map(values);
  let out = text;
  for (const { reg, pos, width } of blockSpans(text, ordered)) {
    const v = pending.get(reg.regnum);
    if (v === undefined || reg.bitsize !== 32) continue;
    out = out.slice(0, pos) + registerHex(v) + out.slice(pos + width);
    pending.delete(reg.regnum);
  }
  return pending.size > 0 ? undefined : out;
}

/** A stop reply (T/S) as StopInfo; exits, terminations and anything else are errors naming `what`. */
export function stopInfoFrom(reply: string, what: string): StopInfo {
  const s = parseStopReply(reply);
  if (!s || s.kind === 'output') throw new GdbProtocolError(`Unexpected reply to ${what}: '${reply.slice(0, 60)}'.`, { reply: reply.slice(0, 200) });
  if (s.kind === 'exited' || s.kind === 'terminated') {
    throw new GdbProtocolError(`The target ${s.kind === 'exited' ? `exited with status ${s.status}` : `was terminated by signal ${s.signal}`}.`, { reply }, 'The GDB server ended the debug session; restart it.');
  }
  const registers = new Map<number, number>();
  for (const [k, v] of Object.entries(s.pairs)) {
    if (/^[0-9a-f]+$/i.test(k)) {
      const val = parseRegisterHex(v);
      if (val !== undefined) registers.set(parseInt(k, 16), val);
    }
  }
  return { signal: s.signal, reason: s.reason, registers, raw: reply };
}
