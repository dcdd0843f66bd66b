/**
 * /etc/exports as data: a structural parser that keeps every other line (comments, other
 * exports, continuation lines) byte for byte, the known NFS export options (exports(5)), and
 * the edit that puts one entry in place or removes it.
 */

export interface ExportClient {
  host: string;
  options: string[];
}

export interface ExportEntry {
  path: string;
  clients: ExportClient[];
}

/** One logical line of the file: raw text (with continuation lines and the final newline) and, for an export, its parse. */
export interface ExportsLine {
  raw: string;
  entry?: ExportEntry;
}

const FLAGS = new Set([
  'secure', 'insecure', 'rw', 'ro', 'sync', 'async', 'wdelay', 'no_wdelay', 'hide', 'nohide', 'crossmnt', 'nocrossmnt',
  'subtree_check', 'no_subtree_check', 'insecure_locks', 'no_auth_nlm', 'secure_locks', 'auth_nlm', 'mp',
  'root_squash', 'no_root_squash', 'all_squash', 'no_all_squash', 'acl', 'no_acl', 'pnfs', 'no_pnfs',
  'security_label', 'nordirplus', 'rdirplus',
]);
const VALUED: Record<string, RegExp> = {
  mountpoint: /^\/.*$/,
  mp: /^\/.*$/,
  fsid: /^(\d+|root|[0-9a-fA-F-]{8,})$/,
  refer: /^\/\S*@\S+$/,
  replicas: /^\/\S*@\S+$/,
  sec: /^(sys|krb5|krb5i|krb5p|none)(:(sys|krb5|krb5i|krb5p|none))*$/,
  anonuid: /^-?\d+$/,
  anongid: /^-?\d+$/,
  xprtsec: /^(none|tls|mtls)(:(none|tls|mtls))*$/,
};
const CONFLICTS: [string, string][] = [
  ['rw', 'ro'], ['sync', 'async'], ['secure', 'insecure'], ['wdelay', 'no_wdelay'], ['hide', 'nohide'],
  ['subtree_check', 'no_subtree_check'], ['root_squash', 'no_root_squash'], ['all_squash', 'no_all_squash'],
  ['secure_locks', 'insecure_locks'], ['acl', 'no_acl'], ['pnfs', 'no_pnfs'], ['crossmnt', 'nocrossmnt'],
];

export const KNOWN_EXPORT_OPTIONS = [...FLAGS, ...Object.keys(VALUED).map((k) => `${k}=...`)].sort();

function near(word: string): string | undefined {
  const all = [...FLAGS, ...Object.keys(VALUED)];
  let best: string | undefined;
  let bd = 99;
  for (const c of all) {
    const d = lev(word.toLowerCase(), c);
    if (d < bd) { bd = d; best = c; }
  }
  return bd <= 2 ? best : undefined;
}

function lev(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** Throws naming the offending option/host (before anything is written). */
export function validateEntry(e: ExportEntry): void {
  if (!e.path.startsWith('/')) throw new Error(`export path '${e.path}' must be absolute`);
  if (/[\n\0]/.test(e.path)) throw new Error('export path contains a newline');
  if (!e.clients.length) throw new Error(`export ${e.path}: no clients given`);
  for (const c of e.clients) {
    if (!c.host || /[\s()#"\\]/.test(c.host)) throw new Error(`export ${e.path}: invalid client host '${c.host}'`);
    for (const o of c.options) {
      const [k, ...rest] = o.split('=');
      const v = rest.join('=');
      if (rest.length ? !(k in VALUED) : !FLAGS.has(k)) {
        const n = near(k);
        throw new Error(`export ${e.path}: unknown NFS export option '${o}' for client ${c.host}${n ? ` (did you mean '${n}'?)` : ''}; known options: ${KNOWN_EXPORT_OPTIONS.join(', ')}`);
      }
      if (rest.length && !VALUED[k].test(v)) throw new Error(`export ${e.path}: invalid value in NFS export option '${o}' for client ${c.host}`);
    }
    for (const [a, b] of CONFLICTS) {
      if (c.options.includes(a) && c.options.includes(b)) throw new Error(`export ${e.path}: options '${a}' and '${b}' contradict each other for client ${c.host}`);
    }
  }
}

/** Split a logical line into words: "quoted paths", \040-style octal escapes. */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') { inQ = !inQ; has = true; continue; }
    if (!inQ && /\s/.test(ch)) { if (has) out.push(cur); cur = ''; has = false; continue; }
    if (ch === '\\' && /^[0-7]{3}$/.test(text.slice(i + 1, i + 4))) { cur += String.fromCharCode(parseInt(text.slice(i + 1, i + 4), 8)); i += 3; has = true; continue; }
    cur += ch;
    has = true;
  }
  if (has) out.push(cur);
  return out;
}

/** Parse one logical export line (continuations already joined, no comment). */
export function parseEntry(text: string): ExportEntry | undefined {
  const w = words(text);
  if (!w.length || !w[0].startsWith('/')) return undefined;
  const [path, ...rest] = w;
  let defaults: string[] = [];
  const clients: ExportClient[] = [];
  for (const tok of rest) {
    if (tok.startsWith('-')) { defaults = tok.slice(1).split(',').filter(Boolean); continue; }
    const m = /^([^()]*)(?:\(([^)]*)\))?$/.exec(tok);
    if (!m) return undefined;
    clients.push({ host: m[1] || '*', options: m[2] !== undefined ? m[2].split(',').filter(Boolean) : [...defaults] });
  }
  return { path: normPath(path), clients };
}

export function normPath(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** Pure: the file as logical lines (each keeps its raw text). */
export function parseExports(text: string): ExportsLine[] {
  const out: ExportsLine[] = [];
  const phys = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  for (let i = 0; i < phys.length; i++) {
    let raw = phys[i];
    let logical = raw.replace(/\n$/, '');
    while (/\\$/.test(logical) && i + 1 < phys.length) {
      i++;
      raw += phys[i];
      logical = logical.slice(0, -1) + ' ' + phys[i].replace(/\n$/, '');
    }
    const noComment = logical.replace(/(^|\s)#.*$/, '');
    out.push(/^\s*(#|$)/.test(logical) ? { raw } : { raw, entry: parseEntry(noComment) });
  }
  return out;
}

function quotePath(p: string): string {
  return /[\s"]/.test(p) ? `"${p.replace(/"/g, '\\042')}"` : p;
}

export function formatEntry(e: ExportEntry): string {
  return [quotePath(e.path), ...e.clients.map((c) => (c.options.length ? `${c.host}(${c.options.join(',')})` : c.host))].join(' ') + '\n';
}

/** Same export (clients compared as a set, options as sets). */
export function sameEntry(a: ExportEntry, b: ExportEntry): boolean {
  if (a.path !== b.path || a.clients.length !== b.clients.length) return false;
  const key = (c: ExportClient) => `${c.host}(${[...c.options].sort().join(',')})`;
  const ka = a.clients.map(key).sort();
  const kb = b.clients.map(key).sort();
  return ka.every((k, i) => k === kb[i]);
}

/** Pure edit: new text and what happened. old null: no file. */
export function editExports(old: string | null, want: ExportEntry, state: 'present' | 'absent'): { text: string | null; msg: string } {
  const lines = parseExports(old ?? '');
  const path = normPath(want.path);
  const idx = lines.map((l, i) => (l.entry?.path === path ? i : -1)).filter((i) => i >= 0);
  if (state === 'absent') {
    if (!idx.length) return { text: old, msg: `${path}: not exported` };
    return { text: lines.filter((_, i) => !idx.includes(i)).map((l) => l.raw).join(''), msg: `${path}: export removed` };
  }
  const line = formatEntry({ ...want, path });
  if (idx.length === 1 && sameEntry(lines[idx[0]].entry!, { ...want, path })) return { text: old, msg: `${path}: exported as wanted` };
  const out = lines.map((l) => l.raw);
  if (idx.length) {
    out[idx[0]] = line;
    for (const i of idx.slice(1)) out[i] = '';
    return { text: out.join(''), msg: `${path}: export updated` };
  }
  let text = out.join('');
  if (text && !text.endsWith('\n')) text += '\n';
  return { text: text + line, msg: `${path}: export added` };
}
