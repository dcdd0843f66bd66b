/**
 * Python `re` patterns (what Ansible users write) as JavaScript RegExps, and Python's
 * match.expand() for backrefs. Covers named groups (?P<n>...), (?P=n), \A, \Z and leading
 * inline flags (?i)(?m)(?s)(?x is not supported).
 */
import { InputError } from '../../util/errors.js';

export function pyRegExp(pattern: string, what = 'regexp', extraFlags = ''): RegExp {
  let src = pattern;
  let flags = extraFlags;
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 'm' || f === 's') { if (!flags.includes(f)) flags += f; }
      else if (f === 'x') throw new InputError(`${what}: the (?x) verbose flag is not supported`, undefined, 'write the pattern without whitespace/comments');
    }
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1^')
    .replace(/(^|[^\\])\\Z/g, '$1$');
  try {
    return new RegExp(src, flags);
  } catch (e: any) {
    throw new InputError(`invalid ${what} '${pattern}': ${e.message.replace(/^Invalid regular expression: /, '')}`, undefined, 'regular expressions use Python syntax (like Ansible)');
  }
}

/** Python match.expand(template): \1..\99, \g<1>, \g<name>, \n, \t, \\ ; unmatched groups give ''. */
export function expandMatch(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '\\' || i + 1 >= template.length) { out += c; continue; }
    const n = template[i + 1];
    if (/[0-9]/.test(n)) {
      const d = /^[0-9]{1,2}/.exec(template.slice(i + 1))![0];
      const idx = Number(d);
      if (idx >= m.length) throw new InputError(`invalid group reference \\${d} in line`, undefined, 'the regexp has fewer groups');
      out += m[idx] ?? '';
      i += d.length;
    } else if (n === 'g' && template[i + 2] === '<') {
      const end = template.indexOf('>', i + 3);
      if (end < 0) throw new InputError('missing > in \\g<...> in line', undefined, undefined);
      const name = template.slice(i + 3, end);
      out += (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? '';
      i = end;
    } else if (n === 'n') { out += '\n'; i++; }
    else if (n === 't') { out += '\t'; i++; }
    else if (n === '\\') { out += '\\'; i++; }
    else { out += c + n; i++; }
  }
  return out;
}
