/** Parsing (cached), native single-expression results, and conversion of errors to located InputErrors. */
import { InputError, type Loc } from '../util/errors.js';
import type { Expr, Stmt } from './ast.js';
import { SYNTAX_HINT, TplError } from './core.js';
import { FILTER_NAMES, Interp, Scope, TEST_NAMES } from './interp.js';
import { materialize, type Ctx } from './lazy.js';
import { TemplateSyntaxError, parseTemplate, type LexOptions } from './parser.js';
import { jinjaSource, restoreNewlines } from './options.js';
import { escapeBackslashes } from './escape.js';
import { literalEval } from '../util/pyliteral.js';

const cache = new Map<string, Stmt[]>();
/** Ansible's SINGLE_VAR: a template that is only `{{ name }}`. */
/** `{{ name }}` (whose None Ansible returns as is); the literals none/None are no names: `{{ none }}` renders '' */
const BARE_NAME = /^\{\{\s*(?!(?:none|None)\s*\}\})\w*\s*\}\}$/;
const FILTER_SET = new Set(FILTER_NAMES);
const TEST_SET = new Set(TEST_NAMES);

/** Parse (cached), with Ansible's settings unless `opts`; unknown filter and test names are syntax errors. */
export function parse(src: string, opts?: LexOptions): Stmt[] {
  const key = opts ? `${JSON.stringify(opts)}\0${src}` : src;
  const hit = cache.get(key);
  if (hit) return hit;
  const body = parseTemplate(src, opts);
  checkNames(body);
  if (cache.size >= 5000) cache.clear();
  cache.set(key, body);
  return body;
}

function checkNames(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(checkNames);
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, unknown> & { k?: string; name?: string; line: number; col: number };
  if (n.k === 'filter' && !FILTER_SET.has(n.name!)) throw new TemplateSyntaxError(`no filter named '${n.name}'`, n.line, n.col);
  if (n.k === 'test' && !TEST_SET.has(n.name!)) throw new TemplateSyntaxError(`no test named '${n.name}'`, n.line, n.col);
  for (const [k, v] of Object.entries(n)) if (k !== 'v' && v && typeof v === 'object') checkNames(v);
}

/** The expression of a template that is exactly one {{ expr }} (whitespace around allowed), else null. */
export function single(body: Stmt[]): Expr | null {
  let found: Expr | null = null;
  for (const s of body) {
    if (s.k === 'text' && !s.text.trim()) continue;
    if (s.k === 'out' && !found) found = s.e;
    else return null;
  }
  return found;
}

/** Where line `line` (0-based) of a template starting at `loc` is. */
export function locAt(loc: Loc | undefined, line: number, col: number): Loc {
  const l = Math.max(0, line);
  return loc ? { file: loc.file, line: loc.line + l, col: loc.col } : { file: '<template>', line: l + 1, col: Math.max(0, col) + 1 };
}

const NAME_HINT = /^no (filter|test) named/;

/** Turn any error from parsing or evaluating a template into a located InputError. */
const EXPR_HINT = "write a bare Jinja expression, e.g. 'result.rc != 0 and x is defined' (no {{ }} needed)";

/** Messages about the {{ }} that wraps a bare expression, reworded. */
function exprMessage(m: string): string {
  if (/^unexpected 'end of print statement'|^unexpected end of template/.test(m)) return 'the expression ends too early';
  if (/^expected token 'end of print statement'/.test(m)) return 'unexpected text after the expression (missing operator or quotes?)';
  return m;
}

/** `verbatim`: the template is the file's text from `loc` on (template files): a syntax error's column is exact. */
export function toInputError(err: unknown, loc: Loc | undefined, what = 'template', verbatim = false): InputError {
  if (err instanceof InputError) return err;
  if (err instanceof TemplateSyntaxError) {
    const named = NAME_HINT.test(err.message);
    const hint = named ? 'check the spelling; kvplay implements the common Jinja2/Ansible filters and tests' : what === 'expression' ? EXPR_HINT : SYNTAX_HINT;
    const msg = what === 'expression' ? exprMessage(err.message) : err.message.replace(/^expected token 'end of print statement', got (.*)$/, 'expected }} after the expression, got $1 (missing operator, comma or quotes?)');
    const at = verbatim && loc ? { file: loc.file, line: loc.line + err.line, col: (err.line === 0 ? loc.col : 1) + err.col } : locAt(loc, err.line, err.col);
    return new InputError(`${what} syntax error: ${msg}`, at, hint);
  }
  if (err instanceof TplError) return new InputError(err.message, locAt(loc, err.line, 0), err.hint);
  return new InputError(`${what} error: ${(err as Error)?.message ?? String(err)}`, locAt(loc, 0, 0));
}

/**
 * Render `src` in `ctx` (also used for lazily rendered variables). A single {{ expr }} yields its
 * native value (possibly an Undef for the caller to report), anything else a string.
 */
export function renderIn(ctx: Ctx, src: string, loc: Loc | undefined): unknown {
  try {
    // line ends and the final newline as Jinja2 reads them, then as Ansible restores them (options.ts)
    // string literals inside {{ }} read as Ansible reads playbook strings (escape.ts)
    const body = parse(jinjaSource(escapeBackslashes(src)));
    const interp = new Interp(ctx);
    const one = single(body);
    if (!one) return typedText(src, interp.run(body, new Scope()));
    const v = interp.eval(one, new Scope());
    // None is rendered as '' (Ansible's finalize), except for a bare `{{ name }}`, whose value Ansible returns as is
    if ((v === null || v === undefined) && !BARE_NAME.test(src)) return restoreNewlines(src, body.length > 1 ? interp.run(body, new Scope()) : '');
    // "{{ x }}\n": a string keeps the whitespace around it, as Ansible does;
    // a list or dict stays native
    if (typeof v === 'string') {
      if (body.length > 1) return typedText(src, interp.run(body, new Scope()));
      return one.k === 'filter' && STRING_FILTERS.has(one.name) ? restoreNewlines(src, v) : typedText(src, v);
    }
    return v;
  } catch (err) {
    throw toInputError(err, loc);
  }
}

/** Filters whose string result Ansible keeps a string (its STRING_TYPE_FILTERS: NativeJinjaText). */
const STRING_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

/**
 * Ansible's ansible_eval_concat: a rendered string that looks like a list, a dict or a boolean
 * ('[1, 2]', "{'a': 1}", 'True') is read as a Python literal (JSON's true/false/null too); when it
 * is not one, it stays the string.
 */
export function typed(s: string): unknown {
  if (!(s.startsWith('{') || s.startsWith('[') || s === 'True' || s === 'False')) return s;
  const v = literalEval(s, true);
  return v === undefined ? s : v;
}

/** Ansible's order: the rendered text is typed, and a result that is still text gets its trailing newlines back. */
function typedText(src: string, out: string): unknown {
  const v = typed(out);
  return typeof v === 'string' ? restoreNewlines(src, v) : v;
}

/** Render at top level: the result is plain data (no views, no undefined values). */
export function renderTop(ctx: Ctx, src: string, loc: Loc | undefined): unknown {
  const v = renderIn(ctx, src, loc);
  try {
    return materialize(v);
  } catch (err) {
    throw toInputError(err, loc);
  }
}

/** Evaluate a bare expression (when:, until:...) at top level. */
export function evalTop(ctx: Ctx, expr: string, loc: Loc | undefined): unknown {
  let body: Stmt[];
  try {
    body = parse(`{{ ${expr} }}`);
  } catch (err) {
    if (err instanceof TemplateSyntaxError && err.line === 0) err.col = Math.max(0, err.col - 3);
    throw toInputError(err, loc, 'expression');
  }
  const one = single(body);
  if (!one) throw new InputError(`expression syntax error: '${expr}' is not a single expression`, locAt(loc, 0, 0), "write a bare expression such as 'x == 1 and y is defined'");
  try {
    return materialize(new Interp(ctx).eval(one, new Scope()));
  } catch (err) {
    throw toInputError(err, loc);
  }
}
