/**
 * find: Ansible's find module. One fact lists each path with `find` (NUL-safe, as file.ts's
 * treeFact: per batch a count, a line of directory flags, fixed-format stat lines, then the names
 * each ended by NUL; checksums and, for `contains`, contents as base64 lines); the pure part
 * rebuilds Python's os.walk order (per directory: files, then directories; top-down) and applies
 * Ansible's filters (patterns/excludes as fnmatch or Python regex, hidden, file_type, age, size,
 * contains, depth) and result keys (files with statinfo, matched, examined, skipped_paths, msg).
 */
import { posix } from 'node:path';
import { q } from '../util/quote.js';
import { paramRegex } from '../util/pyre.js';
import { globRegex } from '../inventory/pattern.js';
import type { Module, Plan } from '../engine/module/types.js';
import { parseSections, PROBES, sectionScript, type SectionCmd } from '../facts/sections.js';
import { STAT_FMT, statRecord } from '../facts/file.js';
import { bool, int, object, str, strEnum, type Static, typed } from '../engine/module/schema.js';

export type FindParams = Static<typeof schema>;

/** One listed entry: lstat fields (times as Python floats), whether it is a directory (links followed). */
export interface FoundEntry {
  path: string;
  isDir: boolean;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
  owner: string;
  group: string;
  checksum?: string;
  content?: Buffer;
}

export interface FindFacts {
  now: number;
  /** per given path: its entries (find order), or why it was skipped */
  roots: { path: string; entries?: FoundEntry[]; error?: string }[];
}

const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v).split(','));
export const pathsOf = (p: FindParams) => list(p.paths) ?? [];

/** atime, mtime, ctime with nanoseconds, then the file fact's stat record. */
const FMT = `%.9X:%.9Y:%.9Z:${STAT_FMT}`;

/** `sec.nsec` as Python's float (sec + nsec * 1e-9). */
function pyTime(x: string): number {
  const [a, c = '0'] = x.split('.');
  return Number(a) + Number(c.padEnd(9, '0').slice(0, 9)) * 1e-9;
}

export function findFactCmd(p: FindParams): string {
  const depth = !p.recurse ? 1 : p.depth ? p.depth + 1 : undefined;
  const extra = [
    // a line of 0/1 per entry: a directory, links followed (Python's is_dir())
    `for f; do if [ -d "$f" ]; then printf 1; else printf 0; fi; done; echo`,
    `stat -c "$0" -- "$@" || exit 1`,
    `printf '%s\\0' "$@"`,
    ...(p.get_checksum ? [`for f; do if [ -f "$f" ] && [ ! -L "$f" ]; then sha1sum < "$f" | cut -d' ' -f1; else echo; fi; done`] : []),
    ...(p.contains !== undefined ? [`for f; do if [ -f "$f" ] && [ -r "$f" ]; then base64 -w0 < "$f"; fi; echo; done`] : []),
  ];
  const batch = `printf 'B %s\\n' "$#"; ${extra.join('; ')}`;
  // per given path: root-N (the path, ~ expanded), list-N (rc 0: a directory; its batches, then one newline)
  const cmds: SectionCmd[] = [['now', 'date +%s.%N']];
  pathsOf(p).forEach((raw, i) => {
    const path = raw === '~' || raw.startsWith('~/') ? `"$HOME"${q(raw.slice(1))}` : q(raw);
    cmds.push([`root-${i}`, `p=${path}; printf '%s\\n' "$p"`]);
    cmds.push([`list-${i}`, `[ -d "$p" ] && { find ${p.follow ? '-L ' : ''}"$p" -mindepth 1 ${depth ? `-maxdepth ${depth} ` : ''}-exec sh -c ${q(batch)} ${q(FMT)} {} + 2>/dev/null; echo; }`]);
  });
  return sectionScript(cmds, PROBES);
}

/** Pure parser of findFactCmd output. */
export function parseFindFacts(out: string, p: FindParams): FindFacts {
  const sec = parseSections(out);
  const now = pyTime(sec.now?.out.trim() || '0');
  const roots: FindFacts['roots'] = [];
  for (let r = 0; `root-${r}` in sec; r++) {
    const path = sec[`root-${r}`].out;
    const list = sec[`list-${r}`];
    if (!list || list.rc === -1) throw new Error('find: incomplete output');
    if (list.rc !== 0) {
      roots.push({ path, error: `'${path}' is not a directory` });
      continue;
    }
    // batches: `B n`, a line of 0/1 (directories), n stat lines, n NUL-terminated names, then sums, contents
    const buf = list.out;
    let pos = 0;
    const upTo = (sep: string) => {
      const e = buf.indexOf(sep, pos);
      if (e < 0) throw new Error('find: incomplete output');
      const x = buf.slice(pos, e);
      pos = e + sep.length;
      return x;
    };
    const entries: FoundEntry[] = [];
    while (pos < buf.length) {
      const b = /^B (\d+)$/.exec(upTo('\n'));
      if (!b) throw new Error('find: unexpected output');
      const n = Number(b[1]);
      const dirs = upTo('\n');
      const stats = Array.from({ length: n }, () => upTo('\n'));
      const names = Array.from({ length: n }, () => upTo('\0'));
      const sums = p.get_checksum ? Array.from({ length: n }, () => upTo('\n')) : [];
      const contents = p.contains !== undefined ? Array.from({ length: n }, () => upTo('\n')) : [];
      for (let i = 0; i < n; i++) {
        const [x, y, z] = stats[i].split(':', 3);
        const { raw, owner, group, ...ids } = statRecord(stats[i].slice(x.length + y.length + z.length + 3));
        const known = (v: string) => (v === 'UNKNOWN' ? '' : v);
        entries.push({
          path: names[i],
          isDir: dirs[i] === '1',
          ...ids,
          mode: raw,
          atime: pyTime(x),
          mtime: pyTime(y),
          ctime: pyTime(z),
          owner: known(owner),
          group: known(group),
          ...(p.get_checksum && sums[i] ? { checksum: sums[i] } : {}),
          ...(p.contains !== undefined && contents[i] ? { content: Buffer.from(contents[i], 'base64') } : {}),
        });
      }
    }
    roots.push({ path, entries });
  }
  return { now, roots };
}

/** Python's os.walk order over one root's entries: per directory its files, then its directories; top-down. */
export function walkOrder(root: string, entries: FoundEntry[], follow: boolean): { entry: FoundEntry; root: string }[] {
  const byParent = new Map<string, FoundEntry[]>();
  const norm = (x: string) => posix.normalize(x).replace(/(.)\/+$/, '$1');
  for (const e of entries) {
    const parent = norm(posix.dirname(e.path));
    let l = byParent.get(parent);
    if (!l) byParent.set(parent, (l = []));
    l.push(e);
  }
  const out: { entry: FoundEntry; root: string }[] = [];
  const walk = (dir: string) => {
    const here = byParent.get(norm(dir)) ?? [];
    const files = here.filter((e) => !e.isDir);
    const dirs = here.filter((e) => e.isDir);
    for (const e of [...files, ...dirs]) out.push({ entry: e, root: dir });
    const isLink = (e: FoundEntry) => (e.mode & 0o170000) === 0o120000;
    for (const d of dirs) if (follow || !isLink(d)) walk(d.path);
  };
  walk(root);
  return out;
}

const fnmatch = (name: string, pat: string) => globRegex(pat).test(name);

function pfilter(f: string, patterns: string[], excludes: string[] | undefined, regex: boolean): boolean {
  const m = (pat: string) => (regex ? paramRegex(pat, 'patterns').exec(f)?.index === 0 : fnmatch(f, pat));
  for (const pat of patterns) {
    if (m(pat)) return !(excludes ?? []).some((e) => (regex ? paramRegex(e, 'excludes').exec(f)?.index === 0 : fnmatch(f, e)));
  }
  return false;
}

function unitValue(v: string, what: 'age' | 'size'): number {
  const units: Record<string, number> = what === 'age' ? { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } : { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const m = (what === 'age' ? /^(-?\d+)(s|m|h|d|w)?$/ : /^(-?\d+)(b|k|m|g|t)?$/).exec(v.toLowerCase());
  if (!m) throw new Error(`failed to process ${what}`);
  return Number(m[1]) * (units[m[2] ?? ''] ?? 1);
}

/** Python's line iteration in text mode (universal newlines), lines keep '\n'. */
function pyLines(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function statinfo(e: FoundEntry): Record<string, unknown> {
  const m = e.mode;
  const t = m & 0o170000;
  return {
    mode: (m & 0o7777).toString(8).padStart(4, '0'),
    isdir: t === 0o040000, ischr: t === 0o020000, isblk: t === 0o060000, isreg: t === 0o100000, isfifo: t === 0o010000, islnk: t === 0o120000, issock: t === 0o140000,
    uid: e.uid, gid: e.gid, size: e.size, inode: e.inode, dev: e.dev, nlink: e.nlink, atime: e.atime, mtime: e.mtime, ctime: e.ctime,
    gr_name: e.group, pw_name: e.owner,
    wusr: !!(m & 0o200), rusr: !!(m & 0o400), xusr: !!(m & 0o100), wgrp: !!(m & 0o20), rgrp: !!(m & 0o40), xgrp: !!(m & 0o10), woth: !!(m & 0o2), roth: !!(m & 0o4), xoth: !!(m & 0o1),
    isuid: !!(m & 0o4000), isgid: !!(m & 0o2000),
  };
}

/** Pure: Ansible's find over the listed entries. */
export function planFind(p: FindParams, f: FindFacts): Plan {
  const patterns = list(p.patterns) ?? [];
  const pats = patterns.length ? patterns : [p.use_regex ? '.*' : '*'];
  const excludes = list(p.excludes);
  const age = p.age === undefined ? undefined : unitValue(p.age, 'age');
  const size = p.size === undefined ? undefined : unitValue(p.size, 'size');
  const type = p.file_type ?? 'file';
  const stamp = p.age_stamp ?? 'mtime';
  const contains = p.contains !== undefined ? paramRegex(p.contains, 'contains') : undefined;
  const ageOk = (e: FoundEntry) => age === undefined || (age >= 0 ? f.now - e[stamp] >= Math.abs(age) : f.now - e[stamp] <= Math.abs(age));
  const sizeOk = (e: FoundEntry) => size === undefined || (size >= 0 ? e.size >= Math.abs(size) : e.size <= Math.abs(size));
  const contentOk = (e: FoundEntry) => {
    if (!contains) return true;
    if (!e.content) return false;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(e.content);
    } catch {
      return false; // Python's open() fails to decode: the file does not match
    }
    if (p.read_whole_file) return contains.test(text);
    return pyLines(text).some((l) => contains.exec(l)?.index === 0);
  };
  const files: Record<string, unknown>[] = [];
  const skipped: Record<string, string> = Object.create(null);
  let examined = 0;
  for (const root of f.roots) {
    if (root.error !== undefined) {
      skipped[root.path] = root.error;
      continue;
    }
    const wpath = root.path.replace(/\/+$/, '') + '/';
    const seenRoots = new Set<string>();
    for (const { entry: e, root: r } of walkOrder(root.path, root.entries!, !!p.follow)) {
      if (!seenRoots.has(r)) {
        seenRoots.add(r);
        examined += root.entries!.filter((x) => posix.normalize(posix.dirname(x.path)) === posix.normalize(r).replace(/(.)\/+$/, '$1')).length;
      }
      const fsname = posix.normalize(e.path);
      if (p.recurse && p.depth) {
        const d = (fsname.match(/\//g) ?? []).length - (wpath.match(/\//g) ?? []).length + 1;
        if (d > p.depth) continue;
      }
      const base = posix.basename(fsname);
      if (base.startsWith('.') && !p.hidden) continue;
      const t = e.mode & 0o170000;
      const isReg = t === 0o100000;
      const match = pfilter(base, pats, excludes, !!p.use_regex) && ageOk(e);
      let take = false;
      if (type === 'any') take = match && (!isReg || sizeOk(e));
      else if (type === 'directory') take = t === 0o040000 && match;
      else if (type === 'file') take = isReg && match && sizeOk(e) && contentOk(e);
      else take = t === 0o120000 && match;
      if (take) files.push({ path: fsname, ...statinfo(e), ...(isReg && p.get_checksum && (type === 'any' || type === 'file') ? { checksum: e.checksum ?? '' } : {}) });
    }
  }
  const msg = Object.keys(skipped).length ? 'Not all paths examined, check warnings for details' : 'All paths examined';
  const warnings = Object.entries(skipped).map(([k, v]) => `Skipped '${k}' path due to this access issue: ${v}\n`);
  return { kind: 'ok', reason: `${files.length} matched of ${examined} examined`, result: { files, msg, matched: files.length, examined, skipped_paths: skipped, ...(warnings.length ? { warnings } : {}) } };
}

const strs = (d: string, aliases?: string[]) => typed<string | string[]>({ type: ['array', 'string'], items: { type: 'string' }, description: d, ...(aliases ? { aliases } : {}) });

const schema = object(
  {
    paths: strs('Directories to search (aliases name, path).', ['name', 'path']),
    patterns: strs('Base name patterns: shell globs, or Python regexes (matched at the start) with use_regex. Default: everything.', ['pattern']),
    excludes: strs('Base name patterns that exclude a match.', ['exclude']),
    contains: str('Regular files with a line matching this Python regex (at the line start), or the whole file with read_whole_file.'),
    read_whole_file: bool('contains searches the whole content instead of matching each line.', false),
    file_type: strEnum(['any', 'directory', 'file', 'link'], 'What to find: file (default), directory, link or any.'),
    age: str('Modified at least this long ago (1d, 2w, 30m, 10s), or at most with a minus (-1d).'),
    age_stamp: strEnum(['atime', 'ctime', 'mtime'], 'The time age compares (default mtime).'),
    size: str('At least this size (10k, 1m, 2g), or at most with a minus (-1m).'),
    recurse: bool('Search subdirectories too.', false),
    hidden: bool('Include names starting with a dot.', false),
    follow: bool('Follow symlinks to directories.', false),
    get_checksum: bool('Add the SHA1 checksum of regular files.', false),
    use_regex: bool('patterns/excludes are Python regexes instead of globs.', false),
    depth: int('With recurse: how many levels deep (1: only the directory itself).', { minimum: 0 }),
  },
  { required: ['paths'] },
);

export const find: Module<FindParams, { found: FindFacts }> = {
  name: 'find',
  reasonIsMsg: false,
  doc: "Ansible's find: files (or directories, links) below paths matching name patterns, age, size, contents; registers files with stat data, matched, examined.",
  schema,
  facts: (p) => ({ found: { cmd: findFactCmd(p), parse: (r) => parseFindFacts(r.stdout, p), explain: (f) => ({ cmd: `find ${pathsOf(p).map(q).join(' ')}${p.recurse ? '' : ' -maxdepth 1'}`, found: (f as FindFacts).roots.map((r) => (r.error ? r.error : `${r.entries!.length} entries`)).join('; ') }) } }),
  plan: (p, f) => planFind(p, f.found),
};
