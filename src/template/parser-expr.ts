/**
 * Expressions, a port of Jinja2 3.1's parser (jinja2/parser.py) producing our AST (ast.ts).
 * Precedence, loosest first: `a if b else c`; `or`; `and`; `not`; comparisons (== != < <= > >=
 * `in` `not in`, chained); `+ -`; `~`; `* / // %`; `**`; unary `- +`; then postfix (`.x`, `[i]`,
 * `[a:b:c]`, calls) and, bound to the unary operand, filters `| f(...)` and tests `is [not] t(...)`.
 * So `-2 ** 2` is 4, `2 ** 3 ** 2` is 64, `-x | abs` is `(-x) | abs` and `1 + x is number` is
 * `1 + (x is number)`, as in Jinja2.
 */
import type { BinOp, Expr, Kwargs, Stars } from './ast.js';
import type { Token } from './parser-lex.js';
import { TokenStream, describeToken } from './parser-stream.js';

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
const MUL: Record<string, BinOp> = { '*': '*', '/': '/', '//': '//', '%': '%' };
const CONSTS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null };

/** Filter and test names may be namespaced (ansible.builtin.to_json): keep the last part. */
const shortName = (s: string) => s.slice(s.lastIndexOf('.') + 1);

type CallArgs = { args: Expr[]; kw: Kwargs } & Stars;

export class ExprParser extends TokenStream {
  /** parse_expression: with `a if b else c` unless `noCond`. */
  parseExpression(noCond = false): Expr {
    this.enter();
    try {
      return noCond ? this.parseOr() : this.parseCondexpr();
    } finally {
      this.leave();
    }
  }

  private parseCondexpr(): Expr {
    return this.chained(() => {
      let e = this.parseOr();
      while (this.isName('if')) {
        this.grow();
        this.next();
        const test = this.parseOr();
        const else_ = this.skipName('else') ? this.parseCondexpr() : null;
        e = { k: 'cond', test, then: e, else_, line: e.line, col: e.col };
      }
      return e;
    });
  }

  private parseOr(): Expr {
    return this.chained(() => {
      let l = this.parseAnd();
      while (this.isName('or')) {
        this.grow();
        this.next();
        l = { k: 'or', l, r: this.parseAnd(), line: l.line, col: l.col };
      }
      return l;
    });
  }

  private parseAnd(): Expr {
    return this.chained(() => {
      let l = this.parseNot();
      while (this.isName('and')) {
        this.grow();
        this.next();
        l = { k: 'and', l, r: this.parseNot(), line: l.line, col: l.col };
      }
      return l;
    });
  }

  private parseNot(): Expr {
    if (!this.isName('not')) return this.parseCompare();
    const t = this.next();
    this.enter();
    try {
      return { k: 'not', e: this.parseNot(), line: t.line, col: t.col };
    } finally {
      this.leave();
    }
  }

  private parseCompare(): Expr {
    const first = this.parseMath1();
    const ops: [string, Expr][] = [];
    for (;;) {
      const t = this.cur;
      if (t.t === 'op' && COMPARE.has(String(t.v))) {
        this.next();
        ops.push([String(t.v), this.parseMath1()]);
      } else if (this.skipName('in')) {
        ops.push(['in', this.parseMath1()]);
      } else if (this.isName('not') && this.isName('in', this.look())) {
        this.next();
        this.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    if (!ops.length) return first;
    const p = { line: first.line, col: first.col };
    if (ops.length === 1 && (ops[0][0] === 'in' || ops[0][0] === 'notin')) {
      const e: Expr = { k: 'in', l: first, r: ops[0][1], ...p };
      return ops[0][0] === 'in' ? e : { k: 'not', e, ...p };
    }
    return { k: 'cmp', first, ops, ...p };
  }

  private binary(next: () => Expr, ops: Record<string, BinOp>): Expr {
    return this.chained(() => {
      let l = next();
      while (this.cur.t === 'op' && Object.hasOwn(ops, String(this.cur.v))) {
        this.grow();
        const t = this.next();
        l = { k: 'bin', op: ops[String(t.v)], l, r: next(), line: l.line, col: l.col };
      }
      return l;
    });
  }

  private parseMath1 = (): Expr => this.binary(this.parseConcat, { '+': '+', '-': '-' });
  private parseConcat = (): Expr => this.binary(this.parseMath2, { '~': '~' });
  private parseMath2 = (): Expr => this.binary(this.parsePow, MUL);
  private parsePow = (): Expr => this.binary(() => this.parseUnary(), { '**': '**' });

  parseUnary(withFilter = true): Expr {
    const t = this.cur;
    let e: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      this.next();
      this.enter();
      try {
        e = { k: this.isOp('-', t) ? 'neg' : 'pos', e: this.parseUnary(false), line: t.line, col: t.col };
      } finally {
        this.leave();
      }
    } else e = this.parsePrimary();
    e = this.parsePostfix(e);
    return withFilter ? this.parseFilterExpr(e) : e;
  }

  parsePrimary(): Expr {
    const t = this.cur;
    const p = { line: t.line, col: t.col };
    if (t.t === 'name') {
      this.next();
      const n = String(t.v);
      return Object.hasOwn(CONSTS, n) ? { k: 'lit', v: CONSTS[n], ...p } : { k: 'name', name: n, ...p };
    }
    if (t.t === 'string') {
      let s = String(this.next().v);
      while (this.cur.t === 'string') s += String(this.next().v); // 'a' 'b' is 'ab'
      return { k: 'lit', v: s, ...p };
    }
    if (t.t === 'int' || t.t === 'float') {
      this.next();
      return { k: 'lit', v: t.v, ...p };
    }
    if (this.isOp('(')) {
      this.next();
      const e = this.parseTuple({ parens: true });
      this.expectClose(')');
      return e;
    }
    if (this.isOp('[') || this.isOp('{')) return this.parseAggregate();
    this.fail(`unexpected '${describeToken(t)}'`);
  }

  /** After the items of a bracket: its own closer, else "expected ',' or ')'". */
  private expectClose(close: string): void {
    if (this.skipOp(close)) return;
    if (this.cur.t === 'eof') this.fail(`unexpected end of template, expected '${close}'`);
    this.fail(`expected ',' or '${close}', got '${describeToken(this.cur)}'`);
  }

  /** `[a, b,]` and `{k: v,}` (a trailing comma is allowed). */
  private parseAggregate(): Expr {
    const open = this.next();
    const dict = open.v === '{';
    const close = dict ? '}' : ']';
    const items: Expr[] = [];
    const pairs: [Expr, Expr][] = [];
    while (!this.isOp(close)) {
      if (items.length || pairs.length) {
        if (!this.isOp(',')) this.expectClose(close);
        this.next();
        if (this.isOp(close)) break;
      }
      const e = this.parseExpression();
      if (dict) {
        this.expect(':');
        pairs.push([e, this.parseExpression()]);
      } else items.push(e);
    }
    this.next();
    const p = { line: open.line, col: open.col };
    return dict ? { k: 'dict', pairs, ...p } : { k: 'list', items, ...p };
  }

  /**
   * parse_tuple: `a, b` is a tuple, `a` is `a`; with `parens` (inside `(...)`) `()` is an empty
   * tuple. `noCond`: items without `a if b else c`; `simple`: items are primaries (assign targets).
   */
  parseTuple(o: { parens?: boolean; noCond?: boolean; simple?: boolean; endNames?: string[] } = {}): Expr {
    const start = this.cur;
    const items: Expr[] = [];
    let tuple = false;
    const atEnd = () => this.cur.t === 'var_end' || this.cur.t === 'block_end' || this.isOp(')') || (o.endNames ?? []).some((n) => this.isName(n));
    for (;;) {
      if (items.length) this.expect(',');
      if (atEnd()) break;
      items.push(o.simple ? this.parsePrimary() : this.parseExpression(o.noCond));
      if (!this.isOp(',')) break;
      tuple = true;
    }
    if (!tuple) {
      if (items.length) return items[0];
      if (!o.parens) this.fail(`Expected an expression, got '${describeToken(this.cur)}'`);
    }
    return { k: 'list', items, tuple: true, line: start.line, col: start.col };
  }

  parsePostfix(e: Expr): Expr {
    return this.chained(() => this.postfixLoop(e));
  }

  private postfixLoop(e: Expr): Expr {
    for (;;) {
      this.grow();
      if (this.isOp('.') || this.isOp('[')) e = this.parseSubscript(e);
      else if (this.isOp('(')) e = this.parseCall(e);
      else return e;
    }
  }

  /** Filters, tests and calls after them: `x | f(1) | g is t`. */
  parseFilterExpr(e: Expr): Expr {
    return this.chained(() => this.filterLoop(e));
  }

  private filterLoop(e: Expr): Expr {
    for (;;) {
      this.grow();
      if (this.isOp('|')) e = this.parseFilter(e);
      else if (this.isName('is')) e = this.parseTest(e);
      else if (this.isOp('(')) e = this.parseCall(e);
      else return e;
    }
  }

  private parseSubscript(obj: Expr): Expr {
    const t = this.next();
    const p = { line: t.line, col: t.col };
    if (t.v === '.') {
      const a = this.next();
      if (a.t === 'name') return { k: 'get', obj, key: { k: 'lit', v: a.v, line: a.line, col: a.col }, ...p };
      if (a.t !== 'int') this.fail('expected name or number', a);
      return { k: 'get', obj, key: { k: 'lit', v: a.v, line: a.line, col: a.col }, ...p };
    }
    const subs: (Expr | [Expr | null, Expr | null, Expr | null])[] = [];
    while (!this.isOp(']')) {
      if (subs.length) {
        if (!this.isOp(',')) this.expectClose(']');
        this.next();
      }
      subs.push(this.parseSubscribed());
    }
    this.next();
    if (subs.length === 1) {
      const s = subs[0];
      if (!Array.isArray(s)) return { k: 'get', obj, key: s, ...p };
      return { k: 'slice', obj, start: s[0], stop: s[1], step: s[2], ...p };
    }
    if (subs.some(Array.isArray)) this.fail('slices inside a tuple subscript are not supported by kvplay', t);
    return { k: 'get', obj, key: { k: 'list', items: subs as Expr[], tuple: true, ...p }, ...p };
  }

  /** One subscript: an expression, or a slice `a:b:c` (any part may be left out). */
  private parseSubscribed(): Expr | [Expr | null, Expr | null, Expr | null] {
    let start: Expr | null = null;
    if (!this.isOp(':')) {
      start = this.parseExpression();
      if (!this.isOp(':')) return start;
    }
    this.next();
    const part = () => (this.isOp(']') || this.isOp(',') || this.isOp(':') ? null : this.parseExpression());
    const stop = part();
    let step: Expr | null = null;
    if (this.skipOp(':')) step = part();
    return [start, stop, step];
  }

  /** `(a, b, k=v, *args, **kwargs)`, a trailing comma allowed (Jinja2's parse_call_args). */
  parseCallArgs(): CallArgs {
    const open = this.expect('(');
    const r: CallArgs = { args: [], kw: [] };
    const ensure = (ok: boolean) => {
      if (!ok) this.fail('invalid syntax for function call expression', open);
    };
    let needComma = false;
    while (!this.isOp(')')) {
      if (needComma) {
        if (!this.isOp(',')) this.expectClose(')');
        this.next();
        if (this.isOp(')')) break;
      }
      if (this.skipOp('*')) {
        ensure(!r.star && !r.dstar);
        r.star = this.parseExpression();
      } else if (this.skipOp('**')) {
        ensure(!r.dstar);
        r.dstar = this.parseExpression();
      } else if (this.cur.t === 'name' && this.isOp('=', this.look())) {
        ensure(!r.dstar);
        const key = String(this.next().v);
        this.next();
        r.kw.push([key, this.parseExpression()]);
      } else {
        ensure(!r.star && !r.dstar && !r.kw.length);
        r.args.push(this.parseExpression());
      }
      needComma = true;
    }
    this.next();
    return r;
  }

  private parseCall(fn: Expr): Expr {
    const t = this.cur;
    return { k: 'call', fn, ...this.parseCallArgs(), line: t.line, col: t.col };
  }

  private dottedName(): [string, Token] {
    const t = this.cur;
    let name = this.expectName();
    while (this.skipOp('.')) name += '.' + this.expectName();
    return [name, t];
  }

  /** `| name(args)`, repeated; `value` is the filtered expression (a captured body for filter blocks). */
  parseFilter(value: Expr, startInline = false): Expr {
    return this.chained(() => this.filterChain(value, startInline));
  }

  private filterChain(value: Expr, startInline: boolean): Expr {
    while (this.isOp('|') || startInline) {
      this.grow();
      if (!startInline) this.next();
      startInline = false;
      const [name, t] = this.dottedName();
      const a: CallArgs = this.isOp('(') ? this.parseCallArgs() : { args: [], kw: [] };
      value = { k: 'filter', name: shortName(name), value, ...a, line: t.line, col: t.col };
    }
    return value;
  }

  /** `is [not] name`, `is name(args)` or `is name arg` (one primary argument without parentheses). */
  private parseTest(value: Expr): Expr {
    this.next();
    const not = this.skipName('not');
    const [name] = this.dottedName();
    let a: CallArgs = { args: [], kw: [] };
    const c = this.cur;
    if (this.isOp('(')) a = this.parseCallArgs();
    else if ((c.t === 'name' || c.t === 'string' || c.t === 'int' || c.t === 'float' || this.isOp('[') || this.isOp('{')) && !['else', 'or', 'and'].some((n) => this.isName(n))) {
      if (this.isName('is')) this.fail('You cannot chain multiple tests with is');
      a.args.push(this.parsePostfix(this.parsePrimary()));
    }
    const p = { line: value.line, col: value.col };
    const e: Expr = { k: 'test', name: shortName(name), value, ...a, ...p };
    return not ? { k: 'not', e, ...p } : e;
  }
}
