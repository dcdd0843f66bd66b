/**
 * The template parser: statements of the Jinja2 subset kvplay runs, a port of Jinja2 3.1's
 * parser.py (expressions: parser-expr.ts; tokens: parser-lex.ts) producing our AST (ast.ts).
 * Tags: if/elif/else, for (with `if` filter and else), set (`=`, tuple targets, `ns.x`, blocks with
 * filters), macro, call blocks, filter blocks, print; raw and comments are handled by the lexer. Tags Jinja2 has
 * but kvplay does not run (include, import, extends, block, with...) are syntax errors saying so.
 * Nothing here evaluates anything: interp.ts walks the AST in the sandbox.
 */
import type { Expr, Kwargs, Stmt } from './ast.js';
import { ExprParser } from './parser-expr.js';
import { describeToken } from './parser-stream.js';
import { ANSIBLE_LEX, TemplateSyntaxError, tokenize, type LexOptions, type Token } from './parser-lex.js';

export { TemplateSyntaxError } from './parser-lex.js';
export type { LexOptions } from './parser-lex.js';

/** Jinja2 tags kvplay does not run: a clear error rather than "unknown tag". */
const UNSUPPORTED = new Set(['include', 'import', 'from', 'extends', 'block', 'with', 'autoescape', 'do', 'break', 'continue']);

type SetStmt = Extract<Stmt, { k: 'set' }>;

class Parser extends ExprParser {
  /** the end tags each open block is looking for, innermost last (for messages) */
  private endStack: string[][] = [];
  /** the open tags, innermost last */
  private tagStack: string[] = [];

  /** Statements up to one of `ends` (left as the current token) or the end of the template. */
  subparse(ends?: string[]): Stmt[] {
    const body: Stmt[] = [];
    if (ends) this.endStack.push(ends);
    try {
      for (;;) {
        const t = this.cur;
        if (t.t === 'eof') return body;
        if (t.t === 'data') {
          this.next();
          body.push({ k: 'text', text: String(t.v), line: t.line, col: t.col });
        } else if (t.t === 'var_begin') {
          this.next();
          const e = this.parseTuple();
          this.expectEnd('var_end');
          body.push({ k: 'out', e, line: e.line, col: e.col });
        } else if (t.t === 'block_begin') {
          this.next();
          if (ends && this.cur.t === 'name' && ends.includes(String(this.cur.v))) return body;
          body.push(...this.parseStatement());
          this.expectEnd('block_end');
        } else {
          this.fail(`unexpected '${describeToken(t)}'`);
        }
      }
    } finally {
      if (ends) this.endStack.pop();
    }
  }

  private expectEnd(t: 'var_end' | 'block_end'): void {
    if (this.cur.t === t) {
      this.next();
      return;
    }
    this.expect(t, t === 'var_end' ? 'end of print statement' : 'end of statement block');
  }

  /** A block body up to one of `ends`: `%}` first, the end tag left current unless `drop`. */
  private statements(ends: string[], drop = false): Stmt[] {
    this.skipOp(':');
    this.expectEnd('block_end');
    const body = this.subparse(ends);
    if (this.cur.t === 'eof') this.failUnknown(null, this.cur, ends);
    if (drop) this.next();
    return body;
  }

  /** Jinja2's _fail_ut_eof: an unknown tag, or the end of the template inside a block. */
  private failUnknown(name: string | null, t: Token, ends?: string[]): never {
    const stack = ends ? [...this.endStack, ends] : this.endStack;
    const msg = [name === null ? 'Unexpected end of template.' : `Encountered unknown tag '${name}'.`];
    const looking = stack.length ? stack[stack.length - 1].map((x) => `'${x}'`).join(' or ') : '';
    if (looking) {
      if (name !== null && stack.some((e) => e.includes(name))) msg.push(`You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ${looking}.`);
      else msg.push(`Jinja was looking for the following tags: ${looking}.`);
    }
    if (this.tagStack.length) msg.push(`The innermost block that needs to be closed is '${this.tagStack[this.tagStack.length - 1]}'.`);
    this.fail(msg.join(' '), t);
  }

  private readonly tags: Readonly<Record<string, () => Stmt[]>> = Object.assign(Object.create(null), {
    if: this.parseIf,
    for: this.parseFor,
    set: this.parseSet,
    macro: this.parseMacro,
    call: this.parseCallBlock,
    filter: this.parseFilterBlock,
    print: this.parsePrint,
  });

  private parseStatement(): Stmt[] {
    const t = this.cur;
    if (t.t !== 'name') this.fail('tag name expected');
    const name = String(t.v);
    if (UNSUPPORTED.has(name)) this.fail(`{% ${name} %} is not supported in kvplay templates`);
    const run = this.tags[name];
    if (!run) this.failUnknown(name, t);
    this.tagStack.push(name);
    this.enter();
    try {
      return run.call(this);
    } finally {
      this.leave();
      this.tagStack.pop();
    }
  }

  private parseIf(): Stmt[] {
    return [this.ifChain(this.next())];
  }

  /** `if`/`elif` test and body (after the tag name `t`); an elif chain nests in else_. */
  private ifChain(t: Token): Stmt {
    this.enter(); // an elif nests in the AST
    try {
      const test = this.parseTuple({ noCond: true });
      const body = this.statements(['elif', 'else', 'endif']);
      const end = this.next();
      const else_ = end.v === 'elif' ? [this.ifChain(end)] : end.v === 'else' ? this.statements(['endif'], true) : [];
      return { k: 'if', test, body, else_, line: t.line, col: t.col };
    } finally {
      this.leave();
    }
  }

  private parseFor(): Stmt[] {
    const t = this.next();
    const target = this.assignTarget(['in']);
    const names = (target.k === 'list' ? target.items : [target]).map((n) => (n.k === 'name' ? n.name : this.fail('expected a name (or names separated by commas) before "in"', t)));
    if (!this.skipName('in')) this.fail(this.cur.t === 'eof' ? "unexpected end of template, expected 'in'." : `expected token 'in', got '${describeToken(this.cur)}'`);
    const iter = this.parseTuple({ noCond: true, endNames: ['recursive'] });
    const filter = this.skipName('if') ? this.parseExpression() : null;
    if (this.isName('recursive')) this.fail('recursive loops are not supported in kvplay templates');
    const body = this.statements(['endfor', 'else']);
    const else_ = this.next().v === 'else' ? this.statements(['endfor'], true) : [];
    return [{ k: 'for', names, iter, filter, body, else_, line: t.line, col: t.col }];
  }

  /** An assignment target: a name, `a, b` (a tuple of names), or `ns.attr` when `ns` is allowed. */
  private assignTarget(ends: string[] = [], ns = false): Expr {
    if (ns && this.cur.t === 'name' && this.isOp('.', this.look())) {
      const obj = this.next();
      this.next();
      const attr = this.cur;
      const key = this.expectName();
      return { k: 'get', obj: { k: 'name', name: String(obj.v), line: obj.line, col: obj.col }, key: { k: 'lit', v: key, line: attr.line, col: attr.col }, line: obj.line, col: obj.col };
    }
    const target = this.parseTuple({ simple: true, endNames: ends });
    for (const x of target.k === 'list' ? target.items : [target]) if (x.k !== 'name') this.fail(`can't assign to '${x.k === 'lit' ? 'const' : x.k}'`, this.tokenAt(x));
    return target;
  }

  private tokenAt(e: Expr): Token {
    return { t: 'name', v: '', line: e.line, col: e.col };
  }

  private parseSet(): Stmt[] {
    const t = this.next();
    const target = this.assignTarget([], true);
    const targets = target.k === 'list' ? target.items : [target];
    const p = { line: t.line, col: t.col };
    if (this.skipOp('=')) return [{ k: 'set', targets, value: this.parseTuple(), body: null, ...p }];
    // `{% set x | f %}...{% endset %}`: the captured body, filtered
    const capture: Extract<Expr, { k: 'capture' }> = { k: 'capture', body: [], ...p };
    const value = this.parseFilter(capture);
    const body = this.statements(['endset'], true);
    const s: SetStmt = value === capture ? { k: 'set', targets, value: null, body, ...p } : { k: 'set', targets, value, body: null, ...p };
    capture.body = body;
    return [s];
  }

  private parseMacro(): Stmt[] {
    const t = this.next();
    const name = this.expectName();
    const { params, defaults } = this.signature();
    const body = this.statements(['endmacro'], true);
    return [{ k: 'macro', name, params, defaults, body, line: t.line, col: t.col }];
  }

  /** A macro's parameters `(a, b=1)` (Jinja2's parse_signature: no trailing comma). */
  private signature(): { params: string[]; defaults: Kwargs } {
    const params: string[] = [];
    const defaults: Kwargs = [];
    this.expect('(');
    while (!this.isOp(')')) {
      if (params.length || defaults.length) this.expect(',');
      const a = this.cur;
      const arg = this.expectName();
      if (this.skipOp('=')) defaults.push([arg, this.parseExpression()]);
      else if (defaults.length) this.fail('non-default argument follows default argument', a);
      else params.push(arg);
    }
    this.next();
    return { params, defaults };
  }

  /** `{% call(args) m(x) %}body{% endcall %}`: m called with `caller`, a macro of the body. */
  private parseCallBlock(): Stmt[] {
    const t = this.next();
    const sig = this.isOp('(') ? this.signature() : { params: [], defaults: [] };
    const call = this.parseExpression();
    if (call.k !== 'call') this.fail('expected call', t);
    const body = this.statements(['endcall'], true);
    const caller: Expr = { k: 'caller', ...sig, body, line: t.line, col: t.col };
    return [{ k: 'out', e: { ...call, kw: [...call.kw, ['caller', caller]] }, line: t.line, col: t.col }];
  }

  /** `{% filter f(args) | g %}...{% endfilter %}`: the body, captured then filtered. */
  private parseFilterBlock(): Stmt[] {
    const t = this.next();
    const p = { line: t.line, col: t.col };
    const capture: Extract<Expr, { k: 'capture' }> = { k: 'capture', body: [], ...p };
    const e = this.parseFilter(capture, true);
    capture.body = this.statements(['endfilter'], true);
    return [{ k: 'out', e, ...p }];
  }

  /** `{% print a, b %}`: each expression output. */
  private parsePrint(): Stmt[] {
    this.next();
    const out: Stmt[] = [];
    while (this.cur.t !== 'block_end') {
      if (out.length) this.expect(',');
      const e = this.parseExpression();
      out.push({ k: 'out', e, line: e.line, col: e.col });
    }
    return out;
  }
}

/** Parse template text (with "\n" line ends) into our AST. Throws TemplateSyntaxError. */
export function parseTemplate(src: string, opts: LexOptions = ANSIBLE_LEX): Stmt[] {
  try {
    return new Parser(tokenize(src, opts)).subparse();
  } catch (e) {
    if (e instanceof RangeError) throw new TemplateSyntaxError('template nesting too deep', 0, 0);
    throw e;
  }
}
