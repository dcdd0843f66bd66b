/** Filters on scalars and strings: types, text, regex, encodings, JSON/YAML, hashes, paths. */
import { parse as yamlParse, parseAllDocuments } from 'yaml';
import { TYPE_HINT, UNDEF_HINT, Undef } from './core.js';
import { TUPLES, isMapping, pyErr, pyJson, pyTruth, pyType, pyStr } from './py.js';
import { strftimeFilter, strptime } from './pydate.js';
import { escapeHtml } from './filters-text.js';
import { pyYamlDump } from './pyyaml.js';
import { randrange, rngFor, shuffle } from './pyrandom.js';
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

/** to_yaml / to_nice_yaml: yaml.dump's keyword arguments that change the text (pyyaml.ts). */
function toYaml(v: unknown, kw: Record<string, unknown>, indent: unknown, flow: boolean | null): string {
  const known = ['default_flow_style', 'indent', 'width', 'sort_keys', 'explicit_start', 'explicit_end'];
  const bad = Object.keys(kw).find((k) => !known.includes(k));
  if (bad) throw pyErr(`to_yaml: unsupported keyword argument '${bad}'`, `kvplay supports ${known.join(', ')}`);
  const fs = kw.default_flow_style;
  // not materialized: the same list or dict met twice is written once with an anchor, as PyYAML does
  return pyYamlDump(v, {
    indent: indent === undefined || indent === null ? undefined : Number(indent),
    width: kw.width === undefined ? undefined : Number(kw.width),
    flowStyle: fs === undefined ? flow : fs === null ? null : pyTruth(fs),
    sortKeys: kw.sort_keys === undefined ? true : pyTruth(kw.sort_keys),
    explicitStart: pyTruth(kw.explicit_start ?? false),
    explicitEnd: pyTruth(kw.explicit_end ?? false),
  });
}

/** Python codec names (b64encode/b64decode's encoding) as Buffer encodings. */
function codec(name: unknown): BufferEncoding {
  const n = String(name ?? 'utf-8').toLowerCase().replace(/_/g, '-');
  const map: Record<string, BufferEncoding> = { 'utf-8': 'utf8', utf8: 'utf8', 'latin-1': 'latin1', latin1: 'latin1', 'iso-8859-1': 'latin1', ascii: 'ascii', 'utf-16-le': 'utf16le', 'utf-16le': 'utf16le' };
  if (!map[n]) throw pyErr(`unknown encoding: ${String(name)}`, 'use utf-8, latin-1, ascii or utf-16-le');
  return map[n];
}

/** regex_search's group arguments: '\\1' or '\\g<name>' (anything else is an error, as in Ansible). */
function regexSearch(v: unknown, a: unknown[], kw: Record<string, unknown>): unknown {
  const groups = a.slice(1).map((g) => {
    const s = str(g);
    if (!/^\\(\d+|g<\S+>)/.test(s)) throw pyErr('regex_search: Unknown argument', "group arguments look like '\\1' or '\\g<name>'");
    return s;
  });
  const m = pyRegex(a[0] ?? kw.regex, reFlags(kw)).exec(str(v));
  if (!m) return null;
  return groups.length ? groups.map((g) => groupRef(g, m)) : m[0];
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
  escape: (_e, v) => escapeHtml(str(v)),
  regex_replace: (_e, v, a, kw) => {
    const bad = Object.keys(kw).find((k) => !['value', 'pattern', 'replacement', 'ignorecase', 'multiline'].includes(k));
    if (bad || a.length > 4) throw pyErr(bad ? `regex_replace() got an unexpected keyword argument '${bad}'` : 'regex_replace() takes at most 5 arguments', 'regex_replace(pattern, replacement, ignorecase=false, multiline=false)');
    return pySub(pyRegex(arg(a, kw, 0, 'pattern', ''), reFlags({}, arg(a, kw, 2, 'ignorecase'), arg(a, kw, 3, 'multiline'))), str(arg(a, kw, 1, 'replacement', '')), str(v), 0);
  },
  regex_search: (_e, v, a, kw) => regexSearch(v, a, kw),
  regex_findall: (_e, v, a, kw) => pyFindall(pyRegex(arg(a, kw, 0, 'regex'), reFlags(kw, arg(a, kw, 2, 'ignorecase'), arg(a, kw, 1, 'multiline'))), str(v)).map((x) => (Array.isArray(x) && TUPLES.add(x), x)),
  regex_escape: (_e, v, a, kw) => {
    const type = arg(a, kw, 0, 're_type', 'python');
    if (type === 'python') return pyEscape(str(v));
    if (type === 'posix_basic') return str(v).replace(/[\].[^$*\\]/g, '\\$&');
    throw pyErr(type === 'posix_extended' ? `Regex type (${type}) not yet implemented` : `Invalid regex type (${str(type)})`);
  },
  to_json: (_e, v, a, kw) => pyJson(v, (arg(a, kw, 0, 'indent', null) as number | null) ?? null, !!arg(a, kw, 1, 'sort_keys', false), arg(a, kw, 2, 'ensure_ascii', true) !== false),
  to_nice_json: (_e, v, a, kw) => pyJson(v, Number(arg(a, kw, 0, 'indent', 4)), arg(a, kw, 1, 'sort_keys', true) !== false, arg(a, kw, 2, 'ensure_ascii', true) !== false),
  from_json: (_e, v) => {
    try {
      return JSON.parse(str(v));
    } catch (err) {
      throw pyErr(`from_json: invalid JSON: ${parseErrorText(err)}`, 'the value must be a JSON document');
    }
  },
  to_yaml: (_e, v, _a, kw) => toYaml(v, kw, kw.indent, null),
  to_nice_yaml: (_e, v, a, kw) => toYaml(v, { ...kw, default_flow_style: false }, arg(a, kw, 0, 'indent', 4), false),
  from_yaml: (_e, v) => {
    try {
      return yamlParse(str(v), { logLevel: 'error' }) ?? null;
    } catch (err) {
      throw pyErr(`from_yaml: invalid YAML: ${parseErrorText(err)}`, 'the value must be a YAML document');
    }
  },
  from_yaml_all: (_e, v) => {
    try {
      const docs = parseAllDocuments(str(v), { logLevel: 'error' });
      for (const d of docs) if (d.errors.length) throw d.errors[0];
      return docs.map((d) => d.toJS());
    } catch (err) {
      throw pyErr(`from_yaml_all: invalid YAML: ${parseErrorText(err)}`, 'the value must be YAML documents');
    }
  },
  b64encode: (_e, v, a, kw) => Buffer.from(str(v), codec(arg(a, kw, 0, 'encoding', 'utf-8'))).toString('base64'),
  b64decode: (_e, v, a, kw) => Buffer.from(str(v), 'base64').toString(codec(arg(a, kw, 0, 'encoding', 'utf-8'))),
  to_datetime: (_e, v, a, kw) => strptime(str(v), str(arg(a, kw, 0, 'format', '%Y-%m-%d %H:%M:%S'))),
  strftime: (_e, v, a, kw) => strftimeFilter(v, a, kw),
  ternary: (_e, v, a, kw) => {
    const noneVal = arg(a, kw, 2, 'none_val', null);
    if ((v === null || v === undefined) && noneVal !== null) return noneVal;
    return pyTruth(v) ? arg(a, kw, 0, 'true_val', true) : arg(a, kw, 1, 'false_val', false);
  },
  abs: (_e, v) => Math.abs(num(v, 'abs')),
  round: (_e, v, a, kw) => {
    const p = Number(arg(a, kw, 0, 'precision', 0));
    const method = String(arg(a, kw, 1, 'method', 'common'));
    const x = num(v, 'round');
    if (method === 'common') return pyRound(x, p);
    if (method !== 'ceil' && method !== 'floor') throw pyErr(`round: method must be common, ceil or floor`);
    return Math[method](x * 10 ** p) / 10 ** p;
  },
  // Ansible's rand: Python's Random(seed) when seeded (the same numbers as Ansible), else the system's
  random: (_e, v, a, kw) => {
    const [start, step] = [arg(a, kw, 0, 'start', null), arg(a, kw, 1, 'step', null)];
    const rng = rngFor(arg(a, kw, 2, 'seed', null));
    if (typeof v === 'number' && Number.isInteger(v)) {
      const r = randrange(rng, Number(start || 0), v, Number(step || 1));
      if (r === undefined) throw pyErr(`empty range for randrange() (${Number(start || 0)}, ${v})`);
      return r;
    }
    if (Array.isArray(v) || typeof v === 'string' || isMapping(v)) {
      if (start || step) throw pyErr('start and step can only be used with integer values');
      const l = isMapping(v) ? Object.keys(v) : Array.from(v);
      if (!l.length) throw pyErr('Cannot choose from an empty sequence');
      return l[rng.randbelow(l.length)];
    }
    throw pyErr('random can only be used on sequences and integers');
  },
  shuffle: (_e, v, a, kw) => (Array.isArray(v) || typeof v === 'string' || isMapping(v) ? shuffle(rngFor(arg(a, kw, 0, 'seed', null) || null), isMapping(v) ? Object.keys(v) : Array.from(v)) : v),
};
SCALAR_FILTERS.d = SCALAR_FILTERS.default;
SCALAR_FILTERS.e = SCALAR_FILTERS.escape;
