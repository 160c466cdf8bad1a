/** A log in, the tool and its facts out: normalise, detect the tool, extract, derive. */
import { normalizeLog } from '../normalize.js';
import type { Facts, LogLine } from '../types.js';
import { deriveFacts } from './derive.js';
import { extractFacts } from './facts.js';
import { readFlashwrightRecord } from './flashwright.js';
import { detectTool, type ToolReader } from './tools.js';

export { TOOL_READERS, detectTool, type ToolReader } from './tools.js';

export interface ReadLog {
  tool: ToolReader | null;
  facts: Facts;
  /** The lines rules match against (the log's, plus messages from a JSON record). */
  lines: LogLine[];
}

export function readLog(text: string): ReadLog {
  const lines = normalizeLog(text);
  const unique = [...new Set(lines.map((l) => l.text))];
  const tool = detectTool(unique);
  const facts = extractFacts(lines);
  const extra = readFlashwrightRecord(lines, facts);
  // A --json record's raw lines are replaced by the messages it carries: rules read text.
  const plain = extra.length ? lines.filter((l) => !/^\s{0,4}\{"type":/.test(l.text)) : lines;
  const all = extra.length ? [...plain, ...extra.map((t, i) => ({ n: -(i + 1), text: t }))] : lines;
  if (extra.length) Object.assign(facts, { ...extractFacts(all.filter((l) => l.n < 0)), ...facts });
  deriveFacts(facts, all);
  return { tool: facts.flashwright && facts.flashwright.code !== 'TEXT' && (extra.length || tool?.id === 'flashwright') ? { id: 'flashwright', name: 'flashwright', signatures: [] } : tool, facts, lines: all };
}
