/** Jinja2 and Ansible tests: `x is defined`, `x is match('re')`, `result is failed`... */
import { Undef, need } from './core.js';
import { isMapping, ownData, pyCompare, pyErr, pyIn, pyTruth, pyType } from './py.js';
import { pyRegex, reFlags } from '../util/pyre.js';
import { toBool } from '../util/truth.js';
import { arg, type TestFn } from './types.js';

/** Tests that accept an undefined value. */
export const UNDEF_OK_TESTS = new Set(['defined', 'undefined']);

const num = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';

function result(name: string, v: unknown): Record<string, unknown> {
  if (!isMapping(v)) throw pyErr(`the '${name}' test expects a registered result (a dict), got ${pyType(v)}`, "use it on a registered variable: 'when: result is failed'");
  return v;
}
const flag = (name: string, key: string) => (v: unknown) => pyTruth(ownData(result(name, v), key)?.v ?? false);

function regexTest(v: unknown, args: unknown[], kw: Record<string, unknown>, type: string): boolean {
  const re = pyRegex(arg(args, kw, 0, 'pattern', ''), reFlags(kw, arg(args, kw, 1, 'ignorecase'), arg(args, kw, 2, 'multiline')));
  const s = String(need(v));
  if (type === 'search') return re.test(s);
  const anchored = new RegExp(type === 'fullmatch' ? `(?:${re.source})(?![\\s\\S])` : re.source, re.flags.replace('g', '') + 'y');
  return anchored.test(s);
}

function versionCmp(a: string, b: string): number {
  const pa = a.split(/[.\-+_]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.\-+_]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
const VOPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0, '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0, '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

const cmp = (op: string): TestFn => (_e, v, a) => pyCompare(op, v, a[0]);

export const TESTS: Record<string, TestFn> = {
  defined: (_e, v) => !(v instanceof Undef),
  undefined: (_e, v) => v instanceof Undef,
  none: (_e, v) => v === null || v === undefined,
  string: (_e, v) => typeof v === 'string',
  number: (_e, v) => typeof v === 'number',
  integer: (_e, v) => typeof v === 'number' && Number.isInteger(v),
  float: (_e, v) => typeof v === 'number' && !Number.isInteger(v),
  boolean: (_e, v) => typeof v === 'boolean',
  true: (_e, v) => v === true,
  false: (_e, v) => v === false,
  mapping: (_e, v) => isMapping(v),
  iterable: (_e, v) => typeof v === 'string' || Array.isArray(v) || isMapping(v),
  sequence: (_e, v) => typeof v === 'string' || Array.isArray(v) || isMapping(v),
  list: (_e, v) => Array.isArray(v),
  callable: () => false,
  sameas: (_e, v, a) => v === a[0] || (v == null && a[0] == null),
  eq: cmp('=='), equalto: cmp('=='), '==': cmp('=='),
  ne: cmp('!='), '!=': cmp('!='),
  lt: cmp('<'), lessthan: cmp('<'), '<': cmp('<'),
  le: cmp('<='), '<=': cmp('<='),
  gt: cmp('>'), greaterthan: cmp('>'), '>': cmp('>'),
  ge: cmp('>='), '>=': cmp('>='),
  in: (_e, v, a) => pyIn(v, a[0]),
  contains: (_e, v, a) => pyIn(a[0], v),
  divisibleby: (_e, v, a) => num(v) && Number(v) % Number(a[0]) === 0,
  even: (_e, v) => num(v) && Number(v) % 2 === 0,
  odd: (_e, v) => num(v) && Math.abs(Number(v) % 2) === 1,
  lower: (_e, v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (_e, v) => typeof v === 'string' && v === v.toUpperCase(),
  match: (_e, v, a, kw) => regexTest(v, a, kw, 'match'),
  search: (_e, v, a, kw) => regexTest(v, a, kw, 'search'),
  regex: (_e, v, a, kw) => regexTest(v, a.slice(0, 1), kw, String(arg(a, kw, 3, 'match_type', 'search'))),
  truthy: (_e, v, a, kw) => (arg(a, kw, 0, 'convert_bool', false) ? toBool(v) ?? pyTruth(v) : pyTruth(v)),
  falsy: (_e, v, a, kw) => !(arg(a, kw, 0, 'convert_bool', false) ? toBool(v) ?? pyTruth(v) : pyTruth(v)),
  failed: (_e, v) => flag('failed', 'failed')(v),
  failure: (_e, v) => flag('failure', 'failed')(v),
  succeeded: (_e, v) => !flag('succeeded', 'failed')(v),
  success: (_e, v) => !flag('success', 'failed')(v),
  successful: (_e, v) => !flag('successful', 'failed')(v),
  changed: (_e, v) => flag('changed', 'changed')(v),
  change: (_e, v) => flag('change', 'changed')(v),
  skipped: (_e, v) => flag('skipped', 'skipped')(v),
  skip: (_e, v) => flag('skip', 'skipped')(v),
  unreachable: (_e, v) => flag('unreachable', 'unreachable')(v),
  reachable: (_e, v) => !flag('reachable', 'unreachable')(v),
  finished: (_e, v) => flag('finished', 'finished')({ finished: 1, ...result('finished', v) }),
  version: (_e, v, a, kw) => {
    const op = String(arg(a, kw, 1, 'operator', 'eq'));
    if (!VOPS[op]) throw pyErr(`version: invalid operator '${op}'`, 'use one of <, <=, >, >=, ==, !=, lt, le, gt, ge, eq, ne');
    return VOPS[op](versionCmp(String(need(v)), String(arg(a, kw, 0, 'version'))));
  },
  subset: (_e, v, a) => Array.from(v as unknown[]).every((x) => pyIn(x, a[0])),
  superset: (_e, v, a) => Array.from(a[0] as unknown[]).every((x) => pyIn(x, v)),
  any: (_e, v) => Array.from(v as unknown[]).some(pyTruth),
  all: (_e, v) => Array.from(v as unknown[]).every(pyTruth),
  nan: (_e, v) => typeof v === 'number' && Number.isNaN(v),
};
TESTS.version_compare = TESTS.version;
TESTS.equal = TESTS.eq;
