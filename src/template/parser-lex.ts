/**
 * The template tokenizer, a port of Jinja2 3.1's lexer (jinja2/lexer.py) for the settings Ansible
 * uses (no line statements or line comments):
 *  - text up to the earliest `{{`, `{%`, `{#` (or custom delimiters); `{%-` strips the whitespace
 *    before a tag, `-%}` the whitespace after it; `{%+` / `+%}` keep it;
 *  - trim_blocks: the first newline after `%}` or `#}` is removed; lstrip_blocks: spaces and tabs
 *    from the start of a line up to a block or comment tag are removed;
 *  - `{% raw %}...{% endraw %}` is text; comments produce no token;
 *  - inside a tag, `}}` / `%}` end it only when every bracket opened in it is closed;
 *  - numbers (`1_000`, `0x1f`, `1e-7`), names, strings with Python escapes, operators;
 *  - newline_sequence: the newlines of text and string literals become `newline`.
 * The source is given with "\n" line ends (options.ts jinjaSource). Positions are 0-based.
 */

/** A template syntax error; line/col are 0-based within the template text. */
export class TemplateSyntaxError extends Error {
  constructor(message: string, public line: number, public col: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

export interface Delimiters {
  blockStart?: string;
  blockEnd?: string;
  variableStart?: string;
  variableEnd?: string;
  commentStart?: string;
  commentEnd?: string;
}

/** The Jinja2 environment settings that change how a template is tokenized. */
export interface LexOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** what a newline of the template text becomes: "\n", "\r" or "\r\n" */
  newline: string;
  tags?: Delimiters;
}

/** Ansible's settings for every template (playbook strings and the template module's defaults). */
export const ANSIBLE_LEX: LexOptions = Object.freeze({ trimBlocks: true, lstripBlocks: false, newline: '\n' });

export type TokType = 'data' | 'var_begin' | 'var_end' | 'block_begin' | 'block_end' | 'name' | 'string' | 'int' | 'float' | 'op' | 'eof';

export interface Token {
  t: TokType;
  /** text of data/name/op tokens, the decoded value of a string, the number of int/float */
  v: string | number;
  line: number;
  col: number;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');

const FLOAT = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/iy;
const INTEGER = /0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*/iy;
const NAME = /[_\p{ID_Start}][\p{ID_Continue}]*/uy;
const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const WHITESPACE = /\s+/y;
const OPERATOR = /\*\*|\/\/|==|!=|>=|<=|[-+/*%~[\](){}><=.:|,;]/y;
const CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' };
const HEX_LEN: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * A string literal's body decoded as Python's "unicode-escape" codec does (what Jinja2 does):
 * unknown escapes keep their backslash ('\d' stays '\d'), a truncated \x, \u, \U is an error.
 */
function unescape(body: string, line: number, col: number): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i] ?? '';
    if (SIMPLE_ESCAPES[n] !== undefined) {
      out += SIMPLE_ESCAPES[n];
    } else if (HEX_LEN[n]) {
      const hex = body.substr(i + 1, HEX_LEN[n]);
      if (!new RegExp(`^[0-9a-fA-F]{${HEX_LEN[n]}}$`).test(hex)) throw new TemplateSyntaxError(`truncated \\${n === 'x' ? 'xXX' : n === 'u' ? 'uXXXX' : 'UXXXXXXXX'} escape`, line, col);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw new TemplateSyntaxError('illegal Unicode character', line, col);
      out += String.fromCodePoint(cp);
      i += hex.length;
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(body.substr(i, 3))![0];
      out += String.fromCodePoint(parseInt(oct, 8));
      i += oct.length - 1;
    } else if (n === 'N') {
      throw new TemplateSyntaxError('\\N{...} escapes are not supported by kvplay', line, col);
    } else {
      out += '\\' + n;
    }
  }
  return out;
}

/** The tokens of `src` (with "\n" line ends), ending with an `eof` token. Throws TemplateSyntaxError. */
export function tokenize(src: string, o: LexOptions = ANSIBLE_LEX): Token[] {
  const T = o.tags ?? {};
  const BS = esc(T.blockStart ?? '{%');
  const BE = esc(T.blockEnd ?? '%}');
  const VS = esc(T.variableStart ?? '{{');
  const VE = esc(T.variableEnd ?? '}}');
  const CS = esc(T.commentStart ?? '{#');
  const CE = esc(T.commentEnd ?? '#}');
  const suffix = o.trimBlocks ? '\\n?' : '';
  // the tag starts, longest first (then by name, as Jinja2's sorted rules), after the raw block start
  const starts = [
    [VS.length, 'variable_begin', `(?<variable_begin>${VS}(?<vsign>\\-|\\+|))`],
    [CS.length, 'comment_begin', `(?<comment_begin>${CS}(?<csign>\\-|\\+|))`],
    [BS.length, 'block_begin', `(?<block_begin>${BS}(?<bsign>\\-|\\+|))`],
  ] as const;
  const ordered = [...starts].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1)).map((x) => x[2]);
  const ROOT = new RegExp(`([\\s\\S]*?)(?:(?<raw_begin>${BS}(?<rsign>\\-|\\+|)\\s*raw\\s*(?:\\-${BE}\\s*|${BE}))|${ordered.join('|')})`, 'y');
  const COMMENT_END = new RegExp(`([\\s\\S]*?)(?:\\+${CE}|\\-${CE}\\s*|${CE}${suffix})`, 'y');
  const RAW_END = new RegExp(`([\\s\\S]*?)(?:${BS}(\\-|\\+|)\\s*endraw\\s*(?:\\+${BE}|\\-${BE}\\s*|${BE}${suffix}))`, 'y');
  const BLOCK_END = new RegExp(`\\+${BE}|\\-${BE}\\s*|${BE}${suffix}`, 'y');
  const VAR_END = new RegExp(`\\-${VE}\\s*|${VE}`, 'y');

  const lineStarts = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const where = (pos: number): [number, number] => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return [lo, pos - lineStarts[lo]];
  };
  const fail = (msg: string, pos: number): never => {
    const [line, col] = where(pos);
    throw new TemplateSyntaxError(msg, line, col);
  };
  const nl = (s: string) => (o.newline === '\n' ? s : s.replace(/\n/g, o.newline));

  const out: Token[] = [];
  const push = (t: TokType, v: string | number, pos: number) => {
    const [line, col] = where(pos);
    out.push({ t, v, line, col });
  };
  const match = (re: RegExp, pos: number) => {
    re.lastIndex = pos;
    return re.exec(src);
  };
  /** Text before a tag, with `-` stripping or lstrip_blocks applied (Jinja2's OptionalLStrip). */
  const text = (s: string, sign: string, lstrip: boolean, lineStarting: boolean): string => {
    if (sign === '-') return s.replace(/\s+$/, '');
    if (sign !== '+' && lstrip && o.lstripBlocks) {
      const l = s.lastIndexOf('\n') + 1;
      if ((l > 0 || lineStarting) && /^\s*$/.test(s.slice(l))) return s.slice(0, l);
    }
    return s;
  };

  let pos = 0;
  let lineStarting = true;
  while (pos < src.length) {
    const m = match(ROOT, pos);
    if (!m) {
      push('data', nl(src.slice(pos)), pos);
      break;
    }
    const g = m.groups!;
    const sign = g.rsign ?? g.csign ?? g.bsign ?? g.vsign ?? '';
    const data = text(m[1], sign, g.variable_begin === undefined, lineStarting);
    if (data) push('data', nl(data), pos);
    const tagPos = pos + m[1].length;
    pos = m.index + m[0].length;
    lineStarting = m[0].endsWith('\n');
    if (g.raw_begin !== undefined) {
      const r = match(RAW_END, pos);
      if (!r) fail('Missing end of raw directive', tagPos);
      const raw = text(r![1], r![2], true, lineStarting);
      if (raw) push('data', nl(raw), pos);
      pos = r!.index + r![0].length;
      lineStarting = r![0].endsWith('\n');
      continue;
    }
    if (g.comment_begin !== undefined) {
      const c = match(COMMENT_END, pos);
      if (!c) fail('Missing end of comment tag', tagPos);
      pos = c!.index + c![0].length;
      lineStarting = c![0].endsWith('\n');
      continue;
    }
    const isBlock = g.block_begin !== undefined;
    push(isBlock ? 'block_begin' : 'var_begin', isBlock ? g.block_begin : g.variable_begin, tagPos);
    pos = lexTag(pos, isBlock ? BLOCK_END : VAR_END, isBlock ? 'block_end' : 'var_end');
    lineStarting = src[pos - 1] === '\n';
  }
  push('eof', '', src.length);
  return out;

  /** The tokens inside a tag up to its end; returns the position after the end (or the end of the source). */
  function lexTag(p: number, end: RegExp, endType: TokType): number {
    const balance: string[] = [];
    while (p < src.length) {
      let m = balance.length ? null : match(end, p);
      if (m) {
        push(endType, m[0], p);
        return p + m[0].length;
      }
      // the rules in Jinja2's order (whitespace, float, integer, name, string, operator); at most
      // one of them can match a given first character, so that character picks the rule
      const ch = src[p];
      if (/\s/.test(ch) && (m = match(WHITESPACE, p))) {
        p += m[0].length;
      } else if (ch >= '0' && ch <= '9' && (m = match(FLOAT, p))) {
        push('float', Number(m[0].replace(/_/g, '')), p);
        p += m[0].length;
      } else if (ch >= '0' && ch <= '9' && (m = match(INTEGER, p))) {
        push('int', Number(m[0].replace(/_/g, '').toLowerCase()), p); // Number() reads 0b, 0o, 0x too
        p += m[0].length;
      } else if ((ch === "'" || ch === '"') && (m = match(STRING, p))) {
        const [line, col] = where(p);
        push('string', unescape(nl(m[1] ?? m[2]), line, col), p);
        p += m[0].length;
      } else if ((m = match(NAME, p))) {
        push('name', m[0], p);
        p += m[0].length;
      } else if ((m = match(OPERATOR, p))) {
        const op = m[0];
        if (CLOSE[op]) balance.push(CLOSE[op]);
        else if (op === ')' || op === ']' || op === '}') {
          // a bracket closed by another kind is reported by the parser, with what it expected there
          if (!balance.length) fail(`unexpected '${op}'`, p);
          balance.pop();
        }
        push('op', op, p);
        p += op.length;
      } else if (src[p] === "'" || src[p] === '"') {
        fail(`unterminated string starting with ${src[p]}`, p);
      } else {
        fail(`unexpected char ${JSON.stringify(src[p])}`, p);
      }
    }
    return p;
  }
}
