/**
 * Data lookups (ansible-core 2.14), mostly used as loops (`with_<name>`): items, list, dict,
 * indexed_items, together, nested, subelements, sequence, random_choice.
 */
import { type Kw, need } from './core.js';
import { TUPLES, isMapping, ownData, pyErr, pyRepr, pyStr, pyTruth, setKey } from './py.js';
import { pyPercent } from './pystr.js';
import { splitArgs, unquote } from '../util/shlex.js';
import { systemRng } from './pyrandom.js';
import type { FEnv } from './types.js';

type LookupFn = (e: FEnv, terms: unknown[], kw: Kw) => unknown[];
const tuple = <T extends unknown[]>(t: T): T => (TUPLES.add(t), t);

/** LookupBase._flatten: one level of lists. */
export const flat1 = (terms: unknown[]) => terms.flatMap((t) => (Array.isArray(t) ? Array.from(t) : [t]));
/** listify_lookup_plugin_terms of an already templated term: a string (or scalar) becomes a one-item list. */
const listify = (t: unknown): unknown[] => (Array.isArray(t) ? Array.from(t) : isMapping(t) ? Object.keys(t) : [t]);

/** Ansible's parse_kv: key=value words (values unquoted); other words are `_raw_params`. */
export function parseKv(s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const raw: string[] = [];
  let toks;
  try {
    toks = splitArgs(s);
  } catch (e) {
    throw pyErr(`could not parse '${s}': ${(e as Error).message}`);
  }
  for (const t of toks) {
    const i = t.raw.indexOf('=');
    if (i > 0 && !t.raw.slice(0, i).includes('\\')) out[t.raw.slice(0, i)] = unquote(t.raw.slice(i + 1));
    else raw.push(t.raw);
  }
  if (raw.length) out._raw_params = raw.join(' ');
  return out;
}

/** Python's int(x, 0). */
function int0(s: string, what: string): number {
  const t = s.trim().replace(/(?<=[0-9a-fA-F])_(?=[0-9a-fA-F])/g, '');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0+|[1-9][0-9]*)$/.exec(t);
  if (!m) throw pyErr(`can't parse ${what}=${s} as integer`);
  const body = m[2].toLowerCase();
  const n = /^0[xob]/.test(body) ? parseInt(body.slice(2), body[1] === 'x' ? 16 : body[1] === 'o' ? 8 : 2) : Number(body);
  return m[1] === '-' ? -n : n;
}

const SHORTCUT = /^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(\/(0?x?[0-9a-f]+))?(:(.+))?$/is;

function sequence(term: string): string[] {
  let [start, end, count, stride, format] = [1, null as number | null, null as number | null, 1, '%d'];
  const m = SHORTCUT.exec(term);
  if (m) {
    if (m[2] !== undefined) start = int0(m[2], 'start');
    end = int0(m[3], 'end');
    if (m[5] !== undefined) stride = int0(m[5], 'stride');
    if (m[7] !== undefined) format = m[7];
  } else {
    const kv = parseKv(term);
    for (const k of ['start', 'end', 'count', 'stride']) {
      if (kv[k] === undefined) continue;
      const n = int0(kv[k], k);
      if (k === 'start') start = n;
      else if (k === 'end') end = n;
      else if (k === 'count') count = n;
      else stride = n;
      delete kv[k];
    }
    if (kv.format !== undefined) format = kv.format;
    delete kv.format;
    if (Object.keys(kv).length) throw pyErr(`unrecognized arguments to with_sequence: [${Object.keys(kv).map((k) => pyRepr(k)).join(', ')}]`);
  }
  if (count === null && end === null) throw pyErr('must specify count or end in with_sequence');
  if (count !== null && end !== null) throw pyErr("can't specify both count and end in with_sequence");
  if (count !== null) {
    if (count !== 0) end = start + count * stride - 1;
    else [start, end, stride] = [0, 0, 0];
  }
  const e = end as number;
  if (stride > 0 && e < start) throw pyErr('to count backwards make stride negative');
  if (stride < 0 && e > start) throw pyErr("to count forward don't make stride negative");
  if ((format.match(/%/g) ?? []).length !== 1) throw pyErr(`bad formatting string: ${format}`);
  if (stride === 0) return [];
  const out: string[] = [];
  const stop = e + (stride >= 0 ? 1 : -1);
  for (let i = start; stride > 0 ? i < stop : i > stop; i += stride) {
    if (out.length >= 1_000_000) throw pyErr('with_sequence: too many items (the limit is 1000000)');
    try {
      out.push(pyPercent(format, i));
    } catch {
      throw pyErr(`problem formatting ${i} with ${pyRepr(format)}`);
    }
  }
  return out;
}

function subelements(terms: unknown[]): unknown[] {
  const bad = (msg = '') => pyErr('subelements lookup expects a list of two or three items, ' + msg);
  if (terms.length < 2 || terms.length > 3) throw bad();
  const [data, key] = [need(terms[0]), terms[1]];
  if (!(Array.isArray(data) || isMapping(data)) || typeof key !== 'string') throw bad('first a dict or a list, second a string pointing to the subkey');
  const path = key.split('.');
  const skipped = (d: Record<string, unknown>) => {
    const s = ownData(d, 'skipped');
    return s !== undefined && s.v !== false;
  };
  let elements: unknown[];
  if (isMapping(data)) {
    if (skipped(data)) return [];
    elements = Object.keys(data).map((k) => data[k]);
  } else elements = Array.from(data);
  const flags = terms.length === 3 ? need(terms[2]) : {};
  if (!isMapping(flags) || Object.keys(flags).some((k) => k !== 'skip_missing')) throw bad("the optional third item must be a dict with flags ('skip_missing',)");
  const skipMissing = pyTruth(flags.skip_missing ?? false);
  const out: unknown[] = [];
  for (const item of elements) {
    if (!isMapping(item)) throw pyErr(`subelements lookup expects a dictionary, got '${pyStr(item)}'`);
    if (skipped(item)) continue;
    // Ansible pops the list out of (a copy of) the item: item.0 no longer holds it
    const top: Record<string, unknown> = {};
    for (const k of Object.keys(item)) setKey(top, k, item[k]);
    let sub = top;
    let list: unknown[] = [];
    for (let i = 0; i < path.length; i++) {
      const k = path[i];
      const last = i === path.length - 1;
      const r = ownData(sub, k);
      if (!r) {
        if (skipMissing) continue;
        throw pyErr(`could not find '${k}' key in iterated item '${pyStr(sub)}'`);
      }
      if (!last) {
        if (!isMapping(r.v)) {
          if (skipMissing) continue;
          throw pyErr(`the key ${k} should point to a dictionary, got '${pyStr(r.v)}'`);
        }
        const copy: Record<string, unknown> = {};
        for (const kk of Object.keys(r.v)) setKey(copy, kk, (r.v as Record<string, unknown>)[kk]);
        setKey(sub, k, copy);
        sub = copy;
      } else {
        if (!Array.isArray(r.v)) throw pyErr(`the key ${k} should point to a list, got '${pyStr(r.v)}'`);
        list = Array.from(r.v);
        delete sub[k];
      }
    }
    for (const x of list) out.push(tuple([top, x]));
  }
  return out;
}

export const LOOP_LOOKUPS: Record<string, LookupFn> = {
  items: (_e, terms) => flat1(terms),
  list: (_e, terms) => terms,
  dict: (_e, terms) =>
    terms.flatMap((t) => {
      if (!isMapping(t)) throw pyErr('with_dict expects a dict');
      return Object.keys(t).map((k) => ({ key: k, value: t[k] }));
    }),
  indexed_items: (_e, terms) => flat1(terms).map((x, i) => tuple([i, x])),
  together: (_e, terms) => {
    if (!terms.length) throw pyErr('with_together requires at least one element in each list');
    const lists = terms.map(listify);
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => flat1(lists.map((l) => (i < l.length ? l[i] : null))));
  },
  nested: (_e, terms) => {
    if (!terms.length) throw pyErr('with_nested requires at least one element in the nested list');
    const lists = terms.map(listify);
    let result: unknown[] = lists[0];
    for (const l of lists.slice(1)) {
      if (result.length * l.length > 1_000_000) throw pyErr('with_nested: too many items (the limit is 1000000)');
      result = result.flatMap((x) => l.map((y) => flat1([x, y])));
    }
    // each item flattened as Python iterates it (a lone string item becomes its characters)
    return result.map((x) => (Array.isArray(x) ? flat1(x) : typeof x === 'string' ? Array.from(x) : isMapping(x) ? Object.keys(x) : [x]));
  },
  subelements: (_e, terms) => subelements(terms),
  sequence: (_e, terms) => terms.flatMap((t) => sequence(pyStr(t))),
  random_choice: (_e, terms) => (terms.length ? [terms[systemRng.randbelow(terms.length)]] : terms),
};
