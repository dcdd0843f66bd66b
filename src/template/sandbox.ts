/**
 * The template sandbox. Templates reach data only through getItem (own data properties of
 * dicts, list/string items) and callMethod (a whitelist of Python-like methods implemented
 * here). No JavaScript function value is ever returned to a template or called by it, and
 * names such as constructor / __proto__ are refused outright.
 */
import { Opaque, PyObject, SANDBOX_HINT, TplError, Undef, need, type Kw } from './core.js';
import { TUPLES, isMapping, ownData, pyEq, pyErr, pyStr, pyType } from './py.js';
import { pyCapitalize, pyFormat, pySplit, pySplitlines, pyStrip, pyTitle } from './pystr.js';

export const BLOCKED = new Set([
  'constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__',
  '__lookupSetter__', 'caller', 'callee', 'arguments', 'apply', 'bind', 'call', 'valueOf', 'toString',
  'toLocaleString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', '__class__', '__mro__',
  '__subclasses__', '__globals__', '__builtins__', '__init__', '__dict__', '__base__', '__bases__',
  'mro', 'func_globals', '__import__', '__code__', '__self__', '__func__', '__getattribute__',
]);

export function checkName(key: unknown, line: number): void {
  if (typeof key === 'string' && BLOCKED.has(key)) throw new TplError(`access to attribute '${key}' is not allowed in templates`, SANDBOX_HINT, line);
}

/**
 * obj[key] / obj.key with Jinja semantics: a missing attribute or item is Undef (an error only when used).
 * `desc` describes the object expression for messages ("foo", "foo.bar").
 */
export function getItem(obj: unknown, key: unknown, desc: () => string, line: number): unknown {
  checkName(key, line);
  if (obj instanceof Undef) return obj;
  const d = desc();
  const path = typeof key === 'number' ? `${d}[${key}]` : typeof key === 'string' && /^[A-Za-z_]\w*$/.test(key) ? `${d}.${key}` : `${d}[${JSON.stringify(key)}]`;
  const missing = (why: string) => new Undef(`undefined variable '${path}': ${why}`, line);
  if (obj === null || obj === undefined) return missing(`'${d}' is None`);
  if (typeof key === 'boolean') key = Number(key);
  if (obj instanceof PyObject && typeof key === 'string') {
    const v = obj.attr(key);
    return v !== undefined ? v : missing(`'${pyType(obj)} object' has no attribute '${key}'`);
  }
  if (typeof key === 'number' && (Array.isArray(obj) || typeof obj === 'string')) {
    const chars = typeof obj === 'string' ? Array.from(obj) : obj;
    const i = key < 0 ? chars.length + key : key;
    if (Number.isInteger(i) && i >= 0 && i < chars.length) return chars[i];
    return missing(`'${d}' has no item ${key} (length ${chars.length})`);
  }
  if ((typeof key === 'string' || typeof key === 'number') && isMapping(obj)) {
    const r = ownData(obj, String(key));
    if (r) return r.v;
    return missing(`'${d}' has no attribute ${JSON.stringify(String(key)).replace(/^"|"$/g, "'")}`);
  }
  if (typeof key === 'string' && !/^\d+$/.test(key)) return missing(`'${d}' (${pyType(obj)}) has no attribute '${key}'`);
  return missing(`'${d}' (${pyType(obj)}) has no item ${pyStr(key)}`);
}

/** Python slicing obj[start:stop:step] for lists and strings. */
export function pySlice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  need(obj);
  const isStr = typeof obj === 'string';
  if (!isStr && !Array.isArray(obj)) throw pyErr(`'${pyType(obj)}' object is not subscriptable`);
  const seq = isStr ? Array.from(obj) : Array.from(obj);
  const n = seq.length;
  const st = step === null || step === undefined ? 1 : Number(need(step));
  if (!Number.isInteger(st) || st === 0) throw pyErr('slice step must be a non-zero integer');
  const norm = (v: unknown, dflt: number, lo: number, hi: number) => {
    if (v === null || v === undefined) return dflt;
    let i = Number(need(v));
    if (!Number.isInteger(i)) throw pyErr('slice indices must be integers or None');
    if (i < 0) i += n;
    return Math.min(Math.max(i, lo), hi);
  };
  const out: unknown[] = [];
  if (st > 0) {
    for (let i = norm(start, 0, 0, n), e = norm(stop, n, 0, n); i < e; i += st) out.push(seq[i]);
  } else {
    for (let i = norm(start, n - 1, -1, n - 1), e = norm(stop, -1, -1, n - 1); i > e; i += st) out.push(seq[i]);
  }
  if (!isStr && TUPLES.has(obj as object)) TUPLES.add(out); // a tuple's slice is a tuple
  return isStr ? out.join('') : out;
}

type Method = (self: any, args: unknown[], kw: Kw) => unknown;

const str = (v: unknown) => (typeof v === 'string' ? v : pyStr(v));
const prefixes = (p: unknown) => (Array.isArray(p) ? Array.from(p, str) : [str(p)]);

const STR_METHODS: Record<string, Method> = {
  split: (s, a, kw) => pySplit(s, a[0] ?? kw.sep, a[1] ?? kw.maxsplit),
  startswith: (s: string, a) => prefixes(a[0]).some((p) => s.startsWith(p)),
  endswith: (s: string, a) => prefixes(a[0]).some((p) => s.endsWith(p)),
  strip: (s, a) => pyStrip(s, a[0]),
  lstrip: (s, a) => pyStrip(s, a[0], 'left'),
  rstrip: (s, a) => pyStrip(s, a[0], 'right'),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  title: (s) => pyTitle(s),
  capitalize: (s) => pyCapitalize(s),
  replace: (s: string, a) => {
    const [old, rep, count] = [str(a[0]), str(a[1]), a[2] === undefined ? -1 : Number(a[2])];
    const parts = s.split(old);
    if (count < 0 || parts.length - 1 <= count) return parts.join(rep);
    return parts.slice(0, count + 1).join(rep) + old + parts.slice(count + 1).join(old);
  },
  format: (s, a, kw) => pyFormat(s, a, kw),
  join: (s: string, a) => {
    const items = Array.isArray(a[0]) ? Array.from(a[0]) : typeof a[0] === 'string' ? Array.from(a[0]) : null;
    if (!items) throw pyErr(`can only join an iterable, not ${pyType(a[0])}`);
    return items.map(str).join(s);
  },
  find: (s: string, a) => s.indexOf(str(a[0])),
  rfind: (s: string, a) => s.lastIndexOf(str(a[0])),
  count: (s: string, a) => (str(a[0]) === '' ? s.length + 1 : s.split(str(a[0])).length - 1),
  splitlines: (s: string, a, kw) => pySplitlines(s, !!(a[0] ?? kw?.keepends)),
  isdigit: (s: string) => /^\d+$/.test(s),
  isalpha: (s: string) => /^\p{L}+$/u.test(s),
  isalnum: (s: string) => /^[\p{L}\d]+$/u.test(s),
  isspace: (s: string) => /^\s+$/.test(s),
  islower: (s: string) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s: string) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
};

const LIST_METHODS: Record<string, Method> = {
  index: (l: unknown[], a) => {
    const i = Array.from(l).findIndex((x) => pyEq(x, a[0]));
    if (i < 0) throw pyErr(`${pyStr(a[0])} is not in list`);
    return i;
  },
  count: (l: unknown[], a) => Array.from(l).filter((x) => pyEq(x, a[0])).length,
};

const DICT_METHODS: Record<string, Method> = {
  items: (d: Record<string, unknown>) => Object.keys(d).map((k) => [k, d[k]]),
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.keys(d).map((k) => d[k]),
  get: (d: Record<string, unknown>, a, kw) => {
    const r = ownData(d, str(a[0]));
    return r ? r.v : a[1] ?? kw.default ?? null;
  },
};

/** `loop` objects of {% for %}: loop.cycle('odd', 'even'). */
export const LOOPS = new WeakSet<object>();

/** obj.name(args) for whitelisted methods. */
export function callMethod(obj: unknown, name: string, args: unknown[], kw: Kw, desc: () => string, line: number): unknown {
  checkName(name, line);
  need(obj);
  let table: Record<string, Method> | undefined;
  if (typeof obj === 'string') table = STR_METHODS;
  else if (Array.isArray(obj)) table = LIST_METHODS;
  else if (obj && typeof obj === 'object' && LOOPS.has(obj) && name === 'cycle') return args[Number((obj as { index0?: unknown }).index0) % Math.max(1, args.length)];
  else if (isMapping(obj)) table = DICT_METHODS;
  if (obj instanceof PyObject) {
    for (const a of args) need(a);
    const r = obj.call(name, args, kw);
    if (r !== undefined) return r;
  }
  const m = table && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  if (m) {
    for (const a of args) need(a);
    return m(obj, args, kw);
  }
  if (obj instanceof Opaque) throw new TplError(`'${desc()}' has no method '${name}'`, SANDBOX_HINT, line);
  throw new TplError(`'${pyType(obj)}' object '${desc()}' has no method '${name}'`, SANDBOX_HINT, line);
}

