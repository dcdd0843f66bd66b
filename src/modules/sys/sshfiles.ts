/**
 * Files in a user's ~/.ssh: one fact that resolves the user's home (getent) and reads a file
 * there (stat + content), and the steps that write it back with the user's ownership (the
 * atomic writeStep of util/fileops.ts; backups as everywhere). Plus pure parsers of OpenSSH
 * public keys, authorized_keys option lists and known_hosts host patterns (hashed or plain).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { q } from '../../util/quote.js';
import type { Diff, ExplainCheck, Fact, Step } from '../types.js';
import { attrsOf, lineCount } from '../util/explain.js';
import { contentDiff, mustBackup, parseStatLine, writeStep, type FileState, type StatInfo } from '../util/fileops.js';
import { tagged } from './osfacts.js';

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
  const cmd = [
    'LC_ALL=C; export LC_ALL',
    user !== undefined ? `u=${q(user)}` : 'u=$(id -un)',
    'pw=$(getent passwd "$u" 2>/dev/null || awk -F: -v u="$u" \'$1==u\' /etc/passwd)',
    'echo "@@ pw"; printf "%s\\n" "$pw"',
    // the home: field 6 of the passwd line (parameter expansion, no process)
    'h=${pw#*:*:*:*:*:}; h=${h%%:*}',
    abs ? `p=${q(rel)}` : `p="$h"/${q(rel)}`,
    'echo "@@ path"; printf "%s\\n" "$p"',
    // below the home, nothing may be a symlink: with become, a user could otherwise point ~/.ssh
    // (or the file) elsewhere and have root write, chown or read a file outside what the task named
    ...(abs ? [] : [`c="$h"; for s in ${rel.split('/').filter(Boolean).map((x) => q(x)).join(' ')}; do c="$c/$s"; if [ -L "$c" ]; then echo "@@ symlink"; printf "%s\\n" "$c"; break; fi; done`]),
    `F=${q(FMT)}`,
    'd=${p%/*}; [ -n "$d" ] || d=/',
    'if [ -d "$d" ]; then echo "@@ dir"; stat -L -c "$F" -- "$d"; fi',
    `if [ -f "$p" ]; then echo "@@ stat"; stat -L -c "$F" -- "$p";${readContent ? ' echo "@@ content"; base64 < "$p" || echo "@@ unreadable";' : ''} fi`,
    'echo "@@ end"',
    'exit 0',
  ].join('\n');
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
  const s = tagged(out);
  if (s.unreadable !== undefined) throw new Error(`cannot read ${(s.path ?? '').trim()}`);
  if (s.symlink !== undefined) {
    throw new Error(`${s.symlink.trim()} is a symbolic link: kvplay does not write, chown or read a user's ssh files through a link (it could point outside the user's home); replace the link with the real directory or file`);
  }
  const pw = (s.pw ?? '').trim().split(':');
  const known = pw.length >= 7;
  return {
    user: known ? pw[0] : user ?? '',
    home: known ? pw[5] : '',
    uid: known ? Number(pw[2]) : -1,
    gid: known ? Number(pw[3]) : -1,
    path: (s.path ?? '').trim(),
    ...(s.stat ? { st: parseStatLine(s.stat.trim()) } : {}),
    ...(s.dir ? { dir: parseStatLine(s.dir.trim()) } : {}),
    ...(s.content !== undefined ? { content: Buffer.from(s.content.replace(/\s+/g, ''), 'base64').toString('utf8') } : {}),
    known,
  };
}

/** Steps that write `text` to the user file: ~/.ssh created 0700 when missing, the file owned by the user. */
export function writeUserFile(f: UserFile, text: string, mode: number, backup?: boolean): Step[] {
  const steps: Step[] = [];
  const dir = posix.dirname(f.path);
  if (!f.dir) {
    steps.push({ desc: `mkdir ${dir}`, cmd: `mkdir -p -m 700 -- ${q(dir)} && chown ${f.uid}:${f.gid} -- ${q(dir)}` });
  }
  steps.push(writeStep({ path: f.path, content: text, cur: f.st, mode: f.st ? f.st.mode : mode, owner: f.st ? undefined : f.uid, group: f.st ? undefined : f.gid, backup: mustBackup(f.path, !!f.st, backup) }));
  return steps;
}

export function userFileDiff(f: UserFile, text: string): Diff {
  const st: FileState = { path: f.path, exists: !!f.st, parentDir: !!f.dir, umask: 0o022, ...(f.st ? { f: f.st, l: f.st, content: Buffer.from(f.content ?? '') } : {}) };
  return contentDiff(f.path, st, text);
}

export const KEY_TYPES = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

export interface PubKey {
  type: string;
  blob: string;
  comment: string;
  /** authorized_keys options (raw text before the type) */
  options?: string;
}

/** Split a line into words; double quotes group (authorized_keys options). */
function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (const ch of line) {
    if (ch === '"') inQ = !inQ;
    if (!inQ && /\s/.test(ch)) { if (cur) out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** A public key line: [options] type blob [comment]. undefined when it is none. */
export function parsePubKey(line: string): PubKey | undefined {
  const w = splitWords(line.trim());
  const i = w.findIndex((x) => KEY_TYPES.test(x));
  if (i < 0 || i > 1 || !w[i + 1] || !/^[A-Za-z0-9+/]+=*$/.test(w[i + 1])) return undefined;
  return { type: w[i], blob: w[i + 1], comment: w.slice(i + 2).join(' '), ...(i === 1 ? { options: w[0] } : {}) };
}

/** Does a known_hosts host field (comma list, maybe hashed |1|salt|hash) name `host`? */
export function hostFieldMatches(field: string, host: string): boolean {
  for (const pat of field.split(',')) {
    if (pat.startsWith('|1|')) {
      const [, , salt, hash] = pat.split('|');
      if (!salt || !hash) continue;
      const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64');
      if (h === hash) return true;
    } else if (pat.toLowerCase() === host.toLowerCase()) return true;
  }
  return false;
}

export function hashHost(host: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`;
}

/** A known_hosts line: marker? hosts type blob [comment]. */
export function parseKnownHostsLine(line: string): { marker?: string; hosts: string; key: PubKey } | undefined {
  if (/^\s*(#|$)/.test(line)) return undefined;
  const w = line.trim().split(/\s+/);
  let i = 0;
  let marker: string | undefined;
  if (w[0].startsWith('@')) { marker = w[0]; i = 1; }
  const key = parsePubKey(w.slice(i + 1).join(' '));
  if (!key || !w[i]) return undefined;
  return { ...(marker ? { marker } : {}), hosts: w[i], key };
}

/** Lines with their \n (Python readlines): authorized_keys, known_hosts and sysctl.conf are line formats. */
export { readLines as lines } from '../util/edit.js';
