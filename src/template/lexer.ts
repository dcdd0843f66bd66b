/**
 * The template tokenizer: nunjucks' lexer (plain, no whitespace options) wrapped so that its
 * tokens follow Jinja2's rules (nunjucks.ts turns them into our AST):
 *  - trim_blocks: the first newline after a block tag `%}` or a comment `#}` is removed
 *    (not after `+%}`); nunjucks does it after blocks only;
 *  - lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are
 *    removed (not before `{%+`); nunjucks does it for blocks only, and not for tabs-only rules;
 *  - `{%+`, `{{+`, `+%}` are accepted (Jinja's "keep whitespace" markers);
 *  - newline_sequence: the newlines of template text and string literals become `newline`
 *    (the source is given with "\n" line ends, see options.ts jinjaSource);
 *  - string literals take Python escapes; `}}` closing a nested dict literal is two `}`;
 *  - custom delimiters (variable_start_string...) are nunjucks' `tags`.
 */
import nunjucks from 'nunjucks';

type Tok = { type: string; value: string; lineno: number; colno: number };

/** The parts of nunjucks' Tokenizer used here. */
export interface Tokenizer {
  str: string;
  index: number;
  lineno: number;
  colno: number;
  in_code: boolean;
  tags: Record<'BLOCK_START' | 'BLOCK_END' | 'VARIABLE_START' | 'VARIABLE_END' | 'COMMENT_START' | 'COMMENT_END', string>;
  nextToken(): Tok | null;
  current(): string;
  isFinished(): boolean;
  forward(): void;
  forwardN(n: number): void;
  _parseString(delim: string): string;
  _kvNewline?: string;
}

const L = (nunjucks as unknown as { lexer: Record<string, string> & { lex(src: string, opts: object): Tokenizer } }).lexer;

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

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' };
const HEX: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * String literals with Python escapes: unknown escapes keep their backslash, so regexes such as
 * '\d+' work as in Jinja ('\d' is not 'd'); \xhh, \uXXXX, \UXXXXXXXX and octal escapes are decoded.
 * A raw newline in the literal becomes the newline sequence (Jinja normalizes them too).
 */
function parseString(this: Tokenizer, delim: string): string {
  const [line, col] = [this.lineno, this.colno];
  const nl: string = this._kvNewline ?? '\n';
  this.forward();
  let str = '';
  while (!this.isFinished() && this.current() !== delim) {
    const c = this.current();
    this.forward();
    if (c !== '\\') {
      str += c === '\n' ? nl : c;
      continue;
    }
    const n = this.current();
    const hex = HEX[n] ? this.str.substr(this.index + 1, HEX[n]) : '';
    const oct = /^[0-7]{1,3}/.exec(this.str.substr(this.index, 3))?.[0];
    if (ESCAPES[n] !== undefined) {
      str += ESCAPES[n];
      this.forward();
    } else if (hex && new RegExp(`^[0-9a-fA-F]{${HEX[n]}}$`).test(hex)) {
      str += String.fromCodePoint(parseInt(hex, 16));
      this.forwardN(hex.length + 1);
    } else if (oct) {
      str += String.fromCharCode(parseInt(oct, 8));
      this.forwardN(oct.length);
    } else {
      str += '\\' + n;
      if (n) this.forward();
    }
  }
  if (this.isFinished()) throw new TemplateSyntaxError(`unterminated string starting with ${delim}`, line, col);
  this.forward();
  return str;
}

/** A nunjucks tokenizer for `src` (with "\n" line ends) following Jinja2's whitespace rules (see the header). */
export function lex(src: string, o: LexOptions = ANSIBLE_LEX): Tokenizer {
  const tk = L.lex(src, { trimBlocks: false, lstripBlocks: false, ...(o.tags ? { tags: o.tags } : {}) });
  tk._parseString = parseString;
  tk._kvNewline = o.newline;
  const T = tk.tags;
  const at = (s: string, off = 0) => tk.str.startsWith(s, tk.index + off);
  const next: () => Tok | null = tk.nextToken.bind(tk);
  let depth = 0; // open `{` of dict literals in the current tag
  let trimNext = false; // the last token was a block end or comment that trims the next newline
  let keepEnd = false; // `+%}`: no trim after this block end
  tk.nextToken = (): Tok | null => {
    if (tk.in_code) {
      if (depth > 0 && at('}}')) {
        const tok = { type: L.TOKEN_RIGHT_CURLY, value: '}', lineno: tk.lineno, colno: tk.colno };
        tk.forward();
        depth--;
        return tok;
      }
      if (at('+' + T.BLOCK_END)) {
        tk.forward();
        keepEnd = true;
      }
    }
    // numbers with an exponent or underscores (1e-7, 1.5E3, 1_000), which nunjucks reads as names
    if (tk.in_code && /[0-9]/.test(tk.current())) {
      const m = /^[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9][0-9_]*)?/.exec(tk.str.slice(tk.index, tk.index + 400));
      if (m && /[eE_]/.test(m[0]) && !/_$|_[eE.]|[eE.]_/.test(m[0])) {
        const tok = { type: /[.eE]/.test(m[0]) ? L.TOKEN_FLOAT : L.TOKEN_INT, value: m[0].replace(/_/g, ''), lineno: tk.lineno, colno: tk.colno };
        tk.forwardN(m[0].length);
        trimNext = false;
        return tok;
      }
    }
    const plusStart = !tk.in_code && (at(T.BLOCK_START + '+') || at(T.VARIABLE_START + '+'));
    const tok = next();
    if (!tok) return tok;
    if (plusStart) tk.forward(); // skip the '+' of `{%+` / `{{+`
    if (tok.type === L.TOKEN_DATA) {
      tok.value = dataText(tok, trimNext);
    } else if (tok.type === L.TOKEN_LEFT_CURLY) depth++;
    else if (tok.type === L.TOKEN_RIGHT_CURLY) depth = Math.max(0, depth - 1);
    else if (tok.type !== L.TOKEN_WHITESPACE && !tk.in_code) depth = 0;
    if (tok.type === L.TOKEN_BLOCK_END) {
      trimNext = o.trimBlocks && !keepEnd;
      keepEnd = false;
    } else if (tok.type === L.TOKEN_COMMENT) {
      trimNext = o.trimBlocks && !tok.value.endsWith('+' + T.COMMENT_END);
    } else if (tok.type !== L.TOKEN_WHITESPACE) trimNext = false;
    return tok;
  };

  /** Template text between tags, with trim_blocks, lstrip_blocks and the newline sequence applied. */
  function dataText(tok: Tok, trim: boolean): string {
    let text = tok.value;
    let lineStart = tok.lineno === 0 && tok.colno === 0;
    if (trim && text.startsWith('\n')) {
      text = text.slice(1);
      lineStart = true;
    }
    // lstrip_blocks: the data ends where a tag starts (or at the end of the template)
    const beforeTag = (at(T.BLOCK_START) && !at('+', T.BLOCK_START.length) && !at('-', T.BLOCK_START.length)) || (at(T.COMMENT_START) && !at('+', T.COMMENT_START.length) && !at('-', T.COMMENT_START.length));
    if (o.lstripBlocks && beforeTag) {
      const lpos = text.lastIndexOf('\n') + 1;
      if ((lpos > 0 || lineStart) && /^[ \t]*$/.test(text.slice(lpos))) text = text.slice(0, lpos);
    }
    return o.newline === '\n' ? text : text.replace(/\n/g, o.newline);
  }
  return tk;
}
