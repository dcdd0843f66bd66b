/**
 * Files in a user's ~/.ssh (their fact: src/facts/sshfiles.ts): the steps that write one back
 * with the user's ownership (the atomic writeStep of lib/fileops.ts; backups as everywhere). Plus
 * pure parsers of OpenSSH public keys, authorized_keys option lists and known_hosts host patterns
 * (hashed or plain).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { q } from '../../util/quote.js';
import type { Step } from '../../engine/module/types.js';
import type { Diff } from '../../report/events.js';
import { contentDiff, mustBackup, writeStep, type FileState } from './fileops.js';
import type { UserFile } from '../../facts/sshfiles.js';

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

/**
 * What community.crypto.openssh_keypair returns of a public key line: public_key ("TYPE BLOB",
 * no comment), comment, fingerprint (SHA256:..., as ssh-keygen -l) and size in bits (from the
 * key blob: the RSA modulus, the ECDSA curve, 256 for ed25519).
 */
export function pubKeyInfo(line: string): { public_key: string; comment: string; fingerprint: string; size: number } | undefined {
  const k = parsePubKey(line);
  if (!k) return undefined;
  const blob = Buffer.from(k.blob, 'base64');
  const fields: Buffer[] = [];
  for (let o = 0; o + 4 <= blob.length && fields.length < 3; ) {
    const n = blob.readUInt32BE(o);
    fields.push(blob.subarray(o + 4, o + 4 + n));
    o += 4 + n;
  }
  let size = 0;
  if (k.type === 'ssh-ed25519') size = 256;
  else if (k.type === 'ssh-rsa' && fields[2]) {
    const m = fields[2];
    let i = 0;
    while (i < m.length && m[i] === 0) i++;
    size = i < m.length ? (m.length - i - 1) * 8 + (32 - Math.clz32(m[i])) : 0;
  } else if (k.type.startsWith('ecdsa-sha2-nistp')) size = Number(k.type.slice('ecdsa-sha2-nistp'.length)) || 0;
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { public_key: `${k.type} ${k.blob}`, comment: k.comment, fingerprint, size };
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
export { readLines as lines } from './edit.js';
