/**
 * OpenSSH known_hosts: parsing, host matching and host-key checking. Pure functions except
 * readKnownHostsFiles / appendKnownHost (file I/O at the edges).
 *
 * Supported: plain names, comma lists, `[host]:port` (ports other than 22), wildcards `*` `?`,
 * negation `!pattern`, hashed `|1|salt|hash` names, comments, `@revoked` (refuse the key),
 * `@cert-authority` (ignored: kvplay does not do host certificates).
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Raw host field (comma list or hashed). */
  hosts: string;
  keyType: string;
  /** Base64 key blob. */
  key: string;
  file?: string;
  line?: number;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'unknown' }
  /** Host known, but only with keys of other types than the one presented. */
  | { status: 'other-type'; knownTypes: string[]; entries: KnownHostEntry[] }
  /** Host known with a different key of the same type: possible man-in-the-middle. */
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Parse known_hosts text (a line format by design); malformed lines are skipped (OpenSSH does the same). */
export function parseKnownHosts(text: string, file?: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: ignore the line
    }
    if (fields.length < 3) return;
    const [hosts, keyType, key] = fields;
    if (!/^[A-Za-z0-9+/]+=*$/.test(key)) return;
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, key, ...(file ? { file } : {}), line: i + 1 });
  });
  return out;
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Glob match of OpenSSH patterns (`*`, `?`), case-insensitive like OpenSSH host matching. */
function globMatch(pattern: string, name: string): boolean {
  const re = '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$';
  return new RegExp(re, 'i').test(name);
}

/** Does the host field of an entry match this host:port? */
export function hostFieldMatches(hostsField: string, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (hostsField.startsWith('|1|')) {
    const [, , salt, hash] = hostsField.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of hostsField.split(',')) {
    if (!pat) continue;
    if (pat.startsWith('!')) {
      if (globMatch(pat.slice(1), name)) return false; // a negated match wins
    } else if (globMatch(pat, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Key type carried inside an SSH wire-format public key blob (first length-prefixed string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4 || len > 64) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/**
 * Check a presented key (type + base64 blob) for host:port against parsed entries.
 * Order: revoked > ok (any matching entry with this exact key) > changed > other-type > unknown.
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, keyType: string, keyB64: string): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, host, port));
  // A revoked key is refused for any host (OpenSSH: "@revoked * ..." is the usual form).
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === keyB64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => !e.marker);
  const same = plain.find((e) => e.key === keyB64);
  if (same) return { status: 'ok', entry: same };
  const changed = plain.find((e) => e.keyType === keyType);
  if (changed) return { status: 'changed', entry: changed };
  if (plain.length) return { status: 'other-type', knownTypes: [...new Set(plain.map((e) => e.keyType))], entries: plain };
  return { status: 'unknown' };
}

/** Key types known for a host (used to prefer them in the host-key algorithm negotiation). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  return [...new Set(entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, host, port)).map((e) => e.keyType))];
}

/** The line accept-new appends: `[host]:port type base64` (or `host type base64` for port 22). */
export function knownHostsLine(host: string, port: number, keyType: string, keyB64: string): string {
  return `${hostLookupName(host, port)} ${keyType} ${keyB64}\n`;
}

/** ssh2's default host key algorithms (ssh2 1.17, ed25519 available on Node 20). */
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Put algorithms for already-known key types first, so a known host presents a known key. */
export function preferredHostKeyAlgos(known: string[]): string[] {
  const first = known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((a) => HOST_KEY_ALGOS.includes(a));
  return [...new Set([...first, ...HOST_KEY_ALGOS])];
}

/** Read and parse all files (missing files are simply empty). */
export function readKnownHostsFiles(files: string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    try {
      if (!statSync(f).isFile()) continue; // e.g. /dev/null
      out.push(...parseKnownHosts(readFileSync(f, 'utf8'), f));
    } catch { /* unreadable: treated as empty */ }
  }
  return out;
}

/** Append one entry, creating the directory (0700) and file as needed; keeps lines separate. */
export function appendKnownHost(file: string, host: string, port: number, keyType: string, keyB64: string): void {
  if (file === '/dev/null') return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  if (existsSync(file)) {
    const cur = readFileSync(file);
    if (cur.length && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  }
  appendFileSync(file, prefix + knownHostsLine(host, port, keyType, keyB64), { mode: 0o600 });
}

/** OpenSSH-style fingerprint: SHA256:base64-without-padding. */
export function fingerprint(keyB64: string): string {
  return 'SHA256:' + createHash('sha256').update(Buffer.from(keyB64, 'base64')).digest('base64').replace(/=+$/, '');
}

/**
 * The whole host key decision for a presented key (ssh2 hostVerifier gives the wire blob).
 * Returns null when the key is accepted (recording it when new and acceptNew), else the
 * message + hint to show. A CHANGED, other-type or revoked key is never accepted or recorded.
 * `entries` gets the recorded entry appended, so later checks in this process agree.
 */
export function verifyHostKey(a: {
  entries: KnownHostEntry[]; host: string; port: number; who: string; key: Buffer;
  acceptNew: boolean; recordFile: string; checkedFiles: string[];
}): { message: string; hint?: string } | null {
  const type = keyTypeOfBlob(a.key);
  const b64 = a.key.toString('base64');
  const name = hostLookupName(a.host, a.port);
  const fp = `${type} ${fingerprint(b64)}`;
  const v = checkHostKey(a.entries, a.host, a.port, type, b64);
  switch (v.status) {
    case 'ok':
      return null;
    case 'revoked':
      return { message: `${a.who}: host key ${fp} is REVOKED (${v.entry.file}:${v.entry.line})`, hint: 'the server must get a new host key' };
    case 'changed':
      return {
        message: `${a.who}: host key for ${name} has CHANGED: offered ${fp}, but ${v.entry.file}:${v.entry.line} has ${v.entry.keyType} ${fingerprint(v.entry.key)}. Possible man-in-the-middle attack; refusing to connect`,
        hint: `if the change is legitimate (host reinstalled), remove the old entry: ssh-keygen -R '${name}' -f ${v.entry.file}`,
      };
    case 'other-type':
      return {
        message: `${a.who}: host ${name} is known with key type(s) ${v.knownTypes.join(', ')} but offered ${fp}; refusing (possible man-in-the-middle)`,
        hint: `if legitimate, remove the old entries: ssh-keygen -R '${name}' -f ${v.entries[0].file}`,
      };
    case 'unknown':
      if (!a.acceptNew) {
        return {
          message: `${a.who}: host key ${fp} for ${name} is not known (checked ${a.checkedFiles.join(', ') || 'no known_hosts files'})`,
          hint: `verify it, then run with --accept-new-host-keys, or add it: ssh-keyscan -p ${a.port} ${a.host} >> ${a.recordFile}`,
        };
      }
      try {
        appendKnownHost(a.recordFile, a.host, a.port, type, b64);
      } catch (e) {
        return { message: `${a.who}: cannot record host key in ${a.recordFile}: ${(e as Error).message}` };
      }
      a.entries.push({ hosts: name, keyType: type, key: b64 });
      return null;
  }
}
