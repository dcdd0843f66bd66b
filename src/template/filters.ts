/** Filters on scalars and strings: types, text, regex, encodings, JSON/YAML, hashes, paths. */
import { createHash, getHashes } from 'node:crypto';
import { parse as yamlParse, parseAllDocuments, stringify as yamlStringify } from 'yaml';
import { q } from '../util/quote.js';
import { TYPE_HINT, UNDEF_HINT, Undef } from './core.js';
import { materialize } from './lazy.js';
import { TUPLES, pyErr, pyJson, pyTruth, pyType, pyStr } from './py.js';
import { pyCapitalize, pyPercent, pySplit, pyStrip, pyTitle } from './pystr.js';
import { groupRef, pyEscape, pyFindall, pyRegex, pySub, reFlags } from '../util/pyre.js';
import { arg, type FilterFn } from './types.js';

/** Filters that accept an undefined value (or undefined arguments). */
export const UNDEF_OK_FILTERS = new Set(['default', 'd', 'mandatory']);

const str = (v: unknown) => pyStr(v);

function num(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  throw pyErr(`${name}: expected a number, got ${pyType(v)}`, TYPE_HINT);
}

function toInt(v: unknown, dflt: unknown, base: number): unknown {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : dflt;
  if (typeof v !== 'string') return dflt;
  let t = v.trim().replace(/(\d)_(?=\d)/g, '$1').toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  t = t.replace(/^[+-]/, '');
  const prefix: Record<number, string> = { 16: '0x', 8: '0o', 2: '0b' };
  if (prefix[base] && t.startsWith(prefix[base])) t = t.slice(2);
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (t && [...t].every((c) => digits.includes(c))) return sign * parseInt(t, base);
  const f = toFloat(v, null);
  return typeof f === 'number' && Number.isFinite(f) ? Math.trunc(f) : dflt;
}

function toFloat(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return dflt;
  const t = v.trim().toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (t === 'nan') return NaN;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) ? Number(t) : dflt;
}

/** Python round(): half to even. */
function pyRound(x: number, p: number): number {
  const m = 10 ** p;
  const y = x * m;
  const r = Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : Math.round(y);
  return r / m;
}

function indent(s: string, width: unknown, first: unknown, blank: unknown): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(Number(width));
  return s
    .split('\n')
    .map((l, i) => ((i > 0 || first) && (blank || l.trim() !== '') ? pad + l : l))
    .join('\n');
}

const basename = (s: string) => s.slice(s.lastIndexOf('/') + 1);
function dirname(s: string): string {
  const head = s.slice(0, s.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}
function splitext(s: string): [string, string] {
  const b = basename(s);
  const i = b.lastIndexOf('.');
  if (i <= 0 || /^\.+$/.test(b.slice(0, i + 1))) return [s, ''];
  const cut = s.length - b.length + i;
  return [s.slice(0, cut), s.slice(cut)];
}

/**
 * A JSON/YAML parser's error without the excerpt of the input it quotes (the input may be a
 * secret: `db_password | from_json`): V8 quotes up to 10 characters around the error, the yaml
 * library an alias name and the source lines. The position stays.
 */
function parseErrorText(err: unknown): string {
  const first = String((err as Error)?.message ?? err).split('\n')[0];
  if (/ is not valid JSON$/.test(first)) return /^Unexpected token/.test(first) ? 'unexpected character' : 'not a JSON document';
  if (/ at line \d+, column \d+:?$/.test(first)) return first.replace(/:$/, '');
  return first.replace(/: .*$/, '');
}

const yamlOpts = (indentN: number) => ({ indent: indentN, indentSeq: indentN !== 2, lineWidth: 0 });

function hashOf(v: unknown, type: string): string {
  const t = type.toLowerCase();
  if (!getHashes().includes(t)) throw pyErr(`hash: unsupported hash type '${type}'`, 'use md5, sha1, sha224, sha256, sha384 or sha512');
  return createHash(t).update(str(v)).digest('hex');
}

export const SCALAR_FILTERS: Record<string, FilterFn> = {
  default: (_e, v, a, kw) => (v instanceof Undef || (arg(a, kw, 1, 'boolean', false) && !pyTruth(v)) ? arg(a, kw, 0, 'default_value', '') : v),
  mandatory: (_e, v, a, kw) => {
    if (v instanceof Undef) throw pyErr(arg(a, kw, 0, 'msg') ? String(arg(a, kw, 0, 'msg')) : `mandatory variable not defined: ${v.msg}`, UNDEF_HINT);
    return v;
  },
  // Ansible's to_bool: None stays None; only yes/on/1/true (any case) and 1 are true
  bool: (_e, v) => (v === null || v === undefined || typeof v === 'boolean' ? (v ?? null) : (['yes', 'on', '1', 'true', 1] as unknown[]).includes(typeof v === 'string' ? v.toLowerCase() : v)),
  int: (_e, v, a, kw) => toInt(v, arg(a, kw, 0, 'default', 0), Number(arg(a, kw, 1, 'base', 10))),
  float: (_e, v, a, kw) => toFloat(v, arg(a, kw, 0, 'default', 0.0)),
  string: (_e, v) => str(v),
  type_debug: (_e, v) => pyType(v),
  lower: (_e, v) => str(v).toLowerCase(),
  upper: (_e, v) => str(v).toUpperCase(),
  capitalize: (_e, v) => pyCapitalize(str(v)),
  title: (_e, v) => pyTitle(str(v)),
  trim: (_e, v, a, kw) => pyStrip(str(v), arg(a, kw, 0, 'chars')),
  replace: (_e, v, a, kw) => {
    const [s, old, rep] = [str(v), str(arg(a, kw, 0, 'old')), str(arg(a, kw, 1, 'new'))];
    const count = Number(arg(a, kw, 2, 'count', -1) ?? -1);
    const parts = s.split(old);
    if (count < 0 || parts.length - 1 <= count) return parts.join(rep);
    return parts.slice(0, count + 1).join(rep) + old + parts.slice(count + 1).join(old);
  },
  split: (_e, v, a, kw) => pySplit(str(v), arg(a, kw, 0, 'sep', null), arg(a, kw, 1, 'maxsplit', -1)),
  indent: (_e, v, a, kw) => indent(str(v), arg(a, kw, 0, 'width', 4), arg(a, kw, 1, 'first', false), arg(a, kw, 2, 'blank', false)),
  format: (_e, v, a, kw) => {
    const t = [...a];
    TUPLES.add(t);
    return pyPercent(str(v), Object.keys(kw).length ? kw : t);
  },
  escape: (_e, v) => str(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
  regex_replace: (_e, v, a, kw) =>
    pySub(pyRegex(arg(a, kw, 0, 'pattern', ''), reFlags(kw, arg(a, kw, 2, 'ignorecase'), arg(a, kw, 3, 'multiline'))), str(arg(a, kw, 1, 'replacement', '')), str(v), Number(arg(a, kw, 4, 'count', 0))),
  regex_search: (_e, v, a, kw) => {
    const m = pyRegex(a[0] ?? kw.regex, reFlags(kw)).exec(str(v));
    if (!m) return null;
    return a.length > 1 ? a.slice(1).map((g) => groupRef(g, m)) : m[0];
  },
  regex_findall: (_e, v, a, kw) => pyFindall(pyRegex(arg(a, kw, 0, 'regex'), reFlags(kw, arg(a, kw, 2, 'ignorecase'), arg(a, kw, 1, 'multiline'))), str(v)),
  regex_escape: (_e, v) => pyEscape(str(v)),
  to_json: (_e, v, a, kw) => pyJson(v, (arg(a, kw, 0, 'indent', null) as number | null) ?? null, !!arg(a, kw, 1, 'sort_keys', false), arg(a, kw, 2, 'ensure_ascii', true) !== false),
  to_nice_json: (_e, v, a, kw) => pyJson(v, Number(arg(a, kw, 0, 'indent', 4)), arg(a, kw, 1, 'sort_keys', true) !== false, arg(a, kw, 2, 'ensure_ascii', true) !== false),
  from_json: (_e, v) => {
    try {
      return JSON.parse(str(v));
    } catch (err: any) {
      throw pyErr(`from_json: invalid JSON: ${parseErrorText(err)}`, 'the value must be a JSON document');
    }
  },
  to_yaml: (_e, v, a, kw) => yamlStringify(materialize(v), yamlOpts(Number(arg(a, kw, 0, 'indent', 2)))),
  to_nice_yaml: (_e, v, a, kw) => yamlStringify(materialize(v), yamlOpts(Number(arg(a, kw, 0, 'indent', 4)))),
  from_yaml: (_e, v) => {
    try {
      return yamlParse(str(v), { logLevel: 'error' }) ?? null;
    } catch (err: any) {
      throw pyErr(`from_yaml: invalid YAML: ${parseErrorText(err)}`, 'the value must be a YAML document');
    }
  },
  from_yaml_all: (_e, v) => {
    try {
      return parseAllDocuments(str(v), { logLevel: 'error' }).map((d) => d.toJS());
    } catch (err) {
      throw pyErr(`from_yaml_all: invalid YAML: ${parseErrorText(err)}`, 'the value must be YAML documents');
    }
  },
  b64encode: (_e, v) => Buffer.from(str(v), 'utf8').toString('base64'),
  b64decode: (_e, v) => Buffer.from(str(v), 'base64').toString('utf8'),
  basename: (_e, v) => basename(str(v)),
  dirname: (_e, v) => dirname(str(v)),
  splitext: (_e, v) => splitext(str(v)),
  expanduser: (_e, v) => str(v).replace(/^~(?=\/|$)/, process.env.HOME ?? '~'),
  path_join: (_e, v) => (Array.isArray(v) ? Array.from(v, str) : [str(v)]).reduce((acc, p) => (p.startsWith('/') || !acc ? p : acc.replace(/\/?$/, '/') + p), ''),
  quote: (_e, v) => q(str(v)),
  ternary: (_e, v, a, kw) => {
    const noneVal = arg(a, kw, 2, 'none_val', null);
    if ((v === null || v === undefined) && noneVal !== null) return noneVal;
    return pyTruth(v) ? arg(a, kw, 0, 'true_val', true) : arg(a, kw, 1, 'false_val', false);
  },
  hash: (_e, v, a, kw) => hashOf(v, String(arg(a, kw, 0, 'hashtype', 'sha1'))),
  checksum: (_e, v) => hashOf(v, 'sha1'),
  abs: (_e, v) => Math.abs(num(v, 'abs')),
  round: (_e, v, a, kw) => {
    const p = Number(arg(a, kw, 0, 'precision', 0));
    const method = String(arg(a, kw, 1, 'method', 'common'));
    const x = num(v, 'round');
    if (method === 'common') return pyRound(x, p);
    if (method !== 'ceil' && method !== 'floor') throw pyErr(`round: method must be common, ceil or floor`);
    return Math[method](x * 10 ** p) / 10 ** p;
  },
  random: (_e, v, a, kw) => {
    if (Array.isArray(v) || typeof v === 'string') {
      const l = Array.from(v);
      if (!l.length) throw pyErr('random: the sequence is empty');
      return l[Math.floor(Math.random() * l.length)];
    }
    const end = num(v, 'random');
    const start = Number(arg(a, kw, 0, 'start', 0));
    const step = Number(arg(a, kw, 1, 'step', 1));
    const n = Math.ceil((end - start) / step);
    if (n <= 0) throw pyErr('random: empty range');
    return start + step * Math.floor(Math.random() * n);
  },
};
SCALAR_FILTERS.d = SCALAR_FILTERS.default;
SCALAR_FILTERS.e = SCALAR_FILTERS.escape;
