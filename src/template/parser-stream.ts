/**
 * The token stream the template parser reads (Jinja2's TokenStream): look-ahead, expect with
 * Jinja2's messages, and the nesting counter that refuses hostile depths before the JS stack does.
 */
import { TemplateSyntaxError, type Token } from './parser-lex.js';

/** How deeply expressions and blocks may nest (Jinja2 is bounded by Python's recursion limit). */
const MAX_NESTING = 300;

const NAMES_OF: Partial<Record<Token['t'], string>> = {
  var_begin: 'begin of print statement',
  var_end: 'end of print statement',
  block_begin: 'begin of statement block',
  block_end: 'end of statement block',
  string: 'string',
  int: 'integer',
  float: 'float',
  eof: 'end of template',
  data: 'template data',
};

/** A token as Jinja2's messages name it. */
export function describeToken(t: Token): string {
  return t.t === 'name' || t.t === 'op' ? String(t.v) : NAMES_OF[t.t] ?? t.t;
}

export class TokenStream {
  private i = 0;
  private depth = 0;
  constructor(protected readonly toks: Token[]) {}

  get cur(): Token {
    return this.toks[this.i];
  }
  look(): Token {
    return this.toks[Math.min(this.i + 1, this.toks.length - 1)];
  }
  next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  fail(msg: string, t: Token = this.cur): never {
    throw new TemplateSyntaxError(msg, t.line, t.col);
  }
  isOp(op: string, t: Token = this.cur): boolean {
    return t.t === 'op' && t.v === op;
  }
  isName(name: string, t: Token = this.cur): boolean {
    return t.t === 'name' && t.v === name;
  }
  skipOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.next();
    return true;
  }
  skipName(name: string): boolean {
    if (!this.isName(name)) return false;
    this.next();
    return true;
  }
  /** The current token, which must be `what` (an operator or a token type); Jinja2's stream.expect. */
  expect(what: string, label = what): Token {
    const t = this.cur;
    if ((t.t === 'op' && t.v === what) || (t.t !== 'op' && t.t === what)) return this.next();
    if (t.t === 'eof') this.fail(`unexpected end of template, expected '${label}'`);
    this.fail(`expected token '${label}', got '${describeToken(t)}'`);
  }
  expectName(): string {
    if (this.cur.t !== 'name') this.expect('name');
    return String(this.next().v);
  }
  /** Count one level of nesting (expressions and blocks); refuse hostile depths before the stack does. */
  protected enter(): void {
    if (++this.depth > MAX_NESTING) this.fail(`template nesting too deep (more than ${MAX_NESTING} levels)`);
  }
  protected leave(): void {
    this.depth--;
  }
  /** Run `f` with grow() counting each operand of a chain (`a + b + c`, `x.a.b`) as a level: the AST nests as deeply. */
  protected chained<T>(f: () => T): T {
    const saved = this.depth;
    try {
      return f();
    } finally {
      this.depth = saved;
    }
  }
  protected grow(): void {
    this.enter();
  }

}
