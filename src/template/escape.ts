/**
 * Ansible's _escape_backslashes (ansible.template): in playbook strings (not template files, not
 * `when:` conditions), the backslashes of string literals inside `{{ }}` are doubled before
 * Jinja2 reads them, so that a regex written once in YAML works: '{{ x | regex_search("\d+") }}'
 * searches \d+, and "a\nb" inside {{ }} is a backslash and an n, not a newline. A literal with
 * an escaped quote ("a\"b") therefore breaks the template, as in Ansible.
 * The scan follows Jinja2's lexer: comments, {% raw %} and {% %} blocks are copied as they are,
 * and a variable tag ends at `}}` only outside brackets.
 */

const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/ys;
const RAW = /\{%[-+]?\s*raw\s*[-+]?%\}/y;
const ENDRAW = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Where the code of a tag starting at `from` ends (the index after its end marker `end`), doubling string backslashes into `out` when `escape`. */
function scanCode(src: string, from: number, end: string, escape: boolean, out: string[]): number {
  const stack: string[] = [];
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === "'" || c === '"') {
      STRING.lastIndex = i;
      const m = STRING.exec(src);
      if (m) {
        out.push(escape ? m[0].replace(/\\/g, '\\\\') : m[0]);
        i += m[0].length;
        continue;
      }
    }
    if (!stack.length && src.startsWith(end, i)) {
      out.push(end);
      return i + end.length;
    }
    if (OPEN[c]) stack.push(OPEN[c]);
    else if (c === stack[stack.length - 1]) stack.pop();
    out.push(c);
    i++;
  }
  return i;
}

export function escapeBackslashes(src: string): string {
  if (!src.includes('\\') || !src.includes('{{')) return src;
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const j = src.indexOf('{', i);
    if (j < 0) break;
    const tag = src.slice(j, j + 2);
    if (tag !== '{{' && tag !== '{%' && tag !== '{#') {
      out.push(src.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    out.push(src.slice(i, j));
    if (tag === '{#') {
      const e = src.indexOf('#}', j + 2);
      const stop = e < 0 ? src.length : e + 2;
      out.push(src.slice(j, stop));
      i = stop;
      continue;
    }
    RAW.lastIndex = j;
    if (tag === '{%' && RAW.test(src)) {
      ENDRAW.lastIndex = j;
      const m = ENDRAW.exec(src);
      const stop = m ? m.index + m[0].length : src.length;
      out.push(src.slice(j, stop));
      i = stop;
      continue;
    }
    out.push(tag);
    i = scanCode(src, j + 2, tag === '{{' ? '}}' : '%}', tag === '{{', out);
  }
  out.push(src.slice(i));
  return out.join('');
}
