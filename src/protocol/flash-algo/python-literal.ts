/**
 * Reads Python literals as data, never executing anything: ints (hex/oct/bin/decimal,
 * underscores), strings, True/False/None, lists, tuples, dicts, calls with keyword
 * arguments (kept as data: `{call, args, kwargs}`), names (kept as references), and the
 * integer operators pyOCD target modules use in FLASH_ALGO (`0x20000000 + 0x20`,
 * `1 << 0`, `|`, `&`, `-`, `*`). Enough for pyOCD target files; nothing more.
 */

export type PyValue =
  | bigint | number | string | boolean | null
  | PyValue[]
  | { kind: 'dict'; entries: Array<[PyValue, PyValue]> }
  | { kind: 'call'; callee: string; args: PyValue[]; kwargs: Record<string, PyValue> }
  | { kind: 'name'; name: string };

type Token = { t: 'num'; v: bigint; pos: number } | { t: 'float'; v: number; pos: number } | { t: 'str'; v: string; pos: number } | { t: 'name'; v: string; pos: number } | { t: 'op'; v: string; pos: number };

/** A literal could not be read; `line` points into the file. */
export class PythonLiteralError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} (line ${line})`);
  }
}

const OPS = ['<<', '>>', '**', '{', '}', '[', ']', '(', ')', ':', ',', '=', '+', '-', '*', '|', '&', '^', '~', '.', ';', '/', '%', '@', '<', '>', '!'];

/** Splits Python source into tokens (comments and line structure dropped). */
export function tokenizePython(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (/\s|\\/.test(c)) { i++; continue; }
    const float = /^(\d[\d_]*\.[\d_]*(?:[eE][-+]?\d+)?|\.\d[\d_]*(?:[eE][-+]?\d+)?|\d[\d_]*[eE][-+]?\d+)(?![\w.])/.exec(src.slice(i, i + 80));
    if (float && /[\d.]/.test(c)) {
      out.push({ t: 'float', v: Number(float[1]!.replace(/_/g, '')), pos: i });
      i += float[0].length;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*)(?:[lL])?(?![\w.])/.exec(src.slice(i, i + 80));
    if (num && /\d/.test(c)) {
      const text = num[1]!.replace(/_/g, '');
      const lower = text.toLowerCase();
      const v = lower.startsWith('0o') ? BigInt('0o' + lower.slice(2)) : BigInt(lower.startsWith('0x') || lower.startsWith('0b') ? lower : lower.replace(/^0+(?=\d)/, ''));
      out.push({ t: 'num', v, pos: i });
      i += num[0].length;
      continue;
    }
    const strStart = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5));
    if (strStart && (strStart[1] === '' || /[a-zA-Z]/.test(c))) {
      const raw = /r/i.test(strStart[1]!);
      const quote = strStart[2]!;
      let j = i + strStart[0].length;
      let s = '';
      for (;;) {
        if (j >= src.length) throw new PythonLiteralError('unterminated string', lineOf(src, i));
        if (src.startsWith(quote, j)) { j += quote.length; break; }
        const ch = src[j];
        if (ch === '\n' && quote.length === 1) throw new PythonLiteralError('unterminated string', lineOf(src, i));
        if (ch === '\\' && !raw) {
          const e = src.charAt(j + 1);
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"', '\n': '' };
          if (e === 'x') { s += String.fromCharCode(parseInt(src.slice(j + 2, j + 4), 16)); j += 4; continue; }
          s += map[e] ?? '\\' + e;
          j += 2;
          continue;
        }
        s += ch;
        j++;
      }
      out.push({ t: 'str', v: s, pos: i });
      i = j;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i, i + 200));
    if (name) { out.push({ t: 'name', v: name[0], pos: i }); i += name[0].length; continue; }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new PythonLiteralError(`unexpected character '${c}'`, lineOf(src, i));
    out.push({ t: 'op', v: op, pos: i });
    i += op.length;
  }
  return out;
}

function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') n++;
  return n;
}

const BINARY_PRECEDENCE: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6 };

/** Parses one expression starting at token `start`; returns the value and the next token index. */
export class PythonLiteralParser {
  private i = 0;
  constructor(private readonly src: string, private readonly tokens: Token[]) {}

  static fromSource(src: string): PythonLiteralParser {
    return new PythonLiteralParser(src, tokenizePython(src));
  }

  get tokenList(): readonly Token[] {
    return this.tokens;
  }

  /** Index of each `NAME =` assignment (not `==`, not keyword arguments inside calls). */
  assignments(name: string): number[] {
    const out: number[] = [];
    let depth = 0;
    for (let k = 0; k < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      if (t.t === 'op' && '([{'.includes(t.v)) depth++;
      else if (t.t === 'op' && ')]}'.includes(t.v)) depth--;
      else if (depth === 0 && t.t === 'name' && t.v === name && this.tokens[k + 1]?.t === 'op' && this.tokens[k + 1]!.v === '=') out.push(k + 2);
    }
    return out;
  }

  /** Token indices where `callee(` appears. */
  calls(callee: string): number[] {
    const out: number[] = [];
    for (let k = 0; k + 1 < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      const n = this.tokens[k + 1]!;
      if (t.t === 'name' && t.v === callee && n.t === 'op' && n.v === '(') out.push(k);
    }
    return out;
  }

  parseAt(index: number): PyValue {
    this.i = index;
    return this.expression(0);
  }

  lineAt(index: number): number {
    const t = this.tokens[Math.min(index, this.tokens.length - 1)];
    return t ? lineOf(this.src, t.pos) : 1;
  }

  private fail(message: string): never {
    throw new PythonLiteralError(message, this.lineAt(this.i));
  }

  private peekOp(v: string): boolean {
    const t = this.tokens[this.i];
    return !!t && t.t === 'op' && t.v === v;
  }

  private expectOp(v: string): void {
    if (!this.peekOp(v)) this.fail(`expected '${v}'`);
    this.i++;
  }

  private expression(minPrec: number): PyValue {
    let left = this.unary();
    for (;;) {
      const t = this.tokens[this.i];
      if (!t || t.t !== 'op') return left;
      const prec = BINARY_PRECEDENCE[t.v];
      if (prec === undefined || prec < minPrec) return left;
      this.i++;
      const right = this.expression(prec + 1);
      if (typeof left !== 'bigint' || typeof right !== 'bigint') this.fail(`operator '${t.v}' needs two integers`);
      left = binary(t.v, left, right);
    }
  }

  private unary(): PyValue {
    if (this.peekOp('-')) { this.i++; const v = this.unary(); if (typeof v !== 'bigint') this.fail("'-' needs an integer"); return -v; }
    if (this.peekOp('+')) { this.i++; return this.unary(); }
    if (this.peekOp('~')) { this.i++; const v = this.unary(); if (typeof v !== 'bigint') this.fail("'~' needs an integer"); return ~v; }
    return this.atom();
  }

  private atom(): PyValue {
    const t = this.tokens[this.i];
    if (!t) this.fail('unexpected end of file');
    this.i++;
    if (t.t === 'num' || t.t === 'float') return t.v;
    if (t.t === 'str') {
      let s = t.v; // adjacent literals concatenate
      while (this.tokens[this.i]?.t === 'str') s += (this.tokens[this.i++] as { v: string }).v;
      return s;
    }
    if (t.t === 'name') {
      if (t.v === 'True') return true;
      if (t.v === 'False') return false;
      if (t.v === 'None') return null;
      let name = t.v;
      while (this.peekOp('.') && this.tokens[this.i + 1]?.t === 'name') { name += '.' + (this.tokens[this.i + 1] as { v: string }).v; this.i += 2; }
      if (this.peekOp('(')) return this.call(name);
      return { kind: 'name', name };
    }
    if (t.v === '(') {
      if (this.peekOp(')')) { this.i++; return []; }
      const first = this.expression(0);
      if (this.peekOp(')')) { this.i++; return first; }
      return this.sequence(')', [first]);
    }
    if (t.v === '[') return this.sequence(']', []);
    if (t.v === '{') return this.dict();
    this.fail(`unexpected '${t.v}'`);
  }

  private sequence(close: string, items: PyValue[]): PyValue[] {
    for (;;) {
      if (this.peekOp(',')) this.i++;
      if (this.peekOp(close)) { this.i++; return items; }
      items.push(this.expression(0));
      if (!this.peekOp(',') && !this.peekOp(close)) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): PyValue {
    const entries: Array<[PyValue, PyValue]> = [];
    for (;;) {
      if (this.peekOp('}')) { this.i++; return { kind: 'dict', entries }; }
      const key = this.expression(0);
      this.expectOp(':');
      entries.push([key, this.expression(0)]);
      if (this.peekOp(',')) this.i++;
      else if (!this.peekOp('}')) this.fail("expected ',' or '}' in a dict");
    }
  }

  private call(callee: string): PyValue {
    this.expectOp('(');
    const args: PyValue[] = [];
    const kwargs: Record<string, PyValue> = {};
    for (;;) {
      if (this.peekOp(')')) { this.i++; return { kind: 'call', callee, args, kwargs }; }
      const t = this.tokens[this.i];
      const n = this.tokens[this.i + 1];
      if (t?.t === 'name' && n?.t === 'op' && n.v === '=') { this.i += 2; kwargs[t.v] = this.expression(0); } else args.push(this.expression(0));
      if (this.peekOp(',')) this.i++;
      else if (!this.peekOp(')')) this.fail("expected ',' or ')' in a call");
    }
  }
}

function binary(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '|': return a | b;
    case '^': return a ^ b;
    case '&': return a & b;
    case '<<': return a << b;
    case '>>': return a >> b;
    case '+': return a + b;
    case '-': return a - b;
    default: return a * b;
  }
}

/** The value for `key` in a parsed dict. */
export function dictGet(d: PyValue, key: string): PyValue | undefined {
  if (!d || typeof d !== 'object' || Array.isArray(d) || d.kind !== 'dict') return undefined;
  return d.entries.find(([k]) => k === key)?.[1];
}
