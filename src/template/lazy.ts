/**
 * Lazy variables (as Ansible): a variable whose value is a template string is rendered when it is
 * used, recursively, also inside nested dicts and lists (read through a read-only Proxy "view").
 * Values are rendered once per top-level call (cached in the Ctx); a variable that refers back to
 * itself is reported as a recursive loop. Objects passed to markUnsafe (registered results, facts)
 * are never templated.
 */
import type { Loc } from '../util/errors.js';
import { copyLoc, itemLocOf, valueLocOf } from '../yaml/load.js';
import { TplError, Undef, type Vars } from './core.js';
import { isMapping } from './py.js';

export function isTemplate(s: unknown): s is string {
  return typeof s === 'string' && (s.includes('{{') || s.includes('{%'));
}

const UNSAFE = new WeakSet<object>();
const VIEWS = new WeakSet<object>();

/** Never template strings inside `v` (for data coming from hosts: registered results, facts, stdout). */
export function markUnsafe<T>(v: T): T {
  if (v && typeof v === 'object') UNSAFE.add(v);
  return v;
}

/** Renders a template string in the context (set by interp.ts). */
export type RenderFn = (ctx: Ctx, s: string, loc: Loc | undefined) => unknown;

export interface Ctx {
  vars: Vars;
  /** Location of the template being rendered at top level. */
  loc?: Loc;
  render: RenderFn;
  /** Variable paths whose template is being rendered (loop detection). */
  stack: string[];
  top: Map<string, unknown>;
  memo: WeakMap<object, Map<string, unknown>>;
  views: WeakMap<object, object>;
}

export function newCtx(vars: Vars, loc: Loc | undefined, render: RenderFn): Ctx {
  return { vars, loc, render, stack: [], top: new Map(), memo: new WeakMap(), views: new WeakMap() };
}

export const NOT_FOUND = Symbol('not found');

/** Is `name` a variable (own or inherited, but nothing from Object.prototype, no functions)? */
export function hasVar(vars: Vars, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(vars, name)) return typeof vars[name] !== 'function';
  return name in vars && !(name in Object.prototype) && typeof vars[name] !== 'function';
}

/** Resolve a top-level variable, rendering it lazily. */
export function lookupVar(ctx: Ctx, name: string): unknown {
  if (ctx.top.has(name)) return ctx.top.get(name);
  if (!hasVar(ctx.vars, name)) return NOT_FOUND;
  const v = lazy(ctx, ctx.vars[name], name, valueLocOf(ctx.vars, name));
  ctx.top.set(name, v);
  return v;
}

const loopHint = 'a variable refers to itself through its template; give one of them a plain value';

function renderVar(ctx: Ctx, s: string, path: string, loc: Loc | undefined): unknown {
  if (ctx.stack.includes(path)) throw new TplError(`recursive loop detected in template for variable '${path}'`, loopHint, -1);
  if (ctx.stack.length > 200) throw new TplError(`variables nested too deeply while templating '${path}'`, loopHint, -1);
  ctx.stack.push(path);
  try {
    const v = ctx.render(ctx, s, loc);
    return v instanceof Undef ? new Undef(`${v.msg} (in the value of '${path}')`, v.line, v.hint) : v;
  } finally {
    ctx.stack.pop();
  }
}

function lazy(ctx: Ctx, v: unknown, path: string, loc: Loc | undefined): unknown {
  if (isTemplate(v)) return renderVar(ctx, v, path, loc);
  if (v && typeof v === 'object') return view(ctx, v, path);
  return v;
}

function view(ctx: Ctx, obj: object, path: string): object {
  if (UNSAFE.has(obj) || VIEWS.has(obj) || !(Array.isArray(obj) || isMapping(obj))) return obj;
  const known = ctx.views.get(obj);
  if (known) return known;
  const target = Object.isFrozen(obj) ? copyLoc(obj, Array.isArray(obj) ? [...obj] : { ...obj }) : obj;
  const isArr = Array.isArray(obj);
  const p = new Proxy(target, {
    get(t, k) {
      const v = Reflect.get(t, k);
      if (typeof k === 'symbol' || !Object.prototype.hasOwnProperty.call(t, k)) return v;
      if (!(v && typeof v === 'object') && !isTemplate(v)) return v;
      let memo = ctx.memo.get(t);
      if (!memo) ctx.memo.set(t, (memo = new Map()));
      if (memo.has(k)) return memo.get(k);
      const loc = isArr ? itemLocOf(t, Number(k)) : valueLocOf(t, k);
      const r = lazy(ctx, v, isArr ? `${path}[${k}]` : `${path}.${k}`, loc ?? ctx.loc);
      memo.set(k, r);
      return r;
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
  VIEWS.add(p);
  ctx.views.set(obj, p);
  return p;
}

/**
 * A plain deep copy of a result: views rendered, Undef reported, locations kept.
 * `fail` reports an Undef found inside.
 */
export function materialize(v: unknown, depth = 0): unknown {
  if (v instanceof Undef) v.fail();
  if (depth > 200) throw new TplError('value is nested too deeply (circular reference?)', undefined, -1);
  if (Array.isArray(v)) return copyLoc(v, Array.from(v, (x) => materialize(x, depth + 1)));
  if (isMapping(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: materialize(v[k], depth + 1), enumerable: true, writable: true, configurable: true });
    return copyLoc(v, out);
  }
  return v;
}
