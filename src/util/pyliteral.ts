/**
 * Python's ast.literal_eval for the values of INI inventories (Ansible's ini plugin `_parse_value`):
 * strings (all quote styles and prefixes, escapes, adjacent-literal concatenation; bytes decoded as
 * text), ints (decimal, 0x, 0o, 0b, underscores), floats, True/False/None, signed numbers, lists,
 * tuples (bare `1, 2` too), dicts, sets, set(). Tuples and sets become arrays, dicts null-prototype
 * objects. Anything else (names, f-strings, complex numbers, calls) is not a literal: undefined.
 * A float without fraction (1.0, 1e3) is a JS number like any other (1, 1000).
 */

class Fail extends Error {}
const fail = (): never => {
  throw new Fail();
};

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

const DIGITS = '[0-9](?:_?[0-9])*';
const EXP = `[eE][-+]?${DIGITS}`;
const POINT = `(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.)`;
const NUMBER = new RegExp(
  `(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|${POINT}(?:${EXP})?|${DIGITS}${EXP}|[1-9](?:_?[0-9])*|0+(?:_?0)*)(?![0-9A-Za-z_.])`,
  'y',
);
const STRING_START = /([rRuUbBfF]{0,2})('''|"""|'|")/y;

class Parser {
  pos = 0;
  /** json: JSON's true/false/null read as True/False/None (Ansible's Json2Python) */
  constructor(private readonly s: string, private readonly json = false) {}

  /** skip blanks and comments; `nl`: newlines too (inside brackets) */
  ws(nl: boolean): void {
    const re = nl ? /(?:[ \t\f\r\n]+|#[^\n]*)*/y : /(?:[ \t\f]+|#[^\n]*)*/y;
    re.lastIndex = this.pos;
    re.exec(this.s);
    this.pos = re.lastIndex;
  }
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  eat(c: string, nl: boolean): boolean {
    this.ws(nl);
    if (this.s.startsWith(c, this.pos)) {
      this.pos += c.length;
      return true;
    }
    return false;
  }

  /** The whole input: an expression list (a bare `a, b` is a tuple). */
  top(): unknown {
    const first = this.value(false);
    this.ws(false);
    if (this.peek() !== ',') return this.end(first);
    const items = [first];
    while (this.eat(',', false)) {
      this.ws(false);
      if (this.pos >= this.s.length) break;
      items.push(this.value(false));
    }
    return this.end(items);
  }
  end(v: unknown): unknown {
    this.ws(true);
    if (this.pos < this.s.length) fail();
    return v;
  }

  /** items up to `close`, separated by commas (a trailing comma allowed) */
  seq(close: string, item: () => void): number {
    let n = 0;
    let comma = true;
    for (;;) {
      if (this.eat(close, true)) return n;
      if (!comma) fail();
      item();
      n++;
      comma = this.eat(',', true);
    }
  }

  value(nl: boolean): unknown {
    this.ws(nl);
    const c = this.peek();
    if (c === '[') {
      this.pos++;
      const out: unknown[] = [];
      this.seq(']', () => out.push(this.value(true)));
      return out;
    }
    if (c === '(') {
      this.pos++;
      if (this.eat(')', true)) return [];
      const first = this.value(true);
      if (this.eat(')', true)) return first; // parentheses only group
      if (!this.eat(',', true)) fail();
      const out = [first];
      this.seq(')', () => out.push(this.value(true)));
      return out;
    }
    if (c === '{') {
      this.pos++;
      if (this.eat('}', true)) return Object.create(null);
      const k = this.value(true);
      if (this.eat(':', true)) {
        const out: Record<string, unknown> = Object.create(null);
        const put = (key: unknown, v: unknown) => {
          if (key !== null && typeof key === 'object') fail(); // unhashable
          Object.defineProperty(out, key === true ? 'true' : key === false ? 'false' : String(key), { value: v, enumerable: true, writable: true, configurable: true });
        };
        put(k, this.value(true));
        if (this.eat(',', true)) {
          this.seq('}', () => {
            const key = this.value(true);
            if (!this.eat(':', true)) fail();
            put(key, this.value(true));
          });
        } else if (!this.eat('}', true)) fail();
        return out;
      }
      const out = [k];
      if (this.eat(',', true)) this.seq('}', () => out.push(this.value(true)));
      else if (!this.eat('}', true)) fail();
      if (out.some((x) => x !== null && typeof x === 'object')) fail(); // unhashable
      return out.filter((x, i) => out.indexOf(x) === i);
    }
    if (c === '-' || c === '+') {
      this.pos++;
      this.ws(nl);
      const n = this.atomNumber();
      return c === '-' ? -n : n;
    }
    STRING_START.lastIndex = this.pos;
    if (STRING_START.test(this.s)) return this.strings(nl);
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = this.pos;
    const w = word.exec(this.s)?.[0];
    if (w !== undefined) {
      this.pos += w.length;
      if (w === 'True') return true;
      if (w === 'False') return false;
      if (w === 'None') return null;
      if (this.json && (w === 'true' || w === 'false' || w === 'null')) return w === 'null' ? null : w === 'true';
      if (w === 'set' && this.eat('(', nl) && this.eat(')', true)) return [];
      return fail();
    }
    return this.atomNumber();
  }

  /** A number literal (a float without fraction is a JS integer: 1.0 reads as 1). */
  atomNumber(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (!m) return fail();
    this.pos += m[0].length;
    const t = m[0].replace(/_/g, '');
    if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
    if (/^0[oO]/.test(t)) return parseInt(t.slice(2), 8);
    if (/^0[bB]/.test(t)) return parseInt(t.slice(2), 2);
    return Number(t);
  }

  /** One or more adjacent string literals (all str or all bytes). */
  strings(nl: boolean): string {
    let out = '';
    let kind: 'str' | 'bytes' | undefined;
    for (;;) {
      STRING_START.lastIndex = this.pos;
      const m = STRING_START.exec(this.s);
      if (!m) break;
      const prefix = m[1].toLowerCase();
      if (!/^(|r|u|b|br|rb|f|fr|rf)$/.test(prefix) || prefix.includes('f')) fail(); // f-strings are not literals
      const k = prefix.includes('b') ? 'bytes' : 'str';
      if (kind && kind !== k) fail();
      kind = k;
      this.pos += m[0].length;
      out += this.body(m[2], prefix.includes('r'), k === 'bytes');
      this.ws(nl);
    }
    if (kind === 'bytes') return Buffer.from(out, 'latin1').toString('utf8');
    return out;
  }

  body(q: string, raw: boolean, bytes: boolean): string {
    let out = '';
    const s = this.s;
    for (;;) {
      if (this.pos >= s.length) fail();
      if (s.startsWith(q, this.pos)) {
        this.pos += q.length;
        return out;
      }
      const c = s[this.pos];
      if (c === '\n' && q.length === 1) fail();
      if (bytes && c.charCodeAt(0) > 127) fail();
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const n = s[this.pos + 1];
      if (n === undefined) fail();
      if (raw) {
        out += c + n;
        this.pos += 2;
        continue;
      }
      this.pos += 2;
      if (n in ESCAPES) out += ESCAPES[n];
      else if (/[0-7]/.test(n)) {
        const oct = /[0-7]{0,2}/y;
        oct.lastIndex = this.pos;
        const more = oct.exec(s)![0];
        this.pos += more.length;
        out += String.fromCharCode(parseInt(n + more, 8));
      } else if (n === 'x' || (!bytes && (n === 'u' || n === 'U'))) {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = s.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail();
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) fail();
        out += String.fromCodePoint(cp);
        this.pos += len;
      } else if (n === 'N' && !bytes) {
        fail(); // \N{NAME}: the Unicode name database is not available here
      } else out += '\\' + n;
    }
  }
}

/**
 * ast.literal_eval(text) (leading blanks ignored, as Python's), or undefined when it is not a literal.
 * `json`: JSON's true/false/null are accepted too (what Ansible's templating reads).
 */
export function literalEval(text: string, json = false): unknown {
  const p = new Parser(text.replace(/^[ \t]+/, ''), json);
  try {
    return p.top();
  } catch (e) {
    if (e instanceof Fail || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Ansible's ini `_parse_value`: the literal when `text` is one, else the text itself. */
export function iniValue(text: string): unknown {
  const v = literalEval(text);
  return v === undefined ? text : v;
}
