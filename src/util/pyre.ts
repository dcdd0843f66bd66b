/**
 * The ONE Python `re` translator (templates' regex filters/tests and the modules lineinfile,
 * blockinfile, replace, wait_for): pattern translation ((?P<n>...), (?P=n), \A, \Z, Python's `$`,
 * leading inline flags) and Python replacement strings (\1, \g<1>, \g<name>, \n).
 * Errors are PatternError (message + hint); callers turn them into their own error kind.
 */
import { errMessage, InputError } from './errors.js';

export class PatternError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}
const pyErr = (message: string, hint: string) => new PatternError(message, hint);

const HINT = 'patterns use Python syntax; in YAML double quotes a backslash must be doubled (\\\\d), or use single quotes';
const cache = new Map<string, RegExp>();

function translate(pattern: string, extra = ''): { src: string; flags: string } {
  let p = pattern;
  let flags = extra.replace(/[^ims]/g, '');
  let m: RegExpExecArray | null;
  while ((m = /^\(\?([aiLmsux]+)\)/.exec(p))) {
    for (const f of m[1]) {
      if ('ims'.includes(f)) {
        if (!flags.includes(f)) flags += f;
      } else if (f === 'x' || f === 'L') {
        throw pyErr(`regex flag (?${f}) is not supported`, HINT);
      }
    }
    p = p.slice(m[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      i++;
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && (n === 'Z' || n === 'z')) out += '(?![\\s\\S])';
      else out += c + n;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') (out += '\\]'), i++;
    } else if (c === '$' && !flags.includes('m')) {
      out += '(?=\\n?(?![\\s\\S]))';
    } else if (p.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (p.startsWith('(?P=', i)) {
      const end = p.indexOf(')', i);
      if (end < 0) throw pyErr(`invalid regular expression '${pattern}': unterminated (?P=`, HINT);
      out += '\\k<' + p.slice(i + 4, end) + '>';
      i = end;
    } else if (p.startsWith('(?#', i)) {
      const end = p.indexOf(')', i);
      i = end < 0 ? p.length : end;
    } else {
      out += c;
    }
  }
  return { src: out, flags };
}

/** Compile a Python pattern. `extra` adds JS flags (i, m, s, g). */
export function pyRegex(pattern: unknown, extra = ''): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, [...new Set(pattern.flags + extra)].join(''));
  const key = extra + '\0' + String(pattern);
  const hit = cache.get(key);
  if (hit) return new RegExp(hit);
  const { src, flags } = translate(String(pattern), extra);
  let re: RegExp;
  try {
    re = new RegExp(src, [...new Set(flags + extra)].join(''));
  } catch (e) {
    throw pyErr(`invalid regular expression '${pattern}': ${errMessage(e).replace(/^Invalid regular expression: /, '')}`, HINT);
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return new RegExp(re);
}

export function reFlags(kw: Record<string, unknown>, ignorecase?: unknown, multiline?: unknown): string {
  return (ignorecase ?? kw.ignorecase ? 'i' : '') + (multiline ?? kw.multiline ? 'm' : '');
}

type Part = string | number | { name: string };

const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', f: '\f', v: '\v', '\\': '\\' };

function parseRepl(r: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  const flush = () => {
    if (lit) parts.push(lit);
    lit = '';
  };
  for (let i = 0; i < r.length; i++) {
    const c = r[i];
    if (c !== '\\' || i + 1 >= r.length) {
      lit += c;
      continue;
    }
    const n = r[i + 1];
    let m: RegExpExecArray | null;
    if (n === 'g' && (m = /^\\g<([^>]+)>/.exec(r.slice(i)))) {
      flush();
      parts.push(/^\d+$/.test(m[1]) ? Number(m[1]) : { name: m[1] });
      i += m[0].length - 1;
    } else if ((m = /^\\([1-9]\d?)/.exec(r.slice(i)))) {
      flush();
      parts.push(Number(m[1]));
      i += m[0].length - 1;
    } else if (ESC[n] !== undefined) {
      lit += ESC[n];
      i++;
    } else {
      lit += c + n;
      i++;
    }
  }
  flush();
  return parts;
}

/** Python match.expand(template) (lineinfile's backrefs). */
export function expandMatch(template: string, m: RegExpExecArray): string {
  return expand(parseRepl(template), m);
}

/** pyRegex for a module parameter: errors are InputErrors naming the parameter. */
export function paramRegex(pattern: string, what = 'regexp', extra = ''): RegExp {
  try {
    return pyRegex(pattern, extra);
  } catch (e) {
    if (e instanceof PatternError) throw new InputError(`${what}: ${e.message}`, undefined, e.hint);
    throw e;
  }
}

function expand(parts: Part[], m: RegExpExecArray): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      if (typeof p === 'number') {
        if (p >= m.length) throw pyErr(`invalid group reference ${p} in replacement`, HINT);
        return m[p] ?? '';
      }
      if (!m.groups || !(p.name in m.groups)) throw pyErr(`unknown group name '${p.name}' in replacement`, HINT);
      return m.groups[p.name] ?? '';
    })
    .join('');
}

/** All matches of re in s (Python finditer semantics for empty matches). */
export function* finditer(re: RegExp, s: string): Generator<RegExpExecArray> {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let m: RegExpExecArray | null;
  while ((m = g.exec(s))) {
    yield m;
    if (m[0] === '') g.lastIndex++;
  }
}

/** Python re.sub(pattern, repl, s, count). */
export function pySub(re: RegExp, repl: string, s: string, count = 0): string {
  const parts = parseRepl(repl);
  let out = '';
  let last = 0;
  let n = 0;
  for (const m of finditer(re, s)) {
    if (count && n >= count) break;
    out += s.slice(last, m.index) + expand(parts, m);
    last = m.index + m[0].length;
    n++;
  }
  return out + s.slice(last);
}

/** Python re.findall: whole matches, or the group, or a list of groups per match. */
export function pyFindall(re: RegExp, s: string): unknown[] {
  return Array.from(finditer(re, s), (m) => (m.length === 1 ? m[0] : m.length === 2 ? m[1] ?? '' : m.slice(1).map((x) => x ?? '')));
}

/** Group selectors of regex_search: '\\1', '\\g<1>', '\\g<name>'. */
export function groupRef(arg: unknown, m: RegExpExecArray): unknown {
  const s = String(arg);
  let g: RegExpExecArray | null;
  if ((g = /^\\g<([^>]+)>$/.exec(s))) return /^\d+$/.test(g[1]) ? m[Number(g[1])] ?? null : m.groups?.[g[1]] ?? null;
  if ((g = /^\\(\d+)$/.exec(s))) return m[Number(g[1])] ?? null;
  throw pyErr(`regex_search: unknown argument '${s}'`, "group arguments look like '\\\\1' or '\\\\g<name>'");
}

/** Python re.escape (3.7+). */
export const pyEscape = (s: string) => s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => '\\' + c);
