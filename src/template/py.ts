/** Python semantics for template values: truthiness, str()/repr(), ==, ordering, operators, json.dumps. */
import { Opaque, PyObject, TplError, TYPE_HINT, Undef, need } from './core.js';

/** A template-level error whose line is filled in by the interpreter. */
export function pyErr(message: string, hint?: string): TplError {
  return new TplError(message, hint, -1);
}

/** Arrays built from tuple literals `(a, b)` (for '%s %s' % (a, b)). */
export const TUPLES = new WeakSet<object>();

/** A dict: any non-array object that is not a template-internal value. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof Undef) &&
    !(v instanceof Opaque) &&
    !(v instanceof PyObject) &&
    !(v instanceof RegExp) &&
    !(v instanceof Date)
  );
}

/**
 * The value of own data property `key` of `obj`, the only way templates read objects: nothing
 * inherited (no prototype members), no accessors, no functions. Undefined when there is none.
 */
export function ownData(obj: object, key: string): { v: unknown } | undefined {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (!d || !('value' in d)) return undefined;
  const v = (obj as Record<string, unknown>)[key]; // through the lazy view, when obj is one
  return typeof v === 'function' || v === undefined ? undefined : { v };
}

/** Create an own data property (safe for keys such as __proto__). */
export function setKey(o: object, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export function pyTruth(v: unknown): boolean {
  if (v instanceof Undef) v.fail();
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  if (v instanceof PyObject) return v.truth();
  return true;
}

export function pyType(v: unknown): string {
  if (v instanceof Undef) return 'AnsibleUndefined';
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Opaque) return 'function';
  if (v instanceof PyObject) return v.typeName;
  if (isMapping(v)) return 'dict';
  return typeof v;
}

/** Python's repr() of a float (exponent form below 1e-4 and from 1e16). */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const [mant, e] = n.toExponential().split('e');
  const exp = Number(e);
  if (exp >= -4 && exp < 16) {
    const s = String(n);
    return /e/.test(s) ? n.toFixed(Math.max(0, mant.replace(/^-?\d\.?/, '').length - exp)) : s;
  }
  return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function numStr(n: number): string {
  return Number.isInteger(n) ? String(n) : pyFloatRepr(n);
}

function reprStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const c of s) {
    if (c === '\\') out += '\\\\';
    else if (c === q) out += '\\' + q;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c < ' ' || c === '\x7f') out += '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    else out += c;
  }
  return q + out + q;
}

export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return reprStr(v);
  if (Array.isArray(v) && TUPLES.has(v)) return v.length === 1 ? `(${pyRepr(v[0])},)` : '(' + Array.from(v, pyRepr).join(', ') + ')';
  if (Array.isArray(v)) return '[' + Array.from(v, pyRepr).join(', ') + ']';
  if (isMapping(v)) return '{' + Object.keys(v).map((k) => reprStr(k) + ': ' + pyRepr(v[k])).join(', ') + '}';
  if (v instanceof PyObject) return v.repr();
  return pyStr(v);
}

/** Python str(): True, None, [1, 'a'], {'k': 'v'}. */
export function pyStr(v: unknown): string {
  if (v instanceof Undef) v.fail();
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return numStr(v);
  if (v instanceof Opaque) return v.describe();
  if (v instanceof PyObject) return v.str();
  if (v instanceof RegExp) return `re.compile(${reprStr(v.source)})`;
  if (typeof v === 'function') return '<function>';
  if (typeof v !== 'object') return String(v);
  return pyRepr(v);
}

const isNum = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';

/** Python ==, deep for lists and dicts; True == 1. */
export function pyEq(a: unknown, b: unknown): boolean {
  need(a);
  need(b);
  if (isNum(a) && isNum(b)) return Number(a) === Number(b);
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && pyEq(a[k], b[k]));
  }
  if (a instanceof PyObject) return a.compare(b) === 0;
  return a === b;
}

/** Python ordering: -1/0/1, TypeError between unrelated types (as Jinja does). */
export function pyOrder(a: unknown, b: unknown, op = '<'): number {
  need(a);
  need(b);
  if (isNum(a) && isNum(b)) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = pyOrder(a[i], b[i], op);
      if (c) return c;
    }
    return a.length - b.length;
  }
  const c = a instanceof PyObject ? a.compare(b) : b instanceof PyObject ? -(b.compare(a) ?? NaN) : undefined;
  if (c !== undefined && !Number.isNaN(c)) return c;
  throw pyErr(`'${op}' not supported between instances of '${pyType(a)}' and '${pyType(b)}'`, TYPE_HINT);
}

export function pyCompare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
    case '===':
      return pyEq(a, b);
    case '!=':
    case '!==':
      return !pyEq(a, b);
    case '<':
      return pyOrder(a, b, op) < 0;
    case '>':
      return pyOrder(a, b, op) > 0;
    case '<=':
      return pyOrder(a, b, op) <= 0;
    case '>=':
      return pyOrder(a, b, op) >= 0;
    case 'in':
      return pyIn(a, b);
    case 'notin':
      return !pyIn(a, b);
  }
  throw pyErr(`unknown comparison operator ${op}`);
}

/** Python `in`. */
export function pyIn(item: unknown, container: unknown): boolean {
  need(item);
  need(container);
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw pyErr(`'in <string>' requires string as left operand, not ${pyType(item)}`, TYPE_HINT);
    return container.includes(item);
  }
  if (Array.isArray(container)) return Array.from(container).some((x) => pyEq(x, item));
  if (isMapping(container)) return (typeof item === 'string' || typeof item === 'number') && Object.prototype.hasOwnProperty.call(container, String(item));
  throw pyErr(`argument of type '${pyType(container)}' is not iterable`, TYPE_HINT);
}

export function pyLen(v: unknown): number {
  need(v);
  if (typeof v === 'string') return Array.from(v).length;
  if (Array.isArray(v)) return v.length;
  if (isMapping(v)) return Object.keys(v).length;
  throw pyErr(`object of type '${pyType(v)}' has no len()`, TYPE_HINT);
}

/** What a `for` loop iterates: list items, string characters, dict keys. */
export function pyIter(v: unknown): unknown[] {
  need(v);
  if (Array.isArray(v)) return Array.from(v);
  if (typeof v === 'string') return Array.from(v);
  if (isMapping(v)) return Object.keys(v);
  throw pyErr(`'${pyType(v)}' object is not iterable`, TYPE_HINT);
}

const MAX_LEN = 10_000_000;

function repeat(seq: string | unknown[], n: number): string | unknown[] {
  if (!Number.isInteger(n)) throw pyErr(`can't multiply sequence by non-int of type 'float'`, TYPE_HINT);
  if (seq.length * n > MAX_LEN) throw pyErr('result of * is too large');
  if (typeof seq === 'string') return n > 0 ? seq.repeat(n) : '';
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...seq);
  return out;
}

export function binop(op: string, a: unknown, b: unknown, percent: (fmt: string, args: unknown) => string): unknown {
  need(a);
  need(b);
  if (op === '~') return pyStr(a) + pyStr(b);
  const obj = a instanceof PyObject ? a.binop(op, b, false) : b instanceof PyObject ? b.binop(op, a, true) : undefined;
  if (obj !== undefined) return obj;
  const bad = () => pyErr(`unsupported operand type(s) for ${op}: '${pyType(a)}' and '${pyType(b)}'`, TYPE_HINT);
  if (isNum(a) && isNum(b)) {
    const x = Number(a);
    const y = Number(b);
    if (y === 0 && (op === '/' || op === '//' || op === '%')) throw pyErr('division by zero', 'guard the divisor, e.g. (x / y) if y else 0');
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y;
      case '//': return Math.floor(x / y);
      case '%': return ((x % y) + y) % y;
      case '**': return x ** y;
    }
    throw bad();
  }
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === '*') {
    if ((typeof a === 'string' || Array.isArray(a)) && typeof b === 'number') return repeat(a, b);
    if ((typeof b === 'string' || Array.isArray(b)) && typeof a === 'number') return repeat(b, a);
  }
  if (op === '%' && typeof a === 'string') return percent(a, b);
  throw bad();
}

function jsonStr(s: string, ascii: boolean): string {
  const out = JSON.stringify(s);
  return ascii ? out.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : out;
}

/** Python json.dumps (separators ', ' and ': ' without indent, ',' with indent). */
export function pyJson(v: unknown, indent: number | null, sortKeys: boolean, ascii = true, level = 0): string {
  need(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'string') return jsonStr(v, ascii);
  if (v instanceof PyObject) return pyJson(v.json(), indent, sortKeys, ascii, level);
  if (level > 200) throw pyErr('value is nested too deeply (circular reference?)');
  const open = indent === null ? '' : '\n' + ' '.repeat(indent * (level + 1));
  const close = indent === null ? '' : '\n' + ' '.repeat(indent * level);
  const sep = indent === null ? ', ' : ',';
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return '[' + open + Array.from(v, (x) => pyJson(x, indent, sortKeys, ascii, level + 1)).join(sep + open) + close + ']';
  }
  if (isMapping(v)) {
    const keys = Object.keys(v);
    if (sortKeys) keys.sort();
    if (!keys.length) return '{}';
    return '{' + open + keys.map((k) => jsonStr(k, ascii) + ': ' + pyJson(v[k], indent, sortKeys, ascii, level + 1)).join(sep + open) + close + '}';
  }
  return jsonStr(pyStr(v), ascii);
}
