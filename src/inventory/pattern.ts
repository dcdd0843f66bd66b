/**
 * Ansible host patterns: `all`, `*`, names, groups, globs (`kvm*`), regexes (`~kvm\d`),
 * subscripts (`webservers[0]`, `webservers[0:2]`, `webservers[-1]`), union (`a:b`, `a,b`),
 * intersection (`a:&b`), exclusion (`a:!b`). Evaluated as Ansible does: every union term first,
 * then the intersections, then the exclusions; only `&`/`!` terms start from `all`.
 * Results are returned in inventory order.
 */
import { errMessage, InputError, type Loc } from '../util/errors.js';

export const LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export interface PatternTerm {
  op: '' | '&' | '!';
  /** the term without its operator: name, glob, `~regex`, optionally with a [subscript] */
  expr: string;
}

/** What a pattern is matched against. */
export interface PatternTarget {
  /** inventory hosts, in inventory order */
  hosts: readonly string[];
  groupNames: readonly string[];
  /** hosts of a group incl. descendants, in inventory order */
  groupHosts(name: string): readonly string[];
  isHost(name: string): boolean;
  /** for a localhost name (localhost, 127.0.0.1, ::1) matching nothing: the host serving it, if any */
  localhost(name: string): string | undefined;
}

const HINT =
  'separate patterns with `:` or `,`; prefix `&` intersects and `!` excludes (e.g. kvm_hosts:&prod:!kvm2); `~` starts a regex';

/**
 * Split a pattern (or a list of patterns) into terms, validating it. Throws InputError at `loc`.
 * `isHost` lets an inventory host whose name contains `:` or `,` (IPv6) stay one term.
 */
export function splitHostPattern(pattern: string | string[], loc?: Loc, isHost: (s: string) => boolean = () => false): PatternTerm[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p) => splitHostPattern(p, loc, isHost));
  const err = (msg: string, hint = HINT) => new InputError(`host pattern \`${pattern}\`: ${msg}`, loc, hint);
  if (typeof pattern !== 'string') throw new InputError(`host pattern must be a string, got ${JSON.stringify(pattern)}`, loc, HINT);
  const whole = pattern.trim();
  if (!whole) throw err('empty pattern', 'use `all` to target every host');
  const known = (s: string) => isHost(s) || LOCALHOST_NAMES.includes(s);
  if (known(whole.replace(/^[&!]/, ''))) return [toTerm(whole)];
  const pieces = whole.split(',');
  if (pieces.length > 1 && pieces[pieces.length - 1].trim() === '') pieces.pop(); // `kvm1,` idiom
  const raw: string[] = [];
  for (const piece of pieces) {
    const p = piece.trim();
    if (!p) throw err('empty component between commas');
    if (known(p.replace(/^[&!]/, ''))) {
      raw.push(p);
      continue;
    }
    for (const part of splitColons(p, err)) {
      const q = part.trim();
      if (!q) throw err('empty component (`::`, or a leading/trailing `:`)');
      raw.push(...q.split(/\s+/)); // Ansible also separates on whitespace
    }
  }
  const terms = raw.map(toTerm);
  for (const t of terms) {
    const shown = t.op + t.expr;
    if (!t.expr) throw err(`\`${t.op}\` must be followed by a host or group name`);
    if (/^[&!]/.test(t.expr)) throw err(`\`${shown}\`: only one of \`&\`/\`!\` per term`);
    if (t.expr === '~') throw err('`~` must be followed by a regular expression');
    compileTerm(t.expr, (why) => err(`\`${shown}\`: ${why}`, t.expr.startsWith('~') ? REGEX_HINT : GLOB_HINT));
  }
  return terms;
}

function toTerm(s: string): PatternTerm {
  return s[0] === '&' || s[0] === '!' ? { op: s[0], expr: s.slice(1) } : { op: '', expr: s };
}

function splitColons(s: string, err: (m: string) => InputError): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let esc = false;
  for (const c of s) {
    if (!esc && c === '[') depth++;
    else if (!esc && c === ']') depth = Math.max(0, depth - 1);
    esc = !esc && c === '\\';
    if (c === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth > 0) throw err('unclosed `[`');
  out.push(cur);
  return out;
}

const REGEX_HINT = 'after `~` comes a regular expression matched from the start of the name, e.g. ~kvm[0-9]+';
const GLOB_HINT = 'globs use * ? and [abc]; a trailing [N] or [N:M] selects hosts of a group by position';
const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

interface Compiled {
  re: RegExp;
  special: boolean; // regex or glob: also try host names even when groups matched
  sub?: { start: number; end?: number };
}

function compileTerm(expr: string, err: (why: string) => InputError): Compiled {
  let sub: Compiled['sub'];
  let e = expr;
  if (!e.startsWith('~')) {
    const m = SUBSCRIPT.exec(e);
    if (m) {
      e = m[1];
      if (m[2] !== undefined) sub = { start: Number(m[2]) };
      else if (m[4] === '-') throw err(`use [${m[3]}:${m[5]}] (inclusive) instead of the removed [x-y] subscript`);
      else sub = { start: Number(m[3]), end: m[5] === '' ? -1 : Number(m[5]) };
    }
  }
  try {
    if (e.startsWith('~')) return { re: pyRegex(e.slice(1)), special: true, sub };
    return { re: globRegex(e), special: /[.?*[]/.test(e), sub };
  } catch (x) {
    throw err(`invalid ${e.startsWith('~') ? 'regular expression' : 'glob'}: ${errMessage(x).replace(/^Invalid regular expression: /, '')}`);
  }
}

/** Python re.match semantics (anchored at the start only); (?i)-style leading flags and (?P<n>) groups. */
function pyRegex(src: string): RegExp {
  let flags = '';
  const f = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (f) {
    flags = [...new Set(f[1].replace(/[aLux]/g, ''))].join('');
    src = src.slice(f[0].length);
  }
  src = src.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\Z/g, '$').replace(/\\A/g, '^');
  return new RegExp('^(?:' + src + ')', flags);
}

/** Python fnmatch.translate: whole-name, case-sensitive. */
export function globRegex(pat: string): RegExp {
  let res = '';
  for (let i = 0; i < pat.length; ) {
    const c = pat[i++];
    if (c === '*') {
      while (pat[i] === '*') i++;
      res += '.*';
    } else if (c === '?') res += '.';
    else if (c === '[') {
      let j = i;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) res += '\\[';
      else {
        let stuff = pat.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^') stuff = '\\' + stuff;
        stuff = stuff.replace(/^(\^?)\]/, '$1\\]');
        res += '[' + stuff + ']';
      }
    } else res += c.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
  }
  return new RegExp('^(?:' + res + ')$', 's');
}

/** Hosts matched by one term's expression (no operator), as a set. */
function enumerate(t: PatternTarget, expr: string): Set<string> {
  if (t.isHost(expr)) return new Set([expr]);
  const c = compileTerm(expr, (why) => new InputError(why, undefined));
  const found = new Set<string>();
  const groups = t.groupNames.filter((g) => c.re.test(g));
  for (const g of groups) for (const h of t.groupHosts(g)) found.add(h);
  if (!groups.length || c.special) for (const h of t.hosts) if (c.re.test(h)) found.add(h);
  const base = c.sub ? expr.replace(SUBSCRIPT, '$1') : expr;
  const lh = !found.size && !c.sub && LOCALHOST_NAMES.includes(base) ? t.localhost(base) : undefined;
  if (lh) found.add(lh);
  if (!c.sub) return found;
  const list = t.hosts.filter((h) => found.has(h));
  const { start, end } = c.sub;
  if (end === undefined) {
    const h = list[start < 0 ? list.length + start : start];
    return new Set(h === undefined ? [] : [h]);
  }
  return new Set(list.slice(start, end === -1 ? undefined : end + 1));
}

/**
 * Evaluate a pattern against a target. Returns hosts in inventory order; an implicit localhost
 * (see PatternTarget.localhost) comes last. Throws InputError at `loc` for an invalid pattern.
 */
export function matchHostPattern(t: PatternTarget, pattern: string | string[], loc?: Loc): string[] {
  const terms = splitHostPattern(pattern, loc, (s) => t.isHost(s));
  const ordered = [...terms.filter((x) => x.op === ''), ...terms.filter((x) => x.op === '&'), ...terms.filter((x) => x.op === '!')];
  if (!ordered.length || ordered[0].op !== '') ordered.unshift({ op: '', expr: 'all' });
  let sel = new Set<string>();
  for (const term of ordered) {
    const hit = enumerate(t, term.expr);
    if (term.op === '') for (const h of hit) sel.add(h);
    else if (term.op === '&') sel = new Set([...sel].filter((h) => hit.has(h)));
    else for (const h of hit) sel.delete(h);
  }
  const out = t.hosts.filter((h) => sel.has(h));
  for (const h of sel) if (!t.isHost(h)) out.push(h);
  return out;
}
