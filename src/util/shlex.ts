/**
 * Word splitting on the controller:
 *  - shlexSplit: POSIX shell-like split (Python shlex.split semantics) for the command module,
 *  - splitArgs: Ansible's free-form splitting that keeps quotes and never splits inside {{ }} / {% %},
 *  - expandWord: a word as sh text that expands $VAR / ${VAR} / leading ~ like Ansible's command module.
 */
import { q } from './quote.js';

/** Python shlex.split(s) (posix mode; `comments`: an unquoted # ends the line, even inside a word). Throws on an unclosed quote. */
export function shlexSplit(s: string, comments = false): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) { out.push(cur); cur = ''; inWord = false; }
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error(`no closing quotation in: ${s}`);
      cur += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const d = s[i];
        if (d === '"') { closed = true; i++; break; }
        if (d === '\\' && i + 1 < s.length && '\\"$`\n'.includes(s[i + 1])) {
          if (s[i + 1] !== '\n') cur += s[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
      if (!closed) throw new Error(`no closing quotation in: ${s}`);
      inWord = true;
    } else if (comments && c === '#') {
      break;
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new Error(`no escaped character in: ${s}`);
      if (s[i + 1] !== '\n') cur += s[i + 1];
      inWord = true;
      i += 2;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export interface RawToken {
  /** the token as written (quotes kept) */
  raw: string;
  start: number;
  end: number;
}

/**
 * Split on unquoted whitespace, keeping quotes and never splitting inside {{ }}, {% %} or {# #}
 * (Ansible's split_args). Returns the tokens with their spans in `s`.
 */
export function splitArgs(s: string): RawToken[] {
  const out: RawToken[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    const start = i;
    let quote: string | null = null;
    let depth = 0;
    while (i < s.length) {
      const c = s[i];
      const two = s.slice(i, i + 2);
      if (quote) {
        if (c === '\\' && quote === '"') { i += 2; continue; }
        if (c === quote) quote = null;
        i++;
        continue;
      }
      if (two === '{{' || two === '{%' || two === '{#') { depth++; i += 2; continue; }
      if (depth > 0 && (two === '}}' || two === '%}' || two === '#}')) { depth--; i += 2; continue; }
      if (depth === 0 && /\s/.test(c)) break;
      if (depth === 0 && (c === '"' || c === "'")) quote = c;
      if (c === '\\' && i + 1 < s.length) { i += 2; continue; }
      i++;
    }
    if (quote) throw new Error(`unbalanced quotes in: ${s}`);
    out.push({ raw: s.slice(start, i), start, end: i });
  }
  return out;
}

/** Remove one level of surrounding quotes from a k=v value ('a b' / "a b"), handling \" inside "". */
export function unquote(v: string): string {
  if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") return v.slice(1, -1);
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return v;
}

/**
 * Shell text for one argument word that the remote shell expands like Python's
 * os.path.expanduser(os.path.expandvars(word)) (what Ansible's command module does):
 * $NAME and ${NAME} are expanded (left as written when unset), a leading ~ or ~user is expanded;
 * everything else is quoted. Command substitution never happens.
 */
export function expandWord(word: string): string {
  let out = '';
  let rest = word;
  const tilde = /^~([A-Za-z0-9_.-]*)(?=\/|$)/.exec(rest);
  if (tilde) {
    out += '~' + tilde[1];
    rest = rest.slice(tilde[0].length);
  }
  const re = /\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest))) {
    if (m.index > last) out += q(rest.slice(last, m.index));
    const name = m[1] ?? m[2];
    out += `"\${${name}-${m[0].replace(/[$"\\`}]/g, '\\$&')}}"`;
    last = m.index + m[0].length;
  }
  if (last < rest.length || out === '') out += q(rest.slice(last));
  return out;
}

/**
 * Shell text for a glob pattern: `*` and `?` stay active, everything else is quoted.
 * (Bracket expressions are taken literally.)
 */
export function globWord(pattern: string): string {
  const parts = pattern.split(/([*?]+)/);
  return parts.map((p, i) => (i % 2 === 1 ? p : p === '' ? '' : q(p))).join('') || "''";
}
