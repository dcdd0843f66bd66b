/** Jinja2 and Ansible tests: `x is defined`, `x is match('re')`, `result is failed`... */
import { Opaque, Undef, need } from './core.js';
import { isMapping, ownData, pyCompare, pyErr, pyIn, pyStr, pyTruth, pyType } from './py.js';
import { versionCompare } from './version.js';
import { FILE_TESTS } from './jtests-files.js';
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
/** started/finished of an async result: == 1 when the key is there, else true (Ansible warns: not async). */
const asyncFlag = (name: string) => (v: unknown) => {
  const r = ownData(result(name, v), name);
  return r ? r.v === 1 || r.v === true : true;
};
/** changed: the key, or (without it) any changed item of a loop's results. */
function changed(v: unknown): boolean {
  const r = result('changed', v);
  const c = ownData(r, 'changed');
  if (c) return pyTruth(c.v);
  const results = ownData(r, 'results')?.v;
  return Array.isArray(results) && isMapping(results[0]) && results.some((x) => isMapping(x) && pyTruth(ownData(x, 'changed')?.v ?? false));
}

function regexTest(v: unknown, args: unknown[], kw: Record<string, unknown>, type: string): boolean {
  const re = pyRegex(arg(args, kw, 0, 'pattern', ''), reFlags(kw, arg(args, kw, 1, 'ignorecase'), arg(args, kw, 2, 'multiline')));
  const s = pyStr(need(v));
  if (type === 'search') return re.test(s);
  const anchored = new RegExp(type === 'fullmatch' ? `(?:${re.source})(?![\\s\\S])` : re.source, re.flags.replace('g', '') + 'y');
  return anchored.test(s);
}


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
  callable: (_e, v) => v instanceof Opaque,
  filter: (e, v) => {
    if (!e.has('filter', pyStr(v))) throw pyErr(`Could not load "${pyStr(v)}": no filter named '${pyStr(v)}'`);
    return true;
  },
  test: (e, v) => {
    if (!e.has('test', pyStr(v))) throw pyErr(`Could not load "${pyStr(v)}": no test named '${pyStr(v)}'`);
    return true;
  },
  escaped: () => false,
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
  regex: (_e, v, a, kw) => regexTest(v, a, kw, String(arg(a, kw, 3, 'match_type', 'search'))),
  truthy: (_e, v, a, kw) => (arg(a, kw, 0, 'convert_bool', false) ? toBool(v) ?? pyTruth(v) : pyTruth(v)),
  falsy: (_e, v, a, kw) => !(arg(a, kw, 0, 'convert_bool', false) ? toBool(v) ?? pyTruth(v) : pyTruth(v)),
  failed: (_e, v) => flag('failed', 'failed')(v),
  failure: (_e, v) => flag('failure', 'failed')(v),
  succeeded: (_e, v) => !flag('succeeded', 'failed')(v),
  success: (_e, v) => !flag('success', 'failed')(v),
  successful: (_e, v) => !flag('successful', 'failed')(v),
  changed: (_e, v) => changed(v),
  change: (_e, v) => changed(v),
  skipped: (_e, v) => flag('skipped', 'skipped')(v),
  skip: (_e, v) => flag('skip', 'skipped')(v),
  unreachable: (_e, v) => flag('unreachable', 'unreachable')(v),
  reachable: (_e, v) => !flag('reachable', 'unreachable')(v),
  finished: (_e, v) => asyncFlag('finished')(v),
  started: (_e, v) => asyncFlag('started')(v),
  version: (_e, v, a, kw) =>
    versionCompare(v === null || v === undefined || v === '' ? '' : pyStr(v), pyStr(arg(a, kw, 0, 'version', '')), pyStr(arg(a, kw, 1, 'operator', 'eq')), arg(a, kw, 2, 'strict', null), arg(a, kw, 3, 'version_type', null)),
  subset: (_e, v, a) => Array.from(v as unknown[]).every((x) => pyIn(x, a[0])),
  superset: (_e, v, a) => Array.from(a[0] as unknown[]).every((x) => pyIn(x, v)),
  ...FILE_TESTS,
  any: (_e, v) => Array.from(v as unknown[]).some(pyTruth),
  all: (_e, v) => Array.from(v as unknown[]).every(pyTruth),
  nan: (_e, v) => typeof v === 'number' && Number.isNaN(v),
};
TESTS.version_compare = TESTS.version;
TESTS.issubset = TESTS.subset;
TESTS.issuperset = TESTS.superset;
TESTS.isnan = TESTS.nan;
TESTS.equal = TESTS.eq;
