/** Data filters of Ansible (rekey_on_member, subelements) and Jinja2 (slice, attr), as ansible-core 2.14 / Jinja2 3.1. */
import { PyObject, Undef, need } from './core.js';
import { TUPLES, isMapping, ownData, pyErr, pyIter, pyRepr, pyStr, pyType, setKey } from './py.js';
import { arg, type FilterFn } from './types.js';

function rekeyOnMember(data: unknown, key: unknown, duplicates: unknown): Record<string, unknown> {
  if (duplicates !== 'error' && duplicates !== 'overwrite') throw pyErr(`duplicates parameter to rekey_on_member has unknown value: ${pyStr(duplicates)}`);
  let items: unknown[];
  if (isMapping(data)) items = Object.keys(data).map((k) => data[k]);
  else if (Array.isArray(data)) items = Array.from(data);
  else throw pyErr('Type is not a valid list, set, or dict');
  const out: Record<string, unknown> = {};
  for (const item of items) {
    if (!isMapping(item)) throw pyErr('List item is not a valid dict');
    const r = ownData(item, pyStr(key));
    if (!r) throw pyErr(`Key ${pyStr(key)} was not found`);
    const k = pyStr(r.v);
    if (Object.prototype.hasOwnProperty.call(out, k) && duplicates === 'error') throw pyErr(`Key ${k} is not unique, cannot correctly turn into dict`);
    setKey(out, k, item);
  }
  return out;
}

function subelements(obj: unknown, sub: unknown, skipMissing: boolean): unknown[][] {
  let elements: unknown[];
  if (isMapping(obj)) elements = Object.keys(obj).map((k) => obj[k]);
  else if (Array.isArray(obj)) elements = Array.from(obj);
  else throw pyErr('obj must be a list of dicts or a nested dict');
  let path: string[];
  if (Array.isArray(sub)) path = Array.from(sub, pyStr);
  else if (typeof sub === 'string') path = sub.split('.');
  else throw pyErr('subelements must be a list or a string');
  const out: unknown[][] = [];
  for (const el of elements) {
    let values: unknown = el;
    for (const key of path) {
      if (!isMapping(values)) throw pyErr(`the key ${key} should point to a dictionary, got '${pyStr(values)}'`);
      const r = ownData(values, key);
      if (r) {
        values = r.v;
        continue;
      }
      if (!skipMissing) throw pyErr(`could not find ${pyRepr(key)} key in iterated item ${pyRepr(values)}`);
      values = [];
      break;
    }
    need(values);
    if (!Array.isArray(values)) throw pyErr(`the key ${pyRepr(path[path.length - 1])} should point to a list, got ${pyRepr(values)}`);
    for (const v of Array.from(values)) {
      const pair = [el, v];
      TUPLES.add(pair);
      out.push(pair);
    }
  }
  return out;
}

function slice(v: unknown, slices: number, fill: unknown): unknown[][] {
  const seq = pyIter(v);
  if (!Number.isInteger(slices) || slices < 0) throw pyErr(`slice: the number of slices must be a non-negative integer, got ${pyStr(slices)}`);
  const per = slices ? Math.floor(seq.length / slices) : 0;
  const extra = slices ? seq.length % slices : 0;
  const out: unknown[][] = [];
  let offset = 0;
  for (let n = 0; n < slices; n++) {
    const start = offset + n * per;
    if (n < extra) offset++;
    const part = seq.slice(start, offset + (n + 1) * per);
    if (fill !== null && fill !== undefined && n >= extra) part.push(fill);
    out.push(part);
  }
  return out;
}

export const DATA_FILTERS: Record<string, FilterFn> = {
  rekey_on_member: (_e, v, a, kw) => rekeyOnMember(v, arg(a, kw, 0, 'key'), arg(a, kw, 1, 'duplicates', 'error')),
  subelements: (_e, v, a, kw) => subelements(v, arg(a, kw, 0, 'subelements'), !!arg(a, kw, 1, 'skip_missing', false)),
  slice: (_e, v, a, kw) => slice(v, Number(arg(a, kw, 0, 'slices')), arg(a, kw, 1, 'fill_with', null)),
  // getattr(): Python attributes (of a datetime, say), never the items of a dict
  attr: (_e, v, a, kw) => {
    const name = pyStr(arg(a, kw, 0, 'name'));
    const r = v instanceof PyObject ? v.attr(name) : undefined;
    return r !== undefined ? r : new Undef(`'${pyType(v)} object' has no attribute '${name}'`, -1);
  },
};
