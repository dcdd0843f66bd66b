/**
 * A file in a user's ~/.ssh: one fact that resolves the user's home (getent) and reads a file
 * there (stat + content), refusing symlinks below the home. The steps writing it back:
 * src/modules/lib/sshfiles.ts.
 */
import { posix } from 'node:path';
import { q } from '../util/quote.js';
import type { ExplainCheck, Fact } from '../engine/module/types.js';
import { attrsOf, lineCount } from '../engine/module/explain.js';
import { parseStatLine, type StatInfo } from './file.js';
import { okOut, parseSections, PROBES, sectionScript } from './sections.js';

export interface UserFile {
  user: string;
  home: string;
  uid: number;
  gid: number;
  path: string;
  /** the file (following links) when it exists */
  st?: StatInfo;
  dir?: StatInfo;
  content?: string;
  /** the user exists */
  known: boolean;
}

const FMT = '%f:%u:%g:%s:%Y:%i:%d:%h:%U:%G';

/**
 * The fact: `rel` relative to the home of `user` (absolute paths are taken as is). user
 * undefined: the connecting (or become) user. readContent false: stat only (private keys).
 */
export function userFileFact(user: string | undefined, rel: string, readContent = true): Fact<UserFile> {
  const abs = rel.startsWith('/');
  const prelude = [
    user !== undefined ? `u=${q(user)}` : 'u=$(id -un)',
    'pw=$(getent passwd "$u" 2>/dev/null || awk -F: -v u="$u" \'$1==u\' /etc/passwd)',
    // the home: field 6 of the passwd line (parameter expansion, no process)
    'h=${pw#*:*:*:*:*:}; h=${h%%:*}',
    abs ? `p=${q(rel)}` : `p="$h"/${q(rel)}`,
    `F=${q(FMT)}`,
    'd=${p%/*}; [ -n "$d" ] || d=/',
  ].join('\n');
  const cmd = sectionScript([
    ['pw', 'printf \'%s\\n\' "$pw"'],
    // exact (a name may hold a newline): printed with one newline, which the parser removes
    ['path', 'printf \'%s\\n\' "$p"'],
    // below the home, nothing may be a symlink: with become, a user could otherwise point ~/.ssh
    // (or the file) elsewhere and have root write, chown or read a file outside what the task named
    ...(abs ? [] : [['symlink', `l=; c="$h"; for s in ${rel.split('/').filter(Boolean).map((x) => q(x)).join(' ')}; do c="$c/$s"; if [ -L "$c" ]; then l=$c; break; fi; done; [ -n "$l" ] && printf '%s\\n' "$l"`] as const]),
    ['dir', '[ -d "$d" ] && stat -L -c "$F" -- "$d"'],
    ['stat', '[ -f "$p" ] && stat -L -c "$F" -- "$p"'],
    ...(readContent ? [['content', '[ -f "$p" ] && base64 < "$p"'] as const] : []),
  ], { ...PROBES, prelude });
  // cacheable: the same file read by every item of a loop (known_hosts, authorized_key) is read once
  // until something changes (src/modules/types.ts Fact.cache)
  return { cmd, cache: true, parse: (r) => parseUserFile(r.stdout, user), explain: (f) => userFileCheck(f, user, rel, readContent) };
}

/** --explain: the user's home, then the file (`ls -l`, and `cat` when its content is read). */
function userFileCheck(f: UserFile, user: string | undefined, rel: string, readContent: boolean): ExplainCheck[] {
  const who = user !== undefined ? q(user) : '$(id -un)';
  const home: ExplainCheck = { cmd: `getent passwd ${who}`, found: f.known ? `user ${f.user}, uid ${f.uid}, home ${f.home}` : 'no such user' };
  if (!f.known) return [home];
  const p = q(f.path || rel);
  const n = f.content !== undefined ? lineCount(f.content) : undefined;
  const found = f.st ? `file ${attrsOf(f.st)}, ${f.st.size} bytes${n !== undefined ? `, ${n} line${n === 1 ? '' : 's'}` : ''}` : f.dir ? 'missing' : `missing (${posix.dirname(f.path)} too)`;
  return [home, { cmd: readContent ? `ls -l ${p}; cat ${p}` : `ls -l ${p}`, found }];
}

export function parseUserFile(out: string, user?: string): UserFile {
  const s = parseSections(out);
  const path = s.path?.out ?? '';
  const st = okOut(s.stat);
  if (st !== undefined && s.content && s.content.rc !== 0) throw new Error(`cannot read ${path}`);
  const link = okOut(s.symlink);
  if (link !== undefined) {
    throw new Error(`${link} is a symbolic link: kvplay does not write, chown or read a user's ssh files through a link (it could point outside the user's home); replace the link with the real directory or file`);
  }
  const pw = (s.pw?.out ?? '').trim().split(':');
  const known = pw.length >= 7;
  const dir = okOut(s.dir);
  const content = okOut(s.content);
  return {
    user: known ? pw[0] : user ?? '',
    home: known ? pw[5] : '',
    uid: known ? Number(pw[2]) : -1,
    gid: known ? Number(pw[3]) : -1,
    path,
    ...(st ? { st: parseStatLine(st.trim()) } : {}),
    ...(dir ? { dir: parseStatLine(dir.trim()) } : {}),
    ...(content !== undefined ? { content: Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8') } : {}),
    known,
  };
}

