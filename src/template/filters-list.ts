/** Filters on lists and dicts: first/last, set operations, sort, map/select, combine, dict2items... */
import { Undef, need, type Kw } from './core.js';
import { TUPLES, isMapping, pyErr, pyEq, pyIter, pyLen, pyOrder, pyStr, pyTruth, pyType, setKey, binop } from './py.js';
import { pyPercent } from './pystr.js';
import { getItem } from './sandbox.js';
import { arg, type FEnv, type FilterFn } from './types.js';

const desc = () => 'item';
const tuple = <T extends unknown[]>(t: T): T => (TUPLES.add(t), t);

/**
 * Ansible 2.14's unique: Jinja2's (case-insensitive unless case_sensitive, by attribute), which
 * hashes the keys; on an unhashable key (a list or dict) Ansible falls back to its own
 * case-sensitive unique by ==, unless case_sensitive=false or an attribute was given.
 */
function uniqueFilter(items: unknown[], cs: unknown, at: unknown): unknown[] {
  const byAttr = at !== undefined && at !== null;
  const keys = items.map((x) => (byAttr ? need(attr(x, at)) : x));
  if (keys.some((k) => Array.isArray(k) || isMapping(k))) {
    if (cs === false || byAttr) throw pyErr("Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied. unhashable type: '" + pyType(keys.find((k) => Array.isArray(k) || isMapping(k))) + "'");
    return unique(items);
  }
  const seen = new PySet();
  return items.filter((_x, i) => {
    const k = !pyTruth(cs ?? false) && typeof keys[i] === 'string' ? (keys[i] as string).toLowerCase() : keys[i];
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Jinja's attribute getter: 'a.b.0'; missing → dflt (or Undef). */
function attr(x: unknown, path: unknown, dflt?: unknown): unknown {
  let cur = x;
  for (const part of String(path).split('.')) {
    cur = getItem(cur, /^-?\d+$/.test(part) ? Number(part) : part, desc, -1);
    if (cur instanceof Undef) return dflt !== undefined ? dflt : cur;
  }
  return cur;
}

function mapping(v: unknown, name: string): Record<string, unknown> {
  need(v);
  if (!isMapping(v)) throw pyErr(`${name}: expected a dict, got ${pyType(v)}`);
  return v;
}
function list(v: unknown, name: string): unknown[] {
  need(v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') throw pyErr(`${name}: expected a list, got ${pyType(v)}`);
  return pyIter(v);
}

const primKey = (x: unknown): string | null =>
  x === null || x === undefined ? 'none' : typeof x === 'boolean' || typeof x === 'number' ? 'n:' + Number(x) : typeof x === 'string' ? 's:' + x : null;

/** Membership by Python == (fast for scalars). */
class PySet {
  private keys = new Set<string>();
  private objs: unknown[] = [];
  constructor(items: unknown[] = []) {
    items.forEach((i) => this.add(i));
  }
  has(x: unknown): boolean {
    const k = primKey(x);
    return k !== null ? this.keys.has(k) : this.objs.some((o) => pyEq(o, x));
  }
  add(x: unknown): void {
    const k = primKey(x);
    if (k !== null) this.keys.add(k);
    else this.objs.push(x);
  }
}

function unique(items: unknown[]): unknown[] {
  const seen = new PySet();
  return items.filter((x) => (seen.has(x) ? false : (seen.add(x), true)));
}

function sortKey(caseSensitive: unknown, attribute: unknown) {
  return (x: unknown) => {
    const v = attribute !== undefined && attribute !== null ? need(attr(x, attribute)) : x;
    return !caseSensitive && typeof v === 'string' ? v.toLowerCase() : v;
  };
}

function minmax(v: unknown, a: unknown[], kw: Kw, sign: number, name: string): unknown {
  const items = list(v, name);
  if (!items.length) return new Undef(`${name}: the sequence is empty`, -1);
  const key = sortKey(arg(a, kw, 0, 'case_sensitive', false), arg(a, kw, 1, 'attribute'));
  return items.reduce((best, x) => (sign * pyOrder(key(x), key(best)) > 0 ? x : best));
}

function combine2(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) setKey(out, k, a[k]);
  for (const k of Object.keys(b)) {
    const x = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
    const y = b[k];
    if (recursive && isMapping(x) && isMapping(y)) setKey(out, k, combine2(x, y, recursive, listMerge));
    else if (Array.isArray(x) && Array.isArray(y) && listMerge !== 'replace') {
      const ys = new PySet(y);
      const merged: Record<string, () => unknown[]> = {
        keep: () => x,
        append: () => [...x, ...y],
        prepend: () => [...y, ...x],
        append_rp: () => [...x.filter((i) => !ys.has(i)), ...y],
        prepend_rp: () => [...y, ...x.filter((i) => !ys.has(i))],
      };
      if (!merged[listMerge]) throw pyErr(`combine: invalid list_merge '${listMerge}'`, 'use replace, keep, append, prepend, append_rp or prepend_rp');
      setKey(out, k, merged[listMerge]());
    } else setKey(out, k, y);
  }
  return out;
}

function flatten(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of items) {
    if (skipNulls && (x === null || x === undefined || x === 'None' || x === 'null')) continue;
    if (Array.isArray(x) && (levels === null || levels > 0)) out.push(...flatten(Array.from(x), levels === null ? null : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

function selectBy(e: FEnv, items: unknown[], get: (x: unknown) => unknown, a: unknown[], kw: Kw, keep: boolean): unknown[] {
  if (!a.length) return items.filter((x) => pyTruth(get(x)) === keep);
  const [test, ...rest] = a;
  return items.filter((x) => e.test(String(test), get(x), rest, kw) === keep);
}

export const LIST_FILTERS: Record<string, FilterFn> = {
  length: (_e, v) => pyLen(v),
  first: (_e, v) => {
    const l = list(v, 'first');
    return l.length ? l[0] : new Undef('first: the sequence is empty', -1);
  },
  last: (_e, v) => {
    const l = list(v, 'last');
    return l.length ? l[l.length - 1] : new Undef('last: the sequence is empty', -1);
  },
  list: (_e, v) => list(v, 'list'),
  unique: (_e, v, a, kw) => uniqueFilter(list(v, 'unique'), arg(a, kw, 0, 'case_sensitive', null), arg(a, kw, 1, 'attribute')),
  union: (_e, v, a) => unique([...list(v, 'union'), ...list(a[0], 'union')]),
  intersect: (_e, v, a) => {
    const other = new PySet(list(a[0], 'intersect'));
    return unique(list(v, 'intersect').filter((x) => other.has(x)));
  },
  difference: (_e, v, a) => {
    const other = new PySet(list(a[0], 'difference'));
    return unique(list(v, 'difference').filter((x) => !other.has(x)));
  },
  symmetric_difference: (_e, v, a) => {
    const [x, y] = [list(v, 'symmetric_difference'), list(a[0], 'symmetric_difference')];
    const [sx, sy] = [new PySet(x), new PySet(y)];
    return unique([...x.filter((i) => !sy.has(i)), ...y.filter((i) => !sx.has(i))]);
  },
  sort: (_e, v, a, kw) => {
    const key = sortKey(arg(a, kw, 1, 'case_sensitive', false), arg(a, kw, 2, 'attribute'));
    const rev = pyTruth(arg(a, kw, 0, 'reverse', false)) ? -1 : 1;
    return list(v, 'sort')
      .map((x) => ({ x, k: key(x) }))
      .sort((p, q) => rev * pyOrder(p.k, q.k))
      .map((p) => p.x);
  },
  dictsort: (_e, v, a, kw) => {
    const d = mapping(v, 'dictsort');
    const byValue = arg(a, kw, 1, 'by', 'key') === 'value';
    const cs = arg(a, kw, 0, 'case_sensitive', false);
    const key = (x: unknown) => (!cs && typeof x === 'string' ? x.toLowerCase() : x);
    const rev = pyTruth(arg(a, kw, 2, 'reverse', false)) ? -1 : 1;
    return Object.keys(d)
      .map((k) => tuple([k, d[k]]))
      .sort((p, q) => rev * pyOrder(key(p[byValue ? 1 : 0]), key(q[byValue ? 1 : 0])));
  },
  reverse: (_e, v) => (typeof v === 'string' ? Array.from(v).reverse().join('') : list(v, 'reverse').reverse()),
  min: (_e, v, a, kw) => minmax(v, a, kw, -1, 'min'),
  max: (_e, v, a, kw) => minmax(v, a, kw, 1, 'max'),
  sum: (_e, v, a, kw) => {
    const at = arg(a, kw, 0, 'attribute');
    const items = list(v, 'sum').map((x) => (at === undefined || at === null ? x : need(attr(x, at))));
    return items.reduce((acc, x) => binop('+', acc, x, pyPercent), arg(a, kw, 1, 'start', 0));
  },
  join: (_e, v, a, kw) => {
    const at = arg(a, kw, 1, 'attribute');
    return list(v, 'join')
      .map((x) => pyStr(at === undefined || at === null ? x : attr(x, at)))
      .join(pyStr(arg(a, kw, 0, 'd', '')));
  },
  map: (e, v, a, kw) => {
    const items = list(v, 'map');
    if (Object.prototype.hasOwnProperty.call(kw, 'attribute')) return items.map((x) => attr(x, kw.attribute, kw.default));
    if (!a.length) throw pyErr('map: give a filter name or attribute=...', "e.g. map('upper') or map(attribute='name')");
    const [name, ...rest] = a;
    return items.map((x) => e.filter(String(name), x, rest, kw));
  },
  select: (e, v, a, kw) => selectBy(e, list(v, 'select'), (x) => x, a, kw, true),
  reject: (e, v, a, kw) => selectBy(e, list(v, 'reject'), (x) => x, a, kw, false),
  selectattr: (e, v, a, kw) => selectBy(e, list(v, 'selectattr'), (x) => attr(x, a[0]), a.slice(1), kw, true),
  rejectattr: (e, v, a, kw) => selectBy(e, list(v, 'rejectattr'), (x) => attr(x, a[0]), a.slice(1), kw, false),
  dict2items: (_e, v, a, kw) => {
    const d = mapping(v, 'dict2items');
    const [kn, vn] = [String(arg(a, kw, 0, 'key_name', 'key')), String(arg(a, kw, 1, 'value_name', 'value'))];
    return Object.keys(d).map((k) => {
      const o = {};
      setKey(o, kn, k);
      setKey(o, vn, d[k]);
      return o;
    });
  },
  items2dict: (_e, v, a, kw) => {
    const [kn, vn] = [String(arg(a, kw, 0, 'key_name', 'key')), String(arg(a, kw, 1, 'value_name', 'value'))];
    const out = {};
    for (const it of list(v, 'items2dict')) setKey(out, pyStr(need(attr(it, kn))), need(attr(it, vn)));
    return out;
  },
  items: (_e, v) => {
    const d = mapping(v, 'items');
    return Object.keys(d).map((k) => tuple([k, d[k]]));
  },
  combine: (_e, v, a, kw) => {
    const bad = Object.keys(kw).filter((k) => k !== 'recursive' && k !== 'list_merge');
    if (bad.length) throw pyErr("'recursive' and 'list_merge' are the only valid keyword arguments", `not: ${bad.join(', ')}`);
    const dicts = [v, ...a].flatMap((d) => (Array.isArray(d) ? Array.from(d) : [d])).map((d) => mapping(d, 'combine'));
    const rec = pyTruth(kw.recursive ?? false);
    const lm = String(kw.list_merge ?? 'replace');
    return dicts.reduce((acc, d) => combine2(acc, d, rec, lm), {});
  },
  zip: (_e, v, a) => {
    const lists = [v, ...a].map((x) => list(x, 'zip'));
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => l[i])));
  },
  zip_longest: (_e, v, a, kw) => {
    const lists = [v, ...a].map((x) => list(x, 'zip_longest'));
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => (i < l.length ? l[i] : kw.fillvalue ?? null))));
  },
  flatten: (_e, v, a, kw) => {
    const lv = arg(a, kw, 0, 'levels', null);
    return flatten(list(v, 'flatten'), lv === null || lv === undefined ? null : Number(lv), arg(a, kw, 1, 'skip_nulls', true) !== false);
  },
  batch: (_e, v, a, kw) => {
    const items = list(v, 'batch');
    const n = Number(arg(a, kw, 0, 'linecount'));
    if (!(n > 0)) throw pyErr('batch: the size must be a positive number');
    const fill = arg(a, kw, 1, 'fill_with', null);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
    const lastb = out[out.length - 1];
    if (fill !== null && lastb) while (lastb.length < n) lastb.push(fill);
    return out;
  },
  groupby: (_e, v, a, kw) => {
    const at = arg(a, kw, 0, 'attribute');
    const groups: [unknown, unknown[]][] = [];
    for (const x of list(v, 'groupby')) {
      const k = need(attr(x, at));
      const g = groups.find((p) => pyEq(p[0], k));
      if (g) g[1].push(x);
      else groups.push([k, [x]]);
    }
    return groups.sort((p, q) => pyOrder(p[0], q[0])).map(tuple);
  },
  extract: (_e, v, a, kw) => {
    let r = getItem(a[0], v, () => 'container', -1);
    const more = arg(a, kw, 1, 'morekeys');
    for (const k of more === undefined || more === null ? [] : Array.isArray(more) ? Array.from(more) : [more]) r = getItem(r, k, () => 'container', -1);
    return r;
  },
};
LIST_FILTERS.count = LIST_FILTERS.length;
