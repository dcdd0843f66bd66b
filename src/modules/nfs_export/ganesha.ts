/**
 * nfs-ganesha EXPORT blocks: find the top-level EXPORT { ... } block of a path in a ganesha
 * config file (comments, strings and nested blocks understood), render the wanted block from
 * the same export data as /etc/exports (options mapped to ganesha keys), and put it in place,
 * keeping the rest of the file.
 */
import type { ExportEntry } from './exports.js';

export interface GaneshaBlock {
  /** offsets of the whole block text in the file, extended to whole lines */
  start: number;
  end: number;
  path?: string;
  exportId?: number;
  text: string;
}

interface Tok { t: 'word' | 'str' | 'sym'; v: string; pos: number; end: number }

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '"') {
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== '"') { if (text[j] === '\\' && j + 1 < text.length) j++; v += text[j]; j++; }
      out.push({ t: 'str', v, pos: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if ('{}=;,'.includes(ch)) { out.push({ t: 'sym', v: ch, pos: i, end: i + 1 }); i++; continue; }
    let j = i;
    while (j < text.length && !/[\s{}=;,#"]/.test(text[j])) j++;
    out.push({ t: 'word', v: text.slice(i, j), pos: i, end: j });
    i = j;
  }
  return out;
}

/** Normalized token stream (comments and layout dropped, keys case-insensitive) for comparing blocks. */
export function normBlock(text: string): string {
  return tokenize(text).map((t) => (t.t === 'str' ? JSON.stringify(t.v) : t.v.toLowerCase())).join(' ');
}

/** Top-level EXPORT blocks of a ganesha config. */
export function findExportBlocks(text: string): GaneshaBlock[] {
  const toks = tokenize(text);
  const out: GaneshaBlock[] = [];
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const tk = toks[i];
    if (tk.t === 'sym' && tk.v === '{') { depth++; continue; }
    if (tk.t === 'sym' && tk.v === '}') { depth = Math.max(0, depth - 1); continue; }
    if (depth !== 0 || tk.t !== 'word' || tk.v.toUpperCase() !== 'EXPORT' || toks[i + 1]?.v !== '{') continue;
    let d = 0;
    let j = i + 1;
    let path: string | undefined;
    let exportId: number | undefined;
    for (; j < toks.length; j++) {
      const x = toks[j];
      if (x.t === 'sym' && x.v === '{') d++;
      else if (x.t === 'sym' && x.v === '}') { d--; if (d === 0) break; }
      else if (d === 1 && x.t === 'word' && toks[j + 1]?.v === '=' && toks[j + 2]) {
        const key = x.v.toLowerCase();
        if (key === 'path') path = toks[j + 2].v;
        if (key === 'export_id') exportId = Number(toks[j + 2].v);
      }
    }
    if (j >= toks.length) throw new Error('ganesha config: unterminated EXPORT block');
    let start = tk.pos;
    while (start > 0 && text[start - 1] !== '\n' && /\s/.test(text[start - 1])) start--;
    let end = toks[j].end;
    const nl = text.indexOf('\n', end);
    if (nl >= 0 && /^\s*$/.test(text.slice(end, nl))) end = nl + 1;
    out.push({ start, end, path: path?.replace(/\/+$/, '') || path, exportId, text: text.slice(start, end) });
    i = j;
    depth = 0;
  }
  return out;
}

const qs = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The client options mapped to ganesha CLIENT keys; options without a ganesha meaning are listed in `ignored`. */
export function clientKeys(options: string[]): { lines: string[]; ignored: string[] } {
  const lines: string[] = [];
  const ignored: string[] = [];
  let access = 'RO';
  let squash = 'Root_Squash';
  for (const o of options) {
    const [k, v] = o.split('=');
    switch (k) {
      case 'rw': access = 'RW'; break;
      case 'ro': access = 'RO'; break;
      case 'root_squash': squash = 'Root_Squash'; break;
      case 'no_root_squash': squash = 'No_Root_Squash'; break;
      case 'all_squash': squash = 'All_Squash'; break;
      case 'no_all_squash': break;
      case 'anonuid': lines.push(`Anonymous_Uid = ${Number(v)};`); break;
      case 'anongid': lines.push(`Anonymous_Gid = ${Number(v)};`); break;
      case 'sec': lines.push(`SecType = ${v.split(':').join(', ')};`); break;
      case 'secure': lines.push('PrivilegedPort = true;'); break;
      case 'insecure': lines.push('PrivilegedPort = false;'); break;
      default: ignored.push(o);
    }
  }
  return { lines: [`Access_Type = ${access};`, `Squash = ${squash};`, ...lines], ignored };
}

/** The EXPORT block for an entry. */
export function renderExportBlock(e: ExportEntry, exportId: number, pseudo?: string): { text: string; ignored: string[] } {
  const ignored = new Set<string>();
  const clients = e.clients.map((c) => {
    const k = clientKeys(c.options);
    k.ignored.forEach((o) => ignored.add(o));
    return ['    CLIENT {', `        Clients = ${c.host};`, ...k.lines.map((l) => `        ${l}`), '    }'].join('\n');
  });
  const text = [
    'EXPORT {',
    `    Export_Id = ${exportId};`,
    `    Path = ${qs(e.path)};`,
    `    Pseudo = ${qs(pseudo ?? e.path)};`,
    '    Protocols = 3, 4;',
    '    SecType = sys;',
    '    Access_Type = None;',
    '    Squash = Root_Squash;',
    '    FSAL {',
    '        Name = VFS;',
    '    }',
    ...clients,
    '}',
  ].join('\n') + '\n';
  return { text, ignored: [...ignored].sort() };
}

/** Pure edit of a ganesha exports file for one path. */
export function editGanesha(old: string | null, want: ExportEntry, state: 'present' | 'absent', o: { exportId?: number; pseudo?: string } = {}): { text: string | null; msg: string; ignored: string[]; exportId?: number } {
  const text = old ?? '';
  const blocks = findExportBlocks(text);
  const mine = blocks.filter((b) => b.path === want.path);
  if (state === 'absent') {
    if (!mine.length) return { text: old, msg: `${want.path}: not exported`, ignored: [] };
    let out = text;
    for (const b of [...mine].reverse()) out = out.slice(0, b.start) + out.slice(b.end);
    return { text: out, msg: `${want.path}: EXPORT block removed`, ignored: [] };
  }
  const others = blocks.filter((b) => b.path !== want.path).map((b) => b.exportId ?? 0);
  let id = o.exportId ?? mine[0]?.exportId ?? Math.max(0, ...others) + 1;
  if (o.exportId === undefined && others.includes(id)) id = Math.max(0, ...others) + 1;
  if (others.includes(id)) throw new Error(`ganesha Export_Id ${id} is already used by another export`);
  const r = renderExportBlock(want, id, o.pseudo);
  if (mine.length === 1 && normBlock(mine[0].text) === normBlock(r.text)) return { text: old, msg: `${want.path}: exported as wanted`, ignored: r.ignored, exportId: id };
  let out = text;
  if (mine.length) {
    for (const b of mine.slice(1).reverse()) out = out.slice(0, b.start) + out.slice(b.end);
    out = out.slice(0, mine[0].start) + r.text + out.slice(mine[0].end);
    return { text: out, msg: `${want.path}: EXPORT block updated`, ignored: r.ignored, exportId: id };
  }
  if (out && !out.endsWith('\n')) out += '\n';
  return { text: out + r.text, msg: `${want.path}: EXPORT block added`, ignored: r.ignored, exportId: id };
}
