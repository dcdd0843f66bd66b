/**
 * Path filters (controller side), as Python's os.path / ntpath / glob give them: basename,
 * dirname, splitext, expanduser, expandvars, realpath, relpath, path_join, win_basename,
 * win_dirname, win_splitdrive, fileglob. Tuples (splitext, win_splitdrive) stay tuples.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname as pDirname, join, relative, resolve } from 'node:path';
import { need } from './core.js';
import { TUPLES, pyErr, pyStr, pyType } from './py.js';
import { arg, type FilterFn } from './types.js';

const str = (v: unknown) => pyStr(v);
const tuple = <T extends unknown[]>(t: T): T => (TUPLES.add(t), t);

export const basename = (s: string) => s.slice(s.lastIndexOf('/') + 1);
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

/** ntpath.splitdrive */
function splitdrive(p: string): [string, string] {
  if (p.length < 2) return ['', p];
  const n = p.replace(/\//g, '\\');
  if (n.startsWith('\\\\') && n[2] !== '\\') {
    const i = n.indexOf('\\', 2);
    if (i < 0) return ['', p];
    let j = n.indexOf('\\', i + 1);
    if (j === i + 1) return ['', p];
    if (j < 0) j = p.length;
    return [p.slice(0, j), p.slice(j)];
  }
  return n[1] === ':' ? [p.slice(0, 2), p.slice(2)] : ['', p];
}
/** ntpath.split */
function winSplit(path: string): [string, string] {
  const [d, p] = splitdrive(path);
  let i = p.length;
  while (i && !'/\\'.includes(p[i - 1])) i--;
  const head = p.slice(0, i);
  return [d + (head.replace(/[/\\]+$/, '') || head), p.slice(i)];
}

const expanduser = (s: string) => s.replace(/^~(?=\/|$)/, process.env.HOME ?? '~');
const expandvars = (s: string) => s.replace(/\$(\w+|\{[^}]*\})/g, (all, n: string) => process.env[n.replace(/^\{|\}$/g, '')] ?? all);

/** os.path.realpath (not strict): symlinks resolved in the part of the path that exists. */
function realpath(p: string): string {
  let head = resolve(p);
  const rest: string[] = [];
  while (!existsSync(head) && head !== '/') {
    rest.unshift(head.slice(head.lastIndexOf('/') + 1));
    head = pDirname(head);
  }
  return join(realpathSync.native(head), ...rest);
}

/** Python's fnmatch.translate of one path segment. */
function segmentRe(pat: string): RegExp {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      j = pat.indexOf(']', j);
      if (j < 0) re += '\\[';
      else {
        let body = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Python's glob.glob (no ** recursion, hidden names only for a pattern starting with '.'), sorted. */
export function glob(pattern: string): string[] {
  const abs = pattern.startsWith('/');
  let found: string[] = [abs ? '/' : ''];
  const parts = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  for (const seg of parts.filter(Boolean)) {
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(seg)) {
        const p = dir ? join(dir, seg) : seg;
        if (existsSync(p)) next.push(p);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir || '.');
      } catch {
        continue; // not a directory, or unreadable: no match there
      }
      const re = segmentRe(seg);
      for (const n of names) if (re.test(n) && (seg.startsWith('.') || !n.startsWith('.'))) next.push(dir ? join(dir, n) : n);
    }
    found = next;
  }
  return found.filter((f) => f !== '' && f !== '/').sort();
}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

export const PATH_FILTERS: Record<string, FilterFn> = {
  basename: (_e, v) => basename(str(v)),
  dirname: (_e, v) => dirname(str(v)),
  splitext: (_e, v) => tuple(splitext(str(v))),
  expanduser: (_e, v) => expanduser(str(v)),
  expandvars: (_e, v) => expandvars(str(v)),
  realpath: (_e, v) => realpath(str(v)),
  relpath: (_e, v, a, kw) => {
    const p = str(v);
    if (!p) throw pyErr('relpath: no path specified');
    return relative(resolve(str(arg(a, kw, 0, 'start', '.'))), resolve(p)) || '.';
  },
  path_join: (_e, v) => {
    need(v);
    if (typeof v !== 'string' && !Array.isArray(v)) throw pyErr(`|path_join expects string or sequence, got ${pyType(v)} instead.`);
    return (typeof v === 'string' ? [v] : Array.from(v, str)).reduce((acc, p, i) => (p.startsWith('/') || i === 0 ? p : acc === '' || acc.endsWith('/') ? acc + p : acc + '/' + p), '');
  },
  win_basename: (_e, v) => winSplit(str(v))[1],
  win_dirname: (_e, v) => winSplit(str(v))[0],
  win_splitdrive: (_e, v) => tuple(splitdrive(str(v))),
  fileglob: (_e, v) => glob(str(v)).filter(isFile),
};
