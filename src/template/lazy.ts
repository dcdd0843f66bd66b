/**
 * Lazy variables (as Ansible): a variable whose value is a template string is rendered when it is
 * used, recursively, also inside nested dicts and lists (read through a read-only Proxy "view").
 * Values are rendered once per top-level call (cached in the Ctx); a variable that refers back to
 * itself is reported as a recursive loop. Unsafe data (unsafe.ts: host data, `!unsafe`) is never
 * templated, and reading it taints the render (Ctx.tainted): the result is unsafe too.
 */
import { InputError, type Loc } from '../util/errors.js';
import { copyLoc, itemLocOf, valueLocOf } from '../yaml/load.js';
import { Opaque, PyObject, TplError, Undef, type Vars } from './core.js';
import { TUPLES, isMapping } from './py.js';
import { isUnsafe, isUnsafeKey, markUnsafe } from './unsafe.js';
import { SECRET_VAR, addSecretLeaves, isSecretPath, sinkOf, type SecretSink } from '../util/secrets.js';

/** A string containing `{{` or `{%`. */
export function isTemplate(s: unknown): s is string {
  return typeof s === 'string' && (s.includes('{{') || s.includes('{%'));
}

/** What render() templates: isTemplate, plus `{#` comments (stripped, as in Ansible). */
export function hasJinja(s: unknown): s is string {
  return typeof s === 'string' && (s.includes('{{') || s.includes('{%') || s.includes('{#'));
}

const VIEWS = new WeakSet<object>();

/** Renders a template string in the context (set by interp.ts). */
export type RenderFn = (ctx: Ctx, s: string, loc: Loc | undefined) => unknown;

export interface Ctx {
  vars: Vars;
  /** Location of the template being rendered at top level. */
  loc?: Loc;
  render: RenderFn;
  /** Variable paths whose template is being rendered (loop detection). */
  stack: string[];
  top: Map<string, Read>;
  memo: WeakMap<object, Map<string, Read>>;
  views: WeakMap<object, object>;
  /** Unsafe data was read (since the last `tracked`): the result of the render is unsafe. */
  tainted: boolean;
  /** Lookups are refused (a condition whose text came from unsafe data, as Ansible does). */
  noLookups?: boolean;
  /** Records the value of a secret-named variable once read (rendered): the run's secrets. */
  secret?: SecretSink;
}

/** A variable read, and whether reading it tainted the render (cached together). */
interface Read {
  v: unknown;
  t: boolean;
}

export function newCtx(vars: Vars, loc: Loc | undefined, render: RenderFn): Ctx {
  return { vars, loc, render, stack: [], top: new Map(), memo: new WeakMap(), views: new WeakMap(), tainted: false, secret: sinkOf(vars) };
}

/** The value read from a secret-named variable (or under one) is a secret: all of it, as rendered. */
function noteSecret(ctx: Ctx, v: unknown): void {
  if (!ctx.secret || (v && typeof v === 'object' && VIEWS.has(v))) return; // a view: its leaves are noted as they are read
  try {
    addSecretLeaves(v, ctx.secret);
  } catch {
    /* a value that cannot be walked (a failing template inside) is not printed either */
  }
}

/** Run `fn`, reporting whether it read unsafe data (the taint also flows on into the enclosing render). */
export function tracked<T>(ctx: Ctx, fn: () => T): { v: T; t: boolean } {
  const before = ctx.tainted;
  ctx.tainted = false;
  try {
    const v = fn();
    return { v, t: ctx.tainted };
  } finally {
    ctx.tainted ||= before;
  }
}

/** A cached read: replays its taint. */
function replay(ctx: Ctx, r: Read): unknown {
  if (r.t) ctx.tainted = true;
  return r.v;
}

export const NOT_FOUND = Symbol('not found');

/** The value of variable `name` (own or inherited; nothing from Object.prototype, no functions, no JS undefined), or NOT_FOUND. */
export function readVar(vars: Vars, name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(vars, name) && (!(name in vars) || name in Object.prototype)) return NOT_FOUND;
  const v = vars[name];
  return typeof v === 'function' || v === undefined ? NOT_FOUND : v;
}

/** Resolve a top-level variable, rendering it lazily. */
export function lookupVar(ctx: Ctx, name: string): unknown {
  const hit = ctx.top.get(name);
  if (hit) return replay(ctx, hit);
  const raw = readVar(ctx.vars, name);
  if (raw === NOT_FOUND) return NOT_FOUND;
  const r = isUnsafeKey(ctx.vars, name) ? { v: raw, t: true } : tracked(ctx, () => lazy(ctx, raw, name, valueLocOf(ctx.vars, name) ?? ctx.loc));
  ctx.top.set(name, r);
  if (ctx.secret && SECRET_VAR.test(name)) noteSecret(ctx, r.v);
  return replay(ctx, r);
}

const TAGGED = new WeakSet<object>();
const loopHint = 'a variable refers to itself through its template; give one of them a plain value';

function renderVar(ctx: Ctx, s: string, path: string, loc: Loc | undefined): unknown {
  if (ctx.stack.includes(path)) throw new TplError(`recursive loop detected in template for variable '${path}'`, loopHint, -1);
  if (ctx.stack.length > 200) throw new TplError(`variables nested too deeply while templating '${path}'`, loopHint, -1);
  ctx.stack.push(path);
  try {
    const v = ctx.render(ctx, s, loc);
    return v instanceof Undef ? new Undef(`${v.msg} (in the value of '${path}')`, v.line, v.hint) : v;
  } catch (err) {
    if (err instanceof InputError && !TAGGED.has(err) && !err.message.startsWith('recursive loop')) {
      err.message += ` (in the value of '${path}')`;
      TAGGED.add(err);
    }
    throw err;
  } finally {
    ctx.stack.pop();
  }
}

function lazy(ctx: Ctx, v: unknown, path: string, loc: Loc | undefined): unknown {
  if (isUnsafe(v)) {
    ctx.tainted = true;
    return v;
  }
  if (hasJinja(v)) return renderVar(ctx, v, path, loc);
  if (v && typeof v === 'object') return view(ctx, v, path);
  return v;
}

function view(ctx: Ctx, obj: object, path: string): object {
  if (VIEWS.has(obj) || !(Array.isArray(obj) || isMapping(obj))) return obj;
  const known = ctx.views.get(obj);
  if (known) return known;
  const target = Object.isFrozen(obj) ? copyLoc(obj, Array.isArray(obj) ? [...obj] : { ...obj }) : obj;
  const isArr = Array.isArray(obj);
  const secretAll = !!ctx.secret && isSecretPath(path);
  const p = new Proxy(target, {
    get(t, k) {
      const v = Reflect.get(t, k);
      if (typeof k === 'symbol' || !Object.prototype.hasOwnProperty.call(t, k)) return v;
      const secret = !!ctx.secret && (secretAll || (!isArr && SECRET_VAR.test(k)));
      if (isUnsafeKey(obj, k)) {
        ctx.tainted = true;
        if (secret) noteSecret(ctx, v);
        return v;
      }
      if (!(v && typeof v === 'object') && !hasJinja(v)) {
        if (secret) noteSecret(ctx, v);
        return v;
      }
      let memo = ctx.memo.get(t);
      if (!memo) ctx.memo.set(t, (memo = new Map()));
      const hit = memo.get(k);
      if (hit) return replay(ctx, hit);
      const loc = isArr ? itemLocOf(t, Number(k)) : valueLocOf(t, k);
      const r = tracked(ctx, () => lazy(ctx, v, isArr ? `${path}[${k}]` : `${path}.${k}`, loc ?? ctx.loc));
      memo.set(k, r);
      if (secret) noteSecret(ctx, r.v);
      return r.v;
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
  if (v instanceof Opaque) throw new TplError(`${v.describe()} is a function, not a value`, 'call it, e.g. range(3), or remove it', -1);
  if (depth > 200) throw new TplError('value is nested too deeply (circular reference?)', undefined, -1);
  if (v instanceof PyObject) return v.str(); // a datetime leaves the template as its str(), as in Ansible
  let out: unknown[] | Record<string, unknown>;
  if (Array.isArray(v)) out = Array.from(v, (x) => materialize(x, depth + 1));
  else if (isMapping(v)) {
    out = {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: materialize(v[k], depth + 1), enumerable: true, writable: true, configurable: true });
  } else return v;
  if (isUnsafe(v)) markUnsafe(out);
  if (TUPLES.has(v as object)) TUPLES.add(out); // str() of a tuple stays (a, b)
  return copyLoc(v, out);
}
