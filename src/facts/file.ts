/**
 * The file fact: ONE command per path (its sections: lstat, link target, followed stat, real
 * path, checksum, content as base64, the umask, whether the parent directory exists), so all of a
 * module's facts run in one round trip; parseFileState is pure, tested from recorded output.
 * Names (link target, real path) may hold a newline: each is a section of its own, whose output is
 * the name exactly (src/facts/sections.ts), never read as a line of a list.
 */
import { posix } from 'node:path';
import type { ExecResult } from '../transport/types.js';
import { q } from '../util/quote.js';
import { S_IFMT } from '../util/mode.js';
import { okOut, parseSections, PROBES, sectionScript, type SectionCmd, type Sections } from './sections.js';

export const DIFF_CAP = 1024 * 1024;

export type FileType = 'file' | 'directory' | 'link' | 'block' | 'char' | 'fifo' | 'socket' | 'unknown';

export interface StatInfo {
  type: FileType;
  /** permission bits (07777) */
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  mtime: number;
  inode: number;
  dev: number;
  nlink: number;
}

export interface FileState {
  path: string;
  /** something is at path (a broken symlink counts) */
  exists: boolean;
  /** lstat of path */
  l?: StatInfo;
  /** stat of path following links (undefined: missing or broken link) */
  f?: StatInfo;
  /** readlink when path is a symlink */
  linkTarget?: string;
  /** readlink -f when the path exists */
  realpath?: string;
  /** checksum (hex) of the regular file's content, following links */
  checksum?: string;
  content?: Buffer;
  /** content was requested but not read (too large for a diff) */
  contentOmitted?: boolean;
  /** the parent directory exists */
  parentDir: boolean;
  umask: number;
  access?: { r: boolean; w: boolean; x: boolean };
}

export interface FileFactOpts {
  /** checksum algorithm for the H line (sha256 default); false: none */
  checksum?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'md5' | false;
  /** read content: always, only when <= DIFF_CAP ('diff'), or never */
  content?: 'always' | 'diff' | 'none';
  /** report r/w/x access for the connecting user */
  access?: boolean;
}

/** stat -c format read by parseStatLine (no name: names are never parsed out of a stat line) */
export const STAT_FMT = '%f:%u:%g:%s:%Y:%i:%d:%h:%U:%G';

/** The sections of the file fact for one path, and the shell they need first (stat.ts adds its own). */
export function fileFactSections(path: string, o: FileFactOpts = {}): { cmds: SectionCmd[]; prelude: string } {
  const algo = o.checksum === undefined ? 'sha256' : o.checksum;
  const content = o.content ?? 'none';
  // few processes: builtins print directly; the followed stat and readlink -f only for symlinks
  // (for anything else the lstat is the stat)
  const cmds: SectionCmd[] = [
    ['umask', 'umask'],
    ['parent', `[ -d ${q(posix.dirname(path))} ]`],
    // empty: nothing there; rc != 0: something there that stat could not read
    ['lstat', '[ $e = no ] || stat -c "$F" -- "$p"'],
    ['target', '[ -L "$p" ] && readlink -- "$p"'],
    ['stat', '[ -L "$p" ] && [ -e "$p" ] && stat -L -c "$F" -- "$p"'],
    ['realpath', '[ -L "$p" ] && [ -e "$p" ] && readlink -f -- "$p"'],
  ];
  if (o.access) cmds.push(['access', '[ -e "$p" ] && { a=; [ -r "$p" ] && a=r; [ -w "$p" ] && a="${a}w"; [ -x "$p" ] && a="${a}x"; printf \'%s\\n\' "$a"; }']);
  if (algo) cmds.push(['checksum', `[ -f "$p" ] && ${algo}sum < "$p"`]);
  // rc 0: too large for a diff, not read
  if (content === 'diff') cmds.push(['omitted', `b=no; [ -f "$p" ] && [ "$(stat -L -c %s -- "$p")" -gt ${DIFF_CAP} ] && b=yes; [ $b = yes ]`]);
  if (content !== 'none') cmds.push(['content', `[ -f "$p" ] && ${content === 'diff' ? '[ $b = no ] && ' : ''}base64 < "$p"`]);
  return { cmds, prelude: `p=${q(path)}; F=${q(STAT_FMT)}; e=no; { [ -L "$p" ] || [ -e "$p" ]; } && e=yes` };
}

/** The fact command for one path (pure string, quoted). */
export function fileFactCmd(path: string, o: FileFactOpts = {}): string {
  const { cmds, prelude } = fileFactSections(path, o);
  return sectionScript(cmds, { ...PROBES, prelude });
}

const TYPES: Record<number, FileType> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'link',
  0o060000: 'block',
  0o020000: 'char',
  0o010000: 'fifo',
  0o140000: 'socket',
};

/** The fields of one STAT_FMT record; `raw` is `%f` (type and permission bits). */
export function statRecord(s: string): Omit<StatInfo, 'type' | 'mode'> & { raw: number } {
  const f = s.split(':');
  if (f.length < 10 || !/^[0-9a-f]+$/i.test(f[0])) throw new Error(`cannot parse stat output: ${s}`);
  return {
    raw: parseInt(f[0], 16),
    uid: Number(f[1]),
    gid: Number(f[2]),
    size: Number(f[3]),
    mtime: Number(f[4]),
    inode: Number(f[5]),
    dev: Number(f[6]),
    nlink: Number(f[7]),
    owner: f[8],
    group: f.slice(9).join(':'),
  };
}

export function parseStatLine(s: string): StatInfo {
  const { raw, ...rest } = statRecord(s);
  return { type: TYPES[raw & S_IFMT] ?? 'unknown', mode: raw & 0o7777, ...rest };
}

/** Pure parser of fileFactCmd output. Throws when content was required but unreadable. */
export function parseFileState(path: string, r: ExecResult, o: FileFactOpts = {}): FileState {
  return parseFileSections(path, parseSections(r.stdout), r, o);
}

/** parseFileState from the sections already parsed (a script holding more sections: stat.ts). */
export function parseFileSections(path: string, s: Sections, r: ExecResult, o: FileFactOpts = {}): FileState {
  const { cmds } = fileFactSections(path, o);
  const why = () => r.stderr.trim();
  if (cmds.some(([n]) => !(n in s) || s[n].rc === -1)) throw new Error(`cannot inspect ${path}: ${why() || `incomplete output (rc=${r.code})`}`);
  const um = (s.umask.out ?? '').trim();
  const st: FileState = { path, exists: false, parentDir: s.parent.rc === 0, umask: /^[0-7]+$/.test(um) ? parseInt(um, 8) & 0o777 : 0o022 };
  if (s.lstat.rc !== 0) throw new Error(`cannot stat ${path}: ${why()}`);
  if (s.lstat.out.trim()) {
    st.exists = true;
    st.l = parseStatLine(s.lstat.out.trim());
  }
  const target = okOut(s.target);
  if (target !== undefined) st.linkTarget = target;
  const f = okOut(s.stat);
  if (f !== undefined) st.f = parseStatLine(f.trim());
  const real = okOut(s.realpath);
  if (real !== undefined) st.realpath = real;
  const access = okOut(s.access);
  if (access !== undefined) st.access = { r: access.includes('r'), w: access.includes('w'), x: access.includes('x') };
  const sum = okOut(s.checksum);
  if (sum !== undefined) st.checksum = sum.trim().split(/\s+/)[0];
  if (s.omitted?.rc === 0) st.contentOmitted = true;
  // not a symlink: the lstat is the stat
  if (st.l && st.l.type !== 'link' && !st.f) st.f = st.l;
  const content = okOut(s.content);
  if (content !== undefined) st.content = Buffer.from(content.replace(/\s+/g, ''), 'base64');
  else if (s.content && st.f?.type === 'file' && !st.contentOmitted) throw new Error(`cannot read ${path}: ${why() || 'read failed'}`);
  if (st.f?.type === 'file' && o.checksum !== false && st.checksum === undefined) {
    throw new Error(`cannot read ${path}: ${why() || 'checksum failed'}`);
  }
  return st;
}
