/**
 * The template evaluator: walks the AST (ast.ts) with Python/Jinja2 semantics.
 * Data access goes through sandbox.ts; callables are only filters, tests, GLOBALS, whitelisted
 * methods and macros defined in the template itself.
 */
import { PatternError } from '../util/pyre.js';
import type { Expr, Kwargs, Stars, Stmt } from './ast.js';
import { InputError } from '../util/errors.js';
import { Opaque, SANDBOX_HINT, TYPE_HINT, TplError, Undef, need, type Kw } from './core.js';
import { NOT_FOUND, lookupVar, tracked, type Ctx } from './lazy.js';
import { TUPLES, binop, isMapping, pyCompare, pyErr, pyIn, pyIter, pyStr, pyTruth, pyType, setKey } from './py.js';
import { pyPercent } from './pystr.js';
import { LOOPS, callMethod, checkName, getItem, pySlice } from './sandbox.js';
import { SCALAR_FILTERS, UNDEF_OK_FILTERS } from './filters.js';
import { LIST_FILTERS } from './filters-list.js';
import { MATH_FILTERS } from './filters-math.js';
import { TEXT_FILTERS } from './filters-text.js';
import { WEB_FILTERS } from './filters-web.js';
import { PATH_FILTERS } from './filters-path.js';
import { DATA_FILTERS } from './filters-data.js';
import { CRYPT_FILTERS } from './crypt.js';
import { VAULT_FILTERS } from './filters-vault.js';
import { TESTS, UNDEF_OK_TESTS } from './jtests.js';
import { GLOBALS, GlobalRef, NAMESPACES } from './globals.js';
import type { FEnv, FilterFn, TestFn } from './types.js';

const table = <T>(...parts: Record<string, T>[]): Record<string, T> => Object.freeze(Object.assign(Object.create(null), ...parts));
const FILTERS = table<FilterFn>(SCALAR_FILTERS, LIST_FILTERS, MATH_FILTERS, TEXT_FILTERS, WEB_FILTERS, PATH_FILTERS, DATA_FILTERS, CRYPT_FILTERS, VAULT_FILTERS);
const TEST_FNS = table<TestFn>(TESTS);
const GLOBAL_FNS = table(GLOBALS);
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export const FILTER_NAMES = Object.keys(FILTERS);
export const TEST_NAMES = Object.keys(TEST_FNS);

const CONSTS: Record<string, unknown> = { True: true, False: false, None: null };
const MAX_DEPTH = 100;

export class Scope {
  private vars = new Map<string, unknown>();
  constructor(readonly parent?: Scope) {}
  get(name: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
    return NOT_FOUND;
  }
  set(name: string, v: unknown): void {
    this.vars.set(name, v);
  }
}

type MacroDef = Extract<Stmt, { k: 'macro' }>;

class Macro extends Opaque {
  constructor(readonly def: MacroDef, readonly scope: Scope) {
    super();
  }
  describe(): string {
    return `<macro ${this.def.name}>`;
  }
}

/** Give errors thrown without a position (line -1) the line of the node being evaluated. */
function atLine(err: unknown, line: number): unknown {
  if (err instanceof TplError) {
    if (err.line < 0) err.line = line;
    return err;
  }
  if (err instanceof InputError) return err;
  if (err instanceof PatternError) return new TplError(err.message, err.hint, line);
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new TplError('template nesting too deep', undefined, line);
  return new TplError(`template error: ${(err as Error)?.message ?? String(err)}`, undefined, line);
}

/** A readable name of an expression for messages: foo, foo.bar, foo[0]. */
export function describe(e: Expr): string {
  switch (e.k) {
    case 'name':
      return e.name;
    case 'lit':
      return typeof e.v === 'string' ? `'${e.v}'` : pyStr(e.v);
    case 'get': {
      const o = describe(e.obj);
      if (e.key.k === 'lit' && typeof e.key.v === 'string' && /^[A-Za-z_]\w*$/.test(e.key.v)) return `${o}.${e.key.v}`;
      return `${o}[${describe(e.key)}]`;
    }
    case 'filter':
      return `(${describe(e.value)} | ${e.name})`;
    case 'call':
      return `${describe(e.fn)}(...)`;
    default:
      return '(expression)';
  }
}

export class Interp implements FEnv {
  private depth = 0;
  constructor(readonly ctx: Ctx) {}

  run(body: Stmt[], scope: Scope): string {
    const out: string[] = [];
    this.exec(body, scope, out);
    return out.join('');
  }

  private exec(body: Stmt[], sc: Scope, out: string[]): void {
    for (const s of body) {
      try {
        this.stmt(s, sc, out);
      } catch (err) {
        throw atLine(err, s.line);
      }
    }
  }

  private stmt(s: Stmt, sc: Scope, out: string[]): void {
    switch (s.k) {
      case 'text':
        out.push(s.text);
        return;
      case 'out': {
        const v = need(this.eval(s.e, sc));
        out.push(v === null || v === undefined ? '' : typeof v === 'string' ? v : pyStr(v));
        return;
      }
      case 'if':
        this.exec(pyTruth(this.eval(s.test, sc)) ? s.body : s.else_, sc, out);
        return;
      case 'for':
        this.forLoop(s, sc, out);
        return;
      case 'set': {
        const val = s.value ? this.eval(s.value, sc) : this.run(s.body ?? [], sc);
        if (s.targets.length === 1) return this.assign(s.targets[0], val, sc);
        const vals = need(val);
        if (!Array.isArray(vals) || vals.length !== s.targets.length) throw pyErr(`cannot unpack ${pyType(vals)} into ${s.targets.length} names`);
        s.targets.forEach((t, i) => this.assign(t, vals[i], sc));
        return;
      }
      case 'macro':
        sc.set(s.name, new Macro(s, sc));
        return;
    }
  }

  private assign(t: Expr, val: unknown, sc: Scope): void {
    if (t.k === 'name') return sc.set(t.name, val);
    if (t.k === 'get' && t.key.k === 'lit' && typeof t.key.v === 'string') {
      checkName(t.key.v, t.line);
      const obj = this.eval(t.obj, sc);
      if (obj && typeof obj === 'object' && NAMESPACES.has(obj)) return setKey(obj, t.key.v, val);
      throw new TplError(`cannot assign attribute on non-namespace object '${describe(t.obj)}'`, "use '{% set ns = namespace(x=...) %}' and '{% set ns.x = ... %}'", t.line);
    }
    throw new TplError(`cannot assign to ${describe(t)}`, undefined, t.line);
  }

  private forLoop(s: Extract<Stmt, { k: 'for' }>, sc: Scope, out: string[]): void {
    const it = this.eval(s.iter, sc);
    let items = s.names.length === 2 && isMapping(it) ? Object.keys(it).map((k) => [k, it[k]]) : pyIter(it);
    const bind = (t: Scope, item: unknown) => {
      if (s.names.length === 1) return t.set(s.names[0], item);
      need(item);
      if (!Array.isArray(item) || item.length !== s.names.length) throw pyErr(`cannot unpack ${pyType(item)} ${pyStr(item)} into ${s.names.length} loop variables`);
      s.names.forEach((n, i) => t.set(n, item[i]));
    };
    if (s.filter) {
      const f = s.filter;
      items = items.filter((item) => {
        const t = new Scope(sc);
        bind(t, item);
        return pyTruth(this.eval(f, t));
      });
    }
    if (!items.length) return this.exec(s.else_, sc, out);
    const n = items.length;
    items.forEach((item, i) => {
      const t = new Scope(sc);
      bind(t, item);
      const loop: Record<string, unknown> = { index: i + 1, index0: i, revindex: n - i, revindex0: n - i - 1, first: i === 0, last: i === n - 1, length: n, depth: 1, depth0: 0 };
      if (i > 0) loop.previtem = items[i - 1];
      if (i < n - 1) loop.nextitem = items[i + 1];
      LOOPS.add(loop);
      t.set('loop', loop);
      this.exec(s.body, t, out);
    });
  }

  eval(e: Expr, sc: Scope): unknown {
    try {
      return this.ev(e, sc);
    } catch (err) {
      throw atLine(err, e.line);
    }
  }

  private ev(e: Expr, sc: Scope): unknown {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'name':
        return this.name(e.name, e.line, sc);
      case 'list': {
        const l = e.items.map((x) => this.eval(x, sc));
        if (e.tuple) TUPLES.add(l);
        return l;
      }
      case 'dict': {
        const o = {};
        for (const [k, v] of e.pairs) {
          const key = need(this.eval(k, sc));
          setKey(o, typeof key === 'string' ? key : pyStr(key), this.eval(v, sc));
        }
        return o;
      }
      case 'get': {
        const obj = this.eval(e.obj, sc);
        const r = getItem(obj, need(this.eval(e.key, sc)), () => describe(e.obj), e.line);
        return r instanceof Undef ? r.at(e.line) : r;
      }
      case 'slice': {
        const opt = (x: Expr | null) => (x ? this.eval(x, sc) : null);
        return pySlice(this.eval(e.obj, sc), opt(e.start), opt(e.stop), opt(e.step));
      }
      case 'call':
        return this.call(e, sc);
      case 'filter': {
        if (!has(FILTERS, e.name)) throw new TplError(`no filter named '${e.name}'`, 'check the spelling; kvplay implements the common Jinja2/Ansible filters', e.line);
        const value = this.eval(e.value, sc);
        const { args, kw } = this.callArgs(e, sc);
        return this.filter(e.name, value, args, kw);
      }
      case 'test': {
        if (!has(TEST_FNS, e.name)) throw new TplError(`no test named '${e.name}'`, 'check the spelling of the test after "is"', e.line);
        const value = this.eval(e.value, sc);
        const { args, kw } = this.callArgs(e, sc);
        return this.test(e.name, value, args, kw);
      }
      case 'not':
        return !pyTruth(this.eval(e.e, sc));
      case 'neg':
      case 'pos': {
        const v = need(this.eval(e.e, sc));
        if (typeof v !== 'number' && typeof v !== 'boolean') throw pyErr(`bad operand type for unary ${e.k === 'neg' ? '-' : '+'}: '${pyType(v)}'`);
        return e.k === 'neg' ? -Number(v) : Number(v);
      }
      case 'and': {
        const l = this.eval(e.l, sc);
        return pyTruth(l) ? this.eval(e.r, sc) : l;
      }
      case 'or': {
        const l = this.eval(e.l, sc);
        return pyTruth(l) ? l : this.eval(e.r, sc);
      }
      case 'cond':
        if (pyTruth(this.eval(e.test, sc))) return this.eval(e.then, sc);
        if (e.else_) return this.eval(e.else_, sc);
        return new Undef('the inline if-expression evaluated to false and has no else branch', e.line, "add an else: '{{ a if cond else b }}'");
      case 'bin':
        return binop(e.op, this.eval(e.l, sc), this.eval(e.r, sc), pyPercent);
      case 'cmp': {
        let left = this.eval(e.first, sc);
        for (const [op, x] of e.ops) {
          const right = this.eval(x, sc);
          if (!pyCompare(op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'in':
        return pyIn(this.eval(e.l, sc), this.eval(e.r, sc));
      case 'capture':
        return this.run(e.body, sc);
      case 'caller': // the body of a {% call %} block
        return new Macro({ ...e, k: 'macro', name: 'caller' }, sc);
    }
  }

  private name(n: string, line: number, sc: Scope): unknown {
    if (has(CONSTS, n)) return CONSTS[n];
    const local = sc.get(n);
    if (local !== NOT_FOUND) return local;
    const v = lookupVar(this.ctx, n);
    if (v !== NOT_FOUND) return v instanceof Undef ? v.at(line) : v;
    if (has(GLOBAL_FNS, n)) return new GlobalRef(n);
    return new Undef(`undefined variable '${n}'`, line);
  }

  private kwargs(kw: [string, Expr][], sc: Scope): Kw {
    const out: Kw = Object.create(null);
    for (const [k, v] of kw) out[k] = this.eval(v, sc);
    return out;
  }

  /** The arguments of a call, filter or test: positional, keyword, then `*args` and `**kwargs` unpacked (Python's rules). */
  private callArgs(e: { args: Expr[]; kw: Kwargs } & Stars, sc: Scope, taint?: boolean[]): { args: unknown[]; kw: Kw } {
    // with `taint`: whether each positional argument read unsafe data (lookup terms)
    const ev = (x: Expr) => {
      if (!taint) return this.eval(x, sc);
      const r = tracked(this.ctx, () => this.eval(x, sc));
      taint.push(r.t);
      return r.v;
    };
    const args = e.args.map(ev);
    const kw = this.kwargs(e.kw, sc);
    if (e.star) {
      const v = need(ev(e.star));
      if (taint) taint.push(...Array.from({ length: pyIter(v).length - 1 }, () => taint[taint.length - 1]));
      if (typeof v !== 'string' && !Array.isArray(v) && !isMapping(v)) throw pyErr(`Value after * must be an iterable, not ${pyType(v)}`, TYPE_HINT);
      args.push(...pyIter(v));
    }
    if (e.dstar) {
      const v = need(this.eval(e.dstar, sc));
      if (!isMapping(v)) throw pyErr(`argument after ** must be a mapping, not ${pyType(v)}`, TYPE_HINT);
      for (const k of Object.keys(v)) {
        if (has(kw, k)) throw pyErr(`got multiple values for keyword argument '${k}'`);
        kw[k] = v[k];
      }
    }
    return { args, kw };
  }

  private call(e: Extract<Expr, { k: 'call' }>, sc: Scope): unknown {
    const fnx = e.fn;
    if (fnx.k === 'get' && fnx.key.k === 'lit' && typeof fnx.key.v === 'string') {
      const name = fnx.key.v;
      checkName(name, e.line);
      const obj = this.eval(fnx.obj, sc);
      const { args, kw } = this.callArgs(e, sc);
      return callMethod(obj, name, args, kw, () => describe(fnx.obj), e.line);
    }
    const fn = this.eval(fnx, sc);
    const taint: boolean[] = [];
    const { args, kw } = this.callArgs(e, sc, fn instanceof GlobalRef ? taint : undefined);
    if (fn instanceof GlobalRef && has(GLOBAL_FNS, fn.name)) {
      const r = GLOBAL_FNS[fn.name](this, args, kw, taint);
      return r instanceof Undef ? r.at(e.line) : r;
    }
    if (fn instanceof Macro) return this.callMacro(fn, args, kw, e.line);
    if (fn instanceof Undef) fn.fail();
    throw new TplError(`'${describe(fnx)}' is not callable`, SANDBOX_HINT, e.line);
  }

  private callMacro(m: Macro, args: unknown[], kw: Kw, line: number): string {
    if (this.depth >= MAX_DEPTH) throw new TplError(`macro '${m.def.name}' recursion too deep`, undefined, line);
    this.depth++;
    try {
      const t = new Scope(m.scope);
      const { params, defaults, name } = m.def;
      params.forEach((p, i) => t.set(p, i < args.length ? args[i] : has(kw, p) ? kw[p] : new Undef(`macro '${name}': missing argument '${p}'`, line)));
      defaults.forEach(([p, dx], j) => {
        const i = params.length + j;
        t.set(p, i < args.length ? args[i] : has(kw, p) ? kw[p] : this.eval(dx, t));
      });
      t.set('varargs', args.slice(params.length + defaults.length));
      const names = new Set([...params, ...defaults.map((d) => d[0])]);
      const caller = kw.caller instanceof Macro && !names.has('caller'); // a {% call %} block's body
      if (caller) t.set('caller', kw.caller);
      const extra = {};
      for (const k of Object.keys(kw)) if (!names.has(k) && !(caller && k === 'caller')) setKey(extra, k, kw[k]);
      t.set('kwargs', extra);
      return this.run(m.def.body, t);
    } finally {
      this.depth--;
    }
  }

  has(kind: 'filter' | 'test', name: string): boolean {
    return has(kind === 'filter' ? FILTERS : TEST_FNS, name);
  }

  /** Apply a filter by name (also used by map()). */
  filter(name: string, v: unknown, args: unknown[], kw: Kw): unknown {
    if (!has(FILTERS, name)) throw pyErr(`no filter named '${name}'`);
    if (!UNDEF_OK_FILTERS.has(name)) {
      need(v);
      args.forEach(need);
      Object.values(kw).forEach(need);
    }
    try {
      return FILTERS[name](this, v, args, kw);
    } catch (err) {
      if (err instanceof TplError || err instanceof InputError) throw err;
      throw pyErr(`filter '${name}' failed on ${pyType(v)}: ${(err as Error)?.message ?? err}`);
    }
  }

  /** Apply a test by name (also used by select()). */
  test(name: string, v: unknown, args: unknown[], kw: Kw): boolean {
    if (!has(TEST_FNS, name)) throw pyErr(`no test named '${name}'`);
    if (!UNDEF_OK_TESTS.has(name)) {
      need(v);
      args.forEach(need);
    }
    try {
      return TEST_FNS[name](this, v, args, kw) === true;
    } catch (err) {
      if (err instanceof TplError || err instanceof InputError) throw err;
      throw pyErr(`test '${name}' failed on ${pyType(v)}: ${(err as Error)?.message ?? err}`);
    }
  }
}
