/**
 * Text filters of Jinja2 (center, truncate, wordcount, wordwrap, striptags, forceescape, safe,
 * xmlattr, pprint, tojson) and Ansible (comment, quote), as Jinja2 3.1 / ansible-core 2.14 give them.
 */
import { need } from './core.js';
import { isMapping, pyErr, pyJson, pyRepr, pyStr, pyType } from './py.js';
import { arg, type FilterFn } from './types.js';

const str = (v: unknown) => pyStr(v);

/** Python's str.center. */
function center(s: string, width: number): string {
  const n = Array.from(s).length;
  if (width <= n) return s;
  const marg = width - n;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return ' '.repeat(left) + s + ' '.repeat(marg - left);
}

function truncate(s: string, length: number, killwords: boolean, end: string, leeway: number): string {
  if (length < end.length) throw pyErr(`truncate: expected length >= ${end.length}, got ${length}`);
  if (leeway < 0) throw pyErr(`truncate: expected leeway >= 0, got ${leeway}`);
  const chars = Array.from(s);
  if (chars.length <= length + leeway) return s;
  const head = chars.slice(0, length - end.length).join('');
  if (killwords) return head + end;
  const cut = head.lastIndexOf(' ');
  return (cut < 0 ? head : head.slice(0, cut)) + end;
}

/** Python's textwrap.wrap (expand_tabs=False, replace_whitespace=False, drop_whitespace=True) of one line. */
function wrapLine(line: string, width: number, breakLong: boolean, breakHyphens: boolean): string[] {
  if (width <= 0) throw pyErr(`wordwrap: invalid width ${width} (must be > 0)`);
  const chunks: string[] = [];
  for (const part of line.split(/(\s+)/)) {
    if (!part) continue;
    if (breakHyphens && !/\s/.test(part)) chunks.push(...part.split(/(?<=\w-)(?=\w)/));
    else chunks.push(part);
  }
  chunks.reverse();
  const lines: string[] = [];
  while (chunks.length) {
    const cur: string[] = [];
    let len = 0;
    if (!chunks[chunks.length - 1].trim() && lines.length) chunks.pop();
    while (chunks.length && len + chunks[chunks.length - 1].length <= width) len += chunks[chunks.length - 1].length, cur.push(chunks.pop()!);
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const chunk = chunks[chunks.length - 1];
      if (breakLong) {
        const space = Math.max(width - len, 1);
        let endAt = space;
        if (breakHyphens && chunk.length > space) {
          const hy = chunk.lastIndexOf('-', space - 1);
          if (hy > 0 && /[^-]/.test(chunk.slice(0, hy))) endAt = hy + 1;
        }
        cur.push(chunk.slice(0, endAt));
        chunks[chunks.length - 1] = chunk.slice(endAt);
      } else if (!cur.length) cur.push(chunks.pop()!);
    }
    if (cur.length && !cur[cur.length - 1].trim()) cur.pop();
    if (cur.length) lines.push(cur.join(''));
  }
  return lines;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
const unescapeHtml = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e.toLowerCase()] ?? all,
  );

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');

/** Python's shlex.quote (Ansible's quote filter). */
function shlexQuote(s: string): string {
  if (s === '') return "''";
  return /[^\w@%+=:,./-]/.test(s) ? "'" + s.replace(/'/g, `'"'"'`) + "'" : s;
}

const COMMENT_STYLES: Record<string, Record<string, string>> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};

function comment(text: string, style: string, kw: Record<string, unknown>): string {
  const st = Object.prototype.hasOwnProperty.call(COMMENT_STYLES, style) ? COMMENT_STYLES[style] : undefined;
  if (!st) throw pyErr(`comment: unknown style '${style}'`, 'use plain, erlang, c, cblock or xml');
  const pre = kw.decoration !== undefined ? str(kw.decoration) : st.decoration;
  const p: Record<string, unknown> = { newline: '\n', beginning: '', prefix: pre.trimEnd(), prefix_count: 1, decoration: '', postfix: pre.trimEnd(), postfix_count: 1, end: '', ...st, ...kw };
  const [nl, dec] = [str(p.newline), str(p.decoration)];
  const beginning = p.beginning ? str(p.beginning) + nl : '';
  const prefix = !p.prefix ? '' : (str(p.prefix) !== nl ? str(p.prefix) + nl : nl).repeat(Number(p.prefix_count));
  const body = (dec + text.split(nl).join(nl + dec)).split(dec + nl).join(dec.trimEnd() + nl);
  const postfix = ['', ...Array.from({ length: Number(p.postfix_count) }, () => str(p.postfix))].join(nl);
  const end = p.end ? nl + str(p.end) : '';
  return beginning + prefix + body + postfix + end;
}

export const TEXT_FILTERS: Record<string, FilterFn> = {
  center: (_e, v, a, kw) => center(str(v), Number(arg(a, kw, 0, 'width', 80))),
  truncate: (_e, v, a, kw) => truncate(str(v), Number(arg(a, kw, 0, 'length', 255)), !!arg(a, kw, 1, 'killwords', false), str(arg(a, kw, 2, 'end', '...')), Number(arg(a, kw, 3, 'leeway', null) ?? 5)),
  wordcount: (_e, v) => (str(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
  wordwrap: (_e, v, a, kw) => {
    const wrap = str(arg(a, kw, 2, 'wrapstring', null) ?? '\n');
    const [width, breakLong, breakHy] = [Number(arg(a, kw, 0, 'width', 79)), arg(a, kw, 1, 'break_long_words', true) !== false, arg(a, kw, 3, 'break_on_hyphens', true) !== false];
    const lines = str(v).split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.map((l) => wrapLine(l, width, breakLong, breakHy).join(wrap)).join(wrap);
  },
  striptags: (_e, v) => unescapeHtml(str(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, '')).split(/\s+/).filter(Boolean).join(' '),
  forceescape: (_e, v) => escapeHtml(str(v)),
  safe: (_e, v) => (typeof v === 'string' ? v : str(v)),
  xmlattr: (_e, v, a, kw) => {
    need(v);
    if (!isMapping(v)) throw pyErr(`xmlattr: expected a dict, got ${pyType(v)}`);
    const rv = Object.keys(v)
      .filter((k) => v[k] !== null && v[k] !== undefined)
      .map((k) => `${escapeHtml(k)}="${escapeHtml(str(v[k]))}"`)
      .join(' ');
    return arg(a, kw, 0, 'autospace', true) !== false && rv ? ' ' + rv : rv;
  },
  pprint: (_e, v) => pyRepr(v),
  tojson: (_e, v, a, kw) =>
    pyJson(v, (arg(a, kw, 0, 'indent', null) as number | null) ?? null, true)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/'/g, '\\u0027'),
  comment: (_e, v, a, kw) => {
    const rest = Object.assign(Object.create(null), kw);
    delete rest.style;
    return comment(str(v), str(arg(a, kw, 0, 'style', 'plain')), rest);
  },
  quote: (_e, v) => shlexQuote(v === null || v === undefined ? '' : str(v)),
};
