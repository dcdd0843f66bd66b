/**
 * With lexer.ts, the only importer of nunjucks. nunjucks is used as a PARSER only: its lexer and parser turn
 * template text into nunjucks nodes, which are converted here into our own AST (ast.ts).
 * nunjucks' compiler and runtime (generated JavaScript run through `new Function`) are never
 * used, so a template can never run JavaScript: interp.ts evaluates the AST itself.
 *
 * Parser differences from stock nunjucks, closer to Jinja2 (instance overrides, no global patching):
 *  - subscripts support slices `x[1:]`, `x[::-1]`, and `x.0` is an item lookup;
 *  - tests take one argument without parentheses (`x is sameas false`, `n is divisibleby 3`)
 *    and dotted names (`x is ansible.builtin.match('a')`);
 *  - lists, dicts, tuples and call arguments take a trailing comma (`[1, 2,]`, `f(a,)`), `(1,)` is
 *    a tuple, a bracket must be closed by its own kind, and a dict key may be any expression.
 * The tokenizer (Jinja2's whitespace rules, delimiters, string escapes) is lexer.ts.
 */
import nunjucks from 'nunjucks';
import type { Expr, Kwargs, Stmt, BinOp } from './ast.js';
import { ANSIBLE_LEX, TemplateSyntaxError, lex, type LexOptions } from './lexer.js';

export { TemplateSyntaxError } from './lexer.js';
export type { LexOptions } from './lexer.js';

const N = nunjucks as any;
const L = N.lexer;
const nodes = N.nodes;
const Parser = N.parser.Parser;

const STOP_WORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);

function startsPrimary(tok: any): boolean {
  if (!tok) return false;
  switch (tok.type) {
    case L.TOKEN_STRING:
    case L.TOKEN_INT:
    case L.TOKEN_FLOAT:
    case L.TOKEN_BOOLEAN:
    case L.TOKEN_NONE:
    case L.TOKEN_LEFT_BRACKET:
    case L.TOKEN_LEFT_CURLY:
      return true;
    case L.TOKEN_SYMBOL:
      return !STOP_WORDS.has(tok.value);
    default:
      return false;
  }
}

function parseIs(this: any): any {
  let node = this.parseCompare();
  while (this.skipSymbol('is')) {
    const not = this.skipSymbol('not');
    const tok = this.nextToken();
    let name: string;
    if (tok && tok.type === L.TOKEN_SYMBOL) {
      name = tok.value;
      while (this.skipValue(L.TOKEN_OPERATOR, '.')) name += '.' + this.expect(L.TOKEN_SYMBOL).value;
    } else if (tok && (tok.type === L.TOKEN_NONE || tok.type === L.TOKEN_BOOLEAN)) {
      name = tok.type === L.TOKEN_NONE ? 'none' : tok.value;
    } else {
      this.fail('expected a test name after "is"', tok?.lineno, tok?.colno);
    }
    let right = new nodes.Symbol(tok.lineno, tok.colno, name!);
    const next = this.peekToken();
    if (next && next.type === L.TOKEN_LEFT_PAREN) {
      right = new nodes.FunCall(next.lineno, next.colno, right, this.parseSignature());
    } else if (startsPrimary(next)) {
      right = new nodes.FunCall(next.lineno, next.colno, right, new nodes.NodeList(next.lineno, next.colno, [this.parsePrimary()]));
    }
    node = new nodes.Is(node.lineno, node.colno, node, right);
    if (not) node = new nodes.Not(node.lineno, node.colno, node);
  }
  return node;
}

function parseSubscript(this: any, open: any): any {
  const peekType = () => this.peekToken()?.type;
  let start: any = null;
  let stop: any = null;
  let step: any = null;
  let slice = false;
  if (peekType() !== L.TOKEN_COLON) start = this.parseExpression();
  if (this.skip(L.TOKEN_COLON)) {
    slice = true;
    if (peekType() !== L.TOKEN_COLON && peekType() !== L.TOKEN_RIGHT_BRACKET) stop = this.parseExpression();
    if (this.skip(L.TOKEN_COLON) && peekType() !== L.TOKEN_RIGHT_BRACKET) step = this.parseExpression();
  }
  const end = this.nextToken();
  if (!end || end.type !== L.TOKEN_RIGHT_BRACKET) this.fail('expected ] to close the subscript', end?.lineno ?? open.lineno, end?.colno ?? open.colno);
  return slice ? { typename: 'Slice', start, stop, step, lineno: open.lineno, colno: open.colno } : start;
}

function parsePostfix(this: any, node: any): any {
  let tok = this.peekToken();
  while (tok) {
    if (tok.type === L.TOKEN_LEFT_PAREN) {
      node = new nodes.FunCall(tok.lineno, tok.colno, node, this.parseSignature());
    } else if (tok.type === L.TOKEN_LEFT_BRACKET) {
      this.nextToken();
      node = new nodes.LookupVal(tok.lineno, tok.colno, node, parseSubscript.call(this, tok));
    } else if (tok.type === L.TOKEN_OPERATOR && tok.value === '.') {
      this.nextToken();
      let val = this.nextToken();
      // `x.0.name` lexes as x . "0." name; `x.0.1` as x . "0.1"
      while (val && val.type === L.TOKEN_FLOAT && /^\d+\.\d*$/.test(val.value)) {
        const [i, j] = val.value.split('.');
        node = new nodes.LookupVal(tok.lineno, tok.colno, node, new nodes.Literal(val.lineno, val.colno, parseInt(i, 10)));
        if (j) {
          val = { ...val, type: L.TOKEN_INT, value: j };
          break;
        }
        val = this.nextToken();
      }
      if (!val || (val.type !== L.TOKEN_SYMBOL && val.type !== L.TOKEN_INT)) this.fail('expected an attribute name after "."', val?.lineno ?? tok.lineno, val?.colno ?? tok.colno);
      const key = val.type === L.TOKEN_INT ? parseInt(val.value, 10) : val.value;
      node = new nodes.LookupVal(tok.lineno, tok.colno, node, new nodes.Literal(val.lineno, val.colno, key));
    } else {
      break;
    }
    tok = this.peekToken();
  }
  return node;
}

const CLOSERS: Record<string, [string, string]> = {
  [L.TOKEN_LEFT_PAREN]: [L.TOKEN_RIGHT_PAREN, ')'],
  [L.TOKEN_LEFT_BRACKET]: [L.TOKEN_RIGHT_BRACKET, ']'],
  [L.TOKEN_LEFT_CURLY]: [L.TOKEN_RIGHT_CURLY, '}'],
};

/** `(...)`, `[...]`, `{...}` as Jinja2 parses them: trailing comma allowed, `(x,)` is a tuple. */
function parseAggregate(this: any): any {
  const tok = this.nextToken();
  const closer = tok && CLOSERS[tok.type];
  if (!closer) return null;
  const [close, closeChar] = closer;
  const node = tok.type === L.TOKEN_LEFT_PAREN ? new nodes.Group(tok.lineno, tok.colno) : tok.type === L.TOKEN_LEFT_BRACKET ? new nodes.Array(tok.lineno, tok.colno) : new nodes.Dict(tok.lineno, tok.colno);
  for (;;) {
    if (this.skip(close)) break;
    if (node.children.length > 0) {
      const t = this.peekToken();
      if (!this.skip(L.TOKEN_COMMA)) this.fail(`expected ',' or '${closeChar}'`, t?.lineno ?? tok.lineno, t?.colno ?? tok.colno);
      node.kvTuple = true;
      if (this.skip(close)) break;
    }
    if (tok.type === L.TOKEN_LEFT_CURLY) {
      const key = this.parseExpression();
      if (!this.skip(L.TOKEN_COLON)) this.fail("expected ':' after a dict key", key.lineno, key.colno);
      const value = this.parseExpression();
      node.addChild(new nodes.Pair(key.lineno, key.colno, key, value));
    } else node.addChild(this.parseExpression());
  }
  return node;
}

/**
 * Call arguments `(a, b, k=v, *args, **kwargs)`: a trailing comma is allowed (not in a macro's
 * parameters, as in Jinja2); `*x` and `**x` come after the other arguments of their kind.
 */
function parseSignature(this: any, tolerant?: boolean, noParens?: boolean): any {
  const trailingComma = !this.kvMacroDef;
  const macroDef = this.kvMacroDef;
  this.kvMacroDef = false;
  let tok = this.peekToken();
  if (!noParens && tok?.type !== L.TOKEN_LEFT_PAREN) {
    if (tolerant) return null;
    this.fail('expected arguments', tok?.lineno, tok?.colno);
  }
  if (tok.type === L.TOKEN_LEFT_PAREN) tok = this.nextToken();
  const args = new nodes.NodeList(tok.lineno, tok.colno);
  const kwargs = new nodes.KeywordArgs(tok.lineno, tok.colno);
  const atEnd = () => (noParens ? this.peekToken()?.type === L.TOKEN_BLOCK_END : this.skip(L.TOKEN_RIGHT_PAREN));
  let first = true;
  const stars: any[] = [];
  const invalid = (t: any) => this.fail('invalid syntax for function call expression', t?.lineno ?? tok.lineno, t?.colno ?? tok.colno);
  while (!atEnd()) {
    if (!first) {
      const t = this.peekToken();
      if (!this.skip(L.TOKEN_COMMA)) this.fail("expected ',' or ')' after an argument", t?.lineno ?? tok.lineno, t?.colno ?? tok.colno);
      if (trailingComma && atEnd()) break;
    }
    first = false;
    const t = this.peekToken();
    if (!macroDef && t?.type === L.TOKEN_OPERATOR && (t.value === '*' || t.value === '**')) {
      this.nextToken();
      const level = t.value.length;
      if (stars.some((x) => x.level === 2 || x.level === level)) invalid(t);
      stars.push({ typename: 'StarArgs', level, value: this.parseExpression(), lineno: t.lineno, colno: t.colno });
      continue;
    }
    const arg = this.parseExpression();
    if (this.skipValue(L.TOKEN_OPERATOR, '=')) {
      if (stars.some((x) => x.level === 2)) invalid(t);
      kwargs.addChild(new nodes.Pair(arg.lineno, arg.colno, arg, this.parseExpression()));
    } else {
      if (stars.length || kwargs.children.length) invalid(t);
      args.addChild(arg);
    }
  }
  if (kwargs.children.length) args.addChild(kwargs);
  for (const x of stars) args.addChild(x);
  return args;
}

/** Parse template text (with "\n" line ends) into our AST. Throws TemplateSyntaxError. */
export function parseTemplate(src: string, opts: LexOptions = ANSIBLE_LEX): Stmt[] {
  let root: any;
  try {
    const p = new Parser(lex(src, opts));
    p.parseIs = parseIs;
    p.parsePostfix = parsePostfix;
    p.parseAggregate = parseAggregate;
    p.parseSignature = parseSignature;
    const parseMacro = p.parseMacro;
    p.parseMacro = function (this: any) {
      this.kvMacroDef = true; // the next signature parsed is the macro's parameters
      return parseMacro.call(this);
    };
    root = p.parseAsRoot();
  } catch (e: any) {
    if (e instanceof TemplateSyntaxError) throw e;
    throw new TemplateSyntaxError(cleanMessage(String(e?.message ?? e)), Math.max(0, (e?.lineno ?? 1) - 1), Math.max(0, (e?.colno ?? 1) - 1));
  }
  return stmts(root.children);
}

function cleanMessage(m: string): string {
  return m
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/^\[Line \d+, Column \d+\]\s*/, '')
    .replace(/^(parse\w+|advanceAfter\w+|compile\w*): /, '')
    .trim();
}

function unsupported(n: any, what: string): never {
  throw new TemplateSyntaxError(`${what} is not supported in kvplay templates`, n.lineno ?? 0, n.colno ?? 0);
}

const pos = (n: any) => ({ line: n.lineno ?? 0, col: n.colno ?? 0 });

function stmts(list: any[]): Stmt[] {
  const out: Stmt[] = [];
  for (const n of list) {
    switch (n.typename) {
      case 'Output':
        for (const c of n.children) {
          if (c.typename === 'TemplateData') {
            if (c.value) out.push({ k: 'text', text: String(c.value), ...pos(c) });
          } else {
            out.push({ k: 'out', e: expr(c), ...pos(c) });
          }
        }
        break;
      case 'If': {
        const else_ = !n.else_ ? [] : n.else_.typename === 'If' ? stmts([n.else_]) : stmts(n.else_.children);
        out.push({ k: 'if', test: expr(n.cond), body: stmts(n.body.children), else_, ...pos(n) });
        break;
      }
      case 'For': {
        const names = n.name.typename === 'Array' ? n.name.children.map((c: any) => symName(c)) : [symName(n.name)];
        let iter = n.arr;
        let filter: Expr | null = null;
        if (iter.typename === 'InlineIf' && iter.else_ === null) {
          filter = expr(iter.cond);
          iter = iter.body;
        }
        const else_ = n.else_ ? stmts(n.else_.children) : [];
        out.push({ k: 'for', names, iter: expr(iter), filter, body: stmts(n.body.children), else_, ...pos(n) });
        break;
      }
      case 'Set':
        out.push({
          k: 'set',
          targets: n.targets.map(expr),
          value: n.value ? expr(n.value) : null,
          body: n.value ? null : stmts(n.body.body.children),
          ...pos(n),
        });
        break;
      case 'Macro': {
        const params: string[] = [];
        let defaults: Kwargs = [];
        for (const a of n.args.children) {
          if (a.typename === 'KeywordArgs') defaults = kwargs(a);
          else params.push(symName(a));
        }
        out.push({ k: 'macro', name: symName(n.name), params, defaults, body: stmts(n.body.children), ...pos(n) });
        break;
      }
      case 'AsyncEach':
      case 'AsyncAll':
      case 'IfAsync':
        unsupported(n, 'async tags');
      case 'Block':
      case 'Extends':
      case 'Include':
      case 'Import':
      case 'FromImport':
      case 'Switch':
      case 'CallExtension':
      case 'CallExtensionAsync':
        unsupported(n, `{% ${n.typename.toLowerCase()} %}`);
      default:
        unsupported(n, `'${n.typename}'`);
    }
  }
  return out;
}

function symName(n: any): string {
  if (n?.typename !== 'Symbol') throw new TemplateSyntaxError('expected a name', n?.lineno ?? 0, n?.colno ?? 0);
  return n.value;
}

function kwargs(n: any): Kwargs {
  return n.children.map((p: any) => [symName(p.key), expr(p.value)] as [string, Expr]);
}

function callArgs(list: any[]): { args: Expr[]; kw: Kwargs; star?: Expr; dstar?: Expr } {
  const args: Expr[] = [];
  let kw: Kwargs = [];
  const out: { args: Expr[]; kw: Kwargs; star?: Expr; dstar?: Expr } = { args, kw };
  for (const a of list) {
    if (a.typename === 'KeywordArgs') out.kw = kw = kwargs(a);
    else if (a.typename === 'StarArgs') out[a.level === 1 ? 'star' : 'dstar'] = expr(a.value);
    else args.push(expr(a));
  }
  return out;
}

/** Filter and test names may be namespaced (ansible.builtin.to_json): keep the last part. */
const shortName = (s: string) => s.slice(s.lastIndexOf('.') + 1);

const BIN: Record<string, BinOp> = { Add: '+', Sub: '-', Mul: '*', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**', Concat: '~' };

function expr(n: any): Expr {
  const p = pos(n);
  switch (n?.typename) {
    case 'Literal':
      return { k: 'lit', v: n.value, ...p };
    case 'Symbol':
      return { k: 'name', name: n.value, ...p };
    case 'Group':
      if (n.children.length === 1 && !n.kvTuple) return expr(n.children[0]);
      return { k: 'list', items: n.children.map(expr), tuple: true, ...p };
    case 'Array':
      return { k: 'list', items: n.children.map(expr), ...p };
    case 'Dict':
      return { k: 'dict', pairs: n.children.map((c: any) => [expr(c.key), expr(c.value)]), ...p };
    case 'LookupVal':
      if (n.val?.typename === 'Slice') {
        const s = n.val;
        const opt = (x: any) => (x ? expr(x) : null);
        return { k: 'slice', obj: expr(n.target), start: opt(s.start), stop: opt(s.stop), step: opt(s.step), ...p };
      }
      return { k: 'get', obj: expr(n.target), key: expr(n.val), ...p };
    case 'FunCall':
      return { k: 'call', fn: expr(n.name), ...callArgs(n.args.children), ...p };
    case 'Filter': {
      const [value, ...rest] = n.args.children;
      return { k: 'filter', name: shortName(n.name.value), value: expr(value), ...callArgs(rest), ...p };
    }
    case 'Is': {
      const r = n.right;
      const name = r.typename === 'FunCall' ? r.name.value : r.value;
      const { args, kw } = r.typename === 'FunCall' ? callArgs(r.args.children) : { args: [], kw: [] };
      return { k: 'test', name: shortName(String(name)), value: expr(n.left), args, kw, ...p };
    }
    case 'Not':
      return { k: 'not', e: expr(n.target), ...p };
    case 'Neg':
      return { k: 'neg', e: expr(n.target), ...p };
    case 'Pos':
      return { k: 'pos', e: expr(n.target), ...p };
    case 'And':
      return { k: 'and', l: expr(n.left), r: expr(n.right), ...p };
    case 'Or':
      return { k: 'or', l: expr(n.left), r: expr(n.right), ...p };
    case 'In':
      return { k: 'in', l: expr(n.left), r: expr(n.right), ...p };
    case 'InlineIf':
      return { k: 'cond', test: expr(n.cond), then: expr(n.body), else_: n.else_ ? expr(n.else_) : null, ...p };
    case 'Compare':
      return { k: 'cmp', first: expr(n.expr), ops: n.ops.map((o: any) => [o.type, expr(o.expr)]), ...p };
    case 'Capture':
      return { k: 'capture', body: stmts(n.body.children), ...p };
    default:
      if (n && BIN[n.typename]) return { k: 'bin', op: BIN[n.typename], l: expr(n.left), r: expr(n.right), ...p };
      unsupported(n ?? {}, `'${n?.typename ?? 'empty'}' expression`);
  }
}
